"""nn: modules, parameters, init, optimizers, schedulers, data and checkpoints.

PyTorch's names and semantics (see shared/API.md, section "nn").
"""
from . import init, utils
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
from . import parallel  # noqa: E402  (DistributedDataParallel; mpi4py loads only on use)

__all__ = ["Module", "Parameter", "Sequential", "ModuleList", "ModuleDict", "Identity", "Flatten",
           "init", "utils", "optim", "data", "training", "parallel", "save", "load", "CheckpointError"]
