"""Every public op, in two tables: `FUNCTIONS` (ag.<name>) and `METHODS` (Tensor.<name>).

These tables are the single list of the public surface: `autograd/__init__`
exports FUNCTIONS, the Tensor class gets METHODS, and the gradient-check test
requires a row for every entry, so an op cannot be exported untested.
"""
from ..function import Function
from ..tensor import Tensor
from . import elementwise as E
from . import linalg as L
from . import math_api as m
from . import shape_api as s
from . import torch_api as P

FUNCTIONS = {name: getattr(m, name) for name in (
    'add', 'sub', 'mul', 'div', 'pow', 'neg', 'exp', 'log', 'log1p', 'expm1', 'sqrt', 'rsqrt',
    'square', 'sin', 'cos', 'tan', 'tanh', 'sigmoid', 'erf', 'relu', 'leaky_relu', 'elu',
    'gelu', 'softplus', 'abs', 'sign', 'clamp', 'clip', 'maximum', 'minimum', 'where',
    'reciprocal', 'clone', 'floor', 'ceil', 'round', 'trunc', 'floor_divide', 'remainder', 'fmod',
    'eq', 'ne', 'lt', 'le', 'gt', 'ge', 'isnan', 'isinf', 'isfinite', 'allclose', 'equal',
    'sum', 'mean', 'var', 'std', 'prod', 'max', 'min', 'amax', 'amin', 'argmax', 'argmin',
    'logsumexp', 'norm', 'softmax', 'log_softmax', 'matmul', 'einsum', 'outer', 'dot',
    'any', 'all')}
FUNCTIONS.update({name: getattr(s, name) for name in (
    'reshape', 'flatten', 'permute', 'transpose', 'swapaxes', 'squeeze', 'unsqueeze',
    'broadcast_to', 'repeat', 'tile', 'flip', 'roll', 'cat', 'concatenate', 'stack', 'split',
    'chunk', 'pad', 'gather', 'index_select', 'masked_fill', 'scatter_add', 'take_along_dim')})

_SAME_NAME = (
    'add', 'sub', 'mul', 'div', 'pow', 'neg', 'exp', 'log', 'log1p', 'expm1', 'sqrt', 'rsqrt',
    'square', 'sin', 'cos', 'tan', 'tanh', 'sigmoid', 'erf', 'relu', 'abs', 'sign', 'clamp',
    'clip', 'maximum', 'minimum', 'reciprocal', 'clone', 'leaky_relu', 'elu', 'gelu', 'softplus',
    'floor', 'ceil', 'round', 'trunc', 'floor_divide', 'remainder', 'fmod',
    'eq', 'ne', 'lt', 'le', 'gt', 'ge', 'isnan', 'isinf', 'isfinite', 'allclose', 'equal',
    'sum', 'mean', 'var', 'std', 'prod', 'max', 'min', 'amax', 'amin', 'argmax', 'argmin',
    'logsumexp', 'norm', 'softmax', 'log_softmax', 'matmul', 'outer', 'dot', 'any', 'all',
    'reshape', 'flatten', 'permute', 'transpose', 'swapaxes', 'squeeze', 'unsqueeze',
    'broadcast_to', 'repeat', 'tile', 'flip', 'roll', 'split', 'chunk', 'gather',
    'index_select', 'masked_fill', 'scatter_add', 'take_along_dim')
METHODS = {name: FUNCTIONS[name] for name in _SAME_NAME}
METHODS.update({
    'view': s.view, 'view_as': s.view_as, 'reshape_as': s.reshape_as, 'expand': s.expand,
    'expand_as': s.expand_as, 'where': lambda self, cond, other: m.where(cond, self, other),
    'add_': s.add_, 'sub_': s.sub_, 'mul_': s.mul_, 'div_': s.div_, 'zero_': s.zero_,
    'fill_': s.fill_, 'copy_': s.copy_, 'clamp_': s.clamp_,
    'subtract': m.sub, 'multiply': m.mul, 'divide': m.div, 'true_divide': m.div,
    'absolute': m.abs, 'negative': m.neg,
})

# --- PyTorch porting names (ops/torch_api.py): compositions of the ops above -------------
FUNCTIONS.update({name: getattr(P, name) for name in (
    't', 'mm', 'bmm', 'addmm', 'narrow', 'numel', 'is_floating_point', 'bernoulli', 'log2',
    'log10', 'lerp', 'masked_select', 'nonzero', 'argwhere', 'count_nonzero', 'detach')})
METHODS.update({name: getattr(P, name) for name in (
    't', 'mm', 'bmm', 'addmm', 'narrow', 'log2', 'log10', 'lerp', 'masked_select', 'nonzero',
    'argwhere', 'count_nonzero', 'nelement', 'type_as', 'contiguous', 'is_contiguous', 'is_floating_point',
    'new_zeros', 'new_ones', 'new_empty', 'new_full', 'new_tensor', 'masked_fill_', 'uniform_',
    'normal_', 'bernoulli', 'bernoulli_')})


def _direct(op, unary=False):
    """The op's fast apply as a function, so that Python passes the tensor as `self`."""
    apply = Function.apply_fast.__func__
    if unary:
        return lambda a: apply(op, a)
    return lambda a, b: apply(op, a, b)


def _matmul_operator(a, b):
    # `x @ w` on tensors of 2+ dims goes straight to the op's fast apply (0.55 us of
    # wrapper saved per product); anything else (1-D, arrays, lists) takes matmul()
    if type(b) is Tensor and len(a.shape) >= 2 and len(b.shape) >= 2:
        return _fast_apply(L.MatMul, a, b)
    return m.matmul(a, b)


_fast_apply = Function.apply_fast.__func__


# Operators call the op's apply directly (the hot path: no wrapper). Python
# scalars, lists and NumPy arrays reach forward as constants.
OPERATORS = {
    # b + a and b * a: the same IEEE results as a + b and a * b, on the fast path
    '__add__': _direct(E.Add), '__radd__': _direct(E.Add),
    '__sub__': _direct(E.Sub), '__rsub__': lambda a, b: E.Sub.apply(b, a),
    '__mul__': _direct(E.Mul), '__rmul__': _direct(E.Mul),
    '__truediv__': _direct(E.Div), '__rtruediv__': lambda a, b: E.Div.apply(b, a),
    '__pow__': _direct(E.Pow), '__rpow__': lambda a, b: E.Pow.apply(b, a),
    '__mod__': m.remainder, '__rmod__': lambda a, b: m.remainder(b, a),
    '__floordiv__': m.floor_divide, '__rfloordiv__': lambda a, b: m.floor_divide(b, a),
    '__matmul__': _matmul_operator, '__rmatmul__': lambda a, b: m.matmul(b, a),
    '__neg__': _direct(E.Neg, unary=True), '__pos__': lambda a: a, '__abs__': m.abs,
    '__eq__': m.eq, '__ne__': m.ne, '__lt__': m.lt, '__le__': m.le, '__gt__': m.gt,
    '__ge__': m.ge, '__getitem__': s.getitem,
    # `w -= lr * w.grad` updates w itself, as in PyTorch
    '__iadd__': s.add_, '__isub__': s.sub_, '__imul__': s.mul_, '__itruediv__': s.div_,
}


def _bind():
    for name, fn in METHODS.items():
        setattr(Tensor, name, fn)
    for name, fn in OPERATORS.items():
        setattr(Tensor, name, fn)
    for name, op in (('exp', E.Exp), ('log', E.Log), ('tanh', E.Tanh), ('sigmoid', E.Sigmoid),
                     ('relu', E.Relu), ('sqrt', E.Sqrt), ('sin', E.Sin), ('cos', E.Cos),
                     ('abs', E.Abs), ('neg', E.Neg), ('square', E.Square)):
        setattr(Tensor, name, _direct(op, unary=True))     # hot unary methods skip the wrapper
    Tensor.__setitem__ = s.setitem
    Tensor.__iter__ = lambda self: (self[i] for i in range(len(self)))
    Tensor.T = property(s.T)
    Tensor.mT = property(s.mT)


_bind()
