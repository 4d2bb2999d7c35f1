"""nn.save / nn.load: ``ag.save`` / ``ag.load`` under nn's name (see autograd/serialization.py).

One implementation for both: a single NumPy .npz that never needs pickle,
written atomically to exactly the path given, read member by member with every
header checked before anything is allocated.
"""
from autograd.serialization import CheckpointError, _load, _save

__all__ = ["save", "load", "CheckpointError"]


def save(obj, f):
    """Write ``obj`` (a state dict, an optimizer state dict, or a dict of them) to ``f``:
    a path (written atomically, no suffix added) or a binary file object."""
    _save(obj, f, "nn.save")


def load(f, map_location=None, weights_only=True):
    """Read a checkpoint written by ``nn.save`` / ``ag.save``; Tensors come back as
    ``ag.Tensor`` (see ``ag.load`` for ``map_location``). Never unpickles: a file
    holding object arrays, pickles or anything unreadable raises ``CheckpointError``."""
    return _load(f, map_location, "nn.load")
