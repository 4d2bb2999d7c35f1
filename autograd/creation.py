"""Factories (tensor, zeros, randn, ...) and the seeded random generators.

Each takes dtype=, device= and requires_grad= keywords; floating factories
default to float32 (ag.set_default_dtype) and land on the default device (set_default_device).
"""
from . import backends, errors
from .dtypes import _default as _default_float, check_dtype
from .tensor import Tensor, as_array, make_tensor


def _dt(dtype, default=None, op='tensor'):
    # not `dtype or default`: NumPy dtypes are falsy (len() of a plain dtype is 0)
    if dtype is not None:
        return check_dtype(op, dtype)
    return _default_float[0] if default is None else default


def _finish(data, backend, requires_grad):
    t = make_tensor(data, backend, False, None, None)
    return t.requires_grad_() if requires_grad else t


def _shape(size, op='tensor'):
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = size[0]
    return tuple(errors.check_size(op, f'size {tuple(size)}: each dim', n) for n in size)


def _array(data, dtype, device, op):
    """as_array, refusing what is not numbers (None, strings, ragged lists) as PyTorch does."""
    if dtype is not None:
        check_dtype(op, dtype)
    try:
        array, backend = as_array(data, dtype, device)
    except (ValueError, TypeError) as e:
        raise errors.DataError(f"{op}: can't make a tensor of {type(data).__name__} "
                                f"{_short(data)}: {e}") from None
    if array.dtype.kind not in 'biufc':
        raise errors.DataError(
            f"{op}: can't make a tensor of {type(data).__name__} {_short(data)}: its elements "
            f"are not numbers or bools (NumPy dtype {array.dtype}); pass numbers, nested "
            "lists of numbers, or an array")
    return array, backend


def _short(data):
    text = repr(data)
    return text if len(text) <= 60 else text[:57] + '...'


def tensor(data, dtype=None, device=None, requires_grad=False):
    """A new tensor holding a copy of `data` (Python floats -> float32, ints -> int64)."""
    array, backend = _array(data, dtype, device, 'tensor')
    if isinstance(data, Tensor) or array is data:
        array = array.copy()
    return _finish(array, backend, requires_grad)


def as_tensor(data, dtype=None, device=None):
    array, backend = _array(data, dtype, device, 'as_tensor')
    return _finish(array, backend, False)


def from_numpy(array):
    """A CPU tensor sharing memory with the NumPy array."""
    return _finish(backends.get('cpu').asarray(array), backends.get('cpu'), False)


def _filled(fill, size, dtype, device, requires_grad, op):
    backend = backends.get(device)
    data = backend.xp.full(_shape(size, op), fill, dtype=_dt(dtype, op=op))
    return _finish(data, backend, requires_grad)


def zeros(*size, dtype=None, device=None, requires_grad=False):
    return _filled(0, size, dtype, device, requires_grad, 'zeros')


def ones(*size, dtype=None, device=None, requires_grad=False):
    return _filled(1, size, dtype, device, requires_grad, 'ones')


def empty(*size, dtype=None, device=None, requires_grad=False):
    return _filled(0, size, dtype, device, requires_grad, 'empty')


def full(size, fill_value, dtype=None, device=None, requires_grad=False):
    if dtype is None and isinstance(fill_value, bool):
        dtype = 'bool'
    elif dtype is None and isinstance(fill_value, int):
        dtype = 'int64'
    return _filled(fill_value, (size,) if isinstance(size, int) else tuple(size), dtype, device,
                   requires_grad, 'full')


def zeros_like(t, dtype=None, device=None, requires_grad=False):
    return zeros(t.shape, requires_grad=requires_grad, **_like(t, dtype, device, 'zeros_like'))


def ones_like(t, dtype=None, device=None, requires_grad=False):
    return ones(t.shape, requires_grad=requires_grad, **_like(t, dtype, device, 'ones_like'))


def empty_like(t, dtype=None, device=None, requires_grad=False):
    return empty(t.shape, requires_grad=requires_grad, **_like(t, dtype, device, 'empty_like'))


def full_like(t, fill_value, dtype=None, device=None, requires_grad=False):
    return full(t.shape, fill_value, requires_grad=requires_grad,
                **_like(t, dtype, device, 'full_like'))


def eye(n, m=None, dtype=None, device=None, requires_grad=False):
    errors.check_size('eye', 'n', n)
    if m is not None:
        errors.check_size('eye', 'm', m)
    backend = backends.get(device)
    return _finish(backend.xp.eye(n, m, dtype=_dt(dtype, op='eye')), backend, requires_grad)


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad=False):
    """Integers give int64, any float gives float32 (PyTorch's rule)."""
    if end is None:
        start, end = 0, start
    if dtype is None:
        dtype = 'int64' if all(isinstance(v, int) for v in (start, end, step)) else _dt(None)
    else:
        check_dtype('arange', dtype)
    if step == 0:
        raise errors.ShapeError(f"arange: step must be nonzero, got {step} "
                                f"(start={start}, end={end})")
    if (end - start) * step < 0:
        raise errors.ShapeError(f"arange: start={start} and end={end} are inconsistent with "
                                f"the sign of step={step}; swap them or negate the step")
    backend = backends.get(device)
    return _finish(backend.xp.arange(start, end, step, dtype=dtype), backend, requires_grad)


def linspace(start, end, steps, dtype=None, device=None, requires_grad=False):
    errors.check_size('linspace', 'steps', steps)
    backend = backends.get(device)
    return _finish(backend.xp.linspace(start, end, steps, dtype=_dt(dtype, op='linspace')), backend,
                   requires_grad)


def logspace(start, end, steps, base=10.0, dtype=None, device=None, requires_grad=False):
    """base ** linspace(start, end, steps)."""
    errors.check_size('logspace', 'steps', steps)
    backend = backends.get(device)
    data = backend.xp.logspace(start, end, steps, base=base).astype(_dt(dtype, op='logspace'))
    return _finish(data, backend, requires_grad)


# --- random ---------------------------------------------------------------------
def manual_seed(seed):
    """Seed every backend's generator (CPU, and each GPU already in use or used later)."""
    _seed[0] = int(seed)
    for backend in backends.all_created():
        backend.seed(seed)


_seed = [None]


def default_generator(device=None):
    """The generator factories use on `device`: a numpy (or cupy) Generator."""
    backend = backends.get(device)
    if getattr(backend, '_seeded', None) != _seed[0] and _seed[0] is not None:
        backend.seed(_seed[0])          # a GPU first used after manual_seed
    backend._seeded = _seed[0]
    return backend.rng


def _generator(generator, device):
    return default_generator(device) if generator is None else generator


def rand(*size, generator=None, dtype=None, device=None, requires_grad=False):
    backend = backends.get(device)
    data = _generator(generator, device).random(_shape(size, 'rand'), dtype=_dt(dtype, op='rand'))
    return _finish(backend.asarray(data), backend, requires_grad)


def randn(*size, generator=None, dtype=None, device=None, requires_grad=False):
    backend = backends.get(device)
    data = _generator(generator, device).standard_normal(_shape(size, 'randn'),
                                                         dtype=_dt(dtype, op='randn'))
    return _finish(backend.asarray(data), backend, requires_grad)


def randint(low, high=None, size=None, *, generator=None, dtype=None, device=None,
            requires_grad=False):
    """Integers in [low, high): randint(high, size) or randint(low, high, size), as PyTorch."""
    if size is None and high is not None and not isinstance(high, int):
        low, high, size = 0, low, high          # randint(high, size)
    elif high is None:
        low, high = 0, low                      # randint(high, size=...)
    if size is None:
        raise TypeError("randint: missing the size argument: randint(high, size) or "
                        "randint(low, high, size), e.g. randint(10, (3,))")
    if low >= high:
        raise errors.ShapeError(f"randint: low ({low}) must be less than high ({high})")
    backend = backends.get(device)
    data = _generator(generator, device).integers(low, high, size=_shape((size,), 'randint'),
                                                  dtype='int64')
    return _finish(backend.asarray(data).astype(_dt(dtype, 'int64', 'randint'), copy=False),
                   backend,
                   requires_grad)


def randperm(n, *, generator=None, dtype=None, device=None, requires_grad=False):
    errors.check_size('randperm', 'n', n)
    backend = backends.get(device)
    data = backend.asarray(_generator(generator, device).permutation(n))
    data = data.astype(_dt(dtype, 'int64', 'randperm'))
    return _finish(data, backend, requires_grad)


def normal(mean, std=1.0, size=None, *, generator=None, dtype=None, device=None,
           requires_grad=False):
    """Normal draws: elementwise for tensor `mean`/`std` (broadcast), or of `size` for numbers."""
    like = mean if isinstance(mean, Tensor) else std if isinstance(std, Tensor) else None
    if like is not None:
        m = mean.array if isinstance(mean, Tensor) else mean
        sd = std.array if isinstance(std, Tensor) else std
        backend = like._backend
        shape = backend.xp.broadcast_shapes(backend.xp.shape(m), backend.xp.shape(sd))
        z = backend.asarray(_generator(generator, like.device).standard_normal(shape))
        return _finish((z * sd + m).astype(like.dtype), backend, requires_grad)
    if size is None:
        raise TypeError("normal: give `size` when mean and std are numbers, e.g. normal(0, 1, (3,))")
    out = randn(size, generator=generator, dtype=dtype, device=device) * std + mean
    return out.requires_grad_() if requires_grad else out


def _like(t, dtype, device, op):
    return dict(dtype=_dt(dtype, t.dtype, op), device=device or t.device)


def rand_like(t, dtype=None, device=None, requires_grad=False):
    return rand(t.shape, requires_grad=requires_grad, **_like(t, dtype, device, 'rand_like'))


def randn_like(t, dtype=None, device=None, requires_grad=False):
    return randn(t.shape, requires_grad=requires_grad, **_like(t, dtype, device, 'randn_like'))


def randint_like(t, low=0, high=None, *, dtype=None, device=None, requires_grad=False):
    """randint_like(t, high) or randint_like(t, low, high), in t's dtype by default."""
    if high is None:
        low, high = 0, low
    return randint(low, high, t.shape, requires_grad=requires_grad,
                   **_like(t, dtype, device, 'randint_like'))


# --- the legacy typed constructors: torch.FloatTensor(2, 3), torch.LongTensor([1, 2]) -------
class _TypedTensor(type):
    """isinstance(t, ag.FloatTensor) asks t's dtype, as PyTorch's legacy types do."""

    def __instancecheck__(cls, obj):
        return isinstance(obj, Tensor) and obj.dtype == cls.dtype

    def __call__(cls, *args, device=None):
        """Sizes give a zero tensor of that shape; one sequence or array gives its data."""
        if all(isinstance(n, int) and not isinstance(n, bool) for n in args):
            return zeros(*(args or (0,)), dtype=cls.dtype, device=device)    # () -> empty
        if len(args) > 1:
            raise TypeError(f"{cls.__name__}: expected sizes (ints) or one sequence of data, "
                            f"got {args!r}")
        return tensor(args[0], dtype=cls.dtype, device=device)


def _typed(name, dtype):
    return _TypedTensor(name, (), {'dtype': dtype, '__doc__': f'A {dtype} tensor (legacy form).'})


FloatTensor, DoubleTensor, HalfTensor = (_typed('FloatTensor', 'float32'),
                                         _typed('DoubleTensor', 'float64'),
                                         _typed('HalfTensor', 'float16'))
LongTensor, IntTensor, ByteTensor, BoolTensor = (_typed('LongTensor', 'int64'),
                                                 _typed('IntTensor', 'int32'),
                                                 _typed('ByteTensor', 'uint8'),
                                                 _typed('BoolTensor', 'bool'))
