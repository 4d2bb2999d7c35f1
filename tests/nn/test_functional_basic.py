"""nn.functional: the functional forms (values, dtypes, gradients, second derivatives)."""
import numpy as np
import pytest

import autograd as ag
import nn
import nn.functional as F

rng = np.random.default_rng(2)


def T(a, grad=False):
    return ag.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


def test_exports():
    for name in ["linear", "relu", "leaky_relu", "elu", "gelu", "sigmoid", "tanh", "softmax",
                 "log_softmax", "softplus", "dropout", "batch_norm", "layer_norm", "embedding",
                 "one_hot", "pad", "mse_loss", "l1_loss", "huber_loss", "smooth_l1_loss",
                 "cross_entropy", "nll_loss", "binary_cross_entropy",
                 "binary_cross_entropy_with_logits", "kl_div", "negative_sampling_loss"]:
        assert callable(getattr(F, name)), name
    assert nn.functional is F


def test_one_hot():
    out = F.one_hot(ag.tensor([0, 2, 1]))
    assert out.dtype == np.int64
    np.testing.assert_array_equal(out.numpy(), np.eye(3, dtype=np.int64)[[0, 2, 1]])
    out = F.one_hot(ag.tensor([[1], [3]]), num_classes=5)
    assert out.shape == (2, 1, 5) and out.numpy()[1, 0, 3] == 1
    with pytest.raises(ValueError):
        F.one_hot(ag.tensor([5]), 3)
    with pytest.raises(TypeError):
        F.one_hot(ag.tensor([1.0]))


def test_pad():
    x = T(np.ones((2, 3)), True)
    y = F.pad(x, (1, 2))
    assert y.shape == (2, 6)
    assert ag.gradcheck(lambda x: F.pad(x, (1, 0, 0, 1), value=2.0), [x])


def test_float32_stays_float32():
    x = ag.randn(4, 3)
    w, b = ag.randn(2, 3), ag.randn(2)
    for y in (F.linear(x, w, b), F.relu(x), F.softmax(x, 1), F.layer_norm(x, 3),
              F.cross_entropy(x, ag.tensor([0, 1, 2, 0])),
              F.binary_cross_entropy_with_logits(x, ag.rand(4, 3)),
              F.binary_cross_entropy(ag.sigmoid(x), ag.rand(4, 3)),
              F.batch_norm(x, None, None, training=True), F.mse_loss(x, ag.zeros(4, 3))):
        assert y.dtype == np.float32


def test_softmax_implicit_dim():
    x = rng.standard_normal((2, 3))
    np.testing.assert_allclose(F.softmax(T(x)).numpy(), F.softmax(T(x), 1).numpy())
    x1 = rng.standard_normal(4)
    np.testing.assert_allclose(F.softmax(T(x1)).numpy().sum(), 1.0)


def test_functional_batch_norm_updates_given_buffers():
    x = rng.standard_normal((10, 3))
    rm, rv = ag.zeros(3, dtype="float64"), ag.ones(3, dtype="float64")
    F.batch_norm(T(x), rm, rv, training=True, momentum=0.5)
    np.testing.assert_allclose(rm.numpy(), 0.5 * x.mean(0))
    np.testing.assert_allclose(rv.numpy(), 0.5 + 0.5 * x.var(0, ddof=1))
    y = F.batch_norm(T(x), rm, rv, training=False)
    np.testing.assert_allclose(y.numpy(), (x - rm.numpy()) / np.sqrt(rv.numpy() + 1e-5))
    with pytest.raises(ValueError, match="channels"):
        F.batch_norm(T(x), ag.zeros(4), ag.ones(4), training=True)


def test_batch_norm_and_layer_norm_gradcheck():
    x = T(rng.standard_normal((4, 3, 2)), True)
    w, b = T(rng.standard_normal(3), True), T(rng.standard_normal(3), True)
    assert ag.gradcheck(lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True), [x, w, b])
    w2, b2 = T(rng.standard_normal(2), True), T(rng.standard_normal(2), True)
    assert ag.gradcheck(lambda x, w, b: F.layer_norm(x, (2,), w, b), [x, w2, b2])


def test_second_derivatives():
    x = T(rng.standard_normal((3, 4)), True)
    t = ag.tensor([0, 3, 1])
    assert ag.gradgradcheck(lambda x: F.cross_entropy(x, t, label_smoothing=0.1), [x])
    assert ag.gradgradcheck(lambda x: F.layer_norm(x, (4,)), [x])
    tb = T(rng.random((3, 4)))
    assert ag.gradgradcheck(lambda x: F.binary_cross_entropy_with_logits(x, tb), [x])
    assert ag.gradgradcheck(lambda x: F.batch_norm(x, None, None, training=True), [x])


def test_embedding_functional():
    w = T(rng.standard_normal((5, 2)), True)
    idx = ag.tensor([[4, 0], [0, 0]])
    out = F.embedding(idx, w, padding_idx=0)
    np.testing.assert_array_equal(out.detach().numpy(), w.detach().numpy()[idx.numpy()])
    out.sum().backward()
    assert (w.grad.numpy()[0] == 0).all() and (w.grad.numpy()[4] == 1).all()
    with pytest.raises(TypeError):
        F.embedding(T([1.0]), w)


def test_dropout_eval_and_p0_are_identity():
    x = ag.randn(3, 3)
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0) is x
