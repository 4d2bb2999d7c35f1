"""ag.accelerator: PyTorch's `torch.accelerator`, the device-neutral way to ask for a GPU.

    device = ag.accelerator.current_accelerator() if ag.accelerator.is_available() else 'cpu'

Here the only accelerator is CUDA (through CuPy); without it every answer says so
(False, None, 0) rather than raising.
"""
from . import backends, cuda
from .backends.device import device


def is_available():
    return backends.cuda_available()


def current_accelerator(check_available=False):
    """device('cuda') when a GPU is usable, else None (`check_available` is accepted
    for PyTorch's signature: with CUDA the only kind, the answer is the same)."""
    return device('cuda') if backends.cuda_available() else None


def device_count():
    return backends.cuda_device_count()


def current_device_index():
    """The GPU that new CUDA tensors go to (-1 without one)."""
    if not backends.cuda_available():
        return -1
    return backends.default_device().index or 0      # 'cpu' as the default: GPU 0


def synchronize(device=None):
    cuda.synchronize(device)
