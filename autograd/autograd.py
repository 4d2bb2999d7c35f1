"""torch.autograd's place: `ag.autograd.grad`, `ag.autograd.Function`, `ag.autograd.functional`.

Loaded on first use (`ag.autograd` or `from autograd.autograd import Function`).
`Function` here is PyTorch's user-facing form (static forward/backward with a ctx);
`ag.Function` stays the engine's own op base class.
"""
import sys

from . import custom_function as function, functional
from .custom_function import Function, FunctionCtx, once_differentiable
from .engine import backward, grad
from .gradcheck import gradcheck, gradgradcheck
from .grad_mode import (detect_anomaly, enable_grad, inference_mode, is_anomaly_enabled,
                        is_grad_enabled, no_grad, set_detect_anomaly, set_grad_enabled)


def Variable(data, requires_grad=False, volatile=False):
    """The old torch.autograd.Variable: a Tensor sharing `data`'s memory (Tensors and
    Variables have been one type since PyTorch 0.4)."""
    return data.detach().requires_grad_(requires_grad)


__all__ = ['Function', 'FunctionCtx', 'once_differentiable', 'Variable', 'backward', 'grad',
           'functional', 'gradcheck', 'gradgradcheck', 'no_grad', 'enable_grad', 'set_grad_enabled', 'is_grad_enabled', 'detect_anomaly',
           'is_anomaly_enabled', 'set_detect_anomaly', 'inference_mode']

# `from autograd.autograd.functional import jacobian` and `... .function import Function`
sys.modules[__name__ + '.functional'] = functional
sys.modules[__name__ + '.function'] = function
