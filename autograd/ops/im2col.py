"""F.unfold (im2col) and F.fold (col2im), PyTorch's signatures.

unfold gathers every kernel window of a (N, C, H, W) input into columns
(N, C*KH*KW, L) with one advanced index (the Index op), so its gradient is
the one scatter-add; fold is its adjoint, the scatter-add itself (IndexAdd),
summing overlapping windows. Both differentiate to any order.
"""
from .. import errors
from . import indexing as I, shape_api as s


def _pair(name, what, v):
    pair = (v, v) if isinstance(v, int) else tuple(v)
    if len(pair) != 2 or any(not isinstance(n, int) for n in pair):
        raise errors.ArgumentError(f"{name}: {what} must be an int or a pair of ints, got {v!r}")
    return pair


def _geometry(name, spatial, kernel_size, dilation, padding, stride):
    """(kernel, dilation, padding, stride, blocks) with each checked; blocks = (OH, OW)."""
    k, d, p, st = (_pair(name, w, v) for w, v in (('kernel_size', kernel_size),
                                                  ('dilation', dilation), ('padding', padding),
                                                  ('stride', stride)))
    if min(k + d + st) <= 0 or min(p) < 0:
        raise errors.ArgumentError(f"{name}: kernel_size, dilation and stride must be > 0 and "
                                   f"padding >= 0, got {k}, {d}, {st} and {p}")
    blocks = tuple((n + 2 * p_ - d_ * (k_ - 1) - 1) // s_ + 1
                   for n, k_, d_, p_, s_ in zip(spatial, k, d, p, st))
    if min(blocks) <= 0:
        raise errors.ShapeError(f"{name}: a kernel of {k} (dilation {d}) does not fit the padded "
                                f"input {tuple(n + 2 * q for n, q in zip(spatial, p))}")
    return k, d, p, st, blocks


def _key(xp, k, d, st, blocks):
    """The index that picks (.., KH, KW, OH, OW) windows out of (.., Hp, Wp)."""
    rows = xp.arange(k[0])[:, None] * d[0] + xp.arange(blocks[0])[None, :] * st[0]
    cols = xp.arange(k[1])[:, None] * d[1] + xp.arange(blocks[1])[None, :] * st[1]
    return (Ellipsis, rows[:, None, :, None], cols[None, :, None, :])


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """(N, C, H, W) -> (N, C*KH*KW, L): each column one kernel window, L = OH*OW blocks
    (a (C, H, W) input gives (C*KH*KW, L))."""
    if input.ndim not in (3, 4):
        raise errors.ShapeError(f"unfold: expects a 3-D (C, H, W) or 4-D (N, C, H, W) input, "
                                f"got shape {input.shape}")
    k, d, p, st, blocks = _geometry('unfold', input.shape[-2:], kernel_size, dilation, padding,
                                    stride)
    x = s.pad(input, (p[1], p[1], p[0], p[0])) if max(p) else input
    windows = I.Index.apply(x, key=_key(x._backend.xp, k, d, st, blocks))
    lead = input.shape[:-3]
    return s.reshape(windows, lead + (input.shape[-3] * k[0] * k[1], blocks[0] * blocks[1]))


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """(N, C*KH*KW, L) -> (N, C, H, W): the columns summed back into place, overlapping
    windows adding up (unfold's adjoint); a (C*KH*KW, L) input gives (C, H, W)."""
    if input.ndim not in (2, 3):
        raise errors.ShapeError(f"fold: expects a 2-D (C*KH*KW, L) or 3-D (N, C*KH*KW, L) input, "
                                f"got shape {input.shape}")
    size = _pair('fold', 'output_size', output_size)
    k, d, p, st, blocks = _geometry('fold', size, kernel_size, dilation, padding, stride)
    per_channel, L = k[0] * k[1], input.shape[-1]
    if input.shape[-2] % per_channel or L != blocks[0] * blocks[1]:
        raise errors.ShapeError(
            f"fold: input {input.shape} does not match: dim -2 must be a multiple of "
            f"KH*KW = {per_channel}, and dim -1 must be the {blocks[0]}x{blocks[1]} = "
            f"{blocks[0] * blocks[1]} blocks of output_size {size}")
    lead = input.shape[:-2]
    C = input.shape[-2] // per_channel
    cols = s.reshape(input, lead + (C,) + k + blocks)
    padded = lead + (C, size[0] + 2 * p[0], size[1] + 2 * p[1])
    out = I.IndexAdd.apply(cols, shape=padded, key=_key(input._backend.xp, k, d, st, blocks))
    return out[..., p[0]:p[0] + size[0], p[1]:p[1] + size[1]] if max(p) else out
