"""save_checkpoint / load_checkpoint (re-exported by nn.training): resume training exactly.

``load_checkpoint`` is all or nothing: it reads the whole file, checks the
model's keys, shapes and dtypes, the optimizer's groups, hyperparameter names
and per-parameter state shapes, and the scheduler's fields against the objects
given, and only then applies them (optimizer, scheduler and generator first,
each undone if a later step still fails; the model last, since its copy is the
one that can't be undone cheaply). A checkpoint that doesn't fit leaves every
object as it was.
"""
import copy
import os

import numpy as np

import autograd as ag
from autograd.serialization import _load

from . import _compat
from .serialization import CheckpointError, save

__all__ = ["save_checkpoint", "load_checkpoint", "get_rng_state", "set_rng_state"]

_CKPT_FORMAT = "tapegrad-training-checkpoint-1"
# state that every optimizer here keeps per parameter, in the parameter's shape
_PARAM_SHAPED = {"exp_avg", "exp_avg_sq", "max_exp_avg_sq", "momentum_buffer", "square_avg", "grad_avg",
                 "sum", "acc_delta", "prev", "step_size"}


def get_rng_state():
    """The engine's CPU generator state (``ag.manual_seed``'s; dropout and shuffling draw from it)."""
    return copy.deepcopy(_compat.generator().bit_generator.state)


def set_rng_state(state):
    _compat.generator().bit_generator.state = state


def save_checkpoint(path, model, optimizer=None, scheduler=None, epoch=None, rng=True, **extra):
    """Write model, optimizer, scheduler, epoch and ``extra`` values to ``path`` with ``nn.save``.

    ``extra`` values must be what ``nn.save`` stores (numbers, strings,
    arrays, Tensors, dicts and lists of them), e.g. ``history=...``,
    ``early_stopping=es.state_dict()``. With ``rng=True`` the engine's random
    generator state is saved too, so dropout masks and shuffles after a resume
    are the ones an uninterrupted run would have drawn. The file appears
    atomically (temporary file + rename).
    """
    ckpt = {"format": _CKPT_FORMAT, "epoch": epoch, "model": model.state_dict()}
    if optimizer is not None:
        ckpt["optimizer"] = optimizer.state_dict()
    if scheduler is not None:
        ckpt["scheduler"] = scheduler.state_dict()
    if rng:
        ckpt["rng"] = get_rng_state()
    ckpt["extra"] = dict(extra)
    folder = os.path.dirname(os.path.abspath(os.fspath(path)))
    os.makedirs(folder, exist_ok=True)
    save(ckpt, path)
    return path


def load_checkpoint(path, model=None, optimizer=None, scheduler=None, rng=True, strict=True):
    """Load a ``save_checkpoint`` file into the given objects; return the checkpoint dict.

    The dict has ``epoch``, ``extra`` (the keywords given when saving) and the
    raw ``model``/``optimizer``/``scheduler`` state dicts. Resume with
    ``start = ckpt["epoch"] + 1``. With ``rng=True`` the saved generator
    state (if any) is restored. Everything is checked before anything is
    changed: on any error the objects are left as they were.
    """
    where = f"load_checkpoint: {os.fspath(path)!r}"
    ckpt = _load(path, "cpu", "load_checkpoint")     # copied onto each object's own device below
    if not isinstance(ckpt, dict) or ckpt.get("format") != _CKPT_FORMAT:
        raise CheckpointError(f"{where} was not written by save_checkpoint (use nn.load for plain nn.save files)")
    for name, obj in (("optimizer", optimizer), ("scheduler", scheduler)):
        if obj is not None and name not in ckpt:
            raise KeyError(f"{where} holds no {name} state")
    if model is not None:
        _check_model(model, ckpt["model"], strict, where)
    if optimizer is not None:
        _check_optimizer(optimizer, ckpt["optimizer"], where)
    if scheduler is not None:
        _check_scheduler(scheduler, ckpt["scheduler"], where)
    undo = []
    try:
        if optimizer is not None:
            undo.append(_restorer(optimizer, ("state", "param_groups")))
            optimizer.load_state_dict(ckpt["optimizer"])
        if scheduler is not None:
            undo.append(_restorer(scheduler))
            scheduler.load_state_dict(ckpt["scheduler"])
        if rng and ckpt.get("rng") is not None:
            undo.append(lambda old=get_rng_state(): set_rng_state(old))
            set_rng_state(ckpt["rng"])
        if model is not None:
            model.load_state_dict(ckpt["model"], strict=strict)
    except BaseException:
        for restore in reversed(undo):
            restore()
        raise
    return ckpt


def _restorer(obj, names=None):
    """A function that puts back ``obj``'s attributes (``names``, or all) as they are now.
    load_state_dict rebinds attributes rather than changing them in place, so keeping
    the references is enough."""
    old = dict(vars(obj)) if names is None else {k: getattr(obj, k) for k in names}

    def restore():
        if names is None:
            vars(obj).clear()
        vars(obj).update(old)
    return restore


def _shape_dtype(value):
    arr = value.array if isinstance(value, ag.Tensor) else value
    return tuple(np.shape(arr)), np.dtype(getattr(arr, "dtype", np.asarray(arr).dtype))


def _check_model(model, sd, strict, where):
    if not hasattr(sd, "keys"):
        raise RuntimeError(f"{where}: the model state is a {type(sd).__name__}, not a state dict")
    expected = model.state_dict()
    missing = [k for k in expected if k not in sd]
    unexpected = [k for k in sd if k not in expected]
    problems = []
    if strict and missing:
        problems.append(f"missing key(s) {missing}")
    if strict and unexpected:
        problems.append(f"unexpected key(s) {unexpected}")
    for k, target in expected.items():
        if k in sd:
            shape, dtype = _shape_dtype(sd[k])
            if shape != tuple(target.shape):
                problems.append(f"{k}: shape {shape} in the checkpoint, {tuple(target.shape)} in the model")
            elif dtype.kind not in "biufc":
                problems.append(f"{k}: dtype {dtype} in the checkpoint can't be copied into {target.dtype}")
    if problems:
        raise RuntimeError(f"{where}: the checkpoint doesn't fit the {type(model).__name__} model "
                           f"(nothing was loaded): " + "; ".join(problems))


def _check_optimizer(optimizer, sd, where):
    def fail(msg):
        return CheckpointError(f"{where}: the optimizer state doesn't fit this {type(optimizer).__name__} "
                               f"(nothing was loaded): {msg}")
    if not isinstance(sd, dict) or not isinstance(sd.get("param_groups"), list) \
            or not isinstance(sd.get("state"), dict):
        raise fail("it needs 'state' (a dict) and 'param_groups' (a list)")
    groups, saved = optimizer.param_groups, sd["param_groups"]
    if len(groups) != len(saved):
        raise fail(f"{len(saved)} parameter groups saved, {len(groups)} in the optimizer")
    params = {}
    for i, (g, sg) in enumerate(zip(groups, saved)):
        if not isinstance(sg, dict) or len(sg.get("params", ())) != len(g["params"]):
            raise fail(f"group {i} holds {len(sg.get('params', ())) if isinstance(sg, dict) else '?'} "
                       f"parameters saved, {len(g['params'])} in the optimizer")
        lacking = sorted(k for k in g if k not in sg)
        if lacking:
            raise fail(f"group {i} lacks {lacking} (saved by another kind of optimizer?)")
        params.update(zip(sg["params"], g["params"]))
    for index, entries in sd["state"].items():
        p = params.get(index)
        if p is None or not isinstance(entries, dict):
            continue
        for name, value in entries.items():
            if not isinstance(value, (ag.Tensor, np.ndarray)):
                continue
            shape, dtype = _shape_dtype(value)
            if dtype.kind not in "biufc":
                raise fail(f"state {name!r} of parameter {index} has dtype {dtype}")
            if name in _PARAM_SHAPED and shape != tuple(p.shape):
                raise fail(f"state {name!r} of parameter {index} has shape {shape}; "
                           f"the parameter's is {tuple(p.shape)}")


def _check_scheduler(scheduler, sd, where):
    if not isinstance(sd, dict):
        raise CheckpointError(f"{where}: the scheduler state is a {type(sd).__name__}, not a dict")
    expected = set(scheduler.state_dict())
    missing, unexpected = sorted(expected - set(sd)), sorted(set(sd) - expected)
    if missing or unexpected:
        raise CheckpointError(f"{where}: the scheduler state doesn't fit this {type(scheduler).__name__} "
                              f"(saved by another kind of scheduler? nothing was loaded): "
                              f"missing {missing}, unexpected {unexpected}")
