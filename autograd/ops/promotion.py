"""PyTorch's type promotion, for elementwise ops whose operands differ in dtype.

NumPy and PyTorch agree when the operands share a dtype, and on most mixes; they
differ where floats meet integers (float32 with an int64 array is float64 in NumPy,
float32 in PyTorch; an int tensor times 2.5 is float64 in NumPy, float32 in PyTorch)
and where a 0-d tensor meets a dimensioned one (PyTorch lets the dimensioned tensor's
dtype win within a category). So ops compute as NumPy does and, only when the result's
dtype is not the first operand's, ask `result_type` and recompute in its dtype: operands
of one dtype never reach this module.

The rules, as c10's ResultTypeState: operands fall in three groups, dimensioned
arrays, 0-d arrays and Python numbers (bool -> bool, int -> int64, float -> the
default dtype); each group promotes within itself, then a higher group's dtype wins
unless a lower group is of a higher category (bool < int < float < complex).
"""

from ..backends.numpy_backend import np      # dtype rules only, no computation
from ..dtypes import _default as _default_float

_CATEGORY = {'b': 0, 'u': 1, 'i': 1, 'f': 2, 'c': 3}
_NUMBERS = (bool, int, float, complex)


def promote_types(a, b):
    """Two dtypes: a bool or integer dtype meeting a higher category gives way to it
    (int64 with float16 is float16); otherwise NumPy's rule, which is PyTorch's."""
    ca, cb = _CATEGORY[a.kind], _CATEGORY[b.kind]
    if ca != cb and min(ca, cb) <= 1:
        return a if ca > cb else b
    return np.promote_types(a, b)


def _combine(higher, lower):
    """c10's combine_categories: `higher` is the group that wins within a category."""
    if higher is None or lower is None:
        return lower if higher is None else higher
    if higher.kind == 'c':
        return higher
    if lower.kind == 'c':
        return np.result_type(higher, np.complex64) if higher.kind == 'f' else lower
    if higher.kind == 'f':
        return higher
    if higher.kind == 'b' or lower.kind == 'f':
        return promote_types(higher, lower)
    return higher


def _number_dtype(x):
    if isinstance(x, bool):
        return np.dtype(np.bool_)
    if isinstance(x, int):
        return np.dtype(np.int64)
    default = np.dtype(_default_float[0])
    return default if isinstance(x, float) else np.result_type(default, np.complex64)


def result_type(*operands):
    """PyTorch's result dtype for arrays (0-d or not), lists and Python numbers."""
    groups = [None, None, None]             # dimensioned, 0-d, Python numbers
    for x in operands:
        if isinstance(x, _NUMBERS):
            k, dtype = 2, _number_dtype(x)
        else:
            dtype = getattr(x, 'dtype', None)
            if dtype is None:               # a list or tuple of numbers
                x = np.asarray(x)
                dtype = x.dtype
            k = 0 if x.ndim else 1
        groups[k] = dtype if groups[k] is None else promote_types(groups[k], dtype)
    return _combine(groups[0], _combine(groups[1], groups[2]))


def _cast(x, dtype):
    if isinstance(x, _NUMBERS):
        return x                            # a weak Python number takes the array's dtype
    return x.astype(dtype, copy=False) if hasattr(x, 'astype') else np.asarray(x, dtype=dtype)


def recompute(op, out, *operands, floating=False):
    """`out` (op's result as NumPy typed it) again, in PyTorch's dtype when that differs.
    `floating`: the result is at least the default float (true division)."""
    dtype = result_type(*operands)
    if floating and dtype.kind not in 'fc':
        dtype = np.dtype(_default_float[0])
    if dtype == out.dtype:
        return out
    out = op(*[_cast(x, dtype) for x in operands])
    return out if out.dtype == dtype else out.astype(dtype)    # Python numbers only
