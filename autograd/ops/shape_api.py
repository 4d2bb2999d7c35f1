"""The public shape, indexing and in-place functions (PyTorch's meanings).

Where NumPy and PyTorch differ, PyTorch's meaning holds: `transpose(d0, d1)`
swaps two dims, `split(2)` makes chunks of size 2, `repeat` tiles, and `pad`
takes a flat tuple starting from the last dimension.
"""
from .. import errors
from ..grad_mode import grad_enabled, no_grad
from ..tensor import Tensor, make_tensor
from . import indexing as I, movement as M
from .math_api import clamp, tensor_of, where
from .reduce import normalize_axes
# the indexing functions live in index_api.py; they are reached through here as well
from .index_api import (_key_part, gather, getitem, index_select, masked_fill,  # noqa: F401
                        scatter_add, take_along_dim)


def _shape_arg(shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return tuple(shape)


def _reshaper(op):
    """reshape and view: one body, each naming itself in its errors (`op` is a closure
    cell, and the try costs nothing until something is raised)."""
    def reshape(x, *shape):
        shape = _shape_arg(shape)
        if shape and min(shape) < 0 and (min(shape) < -1 or shape.count(-1) > 1):
            raise errors.ShapeError(
                f"{op}: invalid shape {shape} for a tensor of shape {x.shape}: sizes must be "
                "non-negative, with at most one -1 (the size inferred from the others)")
        try:
            return M.Reshape.apply(x, shape=shape)
        except errors.ShapeError as e:
            raise errors.renamed(e, op) from None
    reshape.__name__ = reshape.__qualname__ = op
    return reshape


reshape, view = _reshaper('reshape'), _reshaper('view')


def view_as(x, other):
    return view(x, other.shape)


def reshape_as(x, other):
    return reshape(x, other.shape)


def flatten(x, start_dim=0, end_dim=-1):
    s, e = _dim('flatten', start_dim, x.ndim), _dim('flatten', end_dim, x.ndim)
    if s > e:
        raise errors.ShapeError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim} "
                                f"(shape {x.shape}); pass start_dim <= end_dim")
    if x.ndim == 0:
        return reshape(x, 1)
    return reshape(x, x.shape[:s] + (-1,) + x.shape[e + 1:])


def _dim(op, dim, ndim):
    """One dim, checked and made non-negative (a 0-d tensor takes -1 and 0, as PyTorch)."""
    n = ndim or 1
    if type(dim) is int and -n <= dim < n:      # the common case, without building tuples
        return dim % n if ndim else 0
    return normalize_axes(dim, ndim, op)[0]


def permute(x, *dims):
    return M.Permute.apply(x, dims=_shape_arg(dims))


def transpose(x, dim0, dim1):
    dim0, dim1 = (normalize_axes(d, x.ndim, 'transpose')[0] for d in (dim0, dim1))
    dims = list(range(x.ndim))
    dims[dim0], dims[dim1] = dims[dim1], dims[dim0]
    return permute(x, dims)


swapaxes = transpose


def T(x):
    return permute(x, tuple(range(x.ndim))[::-1])


def mT(x):
    if x.ndim < 2:
        raise errors.shape_error('mT', 'needs a tensor of at least 2 dimensions', x)
    return transpose(x, -2, -1)


def squeeze(x, dim=None):
    if dim is None:
        shape = tuple(n for n in x.shape if n != 1)
    else:
        dims = normalize_axes(dim, x.ndim, 'squeeze') if x.ndim else ()
        shape = tuple(n for d, n in enumerate(x.shape) if not (d in dims and n == 1))
    return reshape(x, shape)


def unsqueeze(x, dim):
    if not -x.ndim - 1 <= dim <= x.ndim:
        raise errors.IndexOutOfRange(f"unsqueeze: dim {dim} is out of range for a tensor of "
                                     f"{x.ndim} dimensions (shape {x.shape}); it goes from "
                                     f"{-x.ndim - 1} to {x.ndim}")
    dim = dim % (x.ndim + 1)
    return reshape(x, x.shape[:dim] + (1,) + x.shape[dim:])


def expand(x, *sizes):
    sizes = _shape_arg(sizes)
    lead = len(sizes) - x.ndim
    shape = tuple(x.shape[i - lead] if n == -1 else n for i, n in enumerate(sizes))
    return M.Expand.apply(x, shape=shape)


def broadcast_to(x, shape):
    try:
        return M.Expand.apply(x, shape=tuple(shape))
    except errors.ShapeError as e:          # Expand's errors say "expand"
        raise errors.renamed(e, 'broadcast_to') from None


def expand_as(x, other):
    try:
        return M.Expand.apply(x, shape=other.shape)
    except errors.ShapeError as e:
        raise errors.renamed(e, 'expand_as') from None


def _negative_repeats(op, sizes, x):
    return errors.ShapeError(f"{op}: the number of repeats must be non-negative, got {sizes} "
                             f"for shape {x.shape}")


def repeat(x, *sizes):
    sizes = _shape_arg(sizes)
    if min(sizes, default=0) < 0:
        raise _negative_repeats('repeat', sizes, x)
    return M.Repeat.apply(x, reps=sizes)


def tile(x, *dims):
    """tile(x, dims), or x.tile(2, 1) as PyTorch's method; short dims pad with 1s in front."""
    dims = _shape_arg(dims)
    if min(dims, default=0) < 0:
        raise _negative_repeats('tile', dims, x)
    return M.Repeat.apply(x, reps=(1,) * (x.ndim - len(dims)) + dims)


def flip(x, dims):
    return M.Flip.apply(x, dims=(dims,) if isinstance(dims, int) else tuple(dims))


def roll(x, shifts, dims=None):
    if isinstance(shifts, (list, tuple)) or isinstance(dims, (list, tuple)):
        shifts = tuple(shifts) if isinstance(shifts, (list, tuple)) else (shifts,)
        dims = (dims,) if isinstance(dims, int) else dims
        if dims is None or len(shifts) != len(dims):
            raise errors.ShapeError(f"roll: shifts {shifts} and dims {dims} must have the same "
                                    "length (one shift per dim)")
        dims = tuple(dims)
    return M.Roll.apply(x, shifts=shifts, dims=dims)


def _join(op, name, tensors, dim, axis):
    """cat and stack: numbers and arrays among `tensors` take the first Tensor's device."""
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{name}: expected a list or tuple of tensors, got a "
                        f"{type(tensors).__name__}; write {name}([a, b]) rather than {name}(a)")
    if not tensors:
        raise ValueError(f'{name}: expected a non-empty list of tensors')
    like = next((t for t in tensors if isinstance(t, Tensor)), None)
    return op.apply(*(tensor_of(t, like) for t in tensors), axis=dim if axis is None else axis)


def cat(tensors, dim=0, *, axis=None):
    return _join(M.Cat, 'cat', tensors, dim, axis)


concatenate = cat


def stack(tensors, dim=0, *, axis=None):
    return _join(M.Stack, 'stack', tensors, dim, axis)


def split(x, split_size_or_sections, dim=0):
    """An int is the size of each chunk (the last may be smaller); a list gives the sizes."""
    dim = _dim('split', dim, x.ndim)
    n = x.shape[dim]
    if isinstance(split_size_or_sections, int):
        step = split_size_or_sections
        if step < 0 or step == 0 and n:
            raise errors.ShapeError(f"split: split_size must be positive (0 only for an empty "
                                    f"dim), got {step} for dim {dim} of size {n}")
        sizes = [min(step, n - s) for s in range(0, n, step)] if n else [0]
    else:
        sizes = list(split_size_or_sections)
        if sum(sizes) != n:
            raise errors.ShapeError(f"split: sizes {sizes} add up to {sum(sizes)}, but "
                                    f"dim {dim} of shape {x.shape} has {n}")
    lead = (slice(None),) * (dim % x.ndim)
    out, start = [], 0
    for size in sizes:
        out.append(x[lead + (slice(start, start + size),)])
        start += size
    return tuple(out)


def chunk(x, chunks, dim=0):
    errors.check_size('chunk', 'chunks', chunks, 1)
    n = x.shape[_dim('chunk', dim, x.ndim)]
    return split(x, -(-n // chunks) if n else 1, dim)


_PAD_MODES = ('constant', 'reflect', 'replicate', 'circular')


def pad(x, pad, mode='constant', value=0):
    """PyTorch's flat `pad`: (left, right) for the last dim, then the one before, ...

    'constant' is one op. 'reflect' (mirror, edge not repeated), 'replicate' (repeat
    the edge) and 'circular' (wrap around) gather each padded dim through an index
    (index_select), so their gradient is the index's scatter-add: a padded element's
    gradient flows back to the input element it copies."""
    if mode not in _PAD_MODES:
        raise ValueError(f"pad: mode must be one of {', '.join(_PAD_MODES)}, got {mode!r}")
    if len(pad) % 2 or len(pad) // 2 > x.ndim:
        raise errors.ShapeError(f"pad: needs pairs for at most {x.ndim} dims, got {tuple(pad)} "
                                f"for shape {x.shape}")
    widths = [(0, 0)] * x.ndim
    for i in range(len(pad) // 2):
        widths[x.ndim - 1 - i] = (int(pad[2 * i]), int(pad[2 * i + 1]))
    if mode == 'constant':
        return M.Pad.apply(x, widths=tuple(widths), value=value)
    for dim, (before, after) in enumerate(widths):
        if before or after:
            index = _pad_index(x._backend.xp, x.shape[dim], before, after, mode, x.shape)
            x = I.Index.apply(x, key=(slice(None),) * dim + (index,))
    return x


def _pad_index(xp, n, before, after, mode, shape):
    """Source position of each output position of one dim padded by (before, after)."""
    if min(before, after) < 0:
        raise ValueError(f"pad: negative padding ({before}, {after}) needs mode='constant'")
    if mode == 'reflect' and max(before, after) >= n:
        raise ValueError(f"pad: reflect padding ({before}, {after}) must be smaller than the "
                         f"dim it pads (size {n}, input shape {shape})")
    if mode == 'circular' and max(before, after) > n:
        raise ValueError(f"pad: circular padding ({before}, {after}) must be at most the size "
                         f"of the dim it pads (size {n}, input shape {shape})")
    if n == 0:
        raise ValueError(f"pad: cannot {mode}-pad an empty dim (input shape {shape})")
    j = xp.arange(-before, n + after)
    if mode == 'reflect':            # mirror about the edges, the edge itself not repeated
        j = xp.abs(j)
        return xp.where(j >= n, 2 * (n - 1) - j, j)
    if mode == 'replicate':
        return xp.clip(j, 0, n - 1)
    return j % n


# --- in place ------------------------------------------------------------------
def _inplace(x, name, compute):
    """Compute out of place, write into x's own buffer, bump its version.

    On a non-leaf that requires grad the result's node becomes x's node, so the
    tape stays right; anything that saved x's old value fails at backward.
    """
    if x.requires_grad and grad_enabled.get():
        if x._node is None:
            raise RuntimeError(
                f"{name}: a leaf tensor that requires grad (shape {x.shape}) can't be changed "
                "in place while recording; do it inside `with ag.no_grad():` (as optimizers "
                "do), or use the out-of-place form.")
        out = compute(x)
    else:
        with no_grad():
            out = compute(x)
    new = out.array
    if new.shape != x.shape:
        raise errors.ShapeError(f"{name}: the result has shape {new.shape}, which can't be "
                                f"written into the in-place tensor of shape {x.shape}")
    if new.dtype != x.dtype and x.dtype.kind in 'iub' and new.dtype.kind not in 'iub':
        raise errors.DtypeError(f"{name}: the result is {new.dtype}, which can't be written "
                                f"into the in-place tensor of dtype {x.dtype}")
    try:
        x.array[...] = new
    except ValueError as e:
        raise errors.OpError(f"{name}: can't write into this tensor ({e}); it is a read-only "
                             "view (from expand/broadcast_to): clone() it first") from None
    if out._node is not None:
        x._node = out._node
    x._bump_version()
    return x


def setitem(x, key, value):
    """t[key] = value: in place, outside recording (masked_fill/where are the recorded forms)."""
    if x.requires_grad and grad_enabled.get():
        raise RuntimeError(
            f"__setitem__: can't assign into a tensor that requires grad (shape {x.shape}) while "
            "recording; use masked_fill/where/index ops, or assign inside `with ag.no_grad():`")
    key = tuple(_key_part(k, x) for k in key) if isinstance(key, tuple) else _key_part(key, x)
    x.array[key] = value.array if isinstance(value, Tensor) else value
    x._bump_version()


def add_(x, other, alpha=1):
    return _inplace(x, 'add_', lambda t: t + (other if alpha == 1 else other * alpha))


def sub_(x, other, alpha=1):
    return _inplace(x, 'sub_', lambda t: t - (other if alpha == 1 else other * alpha))


def mul_(x, other):
    return _inplace(x, 'mul_', lambda t: t * other)


def div_(x, other):
    return _inplace(x, 'div_', lambda t: t / other)


def clamp_(x, min=None, max=None):
    return _inplace(x, 'clamp_', lambda t: clamp(t, min, max))


def overwrite(x, name, values):
    """Overwrite x with the array values(x): a constant; on the tape, the old value's
    gradient is zero (fill_, and the random fills of torch_api.py)."""
    def replaced(t):
        const = make_tensor(values(t), t._backend, False, None, None)
        if not (t.requires_grad and grad_enabled.get()):
            return const
        everywhere = make_tensor(t._backend.xp.ones(t.shape, dtype=bool), t._backend,
                                  False, None, None)
        return where(everywhere, const, t)
    return _inplace(x, name, replaced)


def fill_(x, value):
    return overwrite(x, 'fill_', lambda t: t._backend.xp.full(t.shape, value, dtype=t.dtype))


def zero_(x):
    return fill_(x, 0)


def copy_(x, src):
    src = tensor_of(src, x)
    return _inplace(x, 'copy_', lambda t: broadcast_to(src, t.shape).type(t.dtype))

