"""ag.cuda: is the GPU there, wait for it, how much memory it holds."""
from . import backends


def is_available():
    return backends.cuda_available()


def device_count():
    return backends.cuda_device_count()


def synchronize(device=None):
    """Block until queued GPU work is done (time GPU code only after this)."""
    if is_available():
        backends.get(device or 'cuda').synchronize()


def memory_stats(device=None):
    """Bytes used and held by CuPy's memory pool ({} without a GPU)."""
    return backends.get(device or 'cuda').memory_stats() if is_available() else {}
