"""nn.Parameter: a leaf Tensor that a Module registers as a parameter."""
import numpy as np

import autograd as ag

from . import _compat

__all__ = ["Parameter"]


class Parameter(ag.Tensor):
    """A Tensor that is a module parameter: a leaf that requires grad by default.

    ``Parameter(data)`` shares ``data``'s array when ``data`` is a Tensor or an
    ndarray (as ``torch.nn.Parameter`` shares storage); lists and numbers are
    converted with ``ag.tensor`` rules (Python floats -> float32).
    """

    __slots__ = ()

    def __init__(self, data=None, requires_grad=True):
        if data is None:
            arr = np.empty((0,), dtype=np.float32)
        elif isinstance(data, ag.Tensor):
            arr = data.detach()  # shares the array and keeps the device
        elif isinstance(data, np.ndarray):
            arr = data
        else:
            arr = ag.tensor(data).array
        super().__init__(arr, requires_grad=requires_grad)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

    def __reduce_ex__(self, protocol):
        return (_rebuild_parameter, (self.array, self.requires_grad))

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        new = type(self)(_compat.wrap(self.array.copy(), like=self), requires_grad=self.requires_grad)
        memo[id(self)] = new
        if self.grad is not None:
            new.grad = _compat.copy_tensor(self.grad)
        return new


def _rebuild_parameter(data, requires_grad):
    return Parameter(data, requires_grad=requires_grad)


def _weight_and_bias(module, weight_shape, bias_size, device=None, dtype=None):
    """Register module.weight, an uninitialised Parameter of `weight_shape`, and
    module.bias, one of shape (bias_size,), or None when bias_size is None: the layers'
    weight-and-bias set-up; their reset_parameters() then fills both."""
    module.weight = Parameter(ag.empty(*weight_shape, dtype=dtype, device=device))
    if bias_size is None:
        module.register_parameter("bias", None)
    else:
        module.bias = Parameter(ag.empty(bias_size, dtype=dtype, device=device))
