"""Names PyTorch programs use that are compositions of the other ops.

Matrix forms (`t`, `mm`, `bmm`, `addmm`, `narrow`), small elementwise compositions
(`log2`, `log10`), selections (`nonzero`, `argwhere`), layout and dtype
helpers (`contiguous`, `type_as`), the `new_*` constructors that copy a tensor's dtype
and device, and the in-place fills (`masked_fill_`, `uniform_`, `normal_`,
`bernoulli_`). Each checks what PyTorch checks and then calls existing ops, so there
is no backward to write here.
"""
import math

from .. import creation, errors
from ..tensor import make_tensor
from . import elementwise as E, math_api as m, shape_api as s


def _dims(name, x, wanted):
    if x.ndim not in wanted:
        raise errors.ShapeError(
            f"{name}: expected a tensor with {' or '.join(map(str, wanted))} dimensions, got "
            f"shape {x.shape}")


# --- matrices ----------------------------------------------------------------------
def t(x):
    """Transpose of a matrix; 0-d and 1-d tensors come back as they are (torch.t)."""
    if x.ndim > 2:
        raise errors.ShapeError(f"t: expects a tensor with <= 2 dimensions, got shape {x.shape}; "
                                "use transpose(dim0, dim1) or .mT for batches of matrices")
    return x if x.ndim < 2 else s.transpose(x, 0, 1)


def mm(input, mat2):
    """Matrix product of two 2-D tensors (no broadcasting: that is matmul)."""
    _dims('mm', input, (2,))
    _dims('mm', mat2, (2,))
    return m.matmul(input, mat2)


def bmm(input, mat2):
    """Batched matrix product of (b, n, m) and (b, m, p) tensors (no broadcasting)."""
    _dims('bmm', input, (3,))
    _dims('bmm', mat2, (3,))
    if input.shape[0] != mat2.shape[0]:
        raise errors.ShapeError(f"bmm: batch sizes differ: {input.shape} and {mat2.shape}; "
                                "use matmul to broadcast")
    return m.matmul(input, mat2)


def narrow(x, dim, start, length):
    """x's `length` entries along `dim` from `start` (a view), as torch.narrow."""
    if x.ndim == 0:
        raise errors.ShapeError("narrow: cannot narrow a 0-d tensor")
    dim = dim % x.ndim if -x.ndim <= dim < x.ndim else dim
    if not 0 <= dim < x.ndim:
        raise errors.IndexOutOfRange(f"narrow: dim {dim} is out of range for shape {x.shape}")
    n = x.shape[dim]
    start = int(start)
    if start < 0:
        start += n
    if not 0 <= start <= n or length < 0 or start + length > n:
        raise errors.IndexOutOfRange(
            f"narrow: start {start} and length {length} go past the end of dim {dim} "
            f"(size {n}) of shape {x.shape}")
    return x[(slice(None),) * dim + (slice(start, start + length),)]


def addmm(input, mat1, mat2, *, beta=1, alpha=1):
    """beta * input + alpha * (mat1 @ mat2), as torch.addmm."""
    product = mm(mat1, mat2)
    return (input if beta == 1 else input * beta) + (product if alpha == 1 else product * alpha)


# --- elementwise compositions ---------------------------------------------------------------
_LN2, _LN10 = math.log(2), math.log(10)


def log2(x):
    return E.Log.apply(x) / _LN2


def log10(x):
    return E.Log.apply(x) / _LN10


# --- selections -----------------------------------------------------------------------------
def nonzero(x, *, as_tuple=False):
    """Indices of the nonzero entries: an (n, ndim) int64 tensor, or one 1-D tensor per dim."""
    found = x._backend.xp.argwhere(x.array).astype('int64')
    wrap = lambda a: make_tensor(a, x._backend, False, None, None)   # noqa: E731
    return tuple(wrap(column.copy()) for column in found.T) if as_tuple else wrap(found)


def argwhere(x):
    return nonzero(x)


def count_nonzero(x, dim=None):
    return (x != 0).sum(dim=dim)


# --- dtypes, layout ------------------------------------------------------------------
def type_as(x, other):
    return x.type(other.dtype)


def contiguous(x, memory_format=None):
    """x itself when its memory is in row-major order, else a row-major copy."""
    return x if x.array.flags.c_contiguous else E.Clone.apply(x)


def is_contiguous(x, memory_format=None):
    return bool(x.array.flags.c_contiguous)


def is_floating_point(x):
    return x.dtype.kind == 'f'


def numel(x):
    return x.numel()


nelement = numel


def detach(x):
    return x.detach()


# --- new tensors like this one -----------------------------------------------------------
def _like(x, dtype, device):
    return dict(dtype=x.dtype if dtype is None else dtype, device=x.device if device is None else device)


def new_zeros(x, *size, dtype=None, device=None, requires_grad=False):
    return creation.zeros(*size, requires_grad=requires_grad, **_like(x, dtype, device))


def new_ones(x, *size, dtype=None, device=None, requires_grad=False):
    return creation.ones(*size, requires_grad=requires_grad, **_like(x, dtype, device))


def new_empty(x, *size, dtype=None, device=None, requires_grad=False):
    return creation.empty(*size, requires_grad=requires_grad, **_like(x, dtype, device))


def new_full(x, size, fill_value, dtype=None, device=None, requires_grad=False):
    return creation.full(size, fill_value, requires_grad=requires_grad, **_like(x, dtype, device))


def new_tensor(x, data, dtype=None, device=None, requires_grad=False):
    return creation.tensor(data, requires_grad=requires_grad, **_like(x, dtype, device))


# --- in place ------------------------------------------------------------------------------
def masked_fill_(x, mask, value):
    return s._inplace(x, 'masked_fill_', lambda t: m.where(mask, value, t))


def _random_fill(x, name, draw, generator):
    """Write draw(generator, shape, dtype) into x."""
    if x.dtype.kind != 'f':
        raise errors.DtypeError(f"{name}: fills floating point tensors; this one is {x.dtype}")
    gen = creation.default_generator(x.device) if generator is None else generator
    dtype = 'float64' if x.dtype == 'float64' else 'float32'    # what Generators draw in
    return s.overwrite(x, name, lambda t: t._backend.asarray(draw(gen, t.shape, dtype))
                      .astype(t.dtype, copy=False))


def uniform_(x, a=0.0, b=1.0, generator=None):
    return _random_fill(x, 'uniform_', lambda g, shape, dt: g.random(shape, dtype=dt) * (b - a) + a,
                        generator)


def normal_(x, mean=0.0, std=1.0, generator=None):
    return _random_fill(x, 'normal_', lambda g, shape, dt: g.standard_normal(shape, dtype=dt) * std
                        + mean, generator)


def _draws(x, p, generator):
    """0/1 draws of probability `p` (a number, or a tensor of x's shape) in x's dtype."""
    gen = creation.default_generator(x.device) if generator is None else generator
    p = p.array if hasattr(p, 'array') else p
    return (x._backend.asarray(gen.random(x.shape)) < p).astype(x.dtype)


def bernoulli(input, p=None, generator=None):
    """0/1 draws with the probabilities in `input` (or `p`), in input's dtype (no gradient)."""
    return make_tensor(_draws(input, input if p is None else p, generator), input._backend,
                       False, None, None)


def bernoulli_(x, p=0.5, generator=None):
    return s.overwrite(x, 'bernoulli_', lambda t: _draws(t, p, generator))
