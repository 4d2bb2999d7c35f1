"""tapegrad's engine: tensors that record a tape, and reverse-mode autodiff over it.

    import autograd as ag
    x = ag.tensor([[1., 2.], [3., 4.]], requires_grad=True)
    y = (x @ x).tanh().sum()
    y.backward()
    x.grad
"""
from . import _clash  # first: refuses a folder mixed with another distribution's files
from . import backends, cuda, errors
from .backends import set_default_device
from .backends.cpu_malloc import tune as _tune_malloc
from .backends.numpy_backend import (bool_, float16, float32, float64, int8, int16, int32,
                                     int64, uint8)
from .creation import (arange, as_tensor, default_generator, empty, eye, from_numpy, full,
                       full_like, linspace, manual_seed, ones, ones_like, rand, rand_like, randint,
                       randn, randn_like, randperm, tensor, zeros, zeros_like)
from .engine import backward, grad
from .function import Function
from .gradcheck import GradcheckError, gradcheck, gradgradcheck   # the functions shadow the module
from .grad_mode import (detect_anomaly, enable_grad, is_anomaly_enabled, is_grad_enabled,
                        no_grad, set_grad_enabled)
from .ops import FUNCTIONS as _FUNCTIONS
from .serialization import load, save   # torch.save / torch.load: .npz, never pickle
from .tensor import Tensor, is_tensor

globals().update(_FUNCTIONS)

__version__ = '0.1.0'
__tapegrad__ = True     # nn checks that the autograd it imports is this one (autograd/_clash.py)

_tune_malloc()      # keep freed buffers in-process: no per-step page faults (backends/cpu_malloc.py)


def __getattr__(name):
    # heavier parts load on first use: importing autograd stays light
    if name in ('functional', 'viz'):
        import importlib
        return importlib.import_module(f'.{name}', __name__)
    raise AttributeError(f"module 'autograd' has no attribute {name!r}")
