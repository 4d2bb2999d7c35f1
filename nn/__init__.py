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

# Layers, functional ops and losses live in their own modules (nn/layers, nn/functional);
# they are imported here when present so `nn.Linear` etc. work once they land.
try:  # pragma: no cover - depends on what has landed
    from .layers import *  # noqa: F401,F403
except ImportError as _e:  # only "the module isn't there yet" is tolerated
    if getattr(_e, "name", None) != __name__ + ".layers":
        raise

from . import optim  # noqa: E402  (after Module: optimizers import nothing from layers)
from . import data  # noqa: E402
from . import training  # noqa: E402  (EarlyStopping, accuracy, progress, checkpoints)

__all__ = ["Module", "Parameter", "Sequential", "ModuleList", "ModuleDict", "Identity", "Flatten",
           "init", "utils", "optim", "data", "training", "save", "load", "CheckpointError"]
