"""The public math functions: PyTorch's signatures, NumPy's aliases (axis=, keepdims=).

Each is a thin call of one op (ops/elementwise.py, reduce.py, softmax.py,
linalg.py) or a composition of them; compositions need no backward of their own.
A plain one-input op needs no function here: its line in the op table
(ops/__init__.py) builds ag.<name> with `unary` below.
"""
import builtins
import collections

from ..function import apply_fast
from ..tensor import Tensor, as_array, make_tensor
from . import elementwise as E, linalg as L, reduce as R, softmax as S

MaxResult = collections.namedtuple('max', ['values', 'indices'])


def tensor_of(x, like=None):
    """Tensors pass through; arrays and lists become constant tensors (on `like`'s device)."""
    if isinstance(x, Tensor):
        return x
    data, backend = as_array(x, device=None if like is None else like._backend)
    return make_tensor(data, backend, False, None, None)


def no_grad_result(like, array):
    """Wrap the raw result of a non-differentiable op (NumPy scalars become 0-d arrays)."""
    return make_tensor(like._backend.asarray(array), like._backend, False, None, None)


def operand(x, like):
    """Python scalars stay scalars (they take the tensor's dtype); the rest become tensors."""
    return x if isinstance(x, (int, float, bool, Tensor)) else tensor_of(x, like)


def _dim(dim, axis):
    return axis if dim is None else dim


def _keep(keepdim, keepdims):
    return bool(keepdims) if keepdims is not None else bool(keepdim)


# --- arithmetic --------------------------------------------------------------------
def add(a, b, alpha=1):
    a = tensor_of(a, b if isinstance(b, Tensor) else None)
    return E.Add.apply(a, operand(b, a) if alpha == 1 else operand(b, a) * alpha)


def sub(a, b, alpha=1):
    a = tensor_of(a, b if isinstance(b, Tensor) else None)
    return E.Sub.apply(a, operand(b, a) if alpha == 1 else operand(b, a) * alpha)


def binary(op, name):
    """ag.<name> for a two-operand op: either side may be a Python number or an array."""
    def fn(a, b):
        a = tensor_of(a, b if isinstance(b, Tensor) else None)
        return op.apply(a, operand(b, a))
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"Elementwise {name} with broadcasting (differentiable)."
    return fn


def unary(op, name):
    """ag.<name> for a one-input op: arrays and lists become constant tensors."""
    def fn(x):
        return op.apply(tensor_of(x))
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"Elementwise {name} (differentiable)."
    return fn


mul, div = binary(E.Mul, 'mul'), binary(E.Div, 'div')
floor_divide = binary(E.FloorDivide, 'floor_divide')
remainder, fmod = binary(E.Remainder, 'remainder'), binary(E.Fmod, 'fmod')


def pow(a, b):
    if not isinstance(a, Tensor):
        return E.Pow.apply(operand(a, b), b)
    return E.Pow.apply(a, operand(b, a))


def round(x, decimals=0):
    return E.Round.apply(tensor_of(x), decimals=decimals)


def rsqrt(x):
    return E.Pow.apply(tensor_of(x), -0.5)


def leaky_relu(x, negative_slope=0.01):
    return E.LeakyRelu.apply(x, slope=negative_slope)


def elu(x, alpha=1.0):
    return E.Elu.apply(x, alpha=alpha)


def gelu(x, approximate='none'):
    if approximate not in ('none', 'tanh'):
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return E.Gelu.apply(x, approximate=approximate)


def softplus(x, beta=1.0, threshold=20.0):
    return E.Softplus.apply(x, beta=beta, threshold=threshold)


def clamp(x, min=None, max=None):
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        out = x if min is None else maximum(x, min)
        return out if max is None else minimum(out, max)
    return E.Clamp.apply(x, min=min, max=max)


clip = clamp


def maximum(a, b):
    a = tensor_of(a, b if isinstance(b, Tensor) else None)
    return E.Maximum.apply(a, operand(b, a))


def minimum(a, b):
    a = tensor_of(a, b if isinstance(b, Tensor) else None)
    return E.Minimum.apply(a, operand(b, a))


def where(condition, a=None, b=None):
    """where(cond, a, b) picks elementwise; where(cond) alone gives the indices, as NumPy."""
    like = next((t for t in (condition, a, b) if isinstance(t, Tensor)), None)
    condition = tensor_of(condition, like)
    if a is None and b is None:
        return tuple(tensor_of(i, condition) for i in condition._backend.xp.nonzero(condition.array))
    if condition.dtype != bool:
        from ..errors import DtypeError
        raise DtypeError(f"where: the condition must be a bool tensor, got {condition.dtype} "
                         "(use cond != 0 or cond.bool())")
    return E.Where.apply(condition, operand(a, condition), operand(b, condition))


# --- comparisons: no gradient, boolean results --------------------------------------
def _compare(name):
    def compare(a, b):
        a = tensor_of(a, b if isinstance(b, Tensor) else None)
        if isinstance(b, Tensor):
            if b._backend is not a._backend:
                from ..errors import mixed_devices
                raise mixed_devices(name, (a, b))
            b = b.array
        try:
            return no_grad_result(a, getattr(a._backend.xp, name)(a.array, b))
        except ValueError as e:
            from ..errors import op_failed
            raise op_failed(name, (a, b), e) from None
    return compare


eq, ne, lt, le, gt, ge = map(_compare, ('equal', 'not_equal', 'less', 'less_equal', 'greater',
                                        'greater_equal'))


def _predicate(name):
    def predicate(x):
        x = tensor_of(x)
        return no_grad_result(x, getattr(x._backend.xp, name)(x.array))
    predicate.__name__ = name
    return predicate


isnan, isinf, isfinite = map(_predicate, ('isnan', 'isinf', 'isfinite'))


def allclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    a, b = tensor_of(a), tensor_of(b, a)
    if b._backend is not a._backend:
        from ..errors import mixed_devices
        raise mixed_devices('allclose', (a, b))
    from ..errors import broadcast_shape
    broadcast_shape('allclose', a, b)
    return bool(a._backend.xp.allclose(a.array, b.array, rtol=rtol, atol=atol, equal_nan=equal_nan))


def equal(a, b):
    a, b = tensor_of(a), tensor_of(b, a)
    return a.shape == b.shape and bool((a.array == b.array).all())


# --- reductions ------------------------------------------------------------------
def _reduce(op):
    def reduce(x, dim=None, keepdim=False, *, axis=None, keepdims=None, dtype=None):
        x = tensor_of(x)
        if dtype is not None:
            x = x.type(dtype)
        return op.apply(x, axis=_dim(dim, axis), keepdims=_keep(keepdim, keepdims))
    reduce.__name__ = op.__name__.lower()
    return reduce


sum, mean, prod, amax, amin, logsumexp = map(_reduce, (R.Sum, R.Mean, R.Prod, R.Amax, R.Amin,
                                                         R.LogSumExp))


def _extreme(amaxmin, argfn, pairwise):
    def extreme(x, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """No dim: the value (ties share the gradient). With dim: (values, indices)."""
        if isinstance(dim, Tensor):
            return pairwise(x, dim)
        d, k = _dim(dim, axis), _keep(keepdim, keepdims)
        if d is None:
            return amaxmin(x)
        from .shape_api import take_along_dim
        idx = argfn(x, d, keepdim=True)
        values = take_along_dim(x, idx, d)
        if not k:
            values, idx = values.squeeze(d), idx.squeeze(d)
        return MaxResult(values, idx)
    return extreme


def _arg(name):
    def arg(x, dim=None, keepdim=False, *, axis=None, keepdims=None):
        x = tensor_of(x)
        d, k = _dim(dim, axis), _keep(keepdim, keepdims)
        if d is not None:
            R.normalize_axes(d, x.ndim, name)
        return no_grad_result(x, getattr(x._backend.xp, name)(x.array, axis=d, keepdims=k))
    arg.__name__ = name
    return arg


argmax, argmin = _arg('argmax'), _arg('argmin')
any, all = _arg('any'), _arg('all')
max = _extreme(amax, argmax, maximum)
min = _extreme(amin, argmin, minimum)


def var(x, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None, keepdims=None):
    d, k = _dim(dim, axis), _keep(keepdim, keepdims)
    if correction is None:
        correction = 0 if unbiased is False else 1
    axes = R.normalize_axes(d, x.ndim, 'var')
    n = 1
    for a in axes:
        n *= x.shape[a]
    centered = x - mean(x, axes, keepdim=True)
    return sum(centered * centered, axes, keepdim=k) / builtins.max(n - correction, 0)


def std(x, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None, keepdims=None):
    R.normalize_axes(_dim(dim, axis), x.ndim, 'std')
    return E.Sqrt.apply(var(x, dim, unbiased, keepdim, correction=correction, axis=axis,
                            keepdims=keepdims))


def norm(x, p='fro', dim=None, keepdim=False, *, axis=None, keepdims=None):
    d, k = _dim(dim, axis), _keep(keepdim, keepdims)
    if p in ('fro', 2, 2.0):
        return R.Norm2.apply(x, axis=d, keepdims=k)
    size = E.Abs.apply(x)
    if p in (float('inf'), 'inf'):
        return amax(size, d, k)
    if p in (float('-inf'), '-inf'):
        return amin(size, d, k)
    if p == 1:
        return sum(size, d, k)
    return sum(size ** p, d, k) ** (1.0 / p)


# --- softmax family and linear algebra -----------------------------------------------
def softmax(x, dim=-1, *, axis=None):
    return S.Softmax.apply(x, axis=_dim(dim, axis) if axis is not None else dim)


def log_softmax(x, dim=-1, *, axis=None):
    return S.LogSoftmax.apply(x, axis=_dim(dim, axis) if axis is not None else dim)


def matmul(a, b):
    a = tensor_of(a, b if isinstance(b, Tensor) else None)
    b = tensor_of(b, a)
    if a.ndim == 0 or b.ndim == 0:
        from ..errors import shape_error
        raise shape_error('matmul', 'both operands need at least one dimension (use * for '
                          'scalars)', a, b)
    if a.ndim >= 2 and b.ndim >= 2:
        return apply_fast(L.MatMul, a, b)
    if a.shape[-1] != b.shape[0 if b.ndim == 1 else -2]:
        from ..errors import shape_error
        raise shape_error('matmul', f'the last dim of the first ({a.shape[-1]}) must equal the '
                          f'{"only" if b.ndim == 1 else "second-to-last"} dim of the second '
                          f'({b.shape[0 if b.ndim == 1 else -2]})', a, b)
    a2 = a.reshape(1, -1) if a.ndim == 1 else a
    b2 = b.reshape(-1, 1) if b.ndim == 1 else b
    out = L.MatMul.apply(a2, b2)
    if b.ndim == 1:
        out = out.squeeze(-1)
    if a.ndim == 1:
        out = out.squeeze(-1 if b.ndim == 1 else -2)
    return out


def einsum(equation, *operands):
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    like = next((t for t in operands if isinstance(t, Tensor)), None)
    return L.Einsum.apply(*(tensor_of(t, like) for t in operands), equation=equation)


def _vectors(op, a, b):
    a = tensor_of(a, b if isinstance(b, Tensor) else None)
    b = tensor_of(b, a)
    if a.ndim != 1 or b.ndim != 1:
        from ..errors import shape_error
        raise shape_error(op, f'expects two 1-D tensors, got {a.ndim}-D and {b.ndim}-D '
                          '(flatten them first)', a, b)
    return a, b


def outer(a, b):
    a, b = _vectors('outer', a, b)
    return a.reshape(-1, 1) * b.reshape(1, -1)


def dot(a, b):
    a, b = _vectors('dot', a, b)
    if a.shape != b.shape:
        from ..errors import shape_error
        raise shape_error('dot', f'the two vectors must have the same length, got {a.shape[0]} '
                          f'and {b.shape[0]}', a, b)
    return matmul(a, b)

