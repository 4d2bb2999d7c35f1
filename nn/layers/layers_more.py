"""Padding layers (ZeroPad2d, ConstantPad1d/2d, ReflectionPad1d/2d, ReplicationPad1d/2d) and
PixelShuffle / PixelUnshuffle, InstanceNorm1d/2d, AdaptiveMaxPool1d/2d, with PyTorch's arguments, attributes, state_dict
keys and reprs."""
from .. import functional as F
from ..module import Module
from .normalization import _BatchNorm

__all__ = ["ConstantPad1d", "ConstantPad2d", "ZeroPad2d", "ReflectionPad1d", "ReflectionPad2d",
           "ReplicationPad1d", "ReplicationPad2d", "PixelShuffle", "PixelUnshuffle",
           "InstanceNorm1d", "InstanceNorm2d", "AdaptiveMaxPool1d", "AdaptiveMaxPool2d"]


def _pad_tuple(name, padding, n):
    """PyTorch's padding argument: an int pads every side, else 2*n ints (left, right, top, ...)."""
    if isinstance(padding, int):
        return (padding,) * (2 * n)
    padding = tuple(padding)
    if len(padding) != 2 * n or not all(isinstance(p, int) for p in padding):
        raise ValueError(f"{name}: padding must be an int or {2 * n} ints, got {padding!r}")
    return padding


class _PadNd(Module):
    """Shared by the padding layers: `_n` padded dims, F.pad's `_mode`."""
    _n, _mode = 1, "constant"

    def __init__(self, padding):
        super().__init__()
        self.padding = _pad_tuple(type(self).__name__, padding, self._n)

    def _check_input(self, input):
        if input.ndim not in (self._n + 1, self._n + 2):
            raise ValueError(f"{type(self).__name__}: expected a {self._n + 1}D or {self._n + 2}D "
                             f"input, got shape {tuple(input.shape)}")

    def forward(self, input):
        self._check_input(input)
        return F.pad(input, self.padding, self._mode)

    def extra_repr(self):
        return f"{self.padding}"


class ConstantPad1d(_PadNd):
    def __init__(self, padding, value):
        super().__init__(padding)
        self.value = value

    def forward(self, input):
        self._check_input(input)
        return F.pad(input, self.padding, "constant", self.value)

    def extra_repr(self):
        return f"padding={self.padding}, value={self.value}"


class ConstantPad2d(ConstantPad1d):
    _n = 2


class ZeroPad2d(ConstantPad2d):
    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


class ReflectionPad1d(_PadNd):
    _mode = "reflect"


class ReflectionPad2d(_PadNd):
    _n, _mode = 2, "reflect"


class ReplicationPad1d(_PadNd):
    _mode = "replicate"


class ReplicationPad2d(_PadNd):
    _n, _mode = 2, "replicate"


class PixelShuffle(Module):
    def __init__(self, upscale_factor):
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, input):
        return F.pixel_shuffle(input, self.upscale_factor)

    def extra_repr(self):
        return f"upscale_factor={self.upscale_factor}"


class PixelUnshuffle(Module):
    def __init__(self, downscale_factor):
        super().__init__()
        self.downscale_factor = downscale_factor

    def forward(self, input):
        return F.pixel_unshuffle(input, self.downscale_factor)

    def extra_repr(self):
        return f"downscale_factor={self.downscale_factor}"


class _InstanceNorm(_BatchNorm):
    """BatchNorm's parameters and buffers with other defaults; num_batches_tracked is kept (for
    state_dict parity) but, as in PyTorch, never counted."""

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=False,
                 track_running_stats=False, device=None, dtype=None, *, bias=True):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype,
                         bias=bias)

    def forward(self, input):
        if input.ndim not in self._dims:
            raise ValueError(f"{type(self).__name__}: expected {self._dims[0]}D (unbatched) or "
                             f"{self._dims[1]}D input, got shape {tuple(input.shape)}")
        if self.affine and input.shape[input.ndim - self._dims[0]] != self.num_features:
            raise ValueError(f"{type(self).__name__}: expected input with num_features="
                             f"{self.num_features} channels, got shape {tuple(input.shape)}")
        unbatched = input.ndim == self._dims[0]
        out = F.instance_norm(input.unsqueeze(0) if unbatched else input, self.running_mean,
                              self.running_var, self.weight, self.bias,
                              self.training or not self.track_running_stats,
                              0.0 if self.momentum is None else self.momentum, self.eps)
        return out.squeeze(0) if unbatched else out


class InstanceNorm1d(_InstanceNorm):
    """Instance norm of (N, C, L) or unbatched (C, L) inputs."""
    _dims = (2, 3)


class InstanceNorm2d(_InstanceNorm):
    """Instance norm of (N, C, H, W) or unbatched (C, H, W) inputs."""
    _dims = (3, 4)


class AdaptiveMaxPool2d(Module):
    def __init__(self, output_size, return_indices=False):
        super().__init__()
        self.output_size, self.return_indices = output_size, return_indices

    def forward(self, input):
        return F.adaptive_max_pool2d(input, self.output_size, self.return_indices)

    def extra_repr(self):
        return f"output_size={self.output_size}"


class AdaptiveMaxPool1d(AdaptiveMaxPool2d):
    def forward(self, input):
        return F.adaptive_max_pool1d(input, self.output_size, self.return_indices)
