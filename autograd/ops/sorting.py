"""Sorting, selecting and counting: sort, argsort, topk, masked_select, multinomial,
unique, bincount.

The differentiable ones (sort, topk, masked_select) find their indices on raw
arrays and then gather with the indexing op, so the values' gradient is that
op's scatter back through the indices (and differentiates again). NaN sorts
as the largest value, as in PyTorch; descending order sorts the reversed
slice and reverses back, which keeps equal elements in their original order
(stable) and works for every dtype (negating does not: bool, unsigned).
"""
import collections

from .. import errors
from .math_api import no_grad_result, tensor_of
from .reduce import normalize_axes
from .shape_api import getitem, take_along_dim

SortResult = collections.namedtuple('sort', ['values', 'indices'])
TopkResult = collections.namedtuple('topk', ['values', 'indices'])


def _axis(x, dim, op):
    return normalize_axes(dim, x.ndim, op)[0]        # a 0-d tensor takes dim -1 or 0


def _argsort(xp, a, axis, descending):
    if not descending:
        return xp.argsort(a, axis=axis, kind='stable')
    n = a.shape[axis]
    order = xp.argsort(xp.flip(a, axis), axis=axis, kind='stable')
    return xp.flip(n - 1 - order, axis)


def argsort(input, dim=-1, descending=False, stable=False):
    """Indices that sort `input` along `dim` (always stable here; `stable` is accepted)."""
    x = tensor_of(input)
    axis = _axis(x, dim, 'argsort')
    if x.ndim == 0:
        return no_grad_result(x, x._backend.xp.zeros((), dtype='int64'))
    idx = _argsort(x._backend.xp, x.array, axis, descending)
    return no_grad_result(x, idx.astype('int64', copy=False))


def sort(input, dim=-1, descending=False, stable=False):
    """(values, indices) sorted along `dim`; the values are differentiable."""
    x = tensor_of(input)
    _axis(x, dim, 'sort')                       # errors name sort, not argsort
    idx = argsort(x, dim, descending)
    if x.ndim == 0:
        return SortResult(x * 1, idx)
    return SortResult(take_along_dim(x, idx, dim), idx)


def topk(input, k, dim=-1, largest=True, sorted=True):
    """The k largest (or smallest) elements along `dim` as (values, indices), in order."""
    x = tensor_of(input)
    axis = _axis(x, dim, 'topk')
    n = x.shape[axis] if x.ndim else 1
    if not isinstance(k, int) or not 0 <= k <= n:
        raise IndexError(f"topk: selected index k={k} out of range: dim {dim} of shape "
                         f"{x.shape} has {n} elements; k must be in 0..{n}")
    if x.ndim == 0:
        return TopkResult(x * 1, argsort(x))
    xp = x._backend.xp
    a = x.array
    keep = [slice(None)] * a.ndim
    if 0 < k < n:       # partition first: only the k chosen elements are sorted
        part = xp.argpartition(a, n - k if largest else k - 1, axis=axis)
        keep[axis] = slice(n - k, None) if largest else slice(0, k)
        part = part[tuple(keep)]
        idx = xp.take_along_axis(part, _argsort(xp, xp.take_along_axis(a, part, axis), axis,
                                                largest), axis)
    else:
        keep[axis] = slice(0, k)
        idx = _argsort(xp, a, axis, largest)[tuple(keep)]
    idx = no_grad_result(x, idx.astype('int64', copy=False))
    return TopkResult(take_along_dim(x, idx, axis), idx)


def masked_select(input, mask):
    """The elements of `input` where the boolean `mask` is True (both broadcast), as 1-D."""
    x = tensor_of(input)
    mask = tensor_of(mask, x)
    if mask.dtype.kind != 'b':
        raise errors.DtypeError(f"masked_select: mask must be a bool tensor, got {mask.dtype}; "
                                "compare it first (e.g. mask > 0)")
    shape = x._backend.xp.broadcast_arrays(x.array, mask.array)[0].shape
    x = x if x.shape == shape else x.expand(shape)
    return getitem(x, x._backend.xp.broadcast_to(mask.array, shape))


def _generator(x, generator):
    if generator is None:
        from ..creation import default_generator
        return default_generator(x.device)
    if not hasattr(generator, 'random'):
        raise TypeError(f"multinomial: generator must be a random generator (with .random), "
                        f"got {type(generator).__name__}")
    return generator


def multinomial(input, num_samples, replacement=False, *, generator=None):
    """Category indices drawn from the (unnormalised) weights in each row of `input`.

    With replacement: one uniform per sample through each row's cumulative
    distribution. Without: the exponential race (keys E/p with E ~ Exp(1), the
    smallest win), which draws categories one after another in proportion to the
    weights left, as PyTorch does. The backend's generator makes ag.manual_seed
    govern it."""
    x = tensor_of(input)
    if x.ndim not in (1, 2):
        raise errors.ShapeError(f"multinomial: prob_dist must be 1 or 2 dim, got shape {x.shape}")
    if x.dtype.kind != 'f':
        raise errors.DtypeError(f"multinomial: only supports floating-point dtypes for input, "
                                f"got {x.dtype}; convert with .float()")
    xp = x._backend.xp
    p = x.array.reshape(-1, x.shape[-1]).astype('float64')
    rows, n = p.shape
    if not isinstance(num_samples, int) or num_samples <= 0:
        raise ValueError(f"multinomial: num_samples must be a positive int, got {num_samples!r}")
    if not replacement and num_samples > n:
        raise ValueError(f"multinomial: cannot sample {num_samples} > {n} categories without "
                         "replacement; pass replacement=True")
    if p.size and not bool(xp.isfinite(p).all() & (p >= 0).all()):
        raise ValueError("multinomial: probability tensor contains either inf, nan or an "
                         "element < 0")
    total = p.sum(axis=1, keepdims=True)
    if not bool((total > 0).all()):
        raise ValueError("multinomial: invalid distribution (a row's probabilities sum to 0)")
    rng = _generator(x, generator)
    if replacement:
        cdf = xp.cumsum(p / total, axis=1)
        cdf[:, -1] = 1.0          # rounding must not leave a uniform past the end
        u = rng.random((rows, num_samples))
        offset = xp.arange(rows)[:, None]        # rows side by side: one searchsorted
        idx = xp.searchsorted((cdf + offset).ravel(), (u + offset).ravel(), side='right')
        idx = idx.reshape(rows, num_samples) - offset * n
        idx = xp.minimum(idx, n - 1)
    else:
        exp1 = -xp.log1p(-rng.random((rows, n)))                       # Exp(1)
        keys = xp.where(p > 0, exp1 / xp.where(p > 0, p, 1), xp.inf)     # p = 0: last
        idx = xp.argsort(keys, axis=1, kind='stable')[:, :num_samples]
    idx = idx.astype('int64', copy=False)
    return no_grad_result(x, idx if x.ndim == 2 else idx[0])


def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """The distinct values (always sorted here), and optionally the inverse and counts."""
    x = tensor_of(input)
    xp = x._backend.xp
    axis = None if dim is None else _axis(x, dim, 'unique')
    a = x.array if axis is not None else x.array.reshape(-1)
    values, inverse, counts = xp.unique(a, return_inverse=True, return_counts=True, axis=axis)
    out = [no_grad_result(x, values)]
    if return_inverse:
        out.append(no_grad_result(x, inverse.reshape(x.shape if axis is None else -1)
                                  .astype('int64', copy=False)))
    if return_counts:
        out.append(no_grad_result(x, counts.astype('int64', copy=False)))
    return out[0] if len(out) == 1 else tuple(out)


def bincount(input, weights=None, minlength=0):
    """Counts (or summed weights) of each non-negative integer in the 1-D `input`."""
    x = tensor_of(input)
    if x.ndim != 1 or x.dtype.kind not in 'iub' or (x.array.size and x._backend.min_max(x.array)[0] < 0):
        raise ValueError(f"bincount: only supports 1-d non-negative integral inputs, got shape "
                         f"{x.shape} dtype {x.dtype}")
    w = None
    if weights is not None:
        weights = tensor_of(weights, x)
        if weights.shape != x.shape:
            raise errors.ShapeError(f"bincount: weights should be 1-d and have the same length "
                                    f"as input ({x.shape}), got {weights.shape}")
        w = weights.array
    out = x._backend.xp.bincount(x.array, weights=w, minlength=minlength)
    return no_grad_result(x, out.astype(w.dtype if w is not None else 'int64', copy=False))


__all__ = ['sort', 'argsort', 'topk', 'masked_select', 'multinomial', 'unique', 'bincount']
