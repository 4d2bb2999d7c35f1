"""The device registry, and the offload policy for large CPU matmuls.

    ag.backends.available()        -> ['cpu'] or ['cpu', 'cuda']
    ag.backends.get('cuda:1')      -> the backend of that device
    ag.backends.register(backend)  -> add a device (tests use a second NumPy one)
    ag.backends.offload(2e9)       -> matmuls of CPU tensors of >= 2e9 FLOPs run on the GPU
"""
import functools
import json
import math
import os
from types import SimpleNamespace

from .numpy_backend import NumpyBackend, np

_registry = {'cpu': NumpyBackend('cpu')}
_default = ['cpu']
_cuda = {}                           # cached answers: 'available', 'count'

# --- devices ------------------------------------------------------------------------


def cuda_available():
    """True when CuPy imports and sees at least one CUDA device (asked once, then cached)."""
    if 'available' not in _cuda:
        _cuda['available'] = cuda_device_count() > 0
    return _cuda['available']


def cuda_device_count():
    if 'count' not in _cuda:
        try:
            import cupy
            _cuda['count'] = cupy.cuda.runtime.getDeviceCount()
        except Exception:              # no cupy, no driver, no device
            _cuda['count'] = 0
    return _cuda['count']


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
            from .cupy_backend import parse_device
            index = parse_device(name)           # ValueError for 'cuda:x', 'cuda:-1'
            name = f'cuda:{index}'
            backend = _registry.get(name)
            if backend is not None:              # 'cuda:01' and the like
                return backend
            if not cuda_available():
                raise RuntimeError(
                    f"device '{device}' was asked for, but CUDA is not available here: "
                    "install CuPy (pip install 'tapegrad[gpu]') on a machine with an NVIDIA GPU, "
                    "or use device='cpu'")
            count = cuda_device_count()
            if index >= count:
                raise RuntimeError(
                    f"device '{device}' was asked for, but this machine has {count} CUDA "
                    f"device{'s' if count != 1 else ''} (cuda:0 to cuda:{count - 1})")
            from .cupy_backend import CupyBackend
            backend = _registry[name] = CupyBackend(name)
        else:
            raise ValueError(f"unknown device '{device}': available devices are {available()}")
    return backend


# PyTorch's backend flags that programs set or ask (torch.backends.cudnn.benchmark = True):
# accepted and harmless here, where neither cuDNN nor Apple's MPS is used.
cudnn = SimpleNamespace(enabled=True, benchmark=False, deterministic=False, allow_tf32=True,
                        is_available=lambda: False)
mps = SimpleNamespace(is_available=lambda: False, is_built=lambda: False)


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


# --- fused GPU kernels --------------------------------------------------------------
# Whether nn.optim's SGD and Adam/AdamW steps on GPU parameters run as one fused CuPy
# kernel each (cupy_backend.FUSED_KERNELS) instead of their array code. Off until
# `python -m benchmarks fused --device cuda` shows they pay on the GPU at hand: no GPU
# has measured them yet.
_fused = {'enabled': False}


def set_fused(enabled):
    """Run the optimizers' steps on GPU parameters as fused kernels (True) or as their
    array code (False); CPU parameters always take the array code. Returns the previous
    setting."""
    previous = _fused['enabled']
    _fused['enabled'] = bool(enabled)
    return previous


def fused_enabled():
    return _fused['enabled']


# --- offload ------------------------------------------------------------------------
DEFAULT_MIN_FLOPS = 2e9
"""The threshold offload() uses when no calibration is stored: 2e9 FLOPs, about a
1000 x 1000 x 1000 float32 product. Run `python -m benchmarks matmul --calibrate` on the
machine to store the measured crossover instead."""

_offload = [None]        # the active OffloadPolicy, or None (off, or no target device here)


class OffloadPolicy:
    """Runs a matmul of two CPU arrays of at least `min_flops` FLOPs on `target`: copy
    in, multiply there, copy the product back. MatMul and Linear route their forward
    and backward products through `matmul`, so gradients take the same route."""
    __slots__ = ('min_flops', 'target', 'source', 'offloaded')

    def __init__(self, min_flops, target):
        self.min_flops = float(min_flops)
        self.target = target
        self.source = _registry['cpu']
        self.offloaded = 0                   # products sent to the target so far

    def flops(self, a, b):
        """2 * batch * m * k * n for (..., m, k) @ (..., k, n)."""
        m, k = a.shape[-2], a.shape[-1]
        batch = 1
        if a.ndim > 2 or b.ndim > 2:
            batch = math.prod(np.broadcast_shapes(a.shape[:-2], b.shape[:-2]))
        return 2.0 * batch * m * k * b.shape[-1]

    def matmul(self, xp, a, b):
        """xp.matmul(a, b), computed on the target when worth it; the result is a CPU array."""
        if (xp is not self.source.xp or type(a) is not np.ndarray or type(b) is not np.ndarray
                or a.ndim < 2 or b.ndim < 2 or a.dtype.kind not in 'fc'
                or self.flops(a, b) < self.min_flops):
            return xp.matmul(a, b)
        target = self.target
        out = target.xp.matmul(_send(target, a), _send(target, b))
        self.offloaded += 1
        out = target.to_numpy(out)
        return out if out.dtype == np.result_type(a, b) else out.astype(np.result_type(a, b))

    def bind(self, xp):
        """`matmul` with `xp` fixed: a drop-in for xp.matmul in backward formulas."""
        return functools.partial(self.matmul, xp)

    def __repr__(self):
        return f"<offload matmuls of >= {self.min_flops:.3g} FLOPs to {self.target.name}>"


def _send(target, a):
    """`a` on the target device; a transposed (F-ordered) view travels as its transpose,
    so no host-side copy is made, and is transposed back there (a free view)."""
    if a.ndim == 2 and not a.flags.c_contiguous and a.flags.f_contiguous:
        return target.from_numpy(a.T).T
    if not a.flags.c_contiguous:
        a = np.ascontiguousarray(a)
    return target.from_numpy(a)


class _Restore:
    """What offload() returns: usable as a context that restores the previous policy."""
    __slots__ = ('previous', 'policy')

    def __init__(self, previous, policy):
        self.previous, self.policy = previous, policy

    def __enter__(self):
        return self.policy

    def __exit__(self, *exc):
        _offload[0] = self.previous
        return False


def _offload_target(device):
    name = _normalize(device)
    if name == 'cpu':
        raise ValueError("offload: the target must be another device than 'cpu' (e.g. 'cuda')")
    if name in _registry:
        return _registry[name]
    if name.startswith('cuda'):
        from .cupy_backend import parse_device
        parse_device(name)
        if not cuda_available():
            return None                      # no GPU here: offloading is a no-op
        return get(name)
    raise ValueError(f"offload: unknown device '{device}': available devices are {available()}")


def offload(min_flops=None, enabled=True, device='cuda'):
    """Run matmuls of CPU tensors of at least `min_flops` FLOPs on `device` (a GPU);
    results, and gradients, come back as CPU arrays.

    A global setting (`ag.backends.offload(1e9)`) and a context that restores the
    previous setting on exit (`with ag.backends.offload(1e9): ...`); `enabled=False`
    turns it off. `min_flops=None` takes the crossover stored by `python -m benchmarks
    matmul --calibrate` for that device, or DEFAULT_MIN_FLOPS when none is stored.
    Without CuPy and a GPU (the target unavailable) it is a no-op.
    """
    previous = _offload[0]
    policy = None
    if enabled:
        if min_flops is not None and not min_flops >= 0:
            raise ValueError(f"offload: min_flops must be a number >= 0, got {min_flops!r}")
        target = _offload_target(device)
        if target is not None:
            if min_flops is None:
                min_flops = default_min_flops(target.name)
            policy = OffloadPolicy(min_flops, target)
    _offload[0] = policy
    return _Restore(previous, policy)


def offload_policy():
    """The active OffloadPolicy, or None."""
    return _offload[0]


def offload_threshold():
    """The active threshold in FLOPs, or None when offloading is off or impossible."""
    policy = _offload[0]
    return None if policy is None else policy.min_flops


# --- calibration --------------------------------------------------------------------


def calibration_path():
    """$XDG_CACHE_HOME/tapegrad/offload.json (~/.cache/tapegrad/offload.json by default)."""
    root = os.environ.get('XDG_CACHE_HOME') or os.path.join(os.path.expanduser('~'), '.cache')
    return os.path.join(root, 'tapegrad', 'offload.json')


def _read_calibrations():
    try:
        with open(calibration_path()) as f:
            data = json.load(f)
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def load_calibration(device='cuda'):
    """The stored calibration of `device` ({'min_flops': ..., ...}), or None."""
    entry = _read_calibrations().get(_normalize(device))
    if not isinstance(entry, dict):
        return None
    value = entry.get('min_flops')
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
        return None                          # a damaged entry is ignored, not trusted
    return entry


def save_calibration(device, min_flops, **info):
    """Store `device`'s offload threshold (other devices' entries are kept); returns
    the file's path. Written to a temporary file and renamed: never half-written."""
    if not min_flops >= 0:
        raise ValueError(f"save_calibration: min_flops must be >= 0, got {min_flops!r}")
    path = calibration_path()
    data = _read_calibrations()
    data[_normalize(device)] = dict(info, min_flops=float(min_flops))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = f'{path}.{os.getpid()}.tmp'
    with open(tmp, 'w') as f:
        json.dump(data, f, indent=2, sort_keys=True)
        f.write('\n')
    os.replace(tmp, path)
    return path


def default_min_flops(device='cuda'):
    """The calibrated threshold of `device`, or DEFAULT_MIN_FLOPS."""
    entry = load_calibration(device)
    return DEFAULT_MIN_FLOPS if entry is None else float(entry['min_flops'])
