"""Argument validation of the engine's public functions, as a table: factories, shape
ops, indexing, math and reductions, backward/grad. Each case must raise the type
PyTorch raises (our classes derive from it) with a message that names the function
called and the offending value. Cases PyTorch accepts are not here: they must work."""
import numpy as np
import pytest

import autograd as ag
from errors_table import case, check

RT, VE, TE, IE = RuntimeError, ValueError, TypeError, IndexError


def t(*shape, dtype='float32', rg=False):
    return ag.ones(*shape, dtype=dtype, requires_grad=rg)


def i(values):
    return ag.tensor(values, dtype='int64')


X = t(3, 4)

FACTORIES = [
    case('tensor-None', lambda: ag.tensor(None), RT, 'tensor', 'None'),
    case('tensor-None-is-TypeError', lambda: ag.tensor(None), TE, 'tensor', 'None'),
    case('tensor-strings', lambda: ag.tensor(['a', 'b']), VE, 'tensor', "'a'"),
    case('tensor-ragged', lambda: ag.tensor([[1, 2], [3]]), VE, 'tensor', '[3]'),
    case('tensor-dict', lambda: ag.tensor({'a': 1}), RT, 'tensor', 'dict'),
    case('tensor-object', lambda: ag.tensor(object()), RT, 'tensor', 'object'),
    case('as_tensor-None', lambda: ag.as_tensor(None), RT, 'as_tensor', 'None'),
    case('zeros-negative', lambda: ag.zeros(-1), RT, 'zeros', '-1'),
    case('zeros-tuple-negative', lambda: ag.zeros((2, -4)), VE, 'zeros', '-4'),
    case('zeros-float-size', lambda: ag.zeros(2.5), TE, 'zeros', '2.5'),
    case('ones-negative', lambda: ag.ones(2, -3), RT, 'ones', '-3'),
    case('empty-negative', lambda: ag.empty(-1), RT, 'empty', '-1'),
    case('full-negative', lambda: ag.full((-1,), 1.0), RT, 'full', '-1'),
    case('rand-negative', lambda: ag.rand(-2), RT, 'rand', '-2'),
    case('randn-negative', lambda: ag.randn(2, -1), RT, 'randn', '-1'),
    case('eye-negative', lambda: ag.eye(-1), RT, 'eye', '-1'),
    case('eye-negative-m', lambda: ag.eye(2, -5), RT, 'eye', '-5'),
    case('arange-step-0', lambda: ag.arange(0, 5, 0), RT, 'arange', 'step', '0'),
    case('arange-float-step-0', lambda: ag.arange(0.0, 1.0, 0.0), RT, 'arange', 'step'),
    case('arange-wrong-sign', lambda: ag.arange(0, 5, -1), RT, 'arange', '-1'),
    case('arange-wrong-order', lambda: ag.arange(5, 0, 1), RT, 'arange', '5'),
    case('linspace-negative', lambda: ag.linspace(0, 1, -1), RT, 'linspace', '-1'),
    case('randint-empty-range', lambda: ag.randint(5, 2, (3,)), RT, 'randint', '5'),
    case('randint-negative-size', lambda: ag.randint(0, 3, (-1,)), RT, 'randint', '-1'),
    case('randperm-negative', lambda: ag.randperm(-1), RT, 'randperm', '-1'),
    case('int-requires-grad', lambda: ag.tensor([1, 2], requires_grad=True), RT, 'int64'),
]

SHAPES = [
    case('reshape-minus-2', lambda: t(2, 3).reshape(-2, 3), RT, 'reshape', '-2'),
    case('reshape-two-minus-1', lambda: t(2, 3).reshape(-1, -1), RT, 'reshape', '(-1, -1)'),
    case('reshape-size', lambda: t(2, 3).reshape(4, 2), RT, 'reshape', '(4, 2)', '(2, 3)'),
    case('view-minus-3', lambda: t(2, 3).view(-3), RT, '-3'),
    case('flatten-start-after-end', lambda: t(2, 3, 4).flatten(2, 1), RT, 'flatten', '2', '1'),
    case('flatten-dim-out-of-range', lambda: t(2, 3).flatten(3), IE, 'flatten', '3'),
    case('flatten-end-out-of-range', lambda: t(2, 3).flatten(0, -3), IE, 'flatten', '-3'),
    case('flatten-0d-dim-1', lambda: ag.tensor(1.0).flatten(1), IE, 'flatten', '1'),
    case('roll-shifts-dims-mismatch', lambda: X.roll((1, 1), (0,)), RT, 'roll', '(1, 1)'),
    case('roll-tuple-without-dims', lambda: X.roll((1, 2)), RT, 'roll', '(1, 2)'),
    case('roll-dim-out-of-range', lambda: X.roll(1, 5), IE, 'roll', '5'),
    case('cat-a-tensor', lambda: ag.cat(X), TE, 'cat', 'Tensor'),
    case('stack-a-tensor', lambda: ag.stack(X), TE, 'stack', 'Tensor'),
    case('cat-empty', lambda: ag.cat([]), VE, 'cat', 'non-empty'),
    case('stack-empty', lambda: ag.stack([]), VE, 'stack', 'non-empty'),
    case('cat-shapes', lambda: ag.cat([t(2, 3), t(2, 4)]), RT, 'cat', '(2, 4)'),
    case('cat-dim', lambda: ag.cat([X, X], dim=2), IE, 'cat', '2'),
    case('stack-shapes', lambda: ag.stack([t(3, 4), t(2, 4)]), RT, 'stack', '(2, 4)'),
    case('stack-dim', lambda: ag.stack([X, X], dim=4), IE, 'stack', '4'),
    case('split-0', lambda: X.split(0), RT, 'split', '0'),
    case('split-negative', lambda: X.split(-1), RT, 'split', '-1'),
    case('split-sizes-sum', lambda: X.split([1, 1]), RT, 'split', '[1, 1]'),
    case('split-dim', lambda: X.split(1, dim=5), IE, 'split', '5'),
    case('chunk-0', lambda: X.chunk(0), RT, 'chunk', '0'),
    case('chunk-negative', lambda: X.chunk(-1), RT, 'chunk', '-1'),
    case('chunk-float', lambda: X.chunk(1.5), TE, 'chunk', '1.5'),
    case('chunk-dim', lambda: X.chunk(2, dim=3), IE, 'chunk', '3'),
    case('permute-repeated', lambda: X.permute(0, 0), RT, 'permute', '(0, 0)'),
    case('permute-too-few', lambda: X.permute(0), RT, 'permute'),
    case('transpose-dim', lambda: X.transpose(0, 3), IE, 'transpose', '3'),
    case('squeeze-dim', lambda: X.squeeze(4), IE, 'squeeze', '4'),
    case('unsqueeze-dim', lambda: X.unsqueeze(5), IE, 'unsqueeze', '5'),
    case('expand-size', lambda: X.expand(3, 5), RT, 'expand', '(3, 5)'),
    case('repeat-too-few', lambda: X.repeat(2), RT, 'repeat'),
    case('repeat-negative', lambda: X.repeat(-1, 1), RT, 'repeat', 'negative'),
    case('flip-repeated', lambda: X.flip((0, 0)), RT, 'flip'),
    case('flip-dim', lambda: X.flip(3), IE, 'flip', '3'),
    case('mT-1d', lambda: t(3).mT, RT, 'mT'),
    case('pad-odd', lambda: ag.pad(t(2, 3), (1,)), RT, 'pad', '(1,)'),
    case('pad-too-many', lambda: ag.pad(t(2, 3), (1,) * 6), RT, 'pad'),
    case('pad-mode', lambda: ag.pad(t(2, 3), (1, 1), mode='foo'), VE, 'pad', 'foo'),
    case('pad-reflect-too-wide', lambda: ag.pad(t(2, 3), (3, 3), mode='reflect'), VE, 'pad', '3'),
    case('pad-negative-reflect', lambda: ag.pad(t(2, 3), (-1, 0), mode='reflect'), VE, 'pad',
         '-1'),
]

INDEXING = [
    case('gather-negative', lambda: X.gather(1, i([[-1]] * 3)), RT, 'gather', '-1'),
    case('gather-negative-is-IndexError', lambda: X.gather(1, i([[-1]] * 3)), IE, 'gather'),
    case('gather-too-large', lambda: X.gather(1, i([[4]] * 3)), IE, 'gather', '4'),
    case('gather-float-index', lambda: X.gather(1, ag.zeros(3, 1)), RT, 'gather', 'float32'),
    case('gather-index-dims', lambda: X.gather(1, i([0, 1, 2])), RT, 'gather', '2'),
    case('gather-index-larger', lambda: X.gather(1, ag.zeros(4, 4, dtype='int64')), RT,
         'gather', '(4, 4)'),
    case('gather-dim', lambda: X.gather(2, i([[0]] * 3)), IE, 'gather', '2'),
    case('index_select-negative', lambda: X.index_select(0, i([-1])), IE, 'index_select', '-1'),
    case('index_select-2d-index', lambda: X.index_select(0, i([[0, 1]])), IE, 'index_select',
         '(1, 2)'),
    case('index_select-too-large', lambda: X.index_select(0, i([3])), IE, 'index_select', '3'),
    case('index_select-float-index', lambda: X.index_select(0, ag.zeros(1)), TE,
         'index_select', 'float32'),
    case('index_select-dim', lambda: X.index_select(2, i([0])), IE, 'index_select', '2'),
    case('scatter_add-negative', lambda: X.scatter_add(1, i([[-1]] * 3), t(3, 1)), RT,
         'scatter_add', '-1'),
    case('scatter_add-too-large', lambda: X.scatter_add(1, i([[4]] * 3), t(3, 1)), IE,
         'scatter_add', '4'),
    case('scatter_add-src-smaller', lambda: X.scatter_add(1, ag.zeros(3, 4, dtype='int64'),
                                                          t(3, 2)), RT, 'scatter_add', '(3, 2)'),
    case('scatter_add-index-larger', lambda: X.scatter_add(1, ag.zeros(4, 4, dtype='int64'),
                                                           t(4, 4)), RT, 'scatter_add', '(4, 4)'),
    case('scatter_add-float-index', lambda: X.scatter_add(1, ag.zeros(3, 1), t(3, 1)), TE,
         'scatter_add', 'float32'),
    case('take_along_dim-too-large', lambda: X.take_along_dim(i([[9]]), 1), IE,
         'take_along_dim', '9'),
    case('take_along_dim-too-negative', lambda: X.take_along_dim(i([[-5]]), 1), IE,
         'take_along_dim', '-5'),
    case('masked_fill-float-mask', lambda: X.masked_fill(t(3, 4), 0.0), RT, 'masked_fill',
         'float32'),
    case('masked_fill-int-mask', lambda: X.masked_fill(t(3, 4, dtype='int64'), 0.0), TE,
         'masked_fill', 'int64'),
    case('masked_fill-mask-shape', lambda: X.masked_fill(t(2, dtype='bool'), 0.0), RT,
         'masked_fill', '(2,)'),
    case('masked_fill-value-1d', lambda: X.masked_fill(t(3, 4, dtype='bool'), t(2)), RT,
         'masked_fill', '(2,)'),
    case('getitem-int', lambda: X[5], IE, '5'),
    case('getitem-array', lambda: X[i([0, 9])], IE, '9'),
    case('getitem-too-many', lambda: X[0, 0, 0], IE, 'index'),
]

MATH = [
    case('where-float-condition', lambda: ag.where(t(3, 4), X, X), RT, 'where', 'float32'),
    case('where-int-condition', lambda: ag.where(t(3, 4, dtype='int64'), X, X), TE, 'where',
         'int64'),
    case('where-broadcast', lambda: ag.where(t(3, 4, dtype='bool'), X, t(5)), RT, 'where', '(5,)'),
    case('outer-2d', lambda: ag.outer(X, t(3)), RT, 'outer', '2-D'),
    case('outer-2d-second', lambda: ag.outer(t(3), X), RT, 'outer', '(3, 4)'),
    case('dot-lengths', lambda: ag.dot(t(3), t(4)), RT, 'dot', '3', '4'),
    case('dot-2d', lambda: ag.dot(t(3, 1), t(3)), RT, 'dot', '2-D'),
    case('matmul-1d-1d', lambda: ag.matmul(t(3), t(4)), RT, 'matmul', '(3,)', '(4,)'),
    case('matmul-1d-2d', lambda: t(3) @ t(4, 5), RT, 'matmul', '(3,)', '(4, 5)'),
    case('matmul-2d-1d', lambda: t(2, 3) @ t(4), RT, 'matmul', '(2, 3)', '(4,)'),
    case('matmul-2d-2d', lambda: t(2, 3) @ t(4, 5), RT, 'matmul', '(2, 3)', '(4, 5)'),
    case('matmul-0d', lambda: ag.matmul(ag.tensor(1.0), t(3)), RT, 'matmul'),
    case('einsum-sizes', lambda: ag.einsum('ij,jk->ik', X, X), RT, 'einsum'),
    case('add-broadcast', lambda: t(2, 3) + t(4), RT, 'add', '(2, 3)', '(4,)'),
    case('mul-broadcast', lambda: t(2, 3) * t(4), VE, 'mul', '(4,)'),
    case('eq-broadcast', lambda: ag.eq(t(2, 3), t(4)), RT, 'equal', '(4,)'),
    case('lt-broadcast', lambda: t(2, 3) < t(4), RT, 'less', '(4,)'),
    case('pow-int-negative', lambda: i([2]) ** -1, RT, 'pow', '-1'),
    case('add-string', lambda: X + 'a', TE),
    case('gelu-approximate', lambda: ag.gelu(X, approximate='fast'), VE, 'gelu', 'fast'),
    case('sum-dim', lambda: X.sum(5), IE, 'sum', '5'),
    case('sum-repeated-dim', lambda: X.sum((0, 0)), RT, 'sum', '0'),
    case('mean-dim', lambda: X.mean(-3), IE, 'mean', '-3'),
    case('prod-dim', lambda: X.prod(2), IE, 'prod', '2'),
    case('amax-dim', lambda: X.amax(2), IE, 'amax', '2'),
    case('amin-dim', lambda: X.amin(-4), IE, 'amin', '-4'),
    case('max-dim', lambda: X.max(2), IE, 'max', '2'),
    case('min-dim', lambda: X.min(2), IE, 'min', '2'),
    case('argmax-dim', lambda: X.argmax(5), IE, 'argmax', '5'),
    case('argmin-dim', lambda: X.argmin(-3), IE, 'argmin', '-3'),
    case('any-dim', lambda: X.any(3), IE, 'any', '3'),
    case('all-dim', lambda: X.all(3), IE, 'all', '3'),
    case('var-dim', lambda: X.var(3), IE, 'var', '3'),
    case('std-dim', lambda: X.std(3), IE, 'std', '3'),
    case('norm-dim', lambda: X.norm(dim=5), IE, 'norm', '5'),
    case('logsumexp-dim', lambda: X.logsumexp(4), IE, 'logsumexp', '4'),
    case('softmax-dim', lambda: X.softmax(4), IE, 'softmax', '4'),
    case('log_softmax-dim', lambda: X.log_softmax(-3), IE, 'log_softmax', '-3'),
    case('sum-0d-dim', lambda: ag.tensor(1.0).sum(1), IE, 'sum', '1'),
    case('mean-0d-dim', lambda: ag.tensor(1.0).mean(-2), IE, 'mean', '-2'),
    case('allclose-shapes', lambda: ag.allclose(t(3), t(4)), RT, 'allclose', '(4,)'),
]


def _backward_numpy_gradient():
    (t(3, 4, rg=True) * 2).backward(gradient=np.ones(4))


def _backward_tensor_gradient():
    (t(3, 4, rg=True) * 2).backward(gradient=t(4, 3))


def _grad_numpy_outputs():
    x = t(3, 4, rg=True)
    ag.grad(x * 2, x, grad_outputs=np.ones(4))


def _grad_count():
    x = t(3, rg=True)
    ag.grad([x * 2], x, grad_outputs=[t(3), t(3)])


def _grad_unused():
    x, y = t(3, rg=True), t(3, rg=True)
    ag.grad((x * 2).sum(), [x, y])


def _backward_twice():
    y = (t(3, rg=True) * t(3, rg=True)).sum()
    y.backward()
    y.backward()


def _assign_grad():
    t(2, rg=True).grad = t(3)


ENGINE = [
    case('backward-numpy-gradient-shape', _backward_numpy_gradient, RT, 'backward', '(4,)'),
    case('backward-gradient-shape', _backward_tensor_gradient, VE, 'backward', '(4, 3)'),
    case('grad-numpy-outputs-shape', _grad_numpy_outputs, RT, 'grad', '(4,)'),
    case('grad-outputs-count', _grad_count, RT, 'grad', '2'),
    case('grad-unused', _grad_unused, RT, 'grad', 'allow_unused'),
    case('backward-non-scalar', lambda: (t(2, 3, rg=True) * 2).backward(), RT, 'backward',
         '(2, 3)'),
    case('backward-no-grad', lambda: t(2).sum().backward(), RT, 'backward'),
    case('grad-input-no-grad', lambda: ag.grad(t(2, rg=True).sum(), t(2)), RT, 'grad'),
    case('backward-twice', _backward_twice, RT, 'retain_graph=True'),
    case('grad-assign-shape', _assign_grad, RT, '(3,)'),
    case('item-many', lambda: X.item(), RT, 'item', '(3, 4)'),
    case('numpy-requires-grad', lambda: t(2, rg=True).numpy(), RT, 'detach'),
]


@pytest.mark.parametrize('fn,exc,needles', FACTORIES + SHAPES + INDEXING + MATH + ENGINE)
def test_bad_argument_raises_a_clear_error(fn, exc, needles):
    check(fn, exc, needles)


def test_error_classes_derive_from_the_builtins_pytorch_raises():
    e = ag.errors
    assert issubclass(e.ShapeError, (RuntimeError, ValueError))
    assert issubclass(e.IndexOutOfRange, RuntimeError) and issubclass(e.IndexOutOfRange, IE)
    assert issubclass(e.DtypeError, RuntimeError) and issubclass(e.DtypeError, TE)
    assert all(issubclass(e.DataError, k) for k in (RuntimeError, TE, VE))
    assert issubclass(e.ArgumentError, RuntimeError) and issubclass(e.ArgumentError, VE)


@pytest.mark.parametrize('fn', [
    lambda: ag.zeros(0), lambda: ag.arange(0),
    lambda: ag.zeros(0, 3).split(0), lambda: ag.tensor(1.0).flatten(0), lambda: ag.tensor(1.0).flatten(-1),
    lambda: X.take_along_dim(i([[-1]] * 3), 1), lambda: X.index_select(0, i(0)),
    lambda: ag.tensor(2.0).index_select(0, i([0])), lambda: ag.where(X),
    lambda: X.roll(1), lambda: X.roll((1, 1), (0, 1)), lambda: X.roll([1], 0),
    lambda: ag.arange(5, 0, -1), lambda: ag.cat((X, X)), lambda: X.flatten(1, 1),
    lambda: ag.tensor(1.0).sum(0), lambda: ag.tensor(1.0).mean(-1),
    lambda: ag.allclose(t(3, 4), t(4)),
], ids=['zeros-0', 'arange-0', 'split-0-empty-dim', 'flatten-0d', 'flatten-0d-minus-1',
        'take_along_dim-negative', 'index_select-0d-index', 'index_select-0d-input',
        'where-one-argument-float', 'roll-flat', 'roll-pairs', 'roll-list-int-dim',
        'arange-descending', 'cat-tuple', 'flatten-one-dim', 'sum-0d-dim-0', 'mean-0d-dim-minus-1',
        'allclose-broadcast'])
def test_inputs_pytorch_accepts_still_work(fn):
    fn()
