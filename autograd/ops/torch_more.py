"""More PyTorch names, each a composition of existing ops (no backward of its own):
moving dims, stacking helpers, std_mean/var_mean, nan_to_num, meshgrid, cdist, diff,
Tensor.unfold, isclose, and the searches and counts that have no gradient
(searchsorted, bucketize, histc), plus stride() and data_ptr().
"""
from .. import errors
from ..tensor import Tensor
from . import indexing as I, math_api as m, shape_api as s
from .math_api import no_grad_result, tensor_of
from .reduce import normalize_axes


# --- moving dims and stacking ------------------------------------------------------------
def movedim(input, source, destination):
    """input with dims `source` moved to positions `destination` (ints or tuples), the
    others keeping their order."""
    src = (source,) if isinstance(source, int) else tuple(source)
    dst = (destination,) if isinstance(destination, int) else tuple(destination)
    if len(src) != len(dst):
        raise errors.ArgumentError(f"movedim: source {source} and destination {destination} "
                                   "must name as many dims")
    src = [normalize_axes(d, input.ndim, 'movedim')[0] for d in src]
    dst = [normalize_axes(d, input.ndim, 'movedim')[0] for d in dst]
    if len(set(src)) != len(src) or len(set(dst)) != len(dst):
        raise errors.ArgumentError(f"movedim: repeated dim in source {source} or destination "
                                   f"{destination}")
    order = [d for d in range(input.ndim) if d not in src]
    for at, d in sorted(zip(dst, src)):
        order.insert(at, d)
    return s.permute(input, *order)


# where atleast_nd puts the new dims of a 0-d, 1-d and 2-d input (PyTorch's, NumPy's)
_GROWN = {1: {0: lambda sh: (1,)},
          2: {0: lambda sh: (1, 1), 1: lambda sh: (1,) + sh},
          3: {0: lambda sh: (1, 1, 1), 1: lambda sh: (1,) + sh + (1,), 2: lambda sh: sh + (1,)}}


def _at_least(n):
    def atleast(*tensors):
        if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
            tensors = tuple(tensors[0])
        out = tuple(t if t.ndim >= n else s.reshape(t, _GROWN[n][t.ndim](t.shape))
                    for t in map(tensor_of, tensors))
        return out[0] if len(out) == 1 else out
    atleast.__name__ = f'atleast_{n}d'
    atleast.__doc__ = f"Each tensor with at least {n} dims (PyTorch's placement of new dims)."
    return atleast


atleast_1d, atleast_2d, atleast_3d = _at_least(1), _at_least(2), _at_least(3)


def _many(name, tensors):
    if isinstance(tensors, Tensor) or not tensors:
        raise errors.ArgumentError(f"{name}: expects a non-empty list or tuple of tensors")
    return list(tensors)


def vstack(tensors):
    return s.cat([atleast_2d(t) for t in _many('vstack', tensors)], 0)


def hstack(tensors):
    ts = [atleast_1d(t) for t in _many('hstack', tensors)]
    return s.cat(ts, 0 if ts[0].ndim == 1 else 1)


def dstack(tensors):
    return s.cat([atleast_3d(t) for t in _many('dstack', tensors)], 2)


def column_stack(tensors):
    ts = [tensor_of(t) for t in _many('column_stack', tensors)]
    return s.cat([s.reshape(t, (t.numel(), 1)) if t.ndim <= 1 else t for t in ts], 1)


row_stack = vstack


# --- reductions and elementwise compositions ------------------------------------------------
def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """(var, mean) over `dim`; correction=1 (Bessel's) unless unbiased=False or given."""
    if isinstance(dim, bool):                   # var_mean(x, False): the `unbiased` overload
        dim, unbiased = None, dim
    return (m.var(input, dim, unbiased, keepdim, correction=correction),
            m.mean(input, dim, keepdim))


def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """(std, mean) over `dim`; correction=1 (Bessel's) unless unbiased=False or given."""
    if isinstance(dim, bool):
        dim, unbiased = None, dim
    return (m.std(input, dim, unbiased, keepdim, correction=correction),
            m.mean(input, dim, keepdim))


def nan_to_num(input, nan=0.0, posinf=None, neginf=None):
    """NaN -> nan, +inf -> posinf, -inf -> neginf (defaults: 0 and the dtype's largest and
    smallest finite values); the gradient passes where the value is kept."""
    if input.dtype.kind != 'f':
        return input.clone()
    info = input._backend.xp.finfo(input.dtype)
    big = float(info.max)
    out = m.where(m.isnan(input), nan, input)
    out = m.where(input == float('inf'), big if posinf is None else posinf, out)
    return m.where(input == float('-inf'), -big if neginf is None else neginf, out)


def nan_to_num_(input, nan=0.0, posinf=None, neginf=None):
    return s._inplace(input, 'nan_to_num_', lambda t: nan_to_num(t, nan, posinf, neginf))


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """|input - other| <= atol + rtol * |other|, elementwise (no gradient)."""
    b = other.array if isinstance(other, Tensor) else other
    return no_grad_result(input, input._backend.xp.isclose(input.array, b, rtol=rtol, atol=atol,
                                                           equal_nan=equal_nan))


def diff(input, n=1, dim=-1, prepend=None, append=None):
    """The n-th forward difference along `dim`, after joining prepend and append there."""
    if n < 0:
        raise errors.ArgumentError(f"diff: n (the order) must be >= 0, got {n}")
    dim = normalize_axes(dim, input.ndim, 'diff')[0]
    parts = [tensor_of(p, input) for p in (prepend, input, append) if p is not None]
    x = s.cat(parts, dim) if len(parts) > 1 else input
    for _ in range(n):
        length = x.shape[dim] - 1
        if length <= 0:
            return x[(slice(None),) * dim + (slice(0, 0),)]
        hi = x[(slice(None),) * dim + (slice(1, None),)]
        lo = x[(slice(None),) * dim + (slice(0, length),)]
        x = m.ne(hi, lo) if x.dtype == bool else hi - lo
    return x


# --- grids and distances ------------------------------------------------------------------
def meshgrid(*tensors, indexing=None):
    """Coordinate grids of 1-D tensors; indexing 'ij' (the default) or 'xy' (the first two
    dims swapped, as NumPy's default)."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing not in (None, 'ij', 'xy'):
        raise errors.ArgumentError(f"meshgrid: indexing must be 'ij' or 'xy', got {indexing!r}")
    ts = [tensor_of(t) for t in tensors]
    if any(t.ndim > 1 for t in ts):
        raise errors.ShapeError("meshgrid: expects 0-d or 1-d tensors, got shapes "
                                f"{[t.shape for t in ts]}")
    swap = indexing == 'xy' and len(ts) >= 2
    if swap:
        ts[0], ts[1] = ts[1], ts[0]
    shape = tuple(t.numel() for t in ts)
    grids = [s.reshape(t, tuple(-1 if d == i else 1 for d in range(len(ts)))).expand(*shape)
             for i, t in enumerate(ts)]
    if swap:
        grids[0], grids[1] = grids[1], grids[0]
    return tuple(grids)


def cdist(x1, x2, p=2.0, compute_mode=None):
    """Distances ||x1[.., i, :] - x2[.., j, :]||_p for every pair: shape (.., P, R).
    The gradient at zero distance is 0, as PyTorch's."""
    if x1.ndim < 2 or x2.ndim < 2 or x1.shape[-1] != x2.shape[-1]:
        raise errors.ShapeError(f"cdist: expects (.., P, M) and (.., R, M) tensors with the same "
                                f"M, got {x1.shape} and {x2.shape}")
    if p < 0:
        raise errors.ArgumentError(f"cdist: p must be >= 0, got {p}")
    d = s.unsqueeze(x1, -2) - s.unsqueeze(x2, -3)
    if p == 0:
        return m.ne(d, 0).type(x1.dtype).sum(-1)
    if p == float('inf'):
        return d.abs().amax(-1)
    total = (d * d).sum(-1) if p == 2 else d.abs().sum(-1) if p == 1 else (d.abs() ** p).sum(-1)
    if p == 1:
        return total
    positive = total > 0
    # root of 1 where the sum is 0, so the unused branch has a finite gradient
    return m.where(positive, m.where(positive, total, 1) ** (1 / p), 0)


# --- windows ----------------------------------------------------------------------------
def unfold(x, dimension, size, step):
    """Tensor.unfold: the windows of `size` entries every `step` along `dimension`, as a new
    last dim (a copy here, a view in PyTorch)."""
    if x.ndim == 0:
        x = s.reshape(x, (1,))
    dim = normalize_axes(dimension, x.ndim, 'unfold')[0]
    n = x.shape[dim]
    if size > n or size < 0 or step <= 0:
        raise errors.ArgumentError(f"unfold: size {size} and step {step} don't fit dim {dim} "
                                   f"of size {n} (shape {x.shape}); need 0 <= size <= {n} and "
                                   "step > 0")
    xp = x._backend.xp
    windows = xp.arange((n - size) // step + 1)[:, None] * step + xp.arange(size)
    out = I.Index.apply(x, key=(slice(None),) * dim + (windows,))
    return movedim(out, dim + 1, -1)


# --- searches and counts (no gradient) -------------------------------------------------------
def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None,
                 sorter=None):
    """For each value, the index where inserting it keeps sorted_sequence's last dim sorted
    (left of equal entries, or right of them with right=True / side='right')."""
    seq = sorted_sequence
    if side is not None and side not in ('left', 'right') or side == 'left' and right:
        raise errors.ArgumentError(f"searchsorted: side must be 'left' or 'right' and agree with "
                                   f"right={right}, got side={side!r}")
    side = side or ('right' if right else 'left')
    xp = seq._backend.xp
    values = input.array if isinstance(input, Tensor) else xp.asarray(input)
    a = seq.array if sorter is None else xp.take_along_axis(seq.array, tensor_of(sorter).array, -1)
    if a.ndim == 1:
        out = xp.searchsorted(a, values, side=side)
    elif a.shape[:-1] != values.shape[:-1]:
        raise errors.ShapeError(f"searchsorted: sorted_sequence {seq.shape} and input "
                                f"{values.shape} must match in all dims but the last")
    else:
        rows, flat = a.reshape(-1, a.shape[-1]), values.reshape(-1, values.shape[-1])
        out = xp.stack([xp.searchsorted(r, v, side=side) for r, v in zip(rows, flat)])
        out = out.reshape(values.shape)
    return no_grad_result(seq, out.astype('int32' if out_int32 else 'int64'))


def bucketize(input, boundaries, *, out_int32=False, right=False):
    """The bucket of each value among 1-D `boundaries` (boundaries[i-1] < x <= boundaries[i],
    or boundaries[i-1] <= x < boundaries[i] with right=True)."""
    if boundaries.ndim != 1:
        raise errors.ShapeError(f"bucketize: boundaries must be 1-D, got {boundaries.shape}")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)


def histc(input, bins=100, min=0, max=0):
    """Counts in `bins` equal bins over [min, max] (the data's range when min == max);
    values outside are ignored. Floating point tensors only, as PyTorch."""
    if input.dtype.kind != 'f':
        raise errors.DtypeError(f"histc: expects a floating point tensor, got {input.dtype}")
    if bins <= 0:
        raise errors.ArgumentError(f"histc: bins must be > 0, got {bins}")
    xp, a = input._backend.xp, input.array
    lo, hi = float(min), float(max)
    if lo == hi and a.size:
        lo, hi = input._backend.min_max(a)
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    if lo > hi:
        raise errors.ArgumentError(f"histc: max must be >= min, got min={min}, max={max}")
    return no_grad_result(input, xp.histogram(a, bins, range=(lo, hi))[0].astype(a.dtype))


# --- memory layout --------------------------------------------------------------------------
def stride(x, dim=None):
    """Steps in elements between neighbours along each dim (or along `dim`)."""
    steps = tuple(b // x.array.itemsize for b in x.array.strides)
    return steps if dim is None else steps[normalize_axes(dim, x.ndim, 'stride')[0]]


def data_ptr(x):
    """The address of the tensor's first element (an int)."""
    a = x.array
    interface = getattr(a, '__cuda_array_interface__', None) or a.__array_interface__
    return interface['data'][0]
