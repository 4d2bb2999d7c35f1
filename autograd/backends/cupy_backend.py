"""The GPU backend: CuPy, imported only when a CUDA device is first used.

Same interface as NumpyBackend, so every op runs unchanged on either: the
namespace `xp` is CuPy's (NumPy-compatible) plus the same extras. This module
imports without CuPy (its device-id parsing and kernel sources are plain Python);
CuPy itself is imported when a CupyBackend is made.

What differs from the CPU, and why:
- memory: CuPy's default memory pool serves every allocation (freed blocks are
  reused, so a training step does no cudaMalloc and no implicit synchronisation);
  memory_stats() reads it, empty_cache() releases its free blocks.
- mask_grad: the CPU version tests the product for inf/NaN with a reduction whose
  truth value needs the result on the host (a synchronisation per ReLU backward);
  on the GPU `where` costs the same as a multiply, so it is used directly.
- scatter_add: cupyx.scatter_add (atomicAdd) for the dtypes CUDA can add
  atomically; others (int64, int8/16, bool) go through the host exactly.
- random numbers: CuPy's cuRAND generator (cupy.random.RandomState) per device,
  seeded by ag.manual_seed, behind NumPy Generator method names.
- fused kernels (FUSED_KERNELS): the SGD and Adam/AdamW steps of nn.optim as one
  ElementwiseKernel each (one launch per parameter instead of about ten), for
  float32/float64 arrays, used only when ag.backends.set_fused(True) (off by
  default: no GPU has measured them yet). The optimizers' array code stays the
  reference and the fallback; activation gradients are plain CuPy expressions.
"""
import math
import re

from .device import device
from .numpy_backend import NumpyBackend, _namespace, mask_grad, prod_others, sum_to

_DEVICE = re.compile(r'cuda(?::(\d+))?')


def parse_device(name):
    """'cuda' -> 0, 'cuda:1' -> 1; anything else raises ValueError saying what is expected."""
    match = _DEVICE.fullmatch(str(name).strip())
    if match is None:
        raise ValueError(f"invalid CUDA device '{name}': expected 'cuda' or 'cuda:N' with N a "
                         "device index (0, 1, ...)")
    return int(match.group(1) or 0)


# dtypes cupyx.scatter_add accepts with integer-array indices (CUDA atomicAdd)
SCATTER_ADD_DTYPES = frozenset(('float16', 'float32', 'float64', 'int32', 'uint32', 'uint64'))

# name -> (in_params, out_params, operation): CUDA C bodies of cupy.ElementwiseKernel.
# Each computes one step of the nn.optim class named, exactly as its array code does.
FUSED_KERNELS = {
    # torch.optim.SGD with momentum, after the first step (the first copies g into buf)
    'sgd_momentum': (
        'T g, T lr, T momentum, T dampening, T weight_decay, bool nesterov', 'T p, T buf',
        'T d = g + weight_decay * p;'
        'buf = momentum * buf + ((T)1 - dampening) * d;'
        'p -= lr * (nesterov ? d + momentum * buf : buf)'),
    'sgd': ('T g, T lr, T weight_decay', 'T p', 'p -= lr * (g + weight_decay * p)'),
    # torch.optim.Adam / AdamW (decay = 1 - lr * weight_decay for AdamW, else 1)
    'adam': (
        'T g, T lr, T beta1, T beta2, T eps, T l2, T decay, T bc1, T bc2_sqrt',
        'T p, T m, T v',
        'T d = g + l2 * p;'
        'p *= decay;'
        'm = beta1 * m + ((T)1 - beta1) * d;'
        'v = beta2 * v + ((T)1 - beta2) * d * d;'
        'p -= (lr / bc1) * (m / (sqrt(v) / bc2_sqrt + eps))'),
}


class _Generator:
    """CuPy's cuRAND RandomState behind the NumPy Generator methods creation.py and nn
    call (random, standard_normal, integers, permutation, uniform, normal)."""

    def __init__(self, cupy, device, seed=None):
        self._cp = cupy
        self._device = device
        with device:
            self.state = cupy.random.RandomState(seed)

    def random(self, size=None, dtype='float64'):
        with self._device:
            return self.state.random_sample(size=size, dtype=dtype)

    def standard_normal(self, size=None, dtype='float64'):
        with self._device:
            return self.state.standard_normal(size=size, dtype=dtype)

    def normal(self, loc=0.0, scale=1.0, size=None, dtype='float64'):
        with self._device:
            return self.state.normal(loc, scale, size=size, dtype=dtype)

    def uniform(self, low=0.0, high=1.0, size=None, dtype='float64'):
        with self._device:
            return self.state.uniform(low, high, size=size, dtype=dtype)

    def integers(self, low, high=None, size=None, dtype='int64', endpoint=False):
        if high is None:
            low, high = 0, low
        if endpoint:
            high += 1
        with self._device:
            return self.state.randint(low, high, size=size, dtype=dtype)

    def permutation(self, n):
        with self._device:
            return self.state.permutation(n)


class CupyBackend(NumpyBackend):
    is_gpu = True

    def __init__(self, name='cuda:0'):
        import cupy                      # deferred: importing autograd stays light
        import cupyx
        self._cp = cupy
        self._cupyx = cupyx
        self._kernels = {}
        self.index = parse_device(name)
        self.name = device.of_backend(f'cuda:{self.index}')
        self.device = cupy.cuda.Device(self.index)
        self.array_type = cupy.ndarray
        # CuPy allocates through its default pool unless told otherwise: keep it so
        self.pool = cupy.get_default_memory_pool()
        self.pinned_pool = cupy.get_default_pinned_memory_pool()
        self.rng = _Generator(cupy, self.device)
        self.xp = _namespace(cupy, self._extras(cupy))

    def _extras(self, xp):
        extras = super()._extras(xp)
        extras['mask_grad'] = self._mask_grad
        return extras

    # --- conversion ---------------------------------------------------------------
    def asarray(self, obj, dtype=None):
        with self.device:
            return self._cp.asarray(obj, dtype=dtype)

    def to_numpy(self, a):
        return self._cp.asnumpy(a)

    def from_numpy(self, a):
        return self.asarray(a)

    # --- math ---------------------------------------------------------------------
    def _mask_grad(self, mask, g):
        """where(mask, g, 0): branch-free on the GPU and exact for inf/NaN, with no
        host round trip (the CPU version's finiteness test would synchronise)."""
        return self._cp.where(mask, g, g.dtype.type(0))

    def scatter_add(self, out, index, values):
        """out[index] += values, accumulating repeated indices."""
        cp = self._cp
        if out.dtype.name in SCATTER_ADD_DTYPES:
            if isinstance(values, cp.ndarray) and values.dtype != out.dtype:
                values = values.astype(out.dtype)
            self._cupyx.scatter_add(out, index, values)
        elif out.dtype.kind == 'c':                     # real and imaginary parts apart
            values = cp.asarray(values, dtype=out.dtype)
            self.scatter_add(out.real, index, values.real)
            self.scatter_add(out.imag, index, values.imag)
        else:                                           # no atomicAdd for it: exact on the host
            import numpy as np
            host = cp.asnumpy(out)
            np.add.at(host, _index_to_host(index, cp), cp.asnumpy(cp.asarray(values)))
            out[...] = cp.asarray(host)

    def erf(self, x):
        from cupyx.scipy.special import erf
        return erf(x).astype(x.dtype, copy=False)

    def erfinv(self, x):
        from cupyx.scipy.special import erfinv
        return erfinv(x).astype(x.dtype, copy=False)

    # --- fused kernels --------------------------------------------------------------
    def kernel(self, name):
        """The compiled cupy.ElementwiseKernel `name` of FUSED_KERNELS (built on first use)."""
        k = self._kernels.get(name)
        if k is None:
            in_params, out_params, body = FUSED_KERNELS[name]
            k = self._kernels[name] = self._cp.ElementwiseKernel(
                in_params, out_params, body, f'tapegrad_{name}')
        return k

    @staticmethod
    def _fusable(p, g):
        """The kernels are compiled for one floating dtype T shared by p and g."""
        return p.dtype == g.dtype and p.dtype.char in 'fd'

    def sgd_update(self, p, g, buf, lr, momentum, dampening, weight_decay, nesterov):
        """One nn.optim.SGD step as one kernel, in place on p (and buf). Returns False,
        having done nothing, where no kernel applies (other dtypes; the first momentum
        step, which makes the buffer): SGD's array code then runs."""
        if not self._fusable(p, g):
            return False
        if not momentum:
            self.kernel('sgd')(g, lr, weight_decay, p)
        elif buf is None:
            return False
        else:
            self.kernel('sgd_momentum')(g, lr, momentum, dampening, weight_decay,
                                        bool(nesterov), p, buf)
        return True

    def adam_update(self, p, g, m, v, lr, beta1, beta2, eps, weight_decay, step, decoupled):
        """One nn.optim.Adam (decoupled: AdamW) step as one kernel, in place on p, m, v;
        `step` counts from 1. False, having done nothing, for other dtypes."""
        if not self._fusable(p, g):
            return False
        l2 = 0.0 if decoupled else weight_decay
        decay = 1.0 - lr * weight_decay if decoupled else 1.0
        self.kernel('adam')(g, lr, beta1, beta2, eps, l2, decay, 1 - beta1 ** step,
                            math.sqrt(1 - beta2 ** step), p, m, v)
        return True

    # --- device -------------------------------------------------------------------
    def seed(self, s):
        self.rng = _Generator(self._cp, self.device, s)

    def synchronize(self):
        self.device.synchronize()

    def memory_stats(self):
        """Bytes in use and held by CuPy's pool on this device, and the device's own
        free/total memory."""
        with self.device:
            free, total = self._cp.cuda.runtime.memGetInfo()
            return {'used_bytes': self.pool.used_bytes(),
                    'total_bytes': self.pool.total_bytes(),
                    'free_bytes': self.pool.free_bytes(),
                    'n_free_blocks': self.pool.n_free_blocks(),
                    'device_free_bytes': free, 'device_total_bytes': total,
                    'pinned_free_blocks': self.pinned_pool.n_free_blocks()}

    def empty_cache(self):
        """Return the pool's free blocks to the device (the pinned pool's to the host)."""
        with self.device:
            self.pool.free_all_blocks()
        self.pinned_pool.free_all_blocks()

    def time_call(self, fn, iters=1):
        """Seconds per call of fn() over `iters` calls, measured with CUDA events on the
        current stream; the device is idle when the first event is recorded and the
        clock is read only after the last event has completed."""
        cp = self._cp
        with self.device:
            self.device.synchronize()
            start, end = cp.cuda.Event(), cp.cuda.Event()
            start.record()
            for _ in range(iters):
                fn()
            end.record()
            end.synchronize()
            return cp.cuda.get_elapsed_time(start, end) / 1e3 / iters

    def __repr__(self):
        return f"<backend {self.name}: cupy {self._cp.__version__}>"


def _index_to_host(index, cp):
    """An index (tuple or single) with every CuPy array in it copied to NumPy."""
    if isinstance(index, tuple):
        return tuple(cp.asnumpy(i) if isinstance(i, cp.ndarray) else i for i in index)
    return cp.asnumpy(index) if isinstance(index, cp.ndarray) else index


__all__ = ['CupyBackend', 'parse_device', 'FUSED_KERNELS', 'SCATTER_ADD_DTYPES', 'sum_to',
           'prod_others', 'mask_grad']
