"""The dtype names programs write (ag.float32, ag.long, ...), and the default float dtype.

They are NumPy's dtypes, so `t.dtype == ag.long` and `np.zeros(3, ag.float)` both work.
PyTorch's short names shadow Python's builtins in this module and in `autograd`'s
namespace only, where they are PyTorch's (`torch.float` is float32, `torch.int` int32).
"""
from .backends.numpy_backend import np as _np      # naming dtypes, no computation

float16, float32, float64 = _np.float16, _np.float32, _np.float64
int8, int16, int32, int64, uint8, bool_ = _np.int8, _np.int16, _np.int32, _np.int64, _np.uint8, _np.bool_
complex64, complex128 = _np.complex64, _np.complex128
half, float, double = float16, float32, float64
short, int, long = int16, int32, int64
bool = bool_
cfloat, cdouble = complex64, complex128

_default = [float32]            # what Python floats and float factories give


def get_default_dtype():
    return _default[0]


def set_default_dtype(d):
    """The dtype of float factories (rand, zeros, ...), of Python floats in ag.tensor, and of
    int / int division. Only float16, float32 and float64 are accepted, as in PyTorch."""
    dtype = _np.dtype(check_dtype('set_default_dtype', d))
    if dtype.kind != 'f':
        raise TypeError(f"set_default_dtype: only floating-point types are supported as the "
                        f"default type, got {dtype}; use ag.float32 or ag.float64")
    _default[0] = dtype.type


def check_dtype(op, d):
    """`d` itself when it names a number or bool dtype; else a TypeError naming `op`, not
    NumPy's bare "data type 'foo' not understood" (once per factory call: not a hot path)."""
    try:
        kind = _np.dtype(d).kind
    except TypeError:
        kind = None
    if kind is None or kind not in 'biufc':
        from .errors import DtypeError
        raise DtypeError(f"{op}(): dtype must be a number or bool dtype such as ag.float32, "
                         f"ag.int64 or 'float64', got {d!r}")
    return d
