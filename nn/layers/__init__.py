"""Layers: nn.Linear, nn.BatchNorm2d, the activations and losses as modules, ...

Each submodule is imported when present (conv, pooling and rnn may land later);
only "that exact submodule is missing" is tolerated.
"""
import importlib as _importlib

__all__ = []

for _name in ("linear", "activation", "dropout", "normalization", "embedding", "loss",
              "conv", "pooling", "rnn", "attention", "upsample"):
    try:
        _mod = _importlib.import_module(f"{__name__}.{_name}")
    except ModuleNotFoundError as _e:
        if _e.name != f"{__name__}.{_name}":
            raise
        continue
    _names = getattr(_mod, "__all__", None)
    if _names is None:
        _names = [n for n in vars(_mod) if not n.startswith("_")]
    for _n in _names:
        globals()[_n] = getattr(_mod, _n)
    __all__ += [n for n in _names if n not in __all__]

del _importlib, _name, _mod, _names, _n
