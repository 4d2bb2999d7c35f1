"""The CPU backend: NumPy.

A backend is one object per device. Ops reach the device's math only through
`backend.xp`, an array namespace with NumPy's names and signatures plus the
few extras that backward formulas need (`sum_to`, `index_add`, ...). Keeping
every NumPy call behind this object is what lets the CuPy backend reuse every
op unchanged.
"""
import math
import time
from types import SimpleNamespace

import numpy as np

from .device import device


class _ArrayNamespace(SimpleNamespace):
    """An array module's loaded names plus extras: lookups are plain dict lookups;
    a name not copied (a lazily imported submodule such as `fft`) is fetched from
    the module on first use."""

    def __getattr__(self, name):
        value = getattr(self.__dict__['_module'], name)
        setattr(self, name, value)
        return value


def _namespace(module, extras):
    """The module's public names plus `extras`, in one flat namespace.

    Only names already in the module's dict are copied: asking for every name in
    dir(numpy) would import its lazy submodules (f2py, testing, ...) and double
    the import time of autograd.
    """
    names = {k: v for k, v in vars(module).items() if not k.startswith('_')}
    names.update(extras)
    return _ArrayNamespace(_module=module, **names)


def sum_to(xp, g, shape):
    """Sum `g` over the dimensions broadcasting added or stretched, back to `shape`."""
    lead = g.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        i + lead for i, n in enumerate(shape) if n == 1 and g.shape[i + lead] != 1)
    if axes:
        g = g.sum(axis=axes, keepdims=True)
        if lead:
            g = g.reshape(shape)
    return g


def mask_grad(xp, mask, g):
    """where(mask, g, 0), exactly, at the speed of a multiply.

    np.where branches per element and a random mask (ReLU's) mispredicts: it is
    ~15x slower than g * mask. The product is only wrong where g is inf/NaN and the
    mask is False (inf * 0 = NaN), so that case takes where. The check sums g first (no
    temporary): any inf/NaN in it makes the sum non-finite, and checking before the
    product means NumPy never computes inf * 0 (no spurious RuntimeWarning); an
    overflowing sum only sends a correct case down the exact path.
    """
    if g.dtype.kind in 'fc' and not xp.isfinite(g.sum()):
        return xp.where(mask, g, 0)
    return g * mask


def prod_others(xp, a, axis):
    """For each element, the product of the other elements along `axis`.

    Exclusive prefix and suffix products, so zeros are handled exactly
    (dividing the product by the element is not).
    """
    a = xp.moveaxis(a, axis, -1)
    ones = xp.ones(a.shape[:-1] + (1,), dtype=a.dtype)
    left = xp.cumprod(xp.concatenate([ones, a[..., :-1]], axis=-1), axis=-1)
    right = xp.flip(xp.cumprod(xp.concatenate([ones, xp.flip(a, -1)[..., :-1]], axis=-1), axis=-1), -1)
    return xp.moveaxis(left * right, -1, axis)


class NumpyBackend:
    """The CPU device. `name` is the device string tensors report."""
    array_type = np.ndarray
    is_gpu = False

    def __init__(self, name='cpu'):
        self.name = device.of_backend(name)     # a str: what tensors report as .device
        self.rng = np.random.default_rng()
        self.xp = _namespace(np, self._extras(np))

    def _extras(self, xp):
        def index_add(shape, index, values):
            """zeros(shape) with `values` added at `index` (repeated indices accumulate)."""
            out = xp.zeros(shape, dtype=values.dtype)
            if any(getattr(k, 'dtype', None) is not None and k.dtype.kind in 'iu' for k in index):
                self.scatter_add(out, index, values)
            else:                     # slices and masks never repeat an element
                out[index] = values
            return out
        return dict(
            sum_to=lambda g, shape: sum_to(xp, g, shape),
            prod_others=lambda a, axis: prod_others(xp, a, axis),
            mask_grad=lambda mask, g: mask_grad(xp, mask, g),
            index_add=index_add,
            erf=self.erf,
            erfinv=self.erfinv,
            astype=lambda a, dtype: a.astype(dtype, copy=False),
        )

    # --- conversion -------------------------------------------------------
    def asarray(self, obj, dtype=None):
        return np.asarray(obj, dtype=dtype)

    def to_numpy(self, a):
        return a

    def from_numpy(self, a):
        return a

    # --- math the namespace cannot express -----------------------------------
    @staticmethod
    def scatter_add(out, index, values):
        """out[index] += values, accumulating repeated indices (np.add.at)."""
        np.add.at(out, index, values)

    def min_max(self, a):
        """(min, max) of a non-empty array as Python numbers, in one device-to-host copy
        (bounds checks: on a GPU each int() of a reduction would synchronise)."""
        return tuple(self.xp.stack((a.min(), a.max())).tolist())

    @staticmethod
    def erf(x):
        try:                      # SciPy's vectorised erf when it is installed
            from scipy.special import erf
            return erf(x).astype(x.dtype, copy=False)
        except ImportError:       # math.erf is exact to double precision, but per element
            return np.vectorize(math.erf, otypes=[x.dtype])(x) if x.size else x.copy()

    def erfinv(self, x):
        try:                      # SciPy's when it is installed
            from scipy.special import erfinv
            return erfinv(x).astype(x.dtype, copy=False)
        except ImportError:
            pass
        # Giles' single-precision approximation ("Approximating the erfinv function",
        # 2010), then two Newton steps on erf(y) = x: exact to double precision
        with np.errstate(all='ignore'):    # |x| >= 1 is mapped below
            w = -np.log((1.0 - x) * (1.0 + x))
            small = w - 2.5
            big = np.sqrt(np.maximum(w, 5.0)) - 3.0
            p_small = np.polyval([2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06,
                                  0.00021858087, -0.00125372503, -0.00417768164, 0.246640727,
                                  1.50140941], small)
            p_big = np.polyval([-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844,
                                0.00573950773, -0.0076224613, 0.00943887047, 1.00167406,
                                2.83297682], big)
            y = np.where(w < 5.0, p_small, p_big) * x
            for _ in range(2):
                y = y - (self.erf(y) - x) / (2 / math.sqrt(math.pi) * np.exp(-y * y))
            y = np.where(np.abs(x) == 1, np.copysign(np.inf, x), y)
            return np.where(np.abs(x) > 1, np.nan, y).astype(x.dtype, copy=False)

    # --- device -------------------------------------------------------------
    def seed(self, s):
        self.rng = np.random.default_rng(s)

    def synchronize(self):
        pass

    def memory_stats(self):
        return {}

    def empty_cache(self):
        pass

    def time_call(self, fn, iters=1):
        """Seconds per call of fn(), over `iters` calls in a row (the GPU backend waits
        for the device before the clock starts and before it stops)."""
        t0 = time.perf_counter()
        for _ in range(iters):
            fn()
        return (time.perf_counter() - t0) / iters

    def __repr__(self):
        return f"<backend {self.name}: numpy {np.__version__}>"


# The dtypes users name (ag.float32, ...): NumPy's own, as the API promises.
float16, float32, float64 = np.float16, np.float32, np.float64
int8, int16, int32, int64, uint8, bool_ = np.int8, np.int16, np.int32, np.int64, np.uint8, np.bool_


class Generator(np.random.Generator):
    """torch.Generator: a NumPy Generator, so every `generator=` here takes it, with
    PyTorch's methods (`Generator().manual_seed(42)` returns the generator)."""

    def __init__(self, device='cpu'):
        seed = int(np.random.SeedSequence().entropy) % 2 ** 63
        super().__init__(np.random.PCG64(seed))
        self.device = device
        self._initial_seed = seed

    def manual_seed(self, seed):
        self.bit_generator.state = np.random.PCG64(int(seed)).state
        self._initial_seed = int(seed)
        return self

    def initial_seed(self):
        return self._initial_seed

    def seed(self):
        """Reseed from fresh entropy; returns the new seed."""
        seed = int(np.random.SeedSequence().entropy) % 2 ** 63
        self.manual_seed(seed)
        return seed

    def get_state(self):
        return self.bit_generator.state

    def set_state(self, state):
        self.bit_generator.state = state
        return self
