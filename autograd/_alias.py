"""Modules that are other modules: how `ag.nn` is the nn package without autograd importing it.

PyTorch programs reach everything through `torch` (`torch.nn.init`, `torch.optim.AdamW`,
`torch.utils.data.DataLoader`). Here those live in the nn package, which sits above the
engine, so autograd/nn.py, autograd/optim.py and autograd/utils/data.py each stand for
one nn module and are imported only when first used (`autograd.__getattr__`, or an
`import autograd.nn as nn` line): the import arrows stay nn -> autograd at import time.
"""
import importlib
import sys


def alias(name, real):
    """Make the module being imported as `name` be the module `real` itself.

    Every submodule of `real` loaded by then is registered under `name` too, so
    `import autograd.nn.functional as F` finds nn.functional itself: importing it
    under a second name would make a second copy with classes of its own."""
    module = importlib.import_module(real)
    for key, value in list(sys.modules.items()):
        if key == real or key.startswith(real + '.'):
            sys.modules[name + key[len(real):]] = value
    return module
