"""tapegrad's engine: tensors that record a tape, and reverse-mode autodiff over it.

    import autograd as ag
    x = ag.tensor([[1., 2.], [3., 4.]], requires_grad=True)
    y = (x @ x).tanh().sum()
    y.backward()
    x.grad
"""
from . import _clash  # first: refuses a folder mixed with another distribution's files
from . import accelerator, backends, cuda, errors
from .backends import set_default_device
from .backends.cpu_malloc import tune as _tune_malloc
from .backends.device import device
from .dtypes import (bool, bool_, cdouble, cfloat, complex64, complex128, double, float, float16,
                     float32, float64, get_default_dtype, half, int, int8, int16, int32, int64,
                     long, set_default_dtype, short, uint8)
from .backends.numpy_backend import Generator
from .creation import (BoolTensor, ByteTensor, DoubleTensor, FloatTensor, HalfTensor, IntTensor,
                       LongTensor, arange, as_tensor, default_generator, empty, empty_like, eye,
                       from_numpy, full, full_like, linspace, logspace, manual_seed, normal, ones,
                       ones_like, rand, rand_like, randint, randint_like, randn, randn_like,
                       randperm, tensor, zeros, zeros_like)
from .engine import backward, grad
from .function import Function
from .gradcheck import GradcheckError, gradcheck, gradgradcheck   # the functions shadow the module
from .grad_mode import (detect_anomaly, enable_grad, inference_mode, is_anomaly_enabled,
                        is_grad_enabled, no_grad, set_grad_enabled)
from .ops import FUNCTIONS as _FUNCTIONS
from .printing import set_printoptions
from .runtime import (are_deterministic_algorithms_enabled, compile, get_float32_matmul_precision,
                      get_num_interop_threads, get_num_threads, set_num_interop_threads, is_deterministic_algorithms_warn_only_enabled,
                      set_float32_matmul_precision, set_num_threads, use_deterministic_algorithms)
from .serialization import load, save   # torch.save / torch.load: .npz, never pickle
from .tensor import Tensor, is_tensor

globals().update(_FUNCTIONS)

__version__ = '0.1.0'
__tapegrad__ = True     # nn checks that the autograd it imports is this one (autograd/_clash.py)

_tune_malloc()      # keep freed buffers in-process: no per-step page faults (backends/cpu_malloc.py)


# Heavier parts load on first use, so importing autograd stays light and never imports
# nn: `ag.nn`, `ag.optim` and `ag.utils.data` are the nn package's modules under
# torch's names (autograd/nn.py says how), `ag.autograd` is torch.autograd's namespace.
_LAZY = ('functional', 'viz', 'nn', 'optim', 'utils', 'autograd', 'distributed', 'distributions')
_MISSING = {'bfloat16': "bfloat16 is not available: NumPy has no bfloat16 dtype; use "
                        "float16 or float32"}


def __getattr__(name):
    if name in _LAZY:
        import importlib
        return importlib.import_module(f'.{name}', __name__)
    if name in _MISSING:
        raise AttributeError(f"module 'autograd' has no attribute {name!r}: {_MISSING[name]}")
    raise AttributeError(f"module 'autograd' has no attribute {name!r}")
