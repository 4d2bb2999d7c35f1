"""The few places where nn touches the engine's internals or raw arrays.

Everything in nn that needs the engine's random generator, a version bump
after an in-place change, or a conversion between raw arrays and Tensors goes
through these helpers, so a change in the engine is mended here once.
"""
import numpy as np

import autograd as ag

_fallback_rng = np.random.default_rng(0)


def generator(device=None):
    """The engine's seeded numpy Generator (``ag.manual_seed`` makes it reproducible)."""
    fn = getattr(ag, "default_generator", None)
    if fn is not None:
        return fn("cpu")
    backends = getattr(ag, "backends", None)
    rng = getattr(backends.get("cpu"), "rng", None) if hasattr(backends, "get") else None
    return rng if rng is not None else _fallback_rng


def resolve_generator(gen):
    """``None`` -> the engine's generator; an int -> a fresh seeded Generator."""
    if gen is None:
        return generator()
    if isinstance(gen, np.random.Generator):
        return gen
    if isinstance(gen, (int, np.integer)):
        return np.random.default_rng(int(gen))
    if isinstance(gen, np.random.RandomState):
        return np.random.default_rng(gen.randint(0, 2**31 - 1))
    raise TypeError(f"generator must be a numpy Generator, an int seed or None, got {type(gen).__name__}")


def bump_version(t):
    """Tell the engine that ``t.array`` was changed in place (a no-op if it can't be told)."""
    fn = getattr(t, "_bump_version", None)
    if fn is not None:
        fn()


def xp_of(arr):
    """The array namespace (numpy or cupy) of a raw array."""
    if isinstance(arr, np.ndarray) or np.isscalar(arr):
        return np
    ns = getattr(arr, "__array_namespace__", None)
    if ns is not None:
        try:
            return ns()
        except Exception:
            pass
    return ag.backends.of_array(arr).xp      # the backend owns the GPU import


_BLOCK = 1 << 16


def add_scaled_(y, x, alpha):
    """y += alpha * x in place, with a temporary of at most 64K elements.

    NumPy has no axpy: `y += alpha * x` allocates a temporary as large as x (4 MB for a
    1024x1024 weight), which raised a training step's peak memory above PyTorch's
    (its add_(x, alpha=) needs none). Blocks also stay in cache. GPU arrays take the
    one-expression path: there each block would be a kernel launch (512 per 4096^2
    weight), and the memory pool makes the temporary cheap."""
    if y.size <= _BLOCK or type(y) is not np.ndarray \
            or not (y.flags.c_contiguous and x.flags.c_contiguous) or x.shape != y.shape:
        y += alpha * x
        return y
    yf, xf = y.reshape(-1), x.reshape(-1)          # views: both are C-contiguous
    for start in range(0, y.size, _BLOCK):
        stop = start + _BLOCK
        yf[start:stop] += alpha * xf[start:stop]
    return y


def to_numpy(x):
    """A numpy array from a Tensor, a numpy or cupy array, or anything array-like."""
    if isinstance(x, ag.Tensor):
        x = x.array
    if isinstance(x, np.ndarray):
        return x
    if hasattr(x, "get") and type(x).__module__.split(".")[0] == "cupy":
        return x.get()
    return np.asarray(x)


def wrap(arr, like=None):
    """A Tensor around a raw array (on ``like``'s device when given)."""
    if isinstance(arr, np.generic):
        arr = np.asarray(arr)
    if isinstance(arr, np.ndarray) and (like is None or str(like.device) == "cpu"):
        return ag.tensor(arr)
    if like is not None:
        return ag.tensor(arr, device=like.device)
    return ag.tensor(arr)


def array_like(value, like):
    """``value`` as a raw array with the dtype and on the device of Tensor ``like``."""
    if isinstance(value, ag.Tensor):
        value = value.array
    data = like.array
    if isinstance(data, np.ndarray):
        return np.asarray(to_numpy(value), dtype=data.dtype)
    if type(value) is type(data):
        return value.astype(data.dtype, copy=False)
    return ag.tensor(to_numpy(value).astype(data.dtype), device=like.device).array


def copy_into(t, value):
    """Copy ``value`` into ``t.array`` in place (same shape), then bump its version."""
    t.array[...] = array_like(value, t)
    bump_version(t)


def set_data(t, new):
    """Make ``t`` hold ``new``'s array (and device), keeping ``t``'s identity (``param.array = ...``)."""
    t.array = new.array
    if hasattr(new, "_backend"):
        t._backend = new._backend  # the engine keeps the device beside the array
    bump_version(t)


def copy_tensor(t):
    """A detached copy of a Tensor (same dtype, device and requires_grad); Parameters stay Parameters."""
    new = wrap(t.array.copy(), like=t)
    if type(t) is not type(new):
        return type(t)(new, requires_grad=t.requires_grad)
    if t.requires_grad:
        new.requires_grad_(True)
    return new
