"""Mixed devices, family by family: where one side is an index, a target, a mask, a
weight or a gradient, the error names the function called and both devices. A second
NumPy-backed device ('fake:5') stands in for a GPU, so this runs everywhere."""
import numpy as np
import pytest

import autograd as ag
import nn
from autograd.backends.numpy_backend import NumpyBackend
from errors_table import case, check

F = nn.functional
OTHER = ag.backends.register(NumpyBackend('fake:5')).name
DE = ag.errors.DeviceError


def t(*shape, dtype='float32', rg=False, device='cpu'):
    return ag.ones(*shape, dtype=dtype, requires_grad=rg, device=device)


def far(x):
    return x.to(OTHER)


def i(values):
    return ag.tensor(values, dtype='int64')


X = t(3, 4)


def _backward_gradient():
    (t(3, rg=True) * 2).backward(gradient=t(3, device=OTHER))


def _grad_outputs():
    x = t(3, rg=True)
    ag.grad(x * 2, x, grad_outputs=t(3, device=OTHER))


def _embedding_layer():
    nn.Embedding(5, 2)(far(i([1, 2])))


CASES = [
    case('add', lambda: X + far(X), DE, 'add', 'cpu', OTHER),
    case('matmul', lambda: X @ far(t(4, 2)), DE, 'matmul', OTHER),
    case('matmul-1d', lambda: ag.matmul(t(4), far(t(4))), DE, 'matmul', OTHER),
    case('cat', lambda: ag.cat([X, far(X)]), DE, 'cat', OTHER),
    case('stack', lambda: ag.stack([X, far(X)]), DE, 'stack', OTHER),
    case('compare', lambda: X < far(X), DE, 'less', OTHER),
    case('where-condition', lambda: ag.where(far(t(3, 4, dtype='bool')), X, X), DE, 'where',
         OTHER),
    case('where-operand', lambda: ag.where(t(3, 4, dtype='bool'), X, far(X)), DE, 'where', OTHER),
    case('getitem-index', lambda: X[far(i([0, 1]))], DE, 'index', OTHER),
    case('gather-index', lambda: X.gather(1, far(ag.zeros(3, 1, dtype='int64'))), DE, 'gather',
         'index', OTHER),
    case('index_select-index', lambda: X.index_select(0, far(i([0]))), DE, 'index_select',
         OTHER),
    case('scatter_add-index', lambda: X.scatter_add(1, far(ag.zeros(3, 1, dtype='int64')),
                                                    t(3, 1)), DE, 'scatter_add', 'index', OTHER),
    case('scatter_add-src', lambda: X.scatter_add(1, ag.zeros(3, 1, dtype='int64'),
                                                  far(t(3, 1))), DE, 'scatter_add', 'src', OTHER),
    case('take_along_dim-index', lambda: X.take_along_dim(far(i([[0]])), 1), DE,
         'take_along_dim', OTHER),
    case('masked_fill-mask', lambda: X.masked_fill(far(t(3, 4, dtype='bool')), 0.0), DE,
         'masked_fill', 'mask', OTHER),
    case('masked_fill-value', lambda: X.masked_fill(t(3, 4, dtype='bool'), far(ag.tensor(1.0))),
         DE, 'masked_fill', 'value', OTHER),
    case('backward-gradient', _backward_gradient, DE, 'backward', 'gradient', OTHER),
    case('grad-grad_outputs', _grad_outputs, DE, 'grad', 'gradient', OTHER),
    case('cross_entropy-target', lambda: F.cross_entropy(X, far(i([0, 1, 2]))), DE,
         'cross_entropy', 'target', OTHER),
    case('cross_entropy-probabilities', lambda: F.cross_entropy(X, far(X)), DE, 'cross_entropy',
         OTHER),
    case('nll_loss-target', lambda: F.nll_loss(X, far(i([0, 1, 2]))), DE, 'nll_loss', OTHER),
    case('CrossEntropyLoss-target', lambda: nn.CrossEntropyLoss()(X, far(i([0, 1, 2]))), DE,
         'cross_entropy', OTHER),
    case('mse_loss-target', lambda: F.mse_loss(X, far(X)), DE, 'mse_loss', 'target', OTHER),
    case('l1_loss-target', lambda: F.l1_loss(X, far(X)), DE, 'l1_loss', OTHER),
    case('huber_loss-target', lambda: F.huber_loss(X, far(X)), DE, 'huber_loss', OTHER),
    case('smooth_l1_loss-target', lambda: F.smooth_l1_loss(X, far(X)), DE, 'smooth_l1_loss',
         OTHER),
    case('binary_cross_entropy-target', lambda: F.binary_cross_entropy(X * 0.5, far(X)), DE,
         'binary_cross_entropy', OTHER),
    case('bce_with_logits-target', lambda: F.binary_cross_entropy_with_logits(X, far(X)), DE,
         'binary_cross_entropy_with_logits', OTHER),
    case('embedding-indices', lambda: F.embedding(far(i([1, 2])), t(5, 2)), DE, 'embedding',
         'indices', OTHER),
    case('Embedding-layer-indices', _embedding_layer, DE, 'embedding', OTHER),
    case('attention-mask', lambda: F.scaled_dot_product_attention(
        t(2, 3, 4), t(2, 3, 4), t(2, 3, 4), attn_mask=far(t(3, 3))), DE,
        'scaled_dot_product_attention', 'attn_mask', OTHER),
    case('attention-bool-mask', lambda: F.scaled_dot_product_attention(
        t(2, 3, 4), t(2, 3, 4), t(2, 3, 4), attn_mask=far(t(3, 3, dtype='bool'))), DE,
        'scaled_dot_product_attention', OTHER),
    case('attention-key', lambda: F.scaled_dot_product_attention(
        t(2, 3, 4), far(t(2, 3, 4)), t(2, 3, 4)), DE, 'matmul', OTHER),
]


@pytest.mark.parametrize('fn,exc,needles', CASES)
def test_mixed_devices_raise_naming_the_function_and_both_devices(fn, exc, needles):
    check(fn, exc, needles)
    with pytest.raises(exc) as info:
        fn()
    assert 'cpu' in str(info.value)


def test_one_device_still_works_on_the_other_device():
    x = t(3, 4, device=OTHER, rg=True)
    loss = F.cross_entropy(x, far(i([0, 1, 2]))) + x.gather(1, far(i([[0]] * 3))).sum()
    loss = loss + F.embedding(far(i([1])), x).sum() + x.masked_fill(far(x.detach() > 0), 0).sum()
    loss.backward()
    assert x.grad.device == OTHER and np.isfinite(x.grad.numpy()).all()
