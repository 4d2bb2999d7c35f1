"""SiLU, Mish, Hardswish, ..., GroupNorm, distances: values against NumPy formulas written
from PyTorch's documentation, gradients (and second derivatives) against finite differences."""
import numpy as np
import pytest

import autograd as ag
import nn
import nn.functional as F

RS = np.random.RandomState(0)
X = RS.randn(4, 6, 3) * 3
Y = RS.randn(4, 6, 3)


def sig(v):
    return 1 / (1 + np.exp(-v))


def softplus(v):
    return np.log1p(np.exp(v))


def elu(v, alpha):
    return np.where(v > 0, v, alpha * (np.exp(v) - 1))


SELU_A, SELU_S = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946

CASES = [
    (F.silu, nn.SiLU(), lambda v: v * sig(v)),
    (F.mish, nn.Mish(), lambda v: v * np.tanh(softplus(v))),
    (F.hardtanh, nn.Hardtanh(), lambda v: np.clip(v, -1, 1)),
    (F.relu6, nn.ReLU6(), lambda v: np.clip(v, 0, 6)),
    (F.hardsigmoid, nn.Hardsigmoid(), lambda v: np.clip(v / 6 + 0.5, 0, 1)),
    (F.hardswish, nn.Hardswish(), lambda v: v * np.clip(v / 6 + 0.5, 0, 1)),
    (F.selu, nn.SELU(), lambda v: SELU_S * elu(v, SELU_A)),
    (lambda v: F.celu(v, 0.7), nn.CELU(0.7), lambda v: np.maximum(v, 0) + np.minimum(0, 0.7 * (np.exp(v / 0.7) - 1))),
    (F.softsign, nn.Softsign(), lambda v: v / (1 + np.abs(v))),
    (F.tanhshrink, nn.Tanhshrink(), lambda v: v - np.tanh(v)),
    (lambda v: F.threshold(v, 0.1, -2.0), nn.Threshold(0.1, -2.0), lambda v: np.where(v > 0.1, v, -2.0)),
    (F.logsigmoid, nn.LogSigmoid(), lambda v: -softplus(-v)),
    (lambda v: F.glu(v, 1), nn.GLU(1), lambda v: v[:, :3] * sig(v[:, 3:])),
    (lambda v: F.softmin(v, 1), nn.Softmin(1), lambda v: np.exp(-v) / np.exp(-v).sum(1, keepdims=True)),
]


@pytest.mark.parametrize("fn, module, ref", CASES)
def test_values_match_the_formula(fn, module, ref):
    x = ag.tensor(X)
    np.testing.assert_allclose(fn(x).numpy(), ref(X), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(module(x).numpy(), ref(X), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("fn, module, ref", CASES)
def test_gradients(fn, module, ref):
    x = ag.tensor(RS.randn(2, 6) + 0.05, requires_grad=True)   # off the kinks
    assert ag.gradcheck(fn, (x,))
    assert ag.gradgradcheck(fn, (x,))


def test_prelu_per_channel_and_shared():
    w = RS.rand(6)
    out = F.prelu(ag.tensor(X), ag.tensor(w)).numpy()
    np.testing.assert_array_equal(out, np.where(X >= 0, X, w[None, :, None] * X))
    m = nn.PReLU()
    assert m.weight.shape == (1,) and float(m.weight.item()) == 0.25
    np.testing.assert_allclose(m(ag.tensor(X)).detach().numpy(), np.where(X >= 0, X, 0.25 * X))
    wt = ag.tensor(w, requires_grad=True)
    assert ag.gradcheck(lambda a, b: F.prelu(a, b), (ag.tensor(X[:1] + 0.05, requires_grad=True), wt))
    with pytest.raises(ValueError, match="prelu: weight has 6 values"):
        F.prelu(ag.zeros(2, 5), ag.tensor(w))


def test_normalize_cosine_pairwise():
    x, y = ag.tensor(X), ag.tensor(Y)
    nx, ny = np.linalg.norm(X, axis=1, keepdims=True), np.linalg.norm(Y, axis=1, keepdims=True)
    np.testing.assert_allclose(F.normalize(x).numpy(), X / nx)
    np.testing.assert_allclose(F.cosine_similarity(x, y).numpy(), ((X / nx) * (Y / ny)).sum(1))
    np.testing.assert_allclose(nn.CosineSimilarity(dim=1)(x, y).numpy(), ((X / nx) * (Y / ny)).sum(1))
    np.testing.assert_allclose(nn.PairwiseDistance()(x, y).numpy(), np.linalg.norm(X - Y + 1e-6, axis=-1))
    a, b = ag.tensor(Y[:2], requires_grad=True), ag.tensor(X[:2], requires_grad=True)
    assert ag.gradcheck(lambda u, v: F.cosine_similarity(u, v), (a, b))
    assert ag.gradcheck(lambda u: F.normalize(u, dim=-1), (a,))


def test_group_norm_module_and_gradient():
    m = nn.GroupNorm(3, 6)
    assert list(m.state_dict()) == ["weight", "bias"] and repr(m) == "GroupNorm(3, 6, eps=1e-05, affine=True)"
    g = X.reshape(4, 3, -1)
    ref = ((g - g.mean(-1, keepdims=True)) / np.sqrt(g.var(-1, keepdims=True) + 1e-5)).reshape(X.shape)
    np.testing.assert_allclose(m(ag.tensor(X)).detach().numpy(), ref, rtol=1e-10, atol=1e-12)
    w, b = ag.tensor(RS.rand(6), requires_grad=True), ag.tensor(RS.rand(6), requires_grad=True)
    x = ag.tensor(RS.randn(2, 6, 2), requires_grad=True)
    assert ag.gradcheck(lambda a, c, d: F.group_norm(a, 2, c, d), (x, w, b))
    with pytest.raises(ValueError, match="num_channels \\(6\\) must be divisible by num_groups \\(4\\)"):
        nn.GroupNorm(4, 6)
    assert nn.GroupNorm(2, 4, affine=False).weight is None


def test_unflatten_and_reprs():
    assert nn.Unflatten(1, (2, 3))(ag.zeros(4, 6, 5)).shape == (4, 2, 3, 5)
    assert nn.Unflatten(-1, (5, 1))(ag.zeros(4, 5)).shape == (4, 5, 1)
    assert repr(nn.Unflatten(1, (2, 3))) == "Unflatten(dim=1, unflattened_size=(2, 3))"
    assert repr(nn.ReLU6(inplace=True)) == "ReLU6(inplace=True)"
    assert repr(nn.Hardtanh()) == "Hardtanh(min_val=-1.0, max_val=1.0)"
    assert repr(nn.PReLU(3)) == "PReLU(num_parameters=3)"
