"""The public indexing functions: t[key], gather, take_along_dim, index_select,
masked_fill and scatter_add (PyTorch's meanings and checks).

Each checks its index once per call (integer dtype, the input's device, the range
of values, the shape against the input) and then runs one of the two indexing ops
(ops/indexing.py), so the gradient is always the one scatter-add.
"""
from .. import errors
from ..tensor import Tensor
from . import indexing as I
from .math_api import tensor_of, where
from .reduce import normalize_axes


# --- indexing --------------------------------------------------------------------
def _key_part(k, x):
    if isinstance(k, Tensor):
        if k._backend is not x._backend:
            raise errors.mixed_devices('index', (x, k))
        return k.array
    if isinstance(k, list):
        return x._backend.asarray(k)
    return k


def getitem(x, key):
    key = tuple(_key_part(k, x) for k in key) if isinstance(key, tuple) else (_key_part(key, x),)
    basic = all(k is None or k is Ellipsis or isinstance(k, (int, slice)) for k in key)
    return (I.BasicIndex if basic else I.Index).apply(x, key=key)


def _along(index, dim, ndim, xp):
    """The advanced-index tuple that picks index[i, j, ...] along `dim` (gather's)."""
    key = []
    for d in range(ndim):
        if d == dim:
            key.append(index)
        else:
            shape = [1] * ndim
            shape[d] = index.shape[d]
            key.append(xp.arange(index.shape[d]).reshape(shape))
    return tuple(key)


def _check_index(op, x, dim, index, negative=False):
    """An integer index on x's device, within dim's size (negative ones only if `negative`,
    as take_along_dim allows; gather, index_select and scatter_add refuse them, as PyTorch)."""
    errors.same_device(op, x, index, 'the index')
    idx = index.array
    n = x.shape[dim]
    if idx.dtype.kind not in 'iu':
        raise errors.DtypeError(f"{op}: index must be an integer tensor (int64), got {idx.dtype}")
    if not idx.size:
        return
    lo, hi = x._backend.min_max(idx)
    if hi >= n or lo < (-n if negative else 0):
        raise errors.IndexOutOfRange(
            f"{op}: index {hi if hi >= n else lo} is out of range for dim {dim} of size {n} "
            f"(input {x.shape}, index {index.shape}); indices go from "
            f"{-n if negative else 0} to {n - 1}")


def _check_index_shape(op, dim, index, *others):
    """gather/scatter_add: the index may not be larger than the input (or src) outside `dim`."""
    if index.ndim != others[0].ndim:
        raise errors.shape_error(op, f'index needs {others[0].ndim} dims like the input', *others,
                                 index)
    x, src = others[0], others[1:]
    if any(i > n for d, (i, n) in enumerate(zip(index.shape, x.shape)) if d != dim):
        raise errors.ShapeError(f"{op}: the index {index.shape} is larger than the input "
                                f"{x.shape} in a dim other than dim {dim}")
    if src and any(i > n for i, n in zip(index.shape, src[0].shape)):
        raise errors.ShapeError(f"{op}: the index {index.shape} is larger than src "
                                f"{src[0].shape}; src must be at least the index's size in "
                                "every dim")


def gather(x, dim, index):
    return _gather(x, dim, index, 'gather', negative=False)


def _gather(x, dim, index, op, negative):
    index = tensor_of(index, x)
    dim = normalize_axes(dim, x.ndim, op)[0]
    _check_index_shape(op, dim, index, x)
    _check_index(op, x, dim, index, negative)
    return I.Index.apply(x, key=_along(index.array, dim, x.ndim, x._backend.xp))


def take_along_dim(x, indices, dim=None):
    indices = tensor_of(indices, x)
    if dim is None:
        return _gather(x.reshape(-1), 0, indices.reshape(-1), 'take_along_dim', negative=True)
    dim = normalize_axes(dim, x.ndim, 'take_along_dim')[0]
    shape = tuple(n if d == dim else max(n, m) for d, (n, m) in enumerate(zip(indices.shape, x.shape)))
    x_shape = tuple(m if d == dim else shape[d] for d, m in enumerate(x.shape))
    return _gather(x.expand(x_shape) if x_shape != x.shape else x, dim,
                   indices.expand(shape) if shape != indices.shape else indices,
                   'take_along_dim', negative=True)


def index_select(x, dim, index):
    index = tensor_of(index, x)
    if index.ndim > 1:
        raise errors.IndexOutOfRange(f"index_select: the index must be 1-D (or 0-d), got "
                                     f"shape {index.shape}; flatten it, or use gather for a "
                                     "per-row index")
    if x.ndim == 0:
        return index_select(x.reshape(1), 0, index).reshape(())
    dim = normalize_axes(dim, x.ndim, 'index_select')[0]
    _check_index('index_select', x, dim, index)
    return I.Index.apply(x, key=(slice(None),) * dim + (index.array,))


def masked_fill(x, mask, value):
    mask = tensor_of(mask, x)
    errors.same_device('masked_fill', x, mask, 'the mask')
    if mask.dtype != bool:
        raise errors.DtypeError(f"masked_fill: the mask must be a bool tensor, got {mask.dtype} "
                                "(use mask != 0 or mask.bool())")
    if isinstance(value, Tensor):
        errors.same_device('masked_fill', x, value, 'the value')
        if value.ndim:
            raise errors.ShapeError(f"masked_fill: value must be a number or a 0-d tensor, got "
                                    f"shape {value.shape}; use where(mask, values, x) for a "
                                    "tensor of values")
    if mask.shape != x.shape:
        errors.broadcast_shape('masked_fill', x, mask)
    return where(mask, value, x)


def scatter_add(x, dim, index, src):
    index = tensor_of(index, x)
    dim = normalize_axes(dim, x.ndim, 'scatter_add')[0]
    errors.same_device('scatter_add', x, src, 'src')
    _check_index_shape('scatter_add', dim, index, x, src)
    _check_index('scatter_add', x, dim, index)
    src = src[tuple(slice(0, n) for n in index.shape)] if src.shape != index.shape else src
    key = _along(index.array, dim, x.ndim, x._backend.xp)
    return x + I.IndexAdd.apply(src, shape=x.shape, key=key)
