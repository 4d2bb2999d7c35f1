"""Triangles and diagonals of matrices: tril, triu, diagonal, diag, trace.

tril/triu are one op each whose gradient is the same triangle of g (so they
differentiate to any order). diagonal, diag and trace are compositions of the
indexing ops: a diagonal is an advanced index over the last two dims.
"""
from .. import errors
from ..function import Function
from .indexing import IndexAdd
from .math_api import sum, tensor_of
from .reduce import normalize_axes
from .shape_api import getitem, permute


class _Triangle(Function):
    """One triangle of the last two dims; its gradient is the same triangle of g."""
    pick = None

    def forward(self, xp, x, diagonal=0):
        self.diagonal = diagonal
        return getattr(xp, self.pick)(x, diagonal)

    def backward(self, xp, g):
        return xp.tril(g, self.diagonal) if self.pick == 'tril' else xp.triu(g, self.diagonal)


class Tril(_Triangle):
    pick = 'tril'


class Triu(_Triangle):
    pick = 'triu'


def _matrix(x, op):
    x = tensor_of(x)
    if x.ndim < 2:
        raise errors.ShapeError(f"{op}: input tensor must have at least 2 dimensions, got "
                                f"shape {x.shape}")
    return x


def tril(input, diagonal=0):
    """The lower triangle of the last two dims (on and below `diagonal`), the rest zero."""
    return Tril.apply(_matrix(input, 'tril'), diagonal=int(diagonal))


def triu(input, diagonal=0):
    """The upper triangle of the last two dims (on and above `diagonal`), the rest zero."""
    return Triu.apply(_matrix(input, 'triu'), diagonal=int(diagonal))


def _diagonal_key(xp, rows, cols, offset):
    """Row and column indices of the diagonal `offset` of a rows x cols matrix."""
    start_r, start_c = max(-offset, 0), max(offset, 0)
    n = max(min(rows - start_r, cols - start_c), 0)
    k = xp.arange(n)
    return k + start_r, k + start_c


def diagonal(input, offset=0, dim1=0, dim2=1):
    """The diagonal of the (dim1, dim2) planes, as a new last dim."""
    x = _matrix(input, 'diagonal')
    d1, d2 = (normalize_axes(d, x.ndim, 'diagonal')[0] for d in (dim1, dim2))
    if d1 == d2:
        raise errors.ShapeError(f"diagonal: dim1 and dim2 cannot be the same dim ({dim1}, {dim2})")
    rest = [d for d in range(x.ndim) if d not in (d1, d2)]
    moved = permute(x, rest + [d1, d2])
    r, c = _diagonal_key(x._backend.xp, x.shape[d1], x.shape[d2], int(offset))
    return getitem(moved, (Ellipsis, r, c))


_diagonal = diagonal      # diag's argument `diagonal` hides the function's name


def diag(input, diagonal=0):
    """1-D: a square matrix with `input` on the diagonal; 2-D: that diagonal, as 1-D."""
    x = tensor_of(input)
    if x.ndim == 2:
        return _diagonal(x, diagonal)
    if x.ndim != 1:
        raise errors.ShapeError(f"diag: supports 1-D or 2-D tensors, got shape {x.shape}")
    n = x.shape[0] + abs(int(diagonal))
    key = _diagonal_key(x._backend.xp, n, n, int(diagonal))
    return IndexAdd.apply(x, shape=(n, n), key=key)


def trace(input):
    """The sum of the main diagonal of a 2-D tensor."""
    x = tensor_of(input)
    if x.ndim != 2:
        raise errors.ShapeError(f"trace: expected a matrix, but got a tensor of shape {x.shape}")
    return sum(diagonal(x))
