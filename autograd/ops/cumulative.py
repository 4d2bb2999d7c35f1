"""Cumulative sums and products along a dim: cumsum, cumprod.

Integer and bool inputs accumulate in int64, as PyTorch's do. cumprod's
gradient is exact where the input has zeros (a division by the input is
not): before the first zero of a slice it is the usual reversed cumsum of
g * out divided by x; at the first zero it is the cumsum with that zero
taken as one; after it, zero. Under create_graph a slice with zeros takes
an O(n^2) form built from products only, whose own derivative is also
exact (PyTorch does the same).
"""
from ..function import Function
from ..tensor import Tensor
from .math_api import tensor_of
from .reduce import normalize_axes


def _dim(x, dim, op):
    return normalize_axes(dim, x.ndim, op)[0]        # a 0-d tensor takes dim -1 or 0


def _accumulator(x, dtype, xp):
    if dtype is not None:
        return x.astype(dtype)
    return x.astype(xp.int64) if x.dtype.kind in 'biu' else x


class Cumsum(Function):
    def forward(self, xp, x, dim, dtype=None):
        self.axis = dim % x.ndim if x.ndim else 0
        x = _accumulator(x, dtype, xp)
        return xp.cumsum(x, axis=self.axis) if x.ndim else x.copy()

    def backward(self, xp, g):
        return self.reversed_cumsum(xp, g) if g.ndim else g

    def reversed_cumsum(self, xp, a):
        """Sums from each position to the end of the dim."""
        return xp.flip(xp.cumsum(xp.flip(a, self.axis), self.axis), self.axis)


class Cumprod(Cumsum):
    """Shares Cumsum's reversed_cumsum; its own forward saves what backward needs."""
    def forward(self, xp, x, dim, dtype=None):
        self.axis = dim % x.ndim if x.ndim else 0
        x = _accumulator(x, dtype, xp)
        out = xp.cumprod(x, axis=self.axis) if x.ndim else x.copy()
        self.save_for_backward(x, out)
        return out

    def backward(self, xp, g, x, out):
        axis = self.axis
        if x.ndim == 0 or x.shape[axis] <= 1:
            return g
        zero = x == 0
        if not bool(zero.any()):
            return self.reversed_cumsum(xp, g * out) / x
        if isinstance(g, Tensor):
            return _with_zeros_graph(g, x, axis)
        return _with_zeros(self, xp, g, x, out, zero)


def _with_zeros(op, xp, g, x, out, zero):
    """O(n) on raw arrays (never under create_graph: its own derivative is not exact at the
    zeros): the regions before, at and after each slice's first zero."""
    axis = op.axis
    seen = xp.cumsum(zero, axis=axis)
    before = seen == 0
    first = zero & (seen == 1)
    grad = xp.where(before, op.reversed_cumsum(xp, xp.where(before, g * out, 0))
                    / xp.where(before, x, 1), 0)
    # at the first zero z: sum over j >= z of g_j * prod_{k <= j, k != z} x_k, the cumprod
    # with x_z taken as one (a later zero still zeroes the terms after it)
    skipped = xp.cumprod(xp.where(first, 1, x), axis=axis)
    at_zero = xp.sum(xp.where(before, 0, g * skipped), axis=axis, keepdims=True)
    return grad + xp.where(first, at_zero, 0)


def _with_zeros_graph(g, x, axis):
    """grad_i = sum_{j >= i} g_j prod_{k <= j, k != i} x_k from multiplications only, so
    it differentiates again exactly: row i of an (n, n) matrix holds x_k for k > i and
    ones elsewhere; its cumprod is prod_{i < k <= j} x_k."""
    from . import math_api as m, shape_api as s
    x, g = s.transpose(x, axis, -1), s.transpose(g, axis, -1)
    idx = x._backend.xp.arange(x.shape[-1])
    later = idx[None, :] > idx[:, None]                                 # (i, k): k > i
    span = Cumprod.apply(m.where(later, s.unsqueeze(x, -2), 1), dim=-1)
    span = m.where(idx[None, :] >= idx[:, None], span, 0)              # only j >= i
    inner = m.sum(span * s.unsqueeze(g, -2), -1)
    before = m.prod(m.where(later.T, s.unsqueeze(x, -2), 1), -1)        # prod_{k < i} x_k
    return s.transpose(inner * before, axis, -1)


def cumsum(input, dim, *, dtype=None):
    """Running sums along `dim` (ints and bools accumulate in int64)."""
    x = tensor_of(input)
    return Cumsum.apply(x, dim=_dim(x, dim, 'cumsum'), dtype=dtype)


def cumprod(input, dim, *, dtype=None):
    """Running products along `dim`; the gradient is exact where the input has zeros."""
    x = tensor_of(input)
    return Cumprod.apply(x, dim=_dim(x, dim, 'cumprod'), dtype=dtype)
