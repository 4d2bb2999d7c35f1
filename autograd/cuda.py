"""ag.cuda: is the GPU there, wait for it, how much memory it holds.

Everything here answers sensibly without CuPy or a GPU (False, 0, {}), so code can
ask before it decides where to run.
"""
import contextlib

from . import backends


def is_available():
    """True when CuPy is installed and sees a CUDA device."""
    return backends.cuda_available()


def device_count():
    return backends.cuda_device_count()


def _backend(device):
    return backends.get('cuda' if device is None else
                        f'cuda:{device}' if isinstance(device, int) else device)


def synchronize(device=None):
    """Block until queued GPU work is done (time GPU code only after this)."""
    if is_available():
        _backend(device).synchronize()


def memory_stats(device=None):
    """CuPy's memory pool on the device: 'used_bytes' (held by live arrays),
    'total_bytes' (held by the pool), 'free_bytes', plus the device's own free and
    total memory ({} without a GPU)."""
    return _backend(device).memory_stats() if is_available() else {}


def memory_allocated(device=None):
    """Bytes held by live arrays on the device (0 without a GPU)."""
    return memory_stats(device).get('used_bytes', 0)


def memory_reserved(device=None):
    """Bytes the memory pool holds from the device, in use or cached (0 without a GPU)."""
    return memory_stats(device).get('total_bytes', 0)


def empty_cache(device=None):
    """Give the pool's cached free blocks back to the device."""
    if is_available():
        _backend(device).empty_cache()


@contextlib.contextmanager
def device(index):
    """Make cuda:`index` the current CUDA device inside the block (CuPy launches
    kernels on the current device: ops on tensors of cuda:1 run inside `device(1)`)."""
    if not is_available():
        raise RuntimeError("ag.cuda.device: CUDA is not available here")
    with _backend(index).device:
        yield


def manual_seed(seed):
    """Seed the generators of the GPUs in use (ag.manual_seed seeds every device, these
    included); without CUDA it does nothing, as in PyTorch."""
    for backend in backends.all_created():
        if backend.is_gpu:
            backend.seed(seed)


manual_seed_all = manual_seed
