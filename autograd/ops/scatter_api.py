"""Writing into positions: scatter, index_add, index_copy, index_fill, index_put and
their in-place forms (PyTorch's signatures and checks).

Writes are the Scatter op (ops/indexing.py), sums are IndexAdd, so the gradients are
the two that indexing already has. The in-place forms compute out of place and write
back (shape_api._inplace), so they are recorded like add_.
"""
from .. import errors
from ..tensor import Tensor
from . import indexing as I
from .index_api import _along, _check_index, _check_index_shape, scatter_add
from .math_api import tensor_of
from .reduce import normalize_axes
from .shape_api import _inplace, broadcast_to


def _value(x, name, value):
    """A number, or a 0-d tensor on x's device (index_fill's and scatter's value)."""
    if isinstance(value, Tensor):
        errors.same_device(name, x, value, 'the value')
        if value.ndim:
            raise errors.ShapeError(f"{name}: value must be a number or a 0-d tensor, got shape "
                                    f"{value.shape}; pass a tensor as src to write many values")
    return value


def scatter(input, dim, index, src=None, *, value=None, reduce=None):
    """input with src[i][j] written at input[index[i][j]][j] (dim=0; likewise other dims),
    or the number `value` there. reduce='add' sums instead (scatter_add); 'multiply' is
    not supported."""
    if (src is None) == (value is None):
        raise errors.ArgumentError("scatter: pass exactly one of src (a tensor or number) and "
                                   "value")
    src = value if src is None else src
    if reduce == 'add' and isinstance(src, Tensor):
        return scatter_add(input, dim, index, src)
    if reduce is not None:
        raise errors.ArgumentError(f"scatter: reduce={reduce!r} is not supported; use "
                                   "reduce=None, or reduce='add' with a src tensor (scatter_add)")
    index = tensor_of(index, input)
    dim = normalize_axes(dim, input.ndim, 'scatter')[0]
    if isinstance(src, Tensor) and src.ndim:
        errors.same_device('scatter', input, src, 'src')
        _check_index_shape('scatter', dim, index, input, src)
        if src.shape != index.shape:
            src = src[tuple(slice(0, n) for n in index.shape)]
    else:
        _check_index_shape('scatter', dim, index, input)
        src = _value(input, 'scatter', src)
    _check_index('scatter', input, dim, index)
    return I.Scatter.apply(input, src, key=_along(index.array, dim, input.ndim,
                                                  input._backend.xp))


def _index_along(name, x, dim, index, source=None):
    """(dim, key) for the index_* ops: a 1-D index along dim; source (if any) must have
    x's shape with len(index) in dim."""
    index = tensor_of(index, x)
    if index.ndim > 1:
        raise errors.IndexOutOfRange(f"{name}: the index must be 1-D (or 0-d), got shape "
                                     f"{index.shape}")
    dim = normalize_axes(dim, x.ndim, name)[0]
    _check_index(name, x, dim, index)
    if source is not None:
        expected = x.shape[:dim] + (index.array.size,) + x.shape[dim + 1:]
        if tuple(source.shape) != expected and not (source.ndim == 0 and x.ndim == 0):
            raise errors.ShapeError(f"{name}: source has shape {source.shape}; with input "
                                    f"{x.shape}, dim {dim} and {index.array.size} indices it "
                                    f"must be {expected}")
    return (slice(None),) * dim + (index.array.reshape(-1),)


def index_add(input, dim, index, source, *, alpha=1):
    """input with alpha * source[.., i, ..] added at input[.., index[i], ..] (repeated
    indices accumulate)."""
    key = _index_along('index_add', input, dim, index, source)
    source = source if alpha == 1 else source * alpha
    return input + I.IndexAdd.apply(source, shape=input.shape, key=key)


def index_copy(input, dim, index, source):
    """input with source[.., i, ..] written at input[.., index[i], ..]."""
    return I.Scatter.apply(input, source, key=_index_along('index_copy', input, dim, index,
                                                           source))


def index_fill(input, dim, index, value):
    """input with `value` (a number or 0-d tensor) at input[.., index[i], ..]."""
    return I.Scatter.apply(input, _value(input, 'index_fill', value),
                           key=_index_along('index_fill', input, dim, index))


def index_put(input, indices, values, accumulate=False):
    """input with values written (or, accumulate=True, added) at input[indices]; indices
    is a tuple of index tensors, as for input[indices]."""
    if not isinstance(indices, (tuple, list)):
        raise errors.ArgumentError(f"index_put: indices must be a tuple of tensors, got "
                                   f"{type(indices).__name__}; write (index,) for one")
    key = tuple(tensor_of(i, input).array for i in indices)
    values = tensor_of(values, input)
    try:
        shape = input.array[key].shape
    except IndexError as e:
        raise errors.IndexOutOfRange(f"index_put: the indices do not fit input {input.shape}: "
                                     f"{e}") from None
    values = broadcast_to(values, shape) if values.shape != shape else values
    if accumulate:
        return input + I.IndexAdd.apply(values, shape=input.shape, key=key)
    return I.Scatter.apply(input, values, key=key)


def _in_place(name, fn):
    def method(self, *args, **kwargs):
        return _inplace(self, name, lambda t: fn(t, *args, **kwargs))
    method.__name__, method.__doc__ = name, f"In-place {fn.__name__} (returns self)."
    return method


scatter_ = _in_place('scatter_', scatter)
scatter_add_ = _in_place('scatter_add_', scatter_add)
index_add_ = _in_place('index_add_', index_add)
index_copy_ = _in_place('index_copy_', index_copy)
index_fill_ = _in_place('index_fill_', index_fill)
index_put_ = _in_place('index_put_', index_put)
