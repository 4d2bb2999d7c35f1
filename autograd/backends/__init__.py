"""The device registry: device strings to backend objects.

    ag.backends.available()        -> ['cpu'] or ['cpu', 'cuda']
    ag.backends.get('cuda:1')      -> the backend of that device
    ag.backends.register(backend)  -> add a device (tests use a second NumPy one)
"""
import contextlib

from .numpy_backend import NumpyBackend

_registry = {'cpu': NumpyBackend('cpu')}
_default = ['cpu']
_offload = {'min_flops': None}       # None: off. Set by offload(); used by matmul.


def cuda_available():
    try:
        import cupy
        return cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:                  # no cupy, no driver, no device
        return False


def cuda_device_count():
    try:
        import cupy
        return cupy.cuda.runtime.getDeviceCount()
    except Exception:
        return 0


def of_array(array):
    """The backend a raw array belongs to (NumPy -> cpu, CuPy -> its cuda:N)."""
    if type(array).__module__.split('.')[0] == 'cupy':
        return get(f'cuda:{array.device.id}')
    return _registry['cpu']


def _normalize(device):
    device = str(device)
    if device == 'cuda':
        return 'cuda:0'
    return device


def get(device=None):
    """The backend for a device string ('cpu', 'cuda', 'cuda:1'); None gives the default."""
    if device is None:
        return _registry[_default[0]]
    if isinstance(device, NumpyBackend):
        return device
    name = _normalize(device)
    backend = _registry.get(name)
    if backend is None:
        if name.startswith('cuda'):
            if not cuda_available():
                raise RuntimeError(
                    f"device '{device}' was asked for, but CUDA is not available here: "
                    "install CuPy (pip install 'tapegrad[gpu]') on a machine with an NVIDIA GPU, "
                    "or use device='cpu'")
            from .cupy_backend import CupyBackend
            backend = _registry[name] = CupyBackend(name)
        else:
            raise ValueError(f"unknown device '{device}': available devices are {available()}")
    return backend


def register(backend):
    """Make `backend` reachable by its name (e.g. a second CPU-like device for tests)."""
    _registry[backend.name] = backend
    return backend


def available():
    """Device kinds that can run here."""
    return ['cpu', 'cuda'] if cuda_available() else ['cpu']


def set_default_device(device):
    _default[0] = get(device).name


def default_device():
    return _default[0]


def all_created():
    """Backends instantiated so far (for seeding)."""
    return list(_registry.values())


@contextlib.contextmanager
def _offload_context(previous):
    try:
        yield
    finally:
        _offload['min_flops'] = previous


def offload(min_flops=None, enabled=True):
    """Run matmuls of CPU tensors above `min_flops` on the GPU, results back on the CPU.

    Works as a global setting (`ag.backends.offload(1e9)`) and as a context
    (`with ag.backends.offload(1e9): ...`). Without CuPy and a GPU it is a no-op.
    """
    previous = _offload['min_flops']
    _offload['min_flops'] = (min_flops if min_flops is not None else 2e9) if enabled else None
    return _offload_context(previous)


def offload_threshold():
    """The active threshold in FLOPs, or None when offloading is off or impossible."""
    t = _offload['min_flops']
    return t if t is not None and cuda_available() else None
