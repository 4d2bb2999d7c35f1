"""torch.utils's place: `ag.utils.data` is nn.data (Dataset, DataLoader, random_split, ...)."""


def __getattr__(name):
    if name == 'data':              # loaded on first use: it imports nn
        import importlib
        return importlib.import_module('.data', __name__)
    raise AttributeError(f"module 'autograd.utils' has no attribute {name!r}")
