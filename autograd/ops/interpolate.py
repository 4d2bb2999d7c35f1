"""Resampling the spatial dims of (N, C, *spatial) tensors: nearest, nearest-exact,
linear, bilinear and trilinear (nn.functional.interpolate, nn.Upsample).

All these modes are separable: the result is one 1-D resampling per spatial
dim in turn. Along one dim, nearest picks one source index per output index
and linear blends two with weights, so each is a gather (TakeSorted) and a
multiply by constant weights. The source indices never decrease, so the
gather's gradient sums runs of equal indices: r strided slices when every
index repeats r times (nearest upsampling by an integer factor; ~30x faster
than a scatter-add), else add.reduceat (~2x). TakeSorted and AddSorted are
each other's gradient, so everything differentiates to any order.

Source indices follow PyTorch's formulas exactly, in the same precision
(float32 for nearest; the input's dtype for the linear modes), so results
agree with torch to the last bit of rounding:
  nearest        src = min(floor(dst * s), n_in - 1), s = 1/scale_factor or n_in/n_out
                 (on 4-D inputs, n_out == n_in copies and n_out == 2 n_in halves: the
                 special cases PyTorch's 2-D kernel keeps and its 1-D and 3-D ones do not)
  nearest-exact  src = min(floor((dst + 0.5) * s), n_in - 1)
  linear         align_corners: src = dst * (n_in - 1)/(n_out - 1)
                 otherwise:     src = max(s * (dst + 0.5) - 0.5, 0)
                 then i0 = floor(src), i1 = min(i0 + 1, n_in - 1), w1 = src - i0
                 (a dim whose size does not change is copied, whatever the scale)
"""
import math

from .. import errors
from ..function import Function
from ..tensor import Tensor, make_tensor

_MODES = {'nearest': None, 'nearest-exact': None, 'linear': 1, 'bilinear': 2, 'trilinear': 3}


def _scale(xp, dtype, n_in, n_out, scale):
    """PyTorch's compute_scales_value: 1/scale_factor when one is in force, else n_in/n_out."""
    if scale is not None and scale > 0:
        return xp.asarray(1.0 / scale, dtype=dtype)
    return xp.asarray(n_in, dtype=dtype) / xp.asarray(n_out, dtype=dtype)


def nearest_source(xp, n_in, n_out, scale, exact=False, halving=False):
    """Source index of every output index along one dim (int64)."""
    if halving and n_out == 2 * n_in:
        return xp.arange(n_out) >> 1
    s = _scale(xp, 'float32', n_in, n_out, scale)
    dst = xp.arange(n_out, dtype='float32')
    src = xp.floor((dst + 0.5) * s if exact else dst * s).astype('int64')
    return xp.minimum(src, n_in - 1)


def linear_source(xp, n_in, n_out, scale, align_corners, dtype):
    """(i0, i1, w0, w1) along one dim: each output is w0 * x[i0] + w1 * x[i1]."""
    dst = xp.arange(n_out, dtype=dtype)
    if align_corners:
        s = xp.asarray(n_in - 1, dtype=dtype) / xp.asarray(max(n_out - 1, 1), dtype=dtype)
        src = dst * s if n_out > 1 else dst * 0
    else:
        src = xp.maximum(_scale(xp, dtype, n_in, n_out, scale) * (dst + 0.5) - 0.5, 0)
    i0 = xp.minimum(xp.floor(src).astype('int64'), n_in - 1)
    w1 = xp.clip(src - i0, 0, 1).astype(dtype)
    i1 = xp.minimum(i0 + 1, n_in - 1)
    return i0, i1, 1 - w1, w1


def _repeats(xp, index, n):
    """r when `index` is 0, ..., 0, 1, ..., 1, ... with each of the n sources r times, else 0."""
    r = index.shape[0] // n if n else 0
    if r < 2 or r * n != index.shape[0] or not bool((index == xp.arange(r * n) // r).all()):
        return 0
    return r


def _add_sorted(xp, g, index, axis, n, repeats=0):
    """zeros with n entries along `axis`, plus g's slices added at their (non-decreasing)
    `index`: each run of equal indices is one contiguous sum."""
    lead = (slice(None),) * axis
    if repeats:
        out = g[lead + (slice(0, None, repeats),)].copy()
        for j in range(1, repeats):
            out += g[lead + (slice(j, None, repeats),)]
        return out
    starts = xp.flatnonzero(xp.concatenate([xp.ones(1, dtype=bool), index[1:] != index[:-1]]))
    shape = list(g.shape)
    shape[axis] = n
    reduceat = getattr(xp.add, 'reduceat', None)
    if reduceat is None:                        # an array library without it: scatter-add
        return xp.index_add(tuple(shape), lead + (index,), g)
    out = xp.zeros(shape, dtype=g.dtype)
    out[lead + (index[starts],)] = reduceat(g, starts, axis=axis)
    return out


class TakeSorted(Function):
    """x.take(index, axis) for a non-decreasing index; its gradient is AddSorted."""
    def forward(self, xp, x, index, axis):
        self.index, self.axis, self.n = index, axis, x.shape[axis]
        self.repeats = _repeats(xp, index, self.n)
        return xp.take(x, index, axis=axis)

    def backward(self, xp, g):
        if isinstance(g, Tensor):
            return AddSorted.apply(g, index=self.index, axis=self.axis, n=self.n,
                                   repeats=self.repeats)
        return _add_sorted(xp, g, self.index, self.axis, self.n, self.repeats)


class AddSorted(Function):
    """The gradient of TakeSorted, itself differentiable (its gradient is the gather)."""
    def forward(self, xp, g, index, axis, n, repeats=0):
        self.index, self.axis = index, axis
        return _add_sorted(xp, g, index, axis, n, repeats)

    def backward(self, xp, g):
        return xp.take(g, self.index, axis=self.axis)


def _along(x, axis, index):
    return TakeSorted.apply(x, index=index, axis=axis)


def _resample(x, axis, n_out, scale, mode, align_corners, special):
    xp = x._backend.xp
    n_in = x.shape[axis]
    if mode in ('nearest', 'nearest-exact'):
        return _along(x, axis, nearest_source(xp, n_in, n_out, scale, mode == 'nearest-exact',
                                              special))
    i0, i1, w0, w1 = linear_source(xp, n_in, n_out, scale, align_corners, x.dtype)
    shape = (n_out,) + (1,) * (x.ndim - axis - 1)
    w0, w1 = (make_tensor(w.reshape(shape), x._backend, False, None, None) for w in (w0, w1))
    return _along(x, axis, i0) * w0 + _along(x, axis, i1) * w1


def _per_dim(value, n, what):
    if isinstance(value, (list, tuple)):
        if len(value) != n:
            raise ValueError(f"interpolate: {what} {tuple(value)} must have one entry per spatial "
                             f"dim of the input ({n})")
        return list(value)
    return [value] * n


def interpolate(input, size=None, scale_factor=None, mode='nearest', align_corners=None,
                recompute_scale_factor=None, antialias=False):
    """torch.nn.functional.interpolate for modes nearest, nearest-exact, linear (3-D),
    bilinear (4-D) and trilinear (5-D)."""
    if mode not in _MODES:
        raise NotImplementedError(f"interpolate: mode {mode!r} is not supported; use one of "
                                  f"{', '.join(_MODES)}")
    if antialias:
        raise NotImplementedError("interpolate: antialias=True is not supported")
    spatial = input.ndim - 2
    if spatial not in (1, 2, 3):
        raise errors.ShapeError(f"interpolate: only 3-D, 4-D and 5-D inputs (N, C, *spatial) "
                                f"are supported, got shape {input.shape}")
    if _MODES[mode] is not None and _MODES[mode] != spatial:
        raise NotImplementedError(f"interpolate: got a {input.ndim}-D input, but {mode} mode "
                                  f"needs a {_MODES[mode] + 2}-D input")
    if _MODES[mode] is None and align_corners is not None:
        raise ValueError("align_corners option can only be set with the interpolating modes: "
                         "linear | bilinear | trilinear")
    if (size is None) == (scale_factor is None):
        raise ValueError("interpolate: give exactly one of size or scale_factor" +
                         (" (both were given)" if size is not None else ""))
    in_sizes = input.shape[2:]
    if size is not None:
        out_sizes = [int(n) for n in _per_dim(size, spatial, 'size')]
        scales = [None] * spatial
    else:
        scales = [float(s) for s in _per_dim(scale_factor, spatial, 'scale_factor')]
        out_sizes = [int(math.floor(n * s)) for n, s in zip(in_sizes, scales)]
        if recompute_scale_factor:
            scales = [None] * spatial
    if min(out_sizes) <= 0:
        raise ValueError(f"interpolate: the output size {tuple(out_sizes)} (from input "
                         f"{input.shape}) must be positive in every spatial dim")
    x = input
    special = mode == 'nearest' and spatial == 2      # PyTorch's 2-D nearest special cases
    for d, (n_out, scale) in enumerate(zip(out_sizes, scales)):
        if n_out == in_sizes[d] and (special or _MODES[mode] is not None):
            continue                                     # copied
        x = _resample(x, d + 2, n_out, scale, mode, bool(align_corners), special)
    return x if x is not input else input.clone()
