"""`with ag.viz.profile():` per-op forward and backward time and output bytes.

Zero cost when off: nothing in `Function.apply` or the engine checks a flag.
Entering the context replaces `forward` and `backward` on every op class with
a timed wrapper (a class attribute, so `apply`, `apply_fast` and the engine
find it by their ordinary lookup); leaving restores the originals. The
timings are kept per node in a weak table, so they live exactly as long as
the graph and `ag.viz.draw(root, profile=True)` can show them afterwards.
Run the backward inside the context too if you want backward times.

GPU ops are synchronised before the clock stops, so times are kernel times,
not launch times (which makes a profiled GPU run slower than a normal one).
"""
import time
import weakref

from .. import backends
from ..function import Function

_records = weakref.WeakKeyDictionary()      # node -> [forward s, backward s, output bytes]
_active = []                                # originals of the installed wrappers, when on


def _sync(array):
    if type(array).__module__.split('.')[0] == 'cupy':
        backends.of_array(array).synchronize()


def _first_array(values):
    for v in values:
        if hasattr(v, 'nbytes'):
            return v
    return None


def _timed_forward(original):
    clock = time.perf_counter

    def forward(self, xp, *args, **kwargs):
        first = _first_array(args)
        _sync(first)
        start = clock()
        out = original(self, xp, *args, **kwargs)
        _sync(out)
        elapsed = clock() - start
        _records[self] = [elapsed, 0.0, getattr(out, 'nbytes', 0)]
        return out
    forward.__wrapped__ = original
    return forward


def _timed_backward(original):
    clock = time.perf_counter

    def backward(self, xp, g, *saved):
        _sync(g)
        start = clock()
        grads = original(self, xp, g, *saved)
        for gi in (grads if type(grads) is tuple else (grads,)):
            _sync(getattr(gi, 'array', gi))
        elapsed = clock() - start
        record = _records.get(self)
        if record is None:
            _records[self] = [0.0, elapsed, 0]
        else:
            record[1] += elapsed
        return grads
    backward.__wrapped__ = original
    return backward


def _op_classes():
    """Every Function subclass, found without recursion."""
    found, pending = [], [Function]
    while pending:
        cls = pending.pop()
        for sub in cls.__subclasses__():
            if sub not in found:
                found.append(sub)
                pending.append(sub)
    return found


class profile:
    """Time every op run inside the block (forward, and backward if run inside too).

        with ag.viz.profile():
            loss = model(x).sum()
            loss.backward()
        ag.viz.draw(loss, profile=True)      # times and bytes on the op nodes, coloured

    Nested blocks are fine (the outermost installs and removes the timers)."""

    def __enter__(self):
        if not _active:
            originals = []
            for cls in _op_classes():
                for attr, wrap in (('forward', _timed_forward), ('backward', _timed_backward)):
                    if attr in cls.__dict__:
                        original = cls.__dict__[attr]
                        originals.append((cls, attr, original))
                        setattr(cls, attr, wrap(original))
            _active.append(originals)
        else:
            _active.append(None)
        return self

    def __exit__(self, *exc):
        originals = _active.pop()
        if originals:
            for cls, attr, original in originals:
                setattr(cls, attr, original)
        return False


def record_of(node):
    """(forward seconds, backward seconds, output bytes) for a profiled node, or None."""
    return _records.get(node)
