"""nn: modules, parameters, init, optimizers, schedulers, data and checkpoints.

PyTorch's names and semantics (see shared/API.md, section "nn").
"""
import autograd as _autograd

if not getattr(_autograd, "__tapegrad__", False):   # HIPS autograd (or another) under our name
    from ._foreign import foreign_autograd
    raise foreign_autograd(_autograd)
from autograd._clash import check as _check_clash  # noqa: E402

_check_clash(__name__, __file__)

from . import init, utils  # noqa: E402
from .containers import Flatten, Identity, ModuleDict, ModuleList, Sequential
from .module import Module
from .parameter import Parameter
from .serialization import CheckpointError, load, save
from .layers import *  # noqa: F401,F403  (nn.Linear, nn.ReLU, nn.MSELoss, ...: nn/layers)
from . import data, optim, training  # noqa: E402  (training: EarlyStopping, accuracy, ...)

__all__ = ["Module", "Parameter", "Sequential", "ModuleList", "ModuleDict", "Identity", "Flatten",
           "init", "utils", "optim", "data", "training", "save", "load", "CheckpointError"]
