"""Small elementwise functions built from the existing ops: logical_and/or/xor/not,
clamp_min, clamp_max, lerp.

The logical ones take any dtype (nonzero is True) and give bool, with no
gradient; the rest are compositions, so their gradients come for free.
"""
from ..errors import mixed_devices
from ..tensor import Tensor
from .math_api import clamp, no_grad_result, operand, tensor_of


def _truth(x, like):
    if isinstance(x, Tensor):
        if x._backend is not like._backend:
            raise mixed_devices('logical', (like, x))
        return x.array != 0
    return like._backend.asarray(x) != 0


def _logical(name):
    def logical(input, other):
        x = tensor_of(input, other if isinstance(other, Tensor) else None)
        return no_grad_result(x, getattr(x._backend.xp, name)(_truth(x, x), _truth(other, x)))
    logical.__name__ = name
    logical.__doc__ = f"Elementwise {name[8:]} of the inputs' truth values (nonzero is True), as bool."
    return logical


logical_and, logical_or, logical_xor = map(_logical, ('logical_and', 'logical_or', 'logical_xor'))


def logical_not(input):
    """Elementwise not of the input's truth value (nonzero is True), as bool."""
    x = tensor_of(input)
    return no_grad_result(x, x.array == 0)


def clamp_min(input, min):
    return clamp(input, min=min)


def clamp_max(input, max):
    return clamp(input, max=max)


def lerp(input, end, weight):
    """input + weight * (end - input); `weight` a number or a tensor (all broadcast)."""
    x = tensor_of(input, end if isinstance(end, Tensor) else None)
    return x + operand(weight, x) * (operand(end, x) - x)
