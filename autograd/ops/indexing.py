"""Indexing: t[key] with ints, slices, None, Ellipsis, masks and integer arrays.

gather, index_select, take_along_dim and scatter_add are built on these ops
(ops/shape_api.py; masked_fill is a where), so there is one scatter-add backward
to get right: repeated integer indices accumulate (np.add.at / cupyx.scatter_add).
"""
from ..function import Function


class Index(Function):
    """Advanced indexing: a copy. Its gradient scatter-adds into zeros."""
    def forward(self, xp, x, key):
        self.shape = x.shape
        self.save_for_backward(key)
        return x[key]

    def backward(self, xp, g, key):
        return xp.index_add(self.shape, key, g)


class BasicIndex(Index):
    """Ints, slices, None, Ellipsis only: a view of the input."""
    is_view = True
    label = 'Index'         # what error messages call it


class IndexAdd(Function):
    """zeros(shape) with `values` added at `key`: the gradient of Index, itself differentiable."""
    def forward(self, xp, values, shape, key):
        self.save_for_backward(key)
        return xp.index_add(shape, key, values)

    def backward(self, xp, g, key):
        return g[key]


class Scatter(Function):
    """x with `src` written at `key` (a copy; with repeated indices the last write wins,
    as PyTorch on the CPU). src's gradient is the output's at `key`; x's is zero there."""
    def forward(self, xp, x, src, key):
        out = x.copy()
        out[key] = src
        kept = xp.ones(x.shape, dtype=bool)
        kept[key] = False
        self.save_for_backward(key, kept)
        return out

    def backward(self, xp, g, key, kept):
        return xp.mask_grad(kept, g), (g[key] if self.needs_grad(1) else None)
