"""Linear and Bilinear layers (PyTorch's shapes and default initialisation)."""
import math

from .. import functional as F
from .. import init
from .._module_helpers import check_sizes
from ..module import Module
from ..parameter import _weight_and_bias

__all__ = ["Linear", "Bilinear"]


class Linear(Module):
    """y = x W^T + b; weight (out_features, in_features), bias (out_features,).

    Default init as PyTorch: kaiming_uniform_(a=sqrt(5)) for the weight, i.e.
    U(-1/sqrt(in), 1/sqrt(in)), and U(-1/sqrt(in), 1/sqrt(in)) for the bias.
    """

    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        check_sizes('Linear', in_features=in_features, out_features=out_features)
        self.in_features = in_features
        self.out_features = out_features
        _weight_and_bias(self, (out_features, in_features), out_features if bias else None,
                         device, dtype)
        self.reset_parameters()

    def reset_parameters(self):
        init.default_layer_init_(self.weight, self.bias)

    def forward(self, input):
        if input.ndim == 0 or input.shape[-1] != self.in_features:
            raise ValueError(
                f"Linear: expected input with in_features={self.in_features} in its last dim, got "
                f"input of shape {tuple(input.shape)} (weight shape {tuple(self.weight.shape)})")
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class Bilinear(Module):
    """y_k = x1^T W_k x2 + b_k; weight (out, in1, in2), bias (out,), init U(-1/sqrt(in1), 1/sqrt(in1))."""

    def __init__(self, in1_features, in2_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        check_sizes('Bilinear', in1_features=in1_features, in2_features=in2_features,
                    out_features=out_features)
        self.in1_features = in1_features
        self.in2_features = in2_features
        self.out_features = out_features
        _weight_and_bias(self, (out_features, in1_features, in2_features),
                         out_features if bias else None, device, dtype)
        self.reset_parameters()

    def reset_parameters(self):
        bound = 1 / math.sqrt(self.weight.shape[1])
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1, input2):
        return F.bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self):
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")
