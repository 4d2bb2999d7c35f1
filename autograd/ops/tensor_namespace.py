"""The namespace backward formulas get under create_graph=True.

It has NumPy's names and signatures (the same ones the backends' array
namespaces have), but each function is a differentiable op on Tensors, so a
backward formula written once records itself when asked to. Only the names
that backward formulas and the engine use are here; gradgradcheck of every
op is what proves the list complete.
"""
from ..tensor import make_tensor as _make_tensor
from . import cumulative as C, indexing as I, math_api as m, shape_api as s, triangular as tri
from .reduce import Sum

exp, log, sin, cos, tanh, erf, sign, where = m.exp, m.log, m.sin, m.cos, m.tanh, m.erf, m.sign, m.where
isfinite, matmul, einsum, reshape, broadcast_to = m.isfinite, m.matmul, m.einsum, s.reshape, s.broadcast_to
swapaxes, flip = s.transpose, s.flip
floor, trunc = m.floor, m.trunc


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
    lead = g.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        i + lead for i, n in enumerate(shape) if n == 1 and g.shape[i + lead] != 1)
    if axes:
        g = Sum.apply(g, axis=axes, keepdims=True)
        if lead:
            g = s.reshape(g, shape)
    return g


def index_add(shape, key, values):
    return I.IndexAdd.apply(values, shape=shape, key=key)


def prod_others(x, axis):
    """Products of the other elements along `axis`, built from multiplications only,
    so it differentiates again (exact with zeros, like the array version)."""
    x = s.transpose(x, axis, -1) if axis not in (-1, x.ndim - 1) else x
    n = x.shape[-1]
    cols = [x[..., i] for i in range(n)]
    one = _const(cols[0], 1) if n else None
    left, right = [one], [one]
    for i in range(1, n):
        left.append(left[-1] * cols[i - 1])
        right.append(right[-1] * cols[n - i])
    stacked = s.stack([left[i] * right[n - 1 - i] for i in range(n)], -1)
    return s.transpose(stacked, axis, -1) if axis not in (-1, x.ndim - 1) else stacked


def cumsum(x, axis):
    return C.Cumsum.apply(x, dim=axis)


def cumprod(x, axis):
    return C.Cumprod.apply(x, dim=axis)


def tril(x, k=0):
    return tri.Tril.apply(x, diagonal=k)


def triu(x, k=0):
    return tri.Triu.apply(x, diagonal=k)
