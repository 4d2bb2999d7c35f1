"""The GPU backend: CuPy, imported only when a CUDA device is first used.

Same interface as NumpyBackend, so every op runs unchanged on either: the
namespace `xp` is CuPy's (NumPy-compatible) plus the same extras.
"""
from .numpy_backend import NumpyBackend, _namespace, mask_grad, prod_others, sum_to


class CupyBackend(NumpyBackend):
    is_gpu = True

    def __init__(self, name='cuda:0'):
        import cupy                      # deferred: importing autograd stays light
        import cupyx
        self._cp = cupy
        self._cupyx = cupyx
        self.name = name
        self.index = int(name.split(':')[1]) if ':' in name else 0
        self.array_type = cupy.ndarray
        with cupy.cuda.Device(self.index):
            self.rng = cupy.random.default_rng()
        self.xp = _namespace(cupy, self._extras(cupy))

    def asarray(self, obj, dtype=None):
        with self._cp.cuda.Device(self.index):
            return self._cp.asarray(obj, dtype=dtype)

    def to_numpy(self, a):
        return self._cp.asnumpy(a)

    def from_numpy(self, a):
        return self.asarray(a)

    def scatter_add(self, out, index, values):
        self._cupyx.scatter_add(out, index, values)

    def erf(self, x):
        from cupyx.scipy.special import erf
        return erf(x).astype(x.dtype, copy=False)

    def seed(self, s):
        with self._cp.cuda.Device(self.index):
            self.rng = self._cp.random.default_rng(s)

    def synchronize(self):
        self._cp.cuda.Device(self.index).synchronize()

    def memory_stats(self):
        pool = self._cp.get_default_memory_pool()
        return {'used_bytes': pool.used_bytes(), 'total_bytes': pool.total_bytes()}

    def __repr__(self):
        return f"<backend {self.name}: cupy {self._cp.__version__}>"


__all__ = ['CupyBackend', 'sum_to', 'prod_others', 'mask_grad']
