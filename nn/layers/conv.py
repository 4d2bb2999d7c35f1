"""Conv1d, Conv2d, ConvTranspose2d (PyTorch's parameter shapes, init and state_dict keys)."""

import autograd as ag

from .. import _functional_conv_rnn as F
from .. import init
from .._module_helpers import check_sizes
from ..module import Module
from ..parameter import _weight_and_bias

__all__ = ["Conv1d", "Conv2d", "ConvTranspose1d", "ConvTranspose2d"]

_PADDING_MODES = ('zeros', 'reflect', 'replicate', 'circular')


def _ntuple(v, n, name):
    if isinstance(v, int):
        return (v,) * n
    v = tuple(int(a) for a in v)
    if len(v) != n:
        raise ValueError(f"{name} must be an int or a {n}-tuple, got {v}")
    return v


class _ConvNd(Module):
    _dims = 2
    _transposed = False

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 groups=1, bias=True, padding_mode='zeros', output_padding=0, device=None,
                 dtype=None):
        super().__init__()
        n = self._dims
        name = type(self).__name__
        check_sizes(name, in_channels=in_channels, out_channels=out_channels)
        if groups <= 0:
            raise ValueError(f"{name}: groups must be a positive integer, got {groups}")
        if in_channels % groups:
            raise ValueError(f"{name}: in_channels ({in_channels}) must be divisible by groups ({groups})")
        if out_channels % groups:
            raise ValueError(f"{name}: out_channels ({out_channels}) must be divisible by groups ({groups})")
        if padding_mode not in _PADDING_MODES:
            raise ValueError(f"{name}: padding_mode must be one of {list(_PADDING_MODES)}, but got "
                             f"padding_mode={padding_mode!r}")
        if padding_mode != 'zeros' and self._transposed:
            raise ValueError(f'Only "zeros" padding mode is supported for {type(self).__name__}')
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = _ntuple(kernel_size, n, 'kernel_size')
        self.stride = _ntuple(stride, n, 'stride')
        # a zero kernel or stride, or a negative padding, can never run: say so now
        # (PyTorch builds the layer and fails in forward)
        check_sizes(name, 1, kernel_size=min(self.kernel_size), stride=min(self.stride),
                    dilation=min(_ntuple(dilation, n, 'dilation')))
        if not isinstance(padding, str):
            check_sizes(name, padding=min(_ntuple(padding, n, 'padding')))
        if isinstance(padding, str):
            if padding not in ('same', 'valid'):
                raise ValueError(f"{name}: invalid padding string {padding!r}, should be one of 'valid', 'same'")
            if padding == 'same' and any(s != 1 for s in self.stride):
                raise ValueError("padding='same' is not supported for strided convolutions")
            if self._transposed:
                raise ValueError("string padding is not supported for transposed convolutions")
            self.padding = padding
        else:
            self.padding = _ntuple(padding, n, 'padding')
        self.dilation = _ntuple(dilation, n, 'dilation')
        self.output_padding = _ntuple(output_padding, n, 'output_padding')
        self.groups = groups
        self.padding_mode = padding_mode
        if self._transposed:
            shape = (in_channels, out_channels // groups) + self.kernel_size
        else:
            shape = (out_channels, in_channels // groups) + self.kernel_size
        _weight_and_bias(self, shape, out_channels if bias else None, device, dtype)
        self.reset_parameters()

    def reset_parameters(self):
        init.default_layer_init_(self.weight, self.bias)

    def _check(self, input):
        name = type(self).__name__
        n = self._dims
        if not isinstance(input, ag.Tensor):
            raise TypeError(f"{name}: input must be a Tensor, got {type(input).__name__}")
        if input.ndim not in (n + 1, n + 2):
            raise ValueError(
                f"{name}: expected a {n + 1}-D (unbatched) or {n + 2}-D (batched) input, got "
                f"input of shape {tuple(input.shape)} (weight of shape {tuple(self.weight.shape)})")
        c = input.shape[-n - 1]
        if c != self.in_channels:
            raise ValueError(
                f"{name}: expected input with in_channels={self.in_channels} channels (dim "
                f"{input.ndim - n - 1}), got input of shape {tuple(input.shape)} "
                f"(weight of shape {tuple(self.weight.shape)}, groups={self.groups})")

    def extra_repr(self):
        s = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
             f"stride={self.stride}")
        if self.padding != (0,) * self._dims:
            s += f", padding={self.padding!r}" if isinstance(self.padding, str) else f", padding={self.padding}"
        if self.dilation != (1,) * self._dims:
            s += f", dilation={self.dilation}"
        if self._transposed and self.output_padding != (0,) * self._dims:
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        return s

    def _padded(self, input):
        """(input, padding) for the convolution: with a padding_mode other than zeros the
        input is padded here (reflect, replicate or circular, as F.pad does it) and the
        convolution itself pads nothing, as in PyTorch."""
        if self.padding_mode == 'zeros':
            return input, self.padding
        n = self._dims
        kernel = (1,) * (2 - n) + self.kernel_size
        t, b, l, r = F._resolve_padding(self.padding, kernel, (1,) * (2 - n) + self.dilation,
                                      (1,) * (2 - n) + self.stride, n, type(self).__name__)
        flat = (l, r) if n == 1 else (l, r, t, b)
        return ag.pad(input, flat, mode=self.padding_mode), 0

    def forward(self, input):
        self._check(input)
        input, padding = self._padded(input)
        return self._conv(input, self.weight, self.bias, self.stride, padding, self.dilation,
                          self.groups)


class Conv2d(_ConvNd):
    """weight (out_channels, in_channels/groups, kH, kW), bias (out_channels,)."""
    _dims = 2
    _conv = staticmethod(F.conv2d)


class Conv1d(_ConvNd):
    """weight (out_channels, in_channels/groups, k), bias (out_channels,)."""
    _dims = 1
    _conv = staticmethod(F.conv1d)


class _ConvTransposeNd(_ConvNd):
    _transposed = True

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 output_padding=0, groups=1, bias=True, dilation=1, padding_mode='zeros',
                 device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups,
                         bias, padding_mode, output_padding, device, dtype)

    def forward(self, input, output_size=None):
        self._check(input)
        return self._conv(input, self.weight, self.bias, self.stride, self.padding,
                          self._output_padding(input, output_size), self.groups, self.dilation)

    def _output_padding(self, input, output_size):
        if output_size is None:
            return self.output_padding
        n = self._dims
        output_size = tuple(output_size)[-n:]
        res = []
        for d in range(n):
            size_in = input.shape[input.ndim - n + d]
            minimum = ((size_in - 1) * self.stride[d] - 2 * self.padding[d]
                       + self.dilation[d] * (self.kernel_size[d] - 1) + 1)
            extra = output_size[d] - minimum
            if not 0 <= extra < max(self.stride[d], self.dilation[d]):
                raise ValueError(f"{type(self).__name__}: requested output_size {output_size} is "
                                 f"not reachable from input of shape {tuple(input.shape)}")
            res.append(extra)
        return tuple(res)


class ConvTranspose2d(_ConvTransposeNd):
    """weight (in_channels, out_channels/groups, kH, kW), bias (out_channels,)."""
    _dims = 2
    _conv = staticmethod(F.conv_transpose2d)


class ConvTranspose1d(_ConvTransposeNd):
    """weight (in_channels, out_channels/groups, k), bias (out_channels,)."""
    _dims = 1
    _conv = staticmethod(F.conv_transpose1d)
