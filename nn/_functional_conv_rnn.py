"""Functional convolutions and pools (PyTorch signatures); re-exported by nn.functional."""
import autograd as ag
from autograd.ops.conv import Conv2dOp, ConvTranspose2dOp
from autograd.ops.pool import AdaptiveAvgPool2dOp, AvgPool2dOp, MaxPool2dOp, max_pool2d_indices

__all__ = ["conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d", "max_pool1d", "max_pool2d",
           "avg_pool1d", "avg_pool2d", "adaptive_avg_pool1d", "adaptive_avg_pool2d"]


def _tuple(v, n):
    if isinstance(v, int):
        return (v,) * n
    v = tuple(int(a) for a in v)
    return v * n if len(v) == 1 else v


def _check_geometry(name, kernel=None, stride=(), padding=(), dilation=(), output_padding=()):
    """Window arguments, each an int or a tuple: sizes of at least 1, paddings of at least 0
    (checked here, where the function the user called is known)."""
    for what, values, least in (('kernel_size', kernel, 1), ('stride', stride, 1),
                                ('dilation', dilation, 1), ('padding', padding, 0),
                                ('output_padding', output_padding, 0)):
        if values is None or isinstance(values, str):
            continue
        for v in (values,) if isinstance(values, int) else values:
            ag.errors.check_size(name, what, v, least)


def _same_pads(kernel, dilation, stride, name):
    """PyTorch's padding='same': total d*(k-1), the extra one on the bottom/right."""
    if any(s != 1 for s in stride):
        raise ValueError(f"{name}: padding='same' is not supported for strided convolutions "
                         f"(stride {tuple(stride)})")
    pads = []
    for k, d in zip(kernel, dilation):
        total = d * (k - 1)
        pads += [total // 2, total - total // 2]
    return pads


def _resolve_padding(padding, kernel, dilation, stride, ndim, name):
    if isinstance(padding, str):
        if padding == 'valid':
            return (0, 0, 0, 0) if ndim == 2 else (0, 0, 0, 0)
        if padding == 'same':
            p = _same_pads(kernel, dilation, stride, name)
            return tuple(p) if ndim == 2 else (0, 0, p[0], p[1])
        raise ValueError(f"{name}: invalid padding string {padding!r}, should be one of 'valid', 'same'")
    p = _tuple(padding, ndim)
    if ndim == 1:
        return (0, 0, p[0], p[0])
    return (p[0], p[0], p[1], p[1])


def _check_input(x, ndim, name, weight=None):
    if not isinstance(x, ag.Tensor):
        raise TypeError(f"{name}: input must be a Tensor, got {type(x).__name__}")
    if x.ndim not in (ndim + 1, ndim + 2):
        extra = f" for weight of shape {tuple(weight.shape)}" if weight is not None else ""
        raise ValueError(f"{name}: expected a {ndim + 1}-D (unbatched) or {ndim + 2}-D (batched) "
                         f"input{extra}, got shape {tuple(x.shape)}")
    return x.ndim == ndim + 1


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    unbatched = _check_input(input, 2, 'conv2d', weight)
    _check_geometry('conv2d', None, stride, padding, dilation)
    stride, dilation = _tuple(stride, 2), _tuple(dilation, 2)
    pads = _resolve_padding(padding, tuple(weight.shape[2:]), dilation, stride, 2, 'conv2d')
    x = input.unsqueeze(0) if unbatched else input
    out = Conv2dOp.apply(x, weight, bias, stride=stride, padding=pads, dilation=dilation,
                         groups=groups)
    return out.squeeze(0) if unbatched else out


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    unbatched = _check_input(input, 1, 'conv1d', weight)
    _check_geometry('conv1d', None, stride, padding, dilation)
    if weight.ndim != 3:
        raise ValueError(f"conv1d: expected a 3-D weight (out, in/groups, k), got {tuple(weight.shape)}")
    stride, dilation = (1,) + _tuple(stride, 1), (1,) + _tuple(dilation, 1)
    pads = _resolve_padding(padding, (1,) + tuple(weight.shape[2:]), dilation, stride, 1,
                            'conv1d')
    x = input.unsqueeze(0) if unbatched else input
    out = Conv2dOp.apply(x.unsqueeze(2), weight.unsqueeze(2), bias, stride=stride, padding=pads,
                         dilation=dilation, groups=groups).squeeze(2)
    return out.squeeze(0) if unbatched else out


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    unbatched = _check_input(input, 2, 'conv_transpose2d', weight)
    _check_geometry('conv_transpose2d', None, stride, padding, dilation, output_padding)
    x = input.unsqueeze(0) if unbatched else input
    out = ConvTranspose2dOp.apply(x, weight, bias, stride=_tuple(stride, 2),
                                  padding=_tuple(padding, 2), output_padding=_tuple(output_padding, 2),
                                  groups=groups, dilation=_tuple(dilation, 2))
    return out.squeeze(0) if unbatched else out


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    unbatched = _check_input(input, 1, 'conv_transpose1d', weight)
    _check_geometry('conv_transpose1d', None, stride, padding, dilation, output_padding)
    x = input.unsqueeze(0) if unbatched else input
    out = ConvTranspose2dOp.apply(
        x.unsqueeze(2), weight.unsqueeze(2), bias, stride=(1,) + _tuple(stride, 1),
        padding=(0,) + _tuple(padding, 1), output_padding=(0,) + _tuple(output_padding, 1),
        groups=groups, dilation=(1,) + _tuple(dilation, 1)).squeeze(2)
    return out.squeeze(0) if unbatched else out


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    stride = None if stride is None or stride == () or stride == [] else stride
    _check_geometry('max_pool2d', kernel_size, stride, padding, dilation)
    out = MaxPool2dOp.apply(input, kernel_size=kernel_size, stride=stride, padding=padding,
                            dilation=dilation, ceil_mode=ceil_mode)
    if return_indices:
        return out, max_pool2d_indices(input, out, kernel_size, stride, padding, dilation,
                                       ceil_mode)
    return out


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    _check_geometry('max_pool1d', kernel_size, stride, padding, dilation)
    k = (1,) + _tuple(kernel_size, 1)
    s = None if stride is None else (1,) + _tuple(stride, 1)
    x = input.unsqueeze(-2)
    res = max_pool2d(x, k, s, (0,) + _tuple(padding, 1), (1,) + _tuple(dilation, 1), ceil_mode,
                     return_indices)
    if return_indices:
        return res[0].squeeze(-2), res[1].squeeze(-2)
    return res.squeeze(-2)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    stride = None if stride is None or stride == () or stride == [] else stride
    _check_geometry('avg_pool2d', kernel_size, stride, padding)
    return AvgPool2dOp.apply(input, kernel_size=kernel_size, stride=stride, padding=padding,
                             ceil_mode=ceil_mode, count_include_pad=count_include_pad,
                             divisor_override=divisor_override)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    _check_geometry('avg_pool1d', kernel_size, stride, padding)
    s = None if stride is None else (1,) + _tuple(stride, 1)
    return avg_pool2d(input.unsqueeze(-2), (1,) + _tuple(kernel_size, 1), s,
                      (0,) + _tuple(padding, 1), ceil_mode, count_include_pad).squeeze(-2)


def adaptive_avg_pool2d(input, output_size):
    if isinstance(output_size, int):
        output_size = (output_size, output_size)
    return AdaptiveAvgPool2dOp.apply(input, output_size=tuple(output_size))


def adaptive_avg_pool1d(input, output_size):
    if not isinstance(output_size, int):
        output_size = tuple(output_size)[0]
    return adaptive_avg_pool2d(input.unsqueeze(-2), (1, output_size)).squeeze(-2)
