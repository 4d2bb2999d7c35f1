"""Small training helpers that PyTorch users write by hand in every script.

* ``EarlyStopping(patience, min_delta, mode)``: watch a validation metric,
  say when it has stopped improving, remember (and restore) the best weights.
* ``accuracy(output, target)``: the fraction of correct predictions.
* ``progress(iterable, total=None, desc=None)``: a tqdm progress bar when tqdm
  is installed, else a few plain lines (``desc: 30/100 (30%) 1.2s``).
* ``save_checkpoint(path, model, optimizer, scheduler, epoch, **extra)`` and
  ``load_checkpoint(path, model, optimizer, scheduler) -> dict``: resume
  training exactly where it stopped (model, optimizer state, scheduler
  state, epoch, the engine's random generator), written with ``nn.save``
  (NumPy .npz, atomic rename, never pickle).

Everything here is a thin layer over public pieces (``state_dict``,
``nn.save``/``nn.load``); nothing here changes how training computes. The
checkpoint functions live in nn/_checkpoint.py.
"""
import copy
import os
import sys
import time

import numpy as np

import autograd as ag

from . import _compat
from ._checkpoint import get_rng_state, load_checkpoint, save_checkpoint, set_rng_state

__all__ = ["EarlyStopping", "accuracy", "progress", "Progress", "save_checkpoint", "load_checkpoint",
           "get_rng_state", "set_rng_state"]


# ----------------------------------------------------------------- early stopping
class EarlyStopping:
    """Stop when a monitored metric has not improved for ``patience`` calls.

    ``step(value, model=None)`` records one evaluation (one epoch, usually)
    and returns True when training should stop. An evaluation *improves* when
    it beats the best so far by more than ``min_delta`` (``value < best -
    min_delta`` for ``mode='min'``, ``value > best + min_delta`` for
    ``mode='max'``). After ``patience`` evaluations in a row without an
    improvement, ``should_stop`` becomes True (Keras's ``EarlyStopping``
    rule; ``patience=0`` stops at the first evaluation that does not improve,
    like ``patience=1``). With ``model`` given, a copy of its ``state_dict`` is kept at every
    improvement and ``restore(model)`` loads it back.

    >>> es = EarlyStopping(patience=2)
    >>> [es.step(v) for v in (1.0, 0.5, 0.6, 0.7)]
    [False, False, False, True]
    >>> es.best, es.best_epoch
    (0.5, 1)
    """

    def __init__(self, patience=5, min_delta=0.0, mode="min"):
        if mode not in ("min", "max"):
            raise ValueError(f"mode must be 'min' or 'max', got {mode!r}")
        if patience < 0:
            raise ValueError(f"patience must be >= 0, got {patience}")
        if min_delta < 0:
            raise ValueError(f"min_delta must be >= 0 (it is the margin an improvement needs), got {min_delta}")
        self.patience, self.min_delta, self.mode = int(patience), float(min_delta), mode
        self.best = None            # best value seen so far
        self.best_epoch = None      # index (0-based count of step calls) of the best value
        self.num_bad_epochs = 0     # evaluations since the last improvement
        self.epoch = -1             # index of the last step call
        self.improved = False       # whether the last step call improved
        self.should_stop = False
        self.best_state = None      # copy of model.state_dict() at the best value, when a model is passed

    def is_better(self, value, best):
        if best is None:
            return not np.isnan(value)
        if self.mode == "min":
            return value < best - self.min_delta
        return value > best + self.min_delta

    def step(self, value, model=None):
        """Record ``value``; return True when training should stop."""
        value = float(value.item() if hasattr(value, "item") else value)
        self.epoch += 1
        self.improved = self.is_better(value, self.best)
        if self.improved:
            self.best, self.best_epoch, self.num_bad_epochs = value, self.epoch, 0
            if model is not None:
                self.best_state = {k: _compat.wrap(_copy_array(v.array), like=v) if isinstance(v, ag.Tensor)
                                   else copy.deepcopy(v) for k, v in model.state_dict().items()}
        else:
            self.num_bad_epochs += 1
        self.should_stop = self.num_bad_epochs >= max(self.patience, 1)
        return self.should_stop

    __call__ = step

    def restore(self, model):
        """Load the weights saved at the best evaluation into ``model`` (needs ``step(..., model)``)."""
        if self.best_state is None:
            raise RuntimeError("EarlyStopping.restore: no weights were saved; pass the model to step(value, model)")
        model.load_state_dict(self.best_state)
        return model

    def state_dict(self):
        """Counters and best value (not the saved weights), for checkpoints."""
        return {k: getattr(self, k) for k in ("patience", "min_delta", "mode", "best", "best_epoch",
                                             "num_bad_epochs", "epoch", "improved", "should_stop")}

    def load_state_dict(self, state):
        for k, v in state.items():
            setattr(self, k, v)

    def __repr__(self):
        return (f"EarlyStopping(patience={self.patience}, min_delta={self.min_delta}, mode={self.mode!r}, "
                f"best={self.best}, best_epoch={self.best_epoch}, num_bad_epochs={self.num_bad_epochs})")


def _copy_array(a):
    return a.copy()


# ----------------------------------------------------------------------- accuracy
def accuracy(output, target):
    """Fraction of correct predictions, as a Python float.

    ``output`` is ``(N, C)`` scores or logits (the prediction is the argmax
    over classes), or ``(N,)`` / ``(N, 1)`` logits of a binary classifier (the
    prediction is ``logit > 0``). ``target`` holds class indices ``(N,)``.
    Tensors (any device) and arrays are accepted; no gradient is recorded.
    """
    out = _compat.to_numpy(output.detach() if isinstance(output, ag.Tensor) else output)
    tgt = _compat.to_numpy(target.detach() if isinstance(target, ag.Tensor) else target).reshape(-1)
    if out.ndim == 2 and out.shape[1] > 1:
        pred = out.argmax(axis=1)
    elif out.ndim == 1 or (out.ndim == 2 and out.shape[1] == 1):
        pred = (out.reshape(-1) > 0).astype(np.int64)
    else:
        raise ValueError(f"accuracy: output must be (N, C) scores or (N,)/(N, 1) binary logits, "
                         f"got shape {tuple(out.shape)}")
    if pred.shape[0] != tgt.shape[0]:
        raise ValueError(f"accuracy: {pred.shape[0]} predictions but {tgt.shape[0]} targets")
    if tgt.shape[0] == 0:
        return float("nan")
    return float((pred == tgt).mean())


# ----------------------------------------------------------------------- progress
class Progress:
    """Plain-text progress for when tqdm is absent: a few lines, not a bar.

    Prints ``desc: i/total (pct%) elapsed, rate [postfix]`` when another
    tenth of ``total`` is done (``lines`` sets how many marks) and at least
    ``mininterval`` seconds have passed since the last line (with no known
    total: every ``mininterval`` seconds), and a last line at the end when
    anything was printed or the loop took ``mininterval`` or more. A loop
    shorter than ``mininterval`` therefore prints nothing. Supports what
    loops use of tqdm: iteration, ``update(n)``, ``set_postfix(**kw)``,
    ``set_description``, ``close()``, ``with``.
    """

    def __init__(self, iterable=None, total=None, desc=None, file=None, lines=10, mininterval=2.0,
                 disable=False, leave=True):
        self.iterable = iterable
        if total is None and iterable is not None:
            try:
                total = len(iterable)
            except TypeError:
                total = None
        self.total, self.desc, self.disable = total, desc or "", disable
        self.file = file
        self.lines, self.mininterval = max(1, int(lines)), float(mininterval)
        self.n, self.postfix = 0, ""
        self.start = self._last = time.perf_counter()
        self._next_mark = 1
        self._printed = 0
        self._closed = False

    def __iter__(self):
        if self.iterable is None:
            raise TypeError("Progress: no iterable to iterate over (use update())")
        try:
            for item in self.iterable:
                yield item
                self.update(1)
        finally:
            self.close()

    def __len__(self):
        return self.total if self.total is not None else len(self.iterable)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def set_postfix(self, ordered_dict=None, refresh=True, **kwargs):
        items = dict(ordered_dict or {}, **kwargs)
        self.postfix = ", ".join(f"{k}={_fmt(v)}" for k, v in items.items())

    def set_postfix_str(self, s="", refresh=True):
        self.postfix = str(s)

    def set_description(self, desc=None, refresh=True):
        self.desc = desc or ""

    def update(self, n=1):
        self.n += n
        if self.disable:
            return
        now = time.perf_counter()
        if self.total:
            mark = self.n * self.lines // self.total
            if mark < self._next_mark or self.n >= self.total:
                return
            self._next_mark = mark + 1
        if now - self._last >= self.mininterval:
            self._print(now)

    def _line(self, now):
        elapsed = now - self.start
        count = f"{self.n}/{self.total} ({100.0 * self.n / self.total:.0f}%)" if self.total else f"{self.n}"
        rate = f", {self.n / elapsed:.1f} it/s" if elapsed > 0 and self.n else ""
        post = f" [{self.postfix}]" if self.postfix else ""
        head = f"{self.desc}: " if self.desc else ""
        return f"{head}{count} {elapsed:.1f}s{rate}{post}"

    def _print(self, now):
        self._last = now
        self._printed += 1
        print(self._line(now), file=self.file if self.file is not None else sys.stderr, flush=True)

    def close(self):
        if self._closed:
            return
        self._closed = True
        now = time.perf_counter()
        if not self.disable and (self._printed or now - self.start >= self.mininterval):
            self._print(now)


def _fmt(v):
    if isinstance(v, ag.Tensor):
        v = v.item()
    if isinstance(v, (float, np.floating)):
        return f"{float(v):.4g}"
    return str(v)


def _tqdm_class():
    if os.environ.get("TAPEGRAD_NO_TQDM"):
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None
    return tqdm


def progress(iterable=None, total=None, desc=None, disable=False, use_tqdm=None, file=None, **kwargs):
    """A progress bar over ``iterable``: tqdm's when installed, else ``Progress`` (plain lines).

    ``use_tqdm=False`` (or the environment variable ``TAPEGRAD_NO_TQDM=1``)
    forces plain lines; ``use_tqdm=True`` insists on tqdm (ImportError if
    absent). Extra keywords go to tqdm (``leave``, ``unit``, ...) or, for the
    plain fallback, ``lines`` and ``mininterval``. Both kinds support
    ``set_postfix(loss=...)``, ``update(n)`` and ``close()``.
    """
    tqdm = _tqdm_class() if use_tqdm is not False else None
    if use_tqdm and tqdm is None:
        raise ImportError("progress(use_tqdm=True) needs tqdm: pip install tqdm")
    if tqdm is not None:
        kwargs.pop("lines", None)
        return tqdm(iterable, total=total, desc=desc, disable=disable, file=file, **kwargs)
    plain = {k: kwargs[k] for k in ("lines", "mininterval", "leave") if k in kwargs}
    return Progress(iterable, total=total, desc=desc, disable=disable, file=file, **plain)
