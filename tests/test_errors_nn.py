"""Argument validation of nn, as a table: layer constructors, functional forms,
convolutions and pools, losses, optimizers (and their state dicts), DataLoader and
schedulers. Each case names the exception type (PyTorch's, or a subclass) and what
the message must contain: the layer or function called and the offending value."""
import warnings

import pytest

import autograd as ag
import nn
from errors_table import case, check

F = nn.functional
RT, VE, TE, IE = RuntimeError, ValueError, TypeError, IndexError


def t(*shape, dtype='float32'):
    return ag.ones(*shape, dtype=dtype)


def i(values):
    return ag.tensor(values, dtype='int64')


def p(*shape):
    return nn.Parameter(ag.ones(*shape))


LAYERS = [
    case('Linear-in', lambda: nn.Linear(-1, 3), RT, 'Linear', 'in_features', '-1'),
    case('Linear-out', lambda: nn.Linear(3, -2), RT, 'Linear', 'out_features', '-2'),
    case('Linear-float', lambda: nn.Linear(2.5, 3), TE, 'Linear', '2.5'),
    case('Bilinear', lambda: nn.Bilinear(2, -1, 3), RT, 'Bilinear', '-1'),
    case('Embedding-num', lambda: nn.Embedding(-1, 3), RT, 'Embedding', '-1'),
    case('Embedding-dim', lambda: nn.Embedding(5, -3), RT, 'Embedding', '-3'),
    case('Embedding-padding_idx', lambda: nn.Embedding(5, 3, padding_idx=7), VE, 'Embedding',
         '7'),
    case('BatchNorm1d', lambda: nn.BatchNorm1d(-1), RT, 'BatchNorm1d', '-1'),
    case('BatchNorm2d', lambda: nn.BatchNorm2d(-2), RT, 'BatchNorm2d', '-2'),
    case('LayerNorm', lambda: nn.LayerNorm(-1), RT, 'LayerNorm', '-1'),
    case('LayerNorm-tuple', lambda: nn.LayerNorm((3, -4)), RT, 'LayerNorm', '-4'),
    case('Conv2d-padding', lambda: nn.Conv2d(1, 1, 3, padding=-1), RT, 'Conv2d', 'padding', '-1'),
    case('Conv2d-kernel', lambda: nn.Conv2d(1, 1, 0), RT, 'Conv2d', 'kernel_size', '0'),
    case('Conv2d-stride', lambda: nn.Conv2d(1, 1, 3, stride=0), RT, 'Conv2d', 'stride', '0'),
    case('Conv2d-dilation', lambda: nn.Conv2d(1, 1, 3, dilation=0), RT, 'Conv2d', 'dilation'),
    case('Conv2d-channels', lambda: nn.Conv2d(-1, 1, 3), RT, 'Conv2d', '-1'),
    case('Conv2d-groups-0', lambda: nn.Conv2d(2, 2, 3, groups=0), VE, 'Conv2d', 'groups', '0'),
    case('Conv2d-groups-divide', lambda: nn.Conv2d(2, 2, 3, groups=3), VE, 'Conv2d', '3'),
    case('Conv2d-padding_mode', lambda: nn.Conv2d(1, 1, 3, padding_mode='foo'), VE, 'Conv2d',
         'foo'),
    case('Conv2d-padding-string', lambda: nn.Conv2d(1, 1, 3, padding='full'), VE, 'Conv2d',
         'full'),
    case('Conv1d-stride', lambda: nn.Conv1d(1, 1, 3, stride=0), RT, 'Conv1d', 'stride'),
    case('ConvTranspose2d-stride', lambda: nn.ConvTranspose2d(1, 1, 3, stride=0), RT,
         'ConvTranspose2d', 'stride'),
    case('LSTM-hidden', lambda: nn.LSTM(3, 0), VE, 'LSTM', '0'),
    case('LSTM-layers', lambda: nn.LSTM(3, 4, num_layers=0), VE, 'LSTM', 'num_layers'),
    case('LSTM-input', lambda: nn.LSTM(-1, 4), RT, 'LSTM', '-1'),
    case('GRU-dropout', lambda: nn.GRU(3, 4, dropout=2), VE, 'GRU', '2'),
    case('RNNCell-input', lambda: nn.RNNCell(-1, 3), RT, 'RNNCell', '-1'),
    case('LSTMCell-hidden', lambda: nn.LSTMCell(3, -1), RT, 'LSTMCell', '-1'),
    case('MultiheadAttention-heads', lambda: nn.MultiheadAttention(10, 3), VE,
         'MultiheadAttention', '10', '3'),
    case('MultiheadAttention-zero', lambda: nn.MultiheadAttention(0, 1), VE,
         'MultiheadAttention', '0'),
    case('Dropout-high', lambda: nn.Dropout(1.5), VE, 'Dropout', '1.5'),
    case('Dropout-negative', lambda: nn.Dropout(-0.1), VE, 'Dropout', '-0.1'),
    case('GELU-approximate', lambda: nn.GELU('fast')(t(2)), VE, 'gelu', 'fast'),
]

FUNCTIONAL = [
    case('dropout-p', lambda: F.dropout(t(3), -0.1), VE, 'dropout', '-0.1'),
    case('linear-shapes', lambda: F.linear(t(2, 3), t(4, 5)), VE, 'linear', '(2, 3)'),
    case('embedding-1d-weight', lambda: F.embedding(i([0]), t(5)), RT, 'embedding', '(5,)'),
    case('embedding-float-index', lambda: F.embedding(t(2), t(5, 3)), TE, 'embedding', 'float32'),
    case('embedding-too-large', lambda: F.embedding(i([7]), t(5, 3)), IE, 'embedding', '7'),
    case('embedding-negative', lambda: F.embedding(i([-1]), t(5, 3)), IE, 'embedding', '-1'),
    case('Embedding-layer-too-large', lambda: nn.Embedding(5, 2)(i([5])), IE, 'embedding', '5'),
    case('one_hot-negative', lambda: F.one_hot(i([-1]), 3), VE, 'one_hot', '-1'),
    case('one_hot-float', lambda: F.one_hot(t(2), 3), TE, 'one_hot', 'float32'),
    case('layer_norm-shape', lambda: F.layer_norm(t(2, 3), (4,)), VE, 'layer_norm', '(2, 3)'),
    case('batch_norm-1d', lambda: F.batch_norm(t(3), None, None, training=True), VE,
         'batch_norm'),
    case('softmax-dim', lambda: F.softmax(t(2, 3), dim=3), IE, 'softmax', '3'),
    case('log_softmax-dim', lambda: F.log_softmax(t(2, 3), dim=-3), IE, 'log_softmax', '-3'),
    case('gelu-approximate', lambda: F.gelu(t(2), approximate='x'), VE, 'gelu', "'x'"),
    case('attention-mask-shape', lambda: F.scaled_dot_product_attention(
        t(2, 3, 4), t(2, 3, 4), t(2, 3, 4), attn_mask=t(5, 5)), RT,
        'scaled_dot_product_attention', '(5, 5)'),
    case('attention-bool-mask-shape', lambda: F.scaled_dot_product_attention(
        t(2, 3, 4), t(2, 3, 4), t(2, 3, 4), attn_mask=t(3, 2, dtype='bool')), RT,
        'scaled_dot_product_attention', '(3, 2)'),
    case('attention-qk-dims', lambda: F.scaled_dot_product_attention(
        t(2, 3, 4), t(2, 3, 5), t(2, 3, 4)), VE, 'scaled_dot_product_attention', '(2, 3, 5)'),
    case('attention-mask-and-causal', lambda: F.scaled_dot_product_attention(
        t(3, 4), t(3, 4), t(3, 4), attn_mask=t(3, 3), is_causal=True), VE,
        'scaled_dot_product_attention', 'is_causal'),
    case('MultiheadAttention-mask-shape', lambda: nn.MultiheadAttention(4, 2)(
        t(3, 1, 4), t(3, 1, 4), t(3, 1, 4), attn_mask=t(2, 2)), VE, 'multi_head_attention',
        '(2, 2)'),
]

X4 = t(1, 1, 5, 5)
W = t(1, 1, 3, 3)

CONV_POOL = [
    case('conv2d-stride', lambda: F.conv2d(X4, W, stride=0), RT, 'conv2d', 'stride', '0'),
    case('conv2d-stride-pair', lambda: F.conv2d(X4, W, stride=(1, -2)), RT, 'conv2d', '-2'),
    case('conv2d-padding', lambda: F.conv2d(X4, W, padding=-1), RT, 'conv2d', 'padding', '-1'),
    case('conv2d-dilation', lambda: F.conv2d(X4, W, dilation=0), RT, 'conv2d', 'dilation'),
    case('conv2d-channels', lambda: F.conv2d(t(1, 2, 5, 5), W), RT, 'conv2d', '2 channels'),
    case('conv2d-2d-input', lambda: F.conv2d(t(5, 5), W), VE, 'conv2d', '(5, 5)'),
    case('conv2d-padding-string', lambda: F.conv2d(X4, W, padding='full'), VE, 'conv2d', 'full'),
    case('conv2d-same-strided', lambda: F.conv2d(X4, W, stride=2, padding='same'), VE, 'conv2d',
         'same'),
    case('conv2d-too-small', lambda: F.conv2d(t(1, 1, 2, 2), W), RT, 'conv2d', '(2, 2)'),
    case('conv2d-layer-input', lambda: nn.Conv2d(1, 1, 3)(t(5)), VE, 'Conv2d', '(5,)'),
    case('conv1d-stride', lambda: F.conv1d(t(1, 1, 5), t(1, 1, 3), stride=0), RT, 'conv1d',
         'stride'),
    case('conv1d-weight', lambda: F.conv1d(t(1, 1, 5), t(1, 3)), VE, 'conv1d', '(1, 3)'),
    case('conv_transpose2d-stride', lambda: F.conv_transpose2d(X4, W, stride=0), RT,
         'conv_transpose2d', 'stride'),
    case('conv_transpose2d-output_padding', lambda: F.conv_transpose2d(X4, W, output_padding=-1),
         RT, 'conv_transpose2d', 'output_padding'),
    case('conv_transpose1d-padding', lambda: F.conv_transpose1d(t(1, 1, 5), t(1, 1, 3),
                                                                padding=-1), RT,
         'conv_transpose1d', '-1'),
    case('max_pool2d-kernel', lambda: F.max_pool2d(X4, 0), RT, 'max_pool2d', 'kernel_size', '0'),
    case('max_pool2d-stride', lambda: F.max_pool2d(X4, 2, 0), RT, 'max_pool2d', 'stride', '0'),
    case('max_pool2d-padding', lambda: F.max_pool2d(X4, 2, padding=-1), RT, 'max_pool2d', '-1'),
    case('max_pool2d-padding-large', lambda: F.max_pool2d(X4, 2, padding=2), RT, 'max_pool2d',
         'padding'),
    case('max_pool2d-dilation', lambda: F.max_pool2d(X4, 2, dilation=0), RT, 'max_pool2d',
         'dilation'),
    case('max_pool2d-2d-input', lambda: F.max_pool2d(t(5, 5), 2), RT, 'max_pool2d', '(5, 5)'),
    case('max_pool2d-too-small', lambda: F.max_pool2d(t(1, 1, 2, 2), 3), RT, 'max_pool2d', '2'),
    case('MaxPool2d-layer', lambda: nn.MaxPool2d(0)(X4), RT, 'max_pool2d', 'kernel_size'),
    case('max_pool1d-kernel', lambda: F.max_pool1d(t(1, 1, 5), 0), RT, 'max_pool1d', '0'),
    case('avg_pool2d-kernel', lambda: F.avg_pool2d(X4, 0), RT, 'avg_pool2d', 'kernel_size'),
    case('avg_pool2d-padding', lambda: F.avg_pool2d(X4, 2, padding=-1), RT, 'avg_pool2d', '-1'),
    case('avg_pool1d-stride', lambda: F.avg_pool1d(t(1, 1, 5), 2, 0), RT, 'avg_pool1d', 'stride'),
    case('adaptive_avg_pool2d-size', lambda: F.adaptive_avg_pool2d(X4, 0), VE,
         'adaptive_avg_pool2d', '0'),
]


def _quiet(fn):
    """The losses warn first about mismatched sizes, as PyTorch does, then raise."""
    def run():
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            return fn()
    return run


LOSSES = [
    case('mse_loss-shapes', _quiet(lambda: F.mse_loss(t(3), t(4))), RT, 'mse_loss', '(4,)'),
    case('MSELoss-shapes', _quiet(lambda: nn.MSELoss()(t(2, 3), t(2, 4))), VE, 'mse_loss',
         '(2, 4)'),
    case('l1_loss-shapes', _quiet(lambda: F.l1_loss(t(3), t(4))), RT, 'l1_loss', '(4,)'),
    case('huber_loss-shapes', _quiet(lambda: F.huber_loss(t(3), t(4))), RT, 'huber_loss', '(4,)'),
    case('smooth_l1_loss-shapes', _quiet(lambda: F.smooth_l1_loss(t(3), t(4))), RT,
         'smooth_l1_loss', '(4,)'),
    case('huber_loss-delta', lambda: F.huber_loss(t(3), t(3), delta=0), RT, 'huber_loss', '0'),
    case('smooth_l1_loss-beta', lambda: F.smooth_l1_loss(t(3), t(3), beta=-1), RT,
         'smooth_l1_loss', '-1'),
    case('mse_loss-reduction', lambda: F.mse_loss(t(3), t(3), reduction='avg'), VE, 'mse_loss',
         'avg'),
    case('cross_entropy-target-large', lambda: F.cross_entropy(t(3, 4), i([0, 1, 7])), IE,
         'cross_entropy', '7'),
    case('cross_entropy-target-negative', lambda: F.cross_entropy(t(3, 4), i([0, 1, -3])), IE,
         'cross_entropy', '-3'),
    case('cross_entropy-batch', lambda: F.cross_entropy(t(3, 4), i([0, 1])), VE,
         'cross_entropy', '(2,)'),
    case('cross_entropy-probabilities-shape', lambda: F.cross_entropy(t(3, 4), t(3, 5)), VE,
         'cross_entropy', '(3, 5)'),
    case('cross_entropy-label_smoothing', lambda: F.cross_entropy(t(3, 4), i([0, 1, 2]),
                                                                  label_smoothing=2.0), VE,
         'cross_entropy', '2.0'),
    case('cross_entropy-weight', lambda: F.cross_entropy(t(3, 4), i([0, 1, 2]), weight=t(3)), VE,
         'cross_entropy', '(3,)'),
    case('cross_entropy-0d', lambda: F.cross_entropy(ag.tensor(1.0), i(0)), VE, 'cross_entropy'),
    case('cross_entropy-reduction', lambda: F.cross_entropy(t(3, 4), t(3, 4), reduction='x'), VE,
         'cross_entropy', "'x'"),
    case('CrossEntropyLoss-target', lambda: nn.CrossEntropyLoss()(t(3, 4), i([0, 1, 9])), IE,
         'cross_entropy', '9'),
    case('nll_loss-float-target', lambda: F.nll_loss(t(3, 4), t(3)), TE, 'nll_loss', 'float32'),
    case('nll_loss-target-large', lambda: F.nll_loss(t(3, 4), i([4, 0, 0])), IE, 'nll_loss', '4'),
    case('binary_cross_entropy-shapes', lambda: F.binary_cross_entropy(t(3), t(4)), VE,
         'binary_cross_entropy', '(4,)'),
    case('binary_cross_entropy-input-range', lambda: F.binary_cross_entropy(
        ag.tensor([0.5, 1.5]), t(2)), VE, 'binary_cross_entropy', 'input', '1.5'),
    case('binary_cross_entropy-target-range', lambda: F.binary_cross_entropy(
        ag.tensor([0.5, 0.5]), ag.tensor([0.0, 2.0])), VE, 'binary_cross_entropy', 'target', '2'),
    case('binary_cross_entropy-weight', lambda: F.binary_cross_entropy(t(2, 3) * 0.5, t(2, 3),
                                                                       weight=t(4)), VE,
         'binary_cross_entropy', '(4,)'),
    case('bce_with_logits-shapes', lambda: F.binary_cross_entropy_with_logits(t(3), t(4)), VE,
         'binary_cross_entropy_with_logits', '(4,)'),
]


def _adam_state_of_other_shapes():
    a = p(3)
    opt = nn.optim.Adam([a])
    a.grad = t(3)
    opt.step()
    other = nn.optim.Adam([p(4)])
    other.load_state_dict(opt.state_dict())


def _sgd_state_of_other_shapes():
    a = p(2, 2)
    opt = nn.optim.SGD([a], lr=0.1, momentum=0.9)
    a.grad = t(2, 2)
    opt.step()
    nn.optim.SGD([p(2, 3)], lr=0.1, momentum=0.9).load_state_dict(opt.state_dict())


def _groups_mismatch():
    opt = nn.optim.SGD([p(2)], lr=0.1)
    nn.optim.SGD([{'params': [p(2)]}, {'params': [p(2)]}], lr=0.1).load_state_dict(
        opt.state_dict())


OPTIMIZERS = [
    case('Adam-lr', lambda: nn.optim.Adam([p(2)], lr=-1), VE, 'Adam', '-1'),
    case('Adam-beta0', lambda: nn.optim.Adam([p(2)], betas=(1.0, 0.9)), VE, 'Adam', '1.0'),
    case('Adam-beta1', lambda: nn.optim.Adam([p(2)], betas=(0.9, -0.1)), VE, 'Adam', '-0.1'),
    case('Adam-eps', lambda: nn.optim.Adam([p(2)], eps=-1e-8), VE, 'Adam', '-1e-08'),
    case('Adam-weight_decay', lambda: nn.optim.Adam([p(2)], weight_decay=-1), VE, 'Adam',
         'weight_decay'),
    case('AdamW-lr', lambda: nn.optim.AdamW([p(2)], lr=-0.5), VE, 'AdamW', '-0.5'),
    case('SGD-lr', lambda: nn.optim.SGD([p(2)], lr=-0.1), VE, 'SGD', '-0.1'),
    case('SGD-momentum', lambda: nn.optim.SGD([p(2)], lr=0.1, momentum=-1), VE, 'SGD', '-1'),
    case('SGD-weight_decay', lambda: nn.optim.SGD([p(2)], lr=0.1, weight_decay=-2), VE, 'SGD',
         '-2'),
    case('SGD-nesterov', lambda: nn.optim.SGD([p(2)], lr=0.1, nesterov=True), VE, 'SGD',
         'Nesterov'),
    case('RMSprop-alpha', lambda: nn.optim.RMSprop([p(2)], alpha=-1), VE, 'RMSprop', '-1'),
    case('RMSprop-eps', lambda: nn.optim.RMSprop([p(2)], eps=-1), VE, 'RMSprop', 'epsilon'),
    case('Adagrad-lr_decay', lambda: nn.optim.Adagrad([p(2)], lr_decay=-1), VE, 'Adagrad',
         'lr_decay'),
    case('Adagrad-eps', lambda: nn.optim.Adagrad([p(2)], eps=-1), VE, 'Adagrad', '-1'),
    case('Adadelta-rho', lambda: nn.optim.Adadelta([p(2)], rho=2), VE, 'Adadelta', '2'),
    case('Adadelta-lr', lambda: nn.optim.Adadelta([p(2)], lr=-1), VE, 'Adadelta', '-1'),
    case('optimizer-empty', lambda: nn.optim.SGD([], lr=0.1), VE, 'empty'),
    case('optimizer-non-leaf', lambda: nn.optim.SGD([p(2) * 2], lr=0.1), VE, 'leaf'),
    case('load_state_dict-Adam-shapes', _adam_state_of_other_shapes, VE, 'Adam', 'exp_avg',
         '(3,)', '(4,)'),
    case('load_state_dict-SGD-shapes', _sgd_state_of_other_shapes, VE, 'SGD', 'momentum_buffer',
         '(2, 2)', '(2, 3)'),
    case('load_state_dict-groups', _groups_mismatch, VE, 'parameter groups'),
]


def _sgd():
    return nn.optim.SGD([p(2)], lr=0.1)


DATA_AND_SCHEDULERS = [
    case('DataLoader-batch-0', lambda: nn.data.DataLoader([1, 2], batch_size=0), VE, 'DataLoader',
         '0'),
    case('DataLoader-batch-negative', lambda: nn.data.DataLoader([1, 2], batch_size=-1), VE,
         'DataLoader', '-1'),
    case('DataLoader-batch-float', lambda: nn.data.DataLoader([1, 2], batch_size=2.5), VE,
         'DataLoader', '2.5'),
    case('TensorDataset-sizes', lambda: nn.data.TensorDataset(t(3), t(4)), VE, 'Size mismatch'),
    case('random_split-lengths', lambda: nn.data.random_split(range(10), [3, 3]), VE, 'lengths'),
    case('StepLR-step_size', lambda: nn.optim.lr_scheduler.StepLR(_sgd(), 0), RT, 'StepLR', '0'),
    case('CosineAnnealingLR-T_max', lambda: nn.optim.lr_scheduler.CosineAnnealingLR(_sgd(), 0),
         VE, 'CosineAnnealingLR', '0'),
    case('ConstantLR-factor', lambda: nn.optim.lr_scheduler.ConstantLR(_sgd(), factor=2), VE,
         'ConstantLR'),
    case('LinearLR-start', lambda: nn.optim.lr_scheduler.LinearLR(_sgd(), start_factor=0), VE,
         'LinearLR'),
    case('LambdaLR-count', lambda: nn.optim.lr_scheduler.LambdaLR(_sgd(), [abs, abs]), VE,
         'LambdaLR', '2'),
    case('ReduceLROnPlateau-factor', lambda: nn.optim.lr_scheduler.ReduceLROnPlateau(
        _sgd(), factor=1.0), VE, 'ReduceLROnPlateau', '1.0'),
    case('ReduceLROnPlateau-mode', lambda: nn.optim.lr_scheduler.ReduceLROnPlateau(
        _sgd(), mode='up'), VE, 'ReduceLROnPlateau', 'up'),
    case('ReduceLROnPlateau-threshold_mode', lambda: nn.optim.lr_scheduler.ReduceLROnPlateau(
        _sgd(), threshold_mode='x'), VE, 'ReduceLROnPlateau', "'x'"),
    case('scheduler-not-an-optimizer', lambda: nn.optim.lr_scheduler.StepLR(object(), 1), TE,
         'Optimizer'),
]


@pytest.mark.parametrize('fn,exc,needles',
                         LAYERS + FUNCTIONAL + CONV_POOL + LOSSES + OPTIMIZERS + DATA_AND_SCHEDULERS)
def test_bad_argument_raises_a_clear_error(fn, exc, needles):
    check(fn, exc, needles)


def test_a_failed_load_state_dict_leaves_the_optimizer_as_it_was():
    a = p(3)
    opt = nn.optim.Adam([a])
    a.grad = t(3)
    opt.step()
    b = p(4)
    other = nn.optim.Adam([b])
    b.grad = t(4)
    other.step()
    before = other.state_dict()['state'][0]['exp_avg'].numpy().copy()
    with pytest.raises(ValueError):
        other.load_state_dict(opt.state_dict())
    assert (other.state_dict()['state'][0]['exp_avg'].numpy() == before).all()
    other.step()                      # still usable


@pytest.mark.parametrize('fn', [
    lambda: nn.Conv2d(0, 1, 3), lambda: nn.LayerNorm(0), lambda: nn.Linear(0, 3),
    lambda: F.conv2d(t(2, 5, 5), t(1, 2, 3, 3)), lambda: nn.Conv2d(1, 1, 3, padding='same'),
    lambda: F.max_pool2d(X4, 2, padding=1), lambda: F.huber_loss(t(3), t(3), delta=0.5),
    lambda: F.smooth_l1_loss(t(3), t(3), beta=0.0), lambda: nn.optim.SGD([p(2)], lr=0.0),
    lambda: F.binary_cross_entropy(ag.tensor([0.0, 1.0]), ag.tensor([1.0, 0.0])),
], ids=['Conv2d-0-channels', 'LayerNorm-0', 'Linear-0', 'conv2d-unbatched', 'Conv2d-same',
        'max_pool2d-half-padding', 'huber_loss-delta', 'smooth_l1_loss-beta-0', 'SGD-lr-0',
        'binary_cross_entropy-edges'])
def test_inputs_pytorch_accepts_still_work(fn):
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')      # zero-element init warns, as in PyTorch
        result = fn()
    assert result is not None                # built or computed, no exception
