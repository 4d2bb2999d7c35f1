"""pixel_shuffle, pixel_unshuffle, instance_norm and adaptive_max_pool1d/2d, composed from
existing differentiable ops (reshape, permute, mean, var, amax, cat), so their gradients come
for free."""
import autograd as ag

__all__ = ["pixel_shuffle", "pixel_unshuffle", "instance_norm", "adaptive_max_pool1d",
           "adaptive_max_pool2d"]


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


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None,
                  use_input_stats=True, momentum=0.1, eps=1e-5):
    """Normalise each sample's each channel over its spatial dims (biased variance), then scale
    and shift per channel. With `use_input_stats` and running buffers, the buffers move towards
    the batch's mean of the per-instance means and unbiased variances, as PyTorch's do; without
    `use_input_stats` the running buffers normalise instead."""
    if input.ndim < 3 or (use_input_stats and input[0, 0].numel() == 1):
        raise ValueError(f"instance_norm: expected an input of shape (N, C, *) with more than 1 "
                         f"spatial element, got shape {tuple(input.shape)}")
    dims = tuple(range(2, input.ndim))
    shape = (1, input.shape[1]) + (1,) * len(dims)
    if use_input_stats:
        mean = input.mean(dims, keepdim=True)
        var = input.var(dims, unbiased=False, keepdim=True)
        if running_mean is not None or running_var is not None:
            _update_running(input, dims, running_mean, running_var, momentum)
    else:
        if running_mean is None or running_var is None:
            raise ValueError("instance_norm: use_input_stats=False needs running_mean and "
                             "running_var")
        mean, var = running_mean.reshape(shape), running_var.reshape(shape)
    out = (input - mean) / ag.sqrt(var + eps)
    if weight is not None:
        out = out * weight.reshape(shape)
    if bias is not None:
        out = out + bias.reshape(shape)
    return out


def _update_running(input, dims, running_mean, running_var, momentum):
    with ag.no_grad():
        if running_mean is not None:
            running_mean.mul_(1 - momentum).add_(input.mean(dims).mean(0) * momentum)
        if running_var is not None:
            running_var.mul_(1 - momentum).add_(input.var(dims, unbiased=True).mean(0) * momentum)


def _adaptive_max(x, dim, out, name):
    """Max over PyTorch's adaptive windows [floor(i*n/out), ceil((i+1)*n/out)) along `dim`."""
    n = x.shape[dim]
    if out is None:
        return x
    if not isinstance(out, int) or out < 1:
        raise ValueError(f"{name}: output_size entries must be positive ints or None, got {out!r}")
    lead = (slice(None),) * (dim % x.ndim)
    windows = [x[lead + (slice(i * n // out, -(-(i + 1) * n // out)),)].amax(dim, keepdim=True)
               for i in range(out)]
    return ag.cat(windows, dim)


def _adaptive_max_pool(name, input, sizes, return_indices):
    if return_indices:
        raise NotImplementedError(f"{name}: return_indices=True is not supported here; call it "
                                  f"with return_indices=False")
    if input.ndim not in (len(sizes) + 1, len(sizes) + 2) or 0 in input.shape[-len(sizes):]:
        raise ValueError(f"{name}: expected a non-empty {len(sizes) + 1}D or {len(sizes) + 2}D "
                         f"input, got shape {tuple(input.shape)}")
    # a max over a rectangle is the max over rows of the max over columns: one dim at a time
    for k, out in enumerate(sizes):
        input = _adaptive_max(input, k - len(sizes), out, name)
    return input


def adaptive_max_pool1d(input, output_size, return_indices=False):
    """Max over L split into `output_size` (nearly) equal, possibly overlapping windows."""
    sizes = (output_size,) if isinstance(output_size, int) else tuple(output_size)
    return _adaptive_max_pool("adaptive_max_pool1d", input, sizes, return_indices)


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """Max over H and W split into output_size's windows (None keeps that dim's size)."""
    sizes = (output_size,) * 2 if isinstance(output_size, int) else tuple(output_size)
    return _adaptive_max_pool("adaptive_max_pool2d", input, sizes, return_indices)
