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
