"""Small helpers of nn.Module (kept apart so module.py stays short)."""
import numpy as np

import autograd as ag

from . import _compat


def _addindent(s, num_spaces):
    lines = s.split("\n")
    if len(lines) == 1:
        return s
    first = lines.pop(0)
    return first + "\n" + "\n".join(" " * num_spaces + line for line in lines)


class _RemovableHandle:
    def __init__(self, hooks, key):
        self._hooks, self._key = hooks, key

    def remove(self):
        self._hooks.pop(self._key, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def _parse_to(args, kwargs):
    device = kwargs.pop("device", None)
    dtype = kwargs.pop("dtype", None)
    kwargs.pop("non_blocking", None)
    if kwargs:
        raise TypeError(f"to() got unexpected keyword arguments {sorted(kwargs)}")
    for a in args:
        if isinstance(a, ag.Tensor):
            device, dtype = a.device, a.dtype
        elif isinstance(a, str) and a.split(":")[0] in ("cpu", "cuda"):
            device = a
        elif a is None:
            continue
        else:
            try:
                dtype = np.dtype(a)
            except TypeError:
                device = a  # a device object of the engine
    if dtype is not None:
        dtype = np.dtype(dtype)
        if dtype.kind not in "fc":
            raise TypeError(f"nn.Module.to only accepts floating point dtypes, but got desired dtype={dtype}")
    return device, dtype


def _zero_grad(p, set_to_none=True):
    if p.grad is None:
        return
    if set_to_none:
        p.grad = None
    elif getattr(p.grad, "grad_fn", None) is not None or p.grad.requires_grad:
        p.grad = _compat.wrap(_compat.xp_of(p.grad.array).zeros_like(p.grad.array), like=p.grad)
    else:
        p.grad.array[...] = 0
        _compat.bump_version(p.grad)


def check_sizes(owner, minimum=0, **sizes):
    """A layer's size arguments (features, channels, ...): ints of at least `minimum`,
    checked when the layer is built, so the error names the layer and the argument."""
    for what, value in sizes.items():
        ag.errors.check_size(owner, what, value, minimum)
