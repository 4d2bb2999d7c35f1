"""One row per public op: gradcheck and gradgradcheck in float64 against finite differences.

`test_every_public_op_has_a_row` fails when an op is exported (ag.<name>,
Tensor.<name> or an operator) without a row here or in NOT_DIFFERENTIABLE.
"""
import numpy as np
import pytest

import autograd as ag
from autograd.ops import FUNCTIONS, METHODS, OPERATORS

rng = np.random.default_rng(1234)


def R(*shape, scale=1.0):
    """Random float64 leaf requiring grad, values away from 0 (kinks of abs/relu/...)."""
    a = rng.standard_normal(shape)
    a = np.where(np.abs(a) < 0.1, 0.2 + rng.random(shape), a) * scale   # no ties either
    return ag.tensor(a, requires_grad=True)


def P(*shape):
    """Positive float64 leaf (log, sqrt, pow bases)."""
    return ag.tensor(rng.uniform(0.5, 2.0, shape), requires_grad=True)


def I(values):
    return ag.tensor(values)


def Z(values):
    """A float64 leaf with the given values (zeros included on purpose)."""
    return ag.tensor(values, dtype=ag.float64, requires_grad=True)


def _multinomial_ok(p):
    """Draws without replacement from the rows of p: distinct, in range, and a category
    of weight zero never drawn while others remain."""
    p = p * ag.tensor([1.0, 1.0, 0.0, 1.0], dtype=p.dtype)
    s = ag.multinomial(p, 3).numpy()
    return s.shape == (3, 3) and all(len(set(r)) == 3 and 2 not in r for r in s)


def _augmented(a, b, name):
    t = a * 1                      # a non-leaf: augmented assignment is recorded in place
    return getattr(t, name)(b)


def _assigned(a, b):
    """t[key] = value writes in place (outside recording): compare with NumPy's."""
    t, expected = a.detach().clone(), a.array.copy()
    t[0, 1:] = b[0, 1:]
    t[1] = 0.5
    expected[0, 1:], expected[1] = b.array[0, 1:], 0.5
    return np.array_equal(t.numpy(), expected) and t._version == 2


# name -> (function of the inputs, inputs factory)
ROWS = {
    # arithmetic (broadcasting in the rows that mix shapes)
    'add': (lambda a, b: ag.add(a, b), lambda: [R(2, 3), R(3)]),
    'sub': (lambda a, b: ag.sub(a, b, alpha=2), lambda: [R(2, 3), R(2, 1)]),
    'mul': (lambda a, b: ag.mul(a, b), lambda: [R(2, 3), R(1, 3)]),
    'div': (lambda a, b: ag.div(a, b), lambda: [R(2, 3), P(3)]),
    'pow': (lambda a, b: ag.pow(a, b), lambda: [P(2, 3), R(3)]),
    'neg': (lambda a: ag.neg(a), lambda: [R(2, 3)]),
    '__add__': (lambda a, b: a + b, lambda: [R(2, 3), R(2, 3)]),
    '__radd__': (lambda a: 2.5 + a, lambda: [R(2, 3)]),
    '__sub__': (lambda a, b: a - b, lambda: [R(4, 2, 3), R(2, 3)]),
    '__rsub__': (lambda a: 1.5 - a, lambda: [R(2, 3)]),
    '__mul__': (lambda a, b: a * b, lambda: [R(2, 3), R(2, 3)]),
    '__rmul__': (lambda a: 3.0 * a, lambda: [R(2, 3)]),
    '__truediv__': (lambda a, b: a / b, lambda: [R(2, 3), P(2, 3)]),
    '__rtruediv__': (lambda a: 2.0 / a, lambda: [P(2, 3)]),
    '__pow__': (lambda a: a ** 3, lambda: [R(2, 3)]),
    '__rpow__': (lambda a: 2.0 ** a, lambda: [R(2, 3)]),
    '__matmul__': (lambda a, b: a @ b, lambda: [R(2, 3), R(3, 4)]),
    '__rmatmul__': (lambda b: np.ones((2, 3)) @ b, lambda: [R(3, 4)]),
    '__neg__': (lambda a: -a, lambda: [R(2, 3)]),
    '__pos__': (lambda a: +a * 1, lambda: [R(2, 3)]),
    '__abs__': (lambda a: abs(a), lambda: [R(2, 3)]),
    '__iadd__': (lambda a, b: _augmented(a, b, '__iadd__'), lambda: [R(2, 3), R(3)]),
    '__isub__': (lambda a, b: _augmented(a, b, '__isub__'), lambda: [R(2, 3), R(3)]),
    # (t *= b with b requiring grad needs t's old value: an in-place error, as PyTorch)
    '__imul__': (lambda a: _augmented(a, 2.5, '__imul__'), lambda: [R(2, 3)]),
    '__itruediv__': (lambda a: _augmented(a, 4.0, '__itruediv__'), lambda: [R(2, 3)]),
    '__getitem__': (lambda a: a[1:, ::-1][:, None, [0, 0, 2]] + a[a.detach() > 0].sum() + a[..., -1],
                    lambda: [R(3, 4)]),
    '__iter__': (lambda a: ag.stack(list(a)[::-1]) * a, lambda: [R(3, 2)]),
    'subtract': (lambda a, b: a.subtract(b), lambda: [R(2, 3), R(3)]),
    'multiply': (lambda a, b: a.multiply(b), lambda: [R(2, 3), R(3)]),
    'divide': (lambda a, b: a.divide(b), lambda: [R(2, 3), P(3)]),
    'true_divide': (lambda a, b: a.true_divide(b), lambda: [R(2, 3), P(3)]),
    'negative': (lambda a: a.negative(), lambda: [R(2, 3)]),
    'absolute': (lambda a: a.absolute(), lambda: [R(2, 3)]),
    # unary math
    'exp': (lambda a: ag.exp(a), lambda: [R(2, 3)]),
    'log': (lambda a: ag.log(a), lambda: [P(2, 3)]),
    'log1p': (lambda a: ag.log1p(a), lambda: [P(2, 3)]),
    'expm1': (lambda a: ag.expm1(a), lambda: [R(2, 3)]),
    'sqrt': (lambda a: ag.sqrt(a), lambda: [P(2, 3)]),
    'rsqrt': (lambda a: ag.rsqrt(a), lambda: [P(2, 3)]),
    'square': (lambda a: ag.square(a), lambda: [R(2, 3)]),
    'reciprocal': (lambda a: ag.reciprocal(a), lambda: [P(2, 3)]),
    'sin': (lambda a: ag.sin(a), lambda: [R(2, 3)]),
    'cos': (lambda a: ag.cos(a), lambda: [R(2, 3)]),
    'tan': (lambda a: ag.tan(a), lambda: [R(2, 3, scale=0.5)]),
    'tanh': (lambda a: ag.tanh(a), lambda: [R(2, 3)]),
    'sigmoid': (lambda a: ag.sigmoid(a), lambda: [R(2, 3)]),
    'erf': (lambda a: ag.erf(a), lambda: [R(2, 3)]),
    'relu': (lambda a: ag.relu(a), lambda: [R(2, 3)]),
    'leaky_relu': (lambda a: ag.leaky_relu(a, 0.2), lambda: [R(2, 3)]),
    'elu': (lambda a: ag.elu(a, 0.7), lambda: [R(2, 3)]),
    'gelu': (lambda a: ag.gelu(a) + ag.gelu(a, approximate='tanh'), lambda: [R(2, 3)]),
    'softplus': (lambda a: ag.softplus(a, beta=2.0, threshold=3.0), lambda: [R(3, 4, scale=2)]),
    'abs': (lambda a: ag.abs(a), lambda: [R(2, 3)]),
    'sign': (lambda a: ag.sign(a) * a, lambda: [R(2, 3)]),
    'clamp': (lambda a: ag.clamp(a, -0.5, 0.8), lambda: [R(3, 4)]),
    # piecewise constant (zero gradient) times a smooth factor, at points off the jumps
    'floor': (lambda a: ag.floor(a) * a, lambda: [R(2, 3, scale=3)]),
    'ceil': (lambda a: ag.ceil(a) * a, lambda: [R(2, 3, scale=3)]),
    'round': (lambda a: ag.round(a * 0.9, decimals=1) * a, lambda: [R(2, 3)]),
    'trunc': (lambda a: ag.trunc(a) * a, lambda: [R(2, 3, scale=3)]),
    'floor_divide': (lambda a, b: ag.floor_divide(a, b) * a + b, lambda: [R(2, 3, scale=3), P(3)]),
    '__floordiv__': (lambda a, b: (a // b) * b, lambda: [R(2, 3, scale=3), P(2, 3)]),
    '__rfloordiv__': (lambda a: (5.0 // a) * a, lambda: [P(2, 3)]),
    # a - b*floor(a/b): gradients 1 and -floor(a/b), checked off the jumps
    'remainder': (lambda a, b: ag.remainder(a, b), lambda: [R(2, 3, scale=3), R(3)]),
    '__mod__': (lambda a, b: a % b, lambda: [R(2, 3, scale=3), P(2, 3)]),
    '__rmod__': (lambda a: 5.0 % a, lambda: [P(2, 3)]),
    'fmod': (lambda a, b: ag.fmod(a, b), lambda: [R(2, 3, scale=3), R(2, 1)]),
    'clip': (lambda a, lo: ag.clip(a, min=lo), lambda: [R(3, 4), R(4)]),
    'maximum': (lambda a, b: ag.maximum(a, b), lambda: [R(2, 3), R(3)]),
    'minimum': (lambda a, b: ag.minimum(a, b), lambda: [R(2, 3), R(3)]),
    'where': (lambda a, b: ag.where(a.detach() > 0, a, b), lambda: [R(2, 3), R(3)]),
    'clone': (lambda a: ag.clone(a), lambda: [R(2, 3)]),
    # reductions
    'sum': (lambda a: ag.sum(a, dim=(0, 2)), lambda: [R(2, 3, 4)]),
    'mean': (lambda a: a.mean(axis=1, keepdims=True), lambda: [R(2, 3, 4)]),
    'var': (lambda a: ag.var(a, 1) + a.var(unbiased=False), lambda: [R(3, 4)]),
    'std': (lambda a: ag.std(a, dim=0, keepdim=True), lambda: [R(3, 4)]),
    'prod': (lambda a: ag.prod(a, 1) + a.prod(), lambda: [R(2, 3)]),
    'max': (lambda a: ag.max(a) + a.max(dim=1)[0].sum() + a.max(1, keepdim=True).values.sum(),
            lambda: [R(3, 4)]),
    'min': (lambda a: ag.min(a) + a.min(dim=0).values.sum(), lambda: [R(3, 4)]),
    'amax': (lambda a: ag.amax(a, dim=(0, 1)), lambda: [R(2, 3, 2)]),
    'amin': (lambda a: ag.amin(a, dim=-1), lambda: [R(2, 3)]),
    'logsumexp': (lambda a: ag.logsumexp(a, dim=1), lambda: [R(3, 4)]),
    'norm': (lambda a: ag.norm(a) + a.norm(p=1, dim=0).sum() + a.norm(p=3).sum()
             + a.norm(p=float('inf')), lambda: [R(3, 4)]),
    # softmax family and linear algebra
    'softmax': (lambda a: ag.softmax(a, dim=1), lambda: [R(3, 4)]),
    'log_softmax': (lambda a: ag.log_softmax(a, dim=0), lambda: [R(3, 4)]),
    'matmul': (lambda a, b, c, d: ag.matmul(a, b).sum() + ag.matmul(c, d).sum()
               + ag.matmul(d[0, :, 0], b).sum(), lambda: [R(2, 3), R(4, 3).T, R(2, 1, 2, 3), R(3, 3, 1)]),
    'einsum': (lambda a, b: ag.einsum('bij,jk->bik', a, b) * 1 + ag.einsum('...j,kj', a, b.T).sum(),
               lambda: [R(2, 3, 4), R(4, 2)]),
    'outer': (lambda a, b: ag.outer(a, b), lambda: [R(3), R(4)]),
    'dot': (lambda a, b: ag.dot(a, b), lambda: [R(3), R(3)]),
    # shape
    'reshape': (lambda a: ag.reshape(a, (3, -1)), lambda: [R(2, 3, 2)]),
    'view': (lambda a: a.view(-1, 2), lambda: [R(2, 3, 2)]),
    'view_as': (lambda a, b: a.view_as(b), lambda: [R(2, 3), R(3, 2)]),
    'reshape_as': (lambda a, b: a.reshape_as(b) * b, lambda: [R(2, 3), R(6)]),
    'flatten': (lambda a: ag.flatten(a, 1), lambda: [R(2, 3, 2)]),
    'permute': (lambda a: ag.permute(a, (2, 0, 1)), lambda: [R(2, 3, 4)]),
    'transpose': (lambda a: ag.transpose(a, 0, 2), lambda: [R(2, 3, 4)]),
    'swapaxes': (lambda a: a.swapaxes(-1, 0), lambda: [R(2, 3)]),
    'T': (lambda a: a.T, lambda: [R(2, 3)]),
    'mT': (lambda a: a.mT, lambda: [R(4, 2, 3)]),
    'squeeze': (lambda a: ag.squeeze(a) + a.squeeze(1).sum(), lambda: [R(2, 1, 3)]),
    'unsqueeze': (lambda a: ag.unsqueeze(a, -1), lambda: [R(2, 3)]),
    'expand': (lambda a: a.expand(4, -1, 3), lambda: [R(2, 1)]),
    'expand_as': (lambda a, b: a.expand_as(b) * b, lambda: [R(3), R(2, 3)]),
    'broadcast_to': (lambda a: ag.broadcast_to(a, (2, 3, 4)), lambda: [R(3, 1)]),
    'repeat': (lambda a: a.repeat(2, 1, 3), lambda: [R(2, 3)]),
    'tile': (lambda a: ag.tile(a, (2,)), lambda: [R(2, 3)]),
    'flip': (lambda a: ag.flip(a, (0, 1)), lambda: [R(2, 3)]),
    'roll': (lambda a: ag.roll(a, 1, 1) + ag.roll(a, (1, -1), (0, 1)) + a.roll(2), lambda: [R(2, 3)]),
    'cat': (lambda a, b: ag.cat([a, b], dim=1), lambda: [R(2, 3), R(2, 2)]),
    'concatenate': (lambda a, b: ag.concatenate([a, b], axis=0), lambda: [R(2, 3), R(1, 3)]),
    'stack': (lambda a, b: ag.stack([a, b], dim=-1), lambda: [R(2, 3), R(2, 3)]),
    'split': (lambda a: ag.split(a, 2, dim=1)[1] * 2 + 0, lambda: [R(2, 3)]),
    'chunk': (lambda a: ag.chunk(a, 2, dim=0)[0], lambda: [R(3, 2)]),
    'pad': (lambda a: ag.pad(a, (1, 2, 0, 1), value=0.5), lambda: [R(2, 3)]),
    # indexing
    'gather': (lambda a: ag.gather(a, 1, I([[0, 0], [2, 1]])), lambda: [R(2, 3)]),
    'index_select': (lambda a: ag.index_select(a, 0, I([1, 1, 0])), lambda: [R(2, 3)]),
    'masked_fill': (lambda a: ag.masked_fill(a, I([[True, False, True]]), 0.5), lambda: [R(2, 3)]),
    'scatter_add': (lambda a, s: ag.scatter_add(a, 1, I([[0, 0, 2], [1, 1, 1]]), s),
                    lambda: [R(2, 3), R(2, 3)]),
    'take_along_dim': (lambda a: ag.take_along_dim(a, I([[2], [0]]), 1), lambda: [R(2, 3)]),
    # sorting, cumulative, triangular and small elementwise ops
    'sort': (lambda a: ag.sort(a, 0).values + a.sort(descending=True)[0], lambda: [R(3, 4)]),
    'topk': (lambda a: ag.topk(a, 2).values.sum() + a.topk(2, dim=0, largest=False)[0],
             lambda: [R(3, 4)]),
    'masked_select': (lambda a: ag.masked_select(a, I([True, False, True])), lambda: [R(2, 3)]),
    'cumsum': (lambda a: ag.cumsum(a, 1) + a.cumsum(dim=0), lambda: [R(3, 4)]),
    # zeros in the input: the gradient (and its own gradient) must stay exact there
    'cumprod': (lambda a, z: ag.cumprod(a, 1).sum() + z.cumprod(-1),
                lambda: [R(3, 4), Z([[0.5, 0.0, 2.0, -1.5], [0.0, 1.2, 0.0, 0.7], [1.1, 0.9, -0.8, 0.0]])]),
    'tril': (lambda a: ag.tril(a) + a.tril(-1), lambda: [R(2, 3, 4)]),
    'triu': (lambda a: ag.triu(a, 1) + a.triu(), lambda: [R(3, 4)]),
    'diagonal': (lambda a: ag.diagonal(a, 1, 0, 2) * 1 + a.diagonal(dim1=-1, dim2=0),
                 lambda: [R(3, 2, 4)]),
    'diag': (lambda a, b: ag.diag(a, 1)[:3, :3] + b.diag(), lambda: [R(3), R(3, 4)]),
    'trace': (lambda a: ag.trace(a) + a.trace() ** 2, lambda: [R(3, 4)]),
    'clamp_min': (lambda a: ag.clamp_min(a, -0.5) + a.clamp_min(0.3), lambda: [R(3, 4)]),
    'clamp_max': (lambda a: ag.clamp_max(a, 0.5) * a.clamp_max(-0.2), lambda: [R(3, 4)]),
    'lerp': (lambda a, b, w: ag.lerp(a, b, w) + a.lerp(b, 0.3), lambda: [R(2, 3), R(3), P(2, 3)]),
    # in place on non-leaves (recorded): the result must still differentiate right
    'add_': (lambda a, b: (a * 1).add_(b, alpha=2), lambda: [R(2, 3), R(3)]),
    'sub_': (lambda a, b: (a * 1).sub_(b), lambda: [R(2, 3), R(2, 3)]),
    'mul_': (lambda a: (a * 1).mul_(3.0), lambda: [R(2, 3)]),
    'div_': (lambda a: (a + 0).div_(2.0), lambda: [R(2, 3)]),
    'clamp_': (lambda a: (a * 1).clamp_(max=0.8), lambda: [R(2, 3)]),
    'zero_': (lambda a: (a * 1).zero_() + a, lambda: [R(2, 3)]),
    'fill_': (lambda a: (a * 1).fill_(2.0) * a, lambda: [R(2, 3)]),
    'copy_': (lambda a, b: (a * 1).copy_(b), lambda: [R(2, 3), R(3)]),
}

# name -> check of the value (these have no gradient)
NOT_DIFFERENTIABLE = {
    'eq': lambda a, b: np.array_equal(ag.eq(a, b).numpy(), a.array == b.array),
    '__eq__': lambda a, b: np.array_equal((a == b).numpy(), a.array == b.array),
    'ne': lambda a, b: np.array_equal(ag.ne(a, b).numpy(), a.array != b.array),
    '__ne__': lambda a, b: np.array_equal((a != b).numpy(), a.array != b.array),
    'lt': lambda a, b: np.array_equal(ag.lt(a, b).numpy(), a.array < b.array),
    '__lt__': lambda a, b: np.array_equal((a < b).numpy(), a.array < b.array),
    'le': lambda a, b: np.array_equal(ag.le(a, b).numpy(), a.array <= b.array),
    '__le__': lambda a, b: np.array_equal((a <= b).numpy(), a.array <= b.array),
    'gt': lambda a, b: np.array_equal(ag.gt(a, b).numpy(), a.array > b.array),
    '__gt__': lambda a, b: np.array_equal((a > b).numpy(), a.array > b.array),
    'ge': lambda a, b: np.array_equal(ag.ge(a, b).numpy(), a.array >= b.array),
    '__ge__': lambda a, b: np.array_equal((a >= b).numpy(), a.array >= b.array),
    '__setitem__': _assigned,
    'isnan': lambda a, b: np.array_equal(ag.isnan(a / 0 * 0).numpy(), np.isnan(a.array / 0 * 0)),
    'isinf': lambda a, b: np.array_equal(ag.isinf(a / 0).numpy(), np.isinf(a.array / 0)),
    'isfinite': lambda a, b: np.array_equal(ag.isfinite(a / 0).numpy(), np.isfinite(a.array / 0)),
    'allclose': lambda a, b: ag.allclose(a, a + 1e-9) and not ag.allclose(a, b),
    'equal': lambda a, b: ag.equal(a, a.clone()) and not ag.equal(a, b),
    'argmax': lambda a, b: np.array_equal(ag.argmax(a, dim=1).numpy(), a.array.argmax(1))
    and ag.argmax(a).item() == a.array.argmax(),
    'argmin': lambda a, b: np.array_equal(a.argmin(0, keepdim=True).numpy(),
                                          a.array.argmin(0)[None]),
    'any': lambda a, b: (a > 0).any().item() == bool((a.array > 0).any()),
    'all': lambda a, b: np.array_equal((a > -10).all(dim=1).numpy(), (a.array > -10).all(1)),
    'argsort': lambda a, b: np.array_equal(ag.argsort(a, 1).numpy(), np.argsort(a.array, 1))
    and np.array_equal(a.argsort(dim=0, descending=True).numpy(), np.argsort(-a.array, 0)),
    'multinomial': lambda a, b: _multinomial_ok(a.abs()),
    'unique': lambda a, b: np.array_equal(ag.unique(ag.cat([a, b])).numpy(),
                                          np.unique(np.concatenate([a.array, b.array]))),
    'bincount': lambda a, b: np.array_equal(
        ag.bincount((a.abs() * 3).type(ag.int64).flatten()).numpy(),
        np.bincount((np.abs(a.array) * 3).astype(np.int64).ravel())),
    'logical_and': lambda a, b: np.array_equal(ag.logical_and(a > 0, b).numpy(),
                                               (a.array > 0) & (b.array != 0)),
    'logical_or': lambda a, b: np.array_equal((a > 0).logical_or(b > 0).numpy(),
                                              (a.array > 0) | (b.array > 0)),
    'logical_xor': lambda a, b: np.array_equal(ag.logical_xor(a > 0, b > 0).numpy(),
                                               (a.array > 0) ^ (b.array > 0)),
    'logical_not': lambda a, b: np.array_equal(ag.logical_not(a > 0).numpy(), a.array <= 0),
}

# --- PyTorch porting names (ops/torch_api.py) ------------------------------------------------
ROWS.update({
    't': (lambda a, v: a.t() * 2 + ag.t(v), lambda: [R(2, 3), R(2, 3)]),
    'mm': (lambda a, b: ag.mm(a, b), lambda: [R(2, 3), R(3, 4)]),
    'bmm': (lambda a, b: a.bmm(b), lambda: [R(2, 2, 3), R(2, 3, 2)]),
    'narrow': (lambda a: ag.narrow(a, 1, 1, 2) * a.narrow(-1, -2, 2), lambda: [R(2, 3)]),
    'type_as': (lambda a: a.type_as(a) * 2, lambda: [R(2, 3)]),
    'contiguous': (lambda a: a.T.contiguous() * a.contiguous().T, lambda: [R(3, 3)]),
    'masked_fill_': (lambda a: (a * 1).masked_fill_(I([True, False, True]), 0.5), lambda: [R(2, 3)]),
    'addmm': (lambda c, a, b: ag.addmm(c, a, b, beta=0.5, alpha=2) + c.addmm(a, b),
              lambda: [R(2, 4), R(2, 3), R(3, 4)]),
    'log2': (lambda a: ag.log2(a) + a.log2(), lambda: [P(2, 3)]),
    'log10': (lambda a: ag.log10(a) + a.log10(), lambda: [P(2, 3)]),
})
NOT_DIFFERENTIABLE.update({
    'numel': lambda a, b: ag.numel(a) == 12,
    'is_contiguous': lambda a, b: a.is_contiguous() and not a.T.is_contiguous(),
    'is_floating_point': lambda a, b: ag.is_floating_point(a) and not a.long().is_floating_point(),
    'new_zeros': lambda a, b: (a.new_zeros(2, 5).tolist() == [[0.0] * 5] * 2
                               and a.new_zeros((1,)).dtype == a.dtype),
    'new_ones': lambda a, b: a.new_ones((2,), dtype=ag.long).tolist() == [1, 1],
    'new_empty': lambda a, b: a.new_empty(3).shape == (3,) and a.new_empty(3).dtype == a.dtype,
    'new_full': lambda a, b: a.new_full((2,), 7).tolist() == [7.0, 7.0],
    'new_tensor': lambda a, b: a.new_tensor([1, 2]).dtype == a.dtype,
    'uniform_': lambda a, b: (lambda u: 2 <= u.min().item() and u.max().item() < 3)(
        ag.zeros(100).uniform_(2, 3)),
    'normal_': lambda a, b: abs(ag.zeros(1000, dtype=ag.float64).normal_(4, 0.5).mean().item() - 4) < 0.1,
    'bernoulli': lambda a, b: set(ag.bernoulli(ag.full((100,), 0.5)).tolist()) == {0.0, 1.0}
    and ag.full((2,), 0.5).bernoulli(p=0.0).sum().item() == 0,
    'bernoulli_': lambda a, b: ag.zeros(50).bernoulli_(1.0).sum().item() == 50,
    'nelement': lambda a, b: a.nelement() == 12,
    'detach': lambda a, b: not ag.detach(a).requires_grad and np.shares_memory(ag.detach(a).array, a.array),
    'nonzero': lambda a, b: np.array_equal(ag.nonzero(a > 0).numpy(), np.argwhere(a.array > 0))
    and all(np.array_equal(t.numpy(), n) for t, n in zip((a > 0).nonzero(as_tuple=True),
                                                         np.nonzero(a.array > 0))),
    'argwhere': lambda a, b: np.array_equal((a < 0).argwhere().numpy(), np.argwhere(a.array < 0)),
    'count_nonzero': lambda a, b: ag.count_nonzero(a > 0).item() == (a.array > 0).sum()
    and np.array_equal((a > 0).count_nonzero(dim=0).numpy(), (a.array > 0).sum(0)),
})



# --- more PyTorch names (trig.py, scatter_api.py, torch_more.py, inplace_api.py) ------------
def U(*shape):
    """float64 leaf inside (-0.8, 0.8): the domain of asin, acos, atanh, erfinv."""
    return ag.tensor(rng.uniform(-0.8, 0.8, shape), requires_grad=True)


def A1(*shape):
    """float64 leaf above 1 (acosh)."""
    return ag.tensor(rng.uniform(1.2, 3.0, shape), requires_grad=True)


_IDX = [[0, 1, 2, 0], [2, 0, 1, 1]]


def _bad():
    """Non-finite constants, made on the default device (the GPU table runs rows there)."""
    return ag.tensor([float('nan'), float('inf'), -float('inf')], dtype=ag.float64)
          # scatter's index: no repeats within a column
ROWS.update({
    'sinh': (lambda a: ag.sinh(a) + a.sinh(), lambda: [R(2, 3)]),
    'cosh': (lambda a: ag.cosh(a) * a.cosh(), lambda: [R(2, 3)]),
    'asin': (lambda a: ag.asin(a) + a.arcsin(), lambda: [U(2, 3)]),
    'acos': (lambda a: ag.acos(a) + a.arccos(), lambda: [U(2, 3)]),
    'atan': (lambda a: ag.atan(a) + ag.arctan(a * 2), lambda: [R(2, 3)]),
    'asinh': (lambda a: ag.asinh(a) + ag.arcsinh(a), lambda: [R(2, 3)]),
    'acosh': (lambda a: ag.acosh(a) + a.arccosh(), lambda: [A1(2, 3)]),
    'atanh': (lambda a: ag.atanh(a) + ag.arctanh(a), lambda: [U(2, 3)]),
    'erfinv': (lambda a: ag.erfinv(a) + a.erfinv(), lambda: [U(2, 3)]),
    'atan2': (lambda a, b: ag.atan2(a, b) + a.arctan2(2.0), lambda: [R(2, 3), R(3)]),
    'arcsin': (lambda a: ag.arcsin(a), lambda: [U(2, 3)]),
    'arccos': (lambda a: ag.arccos(a), lambda: [U(2, 3)]),
    'arctan': (lambda a: a.arctan(), lambda: [R(2, 3)]),
    'arcsinh': (lambda a: a.arcsinh(), lambda: [R(2, 3)]),
    'arccosh': (lambda a: ag.arccosh(a), lambda: [A1(2, 3)]),
    'arctanh': (lambda a: a.arctanh(), lambda: [U(2, 3)]),
    'arctan2': (lambda a, b: ag.arctan2(a, b), lambda: [R(2, 3), R(2, 3)]),
    'hypot': (lambda a, b: ag.hypot(a, b) + a.hypot(b), lambda: [R(2, 3), R(2, 3)]),
    'scatter': (lambda a, s: ag.scatter(a, 0, I(_IDX), s) + a.scatter(1, I(_IDX)[:, :3] % 3, 0.5),
                lambda: [R(3, 4), R(2, 5)]),
    'scatter_': (lambda a, s: (a * 1).scatter_(0, I(_IDX), s), lambda: [R(3, 4), R(2, 4)]),
    'scatter_add_': (lambda a, s: (a * 1).scatter_add_(0, I(_IDX), s), lambda: [R(3, 4), R(2, 4)]),
    'index_add': (lambda a, s: ag.index_add(a, 0, I([2, 0, 2]), s, alpha=2) + a.index_add(
        1, I([0, 0, 3]), s[:, :3]), lambda: [R(3, 4), R(3, 4)]),
    'index_add_': (lambda a, s: (a * 1).index_add_(1, I([3, 3]), s), lambda: [R(3, 4), R(3, 2)]),
    'index_copy': (lambda a, s: ag.index_copy(a, 0, I([2, 0]), s), lambda: [R(3, 4), R(2, 4)]),
    'index_copy_': (lambda a, s: (a * 1).index_copy_(1, I([1]), s), lambda: [R(3, 4), R(3, 1)]),
    'index_fill': (lambda a, v: ag.index_fill(a, 1, I([0, 2]), -1.5) + a.index_fill(0, I([1]), v),
                   lambda: [R(3, 4), R()]),           # a 0-d tensor value gets its gradient
    'index_fill_': (lambda a: (a * 1).index_fill_(0, I([1]), 2.0), lambda: [R(3, 4)]),
    'index_put': (lambda a, v: ag.index_put(a, (I([0, 2]), I([1, 3])), v), lambda: [R(3, 4), R(2)]),
    'index_put_': (lambda a, v: (a * 1).index_put_((I([0, 0]),), v, accumulate=True),
                   lambda: [R(3, 4), R(4)]),
    'movedim': (lambda a: ag.movedim(a, 0, -1) * a.movedim((0, 1), (1, 2)).sum(), lambda: [R(2, 3, 4)]),
    'moveaxis': (lambda a: ag.moveaxis(a, -1, 0), lambda: [R(2, 3, 4)]),
    'atleast_1d': (lambda a: ag.atleast_1d(a[0, 0]) * 2, lambda: [R(2, 3)]),
    'atleast_2d': (lambda a: ag.atleast_2d(a[0]) * 2, lambda: [R(2, 3)]),
    'atleast_3d': (lambda a: ag.atleast_3d(a[0])[0, :, 0] + ag.atleast_3d(a)[..., 0],
                   lambda: [R(2, 3)]),
    'vstack': (lambda a, v: ag.vstack([a, v]), lambda: [R(2, 3), R(3)]),
    'row_stack': (lambda a, v: ag.row_stack((v, a)), lambda: [R(2, 3), R(3)]),
    'hstack': (lambda a, v: ag.hstack([a, v]) * ag.hstack([v[0, :1], v[1]]).sum(),
               lambda: [R(2, 3), R(2, 2)]),
    'dstack': (lambda a, b: ag.dstack([a, b]), lambda: [R(2, 3), R(2, 3)]),
    'column_stack': (lambda a, v: ag.column_stack([a, v]), lambda: [R(2, 3), R(2)]),
    'var_mean': (lambda a: ag.var_mean(a, 1)[0] + ag.var_mean(a, dim=1, correction=0)[1],
                 lambda: [R(2, 3)]),
    'std_mean': (lambda a: ag.std_mean(a, 0, keepdim=True)[0] * ag.std_mean(a)[1],
                 lambda: [R(3, 4)]),
    # non-finite entries where _bad() has them: their gradient is 0, the others' passes (the
    # default replacements, +-finfo.max, would overflow the finite differences)
    'nan_to_num': (lambda a: ag.nan_to_num(a + _bad(), 0.5, 2.0, -2.0)
                   + (a + _bad()).nan_to_num(posinf=1.0, neginf=-1.0),
                   lambda: [R(3)]),
    'nan_to_num_': (lambda a: (a + _bad()).nan_to_num_(neginf=-3.0), lambda: [R(3)]),
    'diff': (lambda a, p: ag.diff(a) * 1 + a.diff(n=2, dim=0, prepend=p).sum(), lambda: [R(3, 4), R(1, 4)]),
    'meshgrid': (lambda a, b: ag.meshgrid(a, b, indexing='ij')[0] * ag.meshgrid([a, b], indexing='xy')[1].T,
                 lambda: [R(3), R(2)]),
    # a zero distance (rows 0 of both equal): PyTorch's gradient there is 0
    'cdist': (lambda a, b, c: ag.cdist(a, ag.cat([a[:1], b])) + ag.cdist(a, b, p=1).sum()
              + ag.cdist(a, c, p=3).sum() + ag.cdist(a, b, p=float('inf')).sum(),
              lambda: [R(3, 2), R(2, 2), R(2, 2)]),
    'unfold': (lambda a: a.unfold(1, 2, 1) * 1 + a.unfold(1, 2, 2).sum(), lambda: [R(2, 5)]),
    'squeeze_': (lambda a: (a * 1).squeeze_(1), lambda: [R(2, 1, 3)]),
    'unsqueeze_': (lambda a: (a * 1).unsqueeze_(-1), lambda: [R(2, 3)]),
    't_': (lambda a: (a * 1).t_(), lambda: [R(2, 3)]),
    'transpose_': (lambda a: (a * 1).transpose_(0, 2), lambda: [R(2, 3, 4)]),
    'pow_': (lambda a: (a * 1).pow_(3), lambda: [R(2, 3)]),
    'atan2_': (lambda a, b: (a * 1).atan2_(b), lambda: [R(2, 3), R(2, 3)]),
    'hypot_': (lambda a, b: (a * 1).hypot_(b), lambda: [R(2, 3), R(3)]),
})
# x.exp_() and torch.exp_(x) for every unary op in place: the domain its op needs
_DOMAIN = {'log_': P, 'sqrt_': P, 'log1p_': P, 'asin_': U, 'acos_': U, 'atanh_': U,
           'erfinv_': U, 'acosh_': A1}
for _name in __import__('autograd.ops.inplace_api', fromlist=['UNARY']).UNARY:
    ROWS[_name] = ((lambda n: lambda a: getattr(a * 1, n)() + getattr(ag, n)(a * 1))(_name),
                   (lambda make: lambda: [make(2, 3)])(_DOMAIN.get(_name, R)))
NOT_DIFFERENTIABLE.update({
    'isclose': lambda a, b: np.array_equal(ag.isclose(a, b, atol=0.5).numpy(),
                                           np.isclose(a.array, b.array, atol=0.5))
    and np.array_equal(a.isclose(a + 1e-9).numpy(), np.ones((3, 4), bool)),
    'searchsorted': lambda a, b: np.array_equal(
        ag.searchsorted(a.flatten().sort().values, b).numpy(),
        np.searchsorted(np.sort(a.array.ravel()), b.array))
    and np.array_equal(ag.searchsorted(a.sort().values, b, right=True).numpy(),
                       [np.searchsorted(r, v, 'right') for r, v in zip(np.sort(a.array), b.array)]),
    'bucketize': lambda a, b: np.array_equal(ag.bucketize(a, I([-1.0, 0.0, 1.0])).numpy(),
                                             np.searchsorted([-1.0, 0.0, 1.0], a.array)),
    'histc': lambda a, b: np.array_equal(
        ag.histc(a, bins=4, min=-1, max=1).numpy(), np.histogram(a.array, 4, (-1, 1))[0])
    and a.histc(3).sum().item() == 12,
    'stride': lambda a, b: a.stride() == (4, 1) and a.T.stride() == (1, 4) and a.stride(-1) == 1,
    'data_ptr': lambda a, b: a.data_ptr() == a.array.ctypes.data and a[1].data_ptr() == a.data_ptr() + 32,
    'random_': lambda a, b: set(ag.zeros(200).random_(3).tolist()) == {0.0, 1.0, 2.0}
    and set(ag.zeros(200, dtype=ag.int64).random_(5, 7).tolist()) == {5, 6},
    'exponential_': lambda a, b: abs(ag.zeros(4000, dtype=ag.float64).exponential_(2.0).mean().item()
                                     - 0.5) < 0.05,
})

@pytest.mark.parametrize('name', sorted(ROWS))
def test_gradcheck(name):
    fn, make = ROWS[name]
    assert ag.gradcheck(fn, make())


@pytest.mark.parametrize('name', sorted(ROWS))
def test_gradgradcheck(name):
    fn, make = ROWS[name]
    assert ag.gradgradcheck(fn, make())


@pytest.mark.parametrize('name', sorted(NOT_DIFFERENTIABLE))
@pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning",
                            "ignore:invalid value:RuntimeWarning")   # isnan/isinf rows make inf
def test_not_differentiable_values(name):
    a, b = R(3, 4), R(3, 4)
    with ag.no_grad():
        b.array[0, 0] = a.array[0, 0]           # one tie, so == and != are both exercised
    assert NOT_DIFFERENTIABLE[name](a, b)


def test_comparisons_do_not_require_grad():
    a = R(2, 3)
    for out in (a > 0, a == a, ag.isnan(a), a.argmax(), a.any()):
        assert not out.requires_grad and out.grad_fn is None


def test_every_public_op_has_a_row():
    public = set(FUNCTIONS) | set(METHODS) | set(OPERATORS) | {'T', 'mT'}
    missing = sorted(public - set(ROWS) - set(NOT_DIFFERENTIABLE))
    assert not missing, f"public ops without a gradient-check row: {missing}"


def test_gradcheck_catches_a_wrong_gradient():
    """The oracle itself: a deliberately wrong backward must be caught."""
    class WrongSquare(ag.Function):
        def forward(self, xp, x):
            self.save_for_backward(x)
            return x * x

        def backward(self, xp, g, x):
            return g * 3 * x                 # should be 2x

    with pytest.raises(ag.GradcheckError):
        ag.gradcheck(lambda a: WrongSquare.apply(a), [R(2, 3)])


def test_gradgradcheck_catches_a_wrong_second_derivative():
    class FrozenSquare(ag.Function):
        def forward(self, xp, x):
            self.save_for_backward(x)
            return x * x

        def backward(self, xp, g, x):
            return g * 2 * x.detach() if hasattr(x, 'detach') else g * 2 * x

    a = [R(2, 3)]
    assert ag.gradcheck(lambda t: FrozenSquare.apply(t), a)
    with pytest.raises(ag.GradcheckError):
        ag.gradgradcheck(lambda t: FrozenSquare.apply(t), a)


def test_full_jacobian_path_is_used_for_small_outputs():
    # a wrong gradient in one output element only: random directions could miss it
    class OneWrong(ag.Function):
        def forward(self, xp, x):
            return x * 1

        def backward(self, xp, g):
            g = g * 1
            g[..., 0] = g[..., 0] * 1.01
            return g

    with pytest.raises(ag.GradcheckError):
        ag.gradcheck(lambda a: OneWrong.apply(a), [R(3)], n_directions=0)


@pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning")   # infinite upstream on purpose
def test_relu_and_clamp_gradients_are_exact_where_even_for_infinite_upstream():
    """Their backward multiplies by the mask for speed; an inf/NaN upstream gradient at
    an inactive element must still give 0 there (where semantics), as PyTorch does."""
    x = ag.tensor([-1.0, 2.0, 0.5], requires_grad=True)
    ag.log(ag.relu(x)).sum().backward()           # d/dy log(y) = inf where y = 0
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.5, 2.0])
    x.grad = None
    ag.log(x.clamp(min=0.0)).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.5, 2.0])
    backend = ag.backends.get('cpu')
    mask = np.array([True, False, False])
    g = np.array([1.0, np.nan, 3.0])
    np.testing.assert_array_equal(backend.xp.mask_grad(mask, g), [1.0, 0.0, 0.0])
