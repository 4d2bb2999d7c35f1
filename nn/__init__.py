"""nn: modules, parameters, init, optimizers, schedulers, data and checkpoints.

PyTorch's names and semantics (see shared/API.md, section "nn").
"""
from . import _foreign  # first: refuses an autograd that isn't ours, or a mixed folder
from . import init, utils
from .containers import Flatten, Identity, ModuleDict, ModuleList, Sequential
from .module import Module
from .parameter import Parameter
from .parameter_containers import ParameterDict, ParameterList
from .serialization import CheckpointError, load, save
from .layers import *  # noqa: F401,F403  (nn.Linear, nn.ReLU, nn.MSELoss, ...: nn/layers)
from . import data, optim, parallel, training  # noqa: E402  (parallel: DDP; mpi4py loads on use)

__all__ = ["Module", "Parameter", "ParameterList", "ParameterDict", "Sequential", "ModuleList", "ModuleDict", "Identity", "Flatten",
           "init", "utils", "optim", "data", "training", "parallel", "save", "load", "CheckpointError"]
