"""Gradient health: gradient norms, vanishing/exploding marks, dead ReLUs.

Leaves keep their gradient in `.grad`, so their norms are always at hand
after backward. Intermediate gradients are never stored (that is what keeps
backward lean), so to see them call `record_grads(root)` before backward: it
puts a hook on every node of the graph that notes the norm of the gradient
reaching that node's output, and, for a ReLU, how many of its units were dead
(read from the output the ReLU saved, which is still there when its hook runs,
just before its backward frees it). The hooks return None, so gradients are
unchanged; nothing is hooked unless you ask.
"""
import math
import weakref

from ..function import FREED
from ..tensor import Tensor

_grad_norms = weakref.WeakKeyDictionary()    # node -> norm of the gradient of its output
_dead_units = weakref.WeakKeyDictionary()    # ReLU node -> (dead units, units)


def norm(array, backend):
    """The 2-norm of an array, in float64 and scaled by its largest entry, so float32
    gradients near the overflow threshold still give a finite norm (and NaN/Inf show)."""
    if isinstance(array, Tensor):
        array = array.array
    if array.size == 0:
        return 0.0
    xp = backend.xp
    magnitude = xp.abs(array)
    largest = float(magnitude.max())
    if largest == 0.0 or not math.isfinite(largest):
        return largest            # 0, inf or nan: no scaling can help
    scaled = xp.astype(magnitude, 'float64') / largest
    return largest * math.sqrt(float((scaled * scaled).sum()))


def classify(value, vanishing, exploding):
    """'exploding' (above `exploding`, or not finite), 'vanishing' (below `vanishing`), or None."""
    if value is None:
        return None
    if not math.isfinite(value) or value > exploding:
        return 'exploding'
    if value < vanishing:
        return 'vanishing'
    return None


def is_relu(node):
    return type(node).__name__.lower() == 'relu'


def dead_units(y, backend):
    """(dead units, units) of a ReLU output: a unit is one position past the batch axis,
    dead when it is zero for every sample of the batch (every element for 0-d/1-d)."""
    if isinstance(y, Tensor):
        y = y.array
    alive = y > 0
    if alive.ndim >= 2:
        alive = alive.any(axis=0)
    units = int(alive.size)
    return units - int(alive.sum()), units


def relu_health(node):
    """(dead units, units) for a ReLU node: recorded during backward, or read from its
    saved output while that still exists; None when neither is available."""
    found = _dead_units.get(node)
    if found is not None:
        return found
    saved = node.saved
    if saved is FREED or not saved or saved[0] is None:
        return None
    return dead_units(saved[0], node.backend)


def grad_norm_of(node):
    """The recorded norm of the gradient of `node`'s output, or None."""
    return _grad_norms.get(node)


def _make_hook(node):
    ref = weakref.ref(node)        # a strong reference would be a cycle: node -> hooks -> hook
    relu = is_relu(node)

    def hook(grad):
        n = ref()
        if n is not None:
            _grad_norms[n] = norm(grad, n.backend)
            if relu:
                saved = n.saved
                if saved is not FREED and saved and saved[0] is not None:
                    _dead_units[n] = dead_units(saved[0], n.backend)
        return None                # the gradient passes unchanged
    return hook


class record_grads:
    """Before backward: note every intermediate gradient norm (and ReLU deadness).

        ag.viz.record_grads(loss)
        loss.backward()
        ag.viz.draw(loss, show_grads=True)

    Returns a handle; `.remove()` (or using it as a context manager) takes the
    hooks off again. The graph is walked without recursion."""

    def __init__(self, root):
        from .graph import walk
        self._installed = []
        for node in walk(root).nodes:
            if node.hooks is None:
                node.hooks = []
            hook = _make_hook(node)
            node.hooks.append(hook)
            self._installed.append((weakref.ref(node), hook))

    def remove(self):
        for ref, hook in self._installed:
            node = ref()
            if node is not None and node.hooks and hook in node.hooks:
                node.hooks.remove(hook)
        self._installed = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()
        return False
