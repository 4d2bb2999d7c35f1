"""The namespace backward formulas get under create_graph=True.

It has NumPy's names, signatures and meanings (the same ones the backends'
array namespaces have), but each function is a differentiable op on Tensors,
so a backward formula written once records itself when asked to. Where
PyTorch's meaning differs, NumPy's holds here: `transpose(x, axes)` permutes
all axes, and swapping two is `swapaxes`. Only the names that backward
formulas and the engine use are here; tests/test_tensor_namespace.py finds
every `xp.<name>` a backward uses and checks it is here, meaning what NumPy's does.
"""
from ..backends.numpy_backend import sum_to as _sum_to
from ..tensor import make_tensor as _make_tensor
from . import FUNCTIONS as _ag, indexing as I, math_api as m, shape_api as s
from .reduce import Sum

# ag's functions (not Tensor's fast methods): like NumPy's, they take Python numbers too
exp, log, sin, cos, tanh, erf, sign, floor, trunc = map(_ag.__getitem__, (
    'exp', 'log', 'sin', 'cos', 'tanh', 'erf', 'sign', 'floor', 'trunc'))
where, isfinite, matmul, einsum = m.where, m.isfinite, m.matmul, m.einsum
reshape, broadcast_to, swapaxes, flip = s.reshape, s.broadcast_to, s.swapaxes, s.flip
# NumPy's cumsum(a, axis), tril(m, k), triu(m, k): the same positional meaning
cumsum, tril, triu = map(_ag.__getitem__, ('cumsum', 'tril', 'triu'))
clip = m.clamp


def _const(x, fill):
    return _make_tensor(x._backend.xp.full(x.shape, fill, dtype=x.dtype), x._backend, False, None, None)


def mask_grad(mask, g):
    return m.where(mask, g, 0)


def zeros_like(x):
    return _const(x, 0)


def ones_like(x):
    return _const(x, 1)


def sum(x, axis=None, keepdims=False):
    return Sum.apply(x, axis=axis, keepdims=keepdims)


def transpose(x, axes=None):
    """NumPy's transpose: reverse or permute all axes (PyTorch's swap of two is swapaxes)."""
    return s.permute(x, tuple(range(x.ndim))[::-1] if axes is None else tuple(axes))


def expand_dims(x, axis):
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    ndim = x.ndim + len(axes)
    axes = {a % ndim for a in axes}
    it = iter(x.shape)
    return s.reshape(x, tuple(1 if d in axes else next(it) for d in range(ndim)))


def roll(x, shift, axis=None):
    return s.roll(x, shift, axis)


def astype(x, dtype):
    return x.type(dtype)


def sum_to(g, shape):
    """The backends' sum_to: it uses only g.sum and g.reshape, which Tensors have too."""
    return _sum_to(None, g, shape)


def take(a, indices, axis=None):
    if axis is None:
        return s.index_select(s.reshape(a, -1), 0, indices)
    return s.index_select(a, axis, indices)


def index_add(shape, key, values):
    return I.IndexAdd.apply(values, shape=shape, key=key)


def prod_others(x, axis):
    """Products of the other elements along `axis`, built from multiplications only,
    so it differentiates again (exact with zeros, like the array version)."""
    x = s.swapaxes(x, axis, -1) if axis not in (-1, x.ndim - 1) else x
    n = x.shape[-1]
    cols = [x[..., i] for i in range(n)]
    one = _const(cols[0], 1) if n else None
    left, right = [one], [one]
    for i in range(1, n):
        left.append(left[-1] * cols[i - 1])
        right.append(right[-1] * cols[n - i])
    stacked = s.stack([left[i] * right[n - 1 - i] for i in range(n)], -1)
    return s.swapaxes(stacked, axis, -1) if axis not in (-1, x.ndim - 1) else stacked
