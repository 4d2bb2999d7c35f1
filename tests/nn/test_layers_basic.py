"""Linear, activations, Dropout, BatchNorm, LayerNorm, Embedding as modules: shapes, init,
state_dict keys, errors, and gradients (ag.gradcheck in float64)."""
import math

import numpy as np
import pytest

import autograd as ag
import nn
import nn.functional as F

rng = np.random.default_rng(1)


def T(a, grad=False):
    return ag.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


def module_gradcheck(m, *inputs):
    """gradcheck of the module's output w.r.t. its inputs and all its parameters."""
    params = [p for p in m.parameters()]
    n = len(inputs)

    def fn(*args):
        return m(*args[:n])
    assert ag.gradcheck(fn, list(inputs) + params)


# --- Linear ------------------------------------------------------------------------
def test_linear_shapes_init_repr():
    ag.manual_seed(0)
    m = nn.Linear(20, 7)
    assert m.weight.shape == (7, 20) and m.bias.shape == (7,)
    assert m.weight.dtype == np.float32
    bound = 1 / math.sqrt(20)
    for p in (m.weight, m.bias):
        a = p.detach().numpy()
        assert np.abs(a).max() <= bound and np.abs(a).max() > 0.5 * bound
    assert repr(m) == "Linear(in_features=20, out_features=7, bias=True)"
    assert list(m.state_dict()) == ["weight", "bias"]
    m2 = nn.Linear(3, 2, bias=False)
    assert m2.bias is None and list(m2.state_dict()) == ["weight"]
    assert "bias=False" in repr(m2)
    assert m(ag.randn(5, 20)).shape == (5, 7)
    assert m(ag.randn(2, 3, 20)).shape == (2, 3, 7)


def test_linear_values_and_gradcheck():
    m = nn.Linear(3, 2).double()
    x = T(rng.standard_normal((4, 3)), True)
    ref = x.detach().numpy() @ m.weight.detach().numpy().T + m.bias.detach().numpy()
    np.testing.assert_allclose(m(x).detach().numpy(), ref)
    module_gradcheck(m, x)
    module_gradcheck(nn.Linear(3, 2, bias=False).double(), x)


def test_linear_wrong_width_names_in_features():
    m = nn.Linear(4, 2)
    with pytest.raises(ValueError, match="in_features=4") as e:
        m(ag.randn(3, 5))
    assert "(3, 5)" in str(e.value)
    with pytest.raises(ValueError, match="in_features"):
        F.linear(ag.randn(3, 5), ag.randn(2, 4))


def test_bilinear():
    m = nn.Bilinear(3, 4, 2).double()
    assert m.weight.shape == (2, 3, 4) and m.bias.shape == (2,)
    x1, x2 = T(rng.standard_normal((5, 3)), True), T(rng.standard_normal((5, 4)), True)
    ref = np.einsum("bi,oij,bj->bo", x1.detach().numpy(), m.weight.detach().numpy(),
                    x2.detach().numpy()) + m.bias.detach().numpy()
    np.testing.assert_allclose(m(x1, x2).detach().numpy(), ref)
    module_gradcheck(m, x1, x2)


# --- activations ------------------------------------------------------------------
ACTS = [
    (nn.ReLU(), lambda x: np.maximum(x, 0), "ReLU()"),
    (nn.LeakyReLU(0.2), lambda x: np.where(x > 0, x, 0.2 * x), "LeakyReLU(negative_slope=0.2)"),
    (nn.ELU(), lambda x: np.where(x > 0, x, np.expm1(x)), "ELU(alpha=1.0)"),
    (nn.Sigmoid(), lambda x: 1 / (1 + np.exp(-x)), "Sigmoid()"),
    (nn.Tanh(), np.tanh, "Tanh()"),
    (nn.Softplus(), lambda x: np.log1p(np.exp(x)), "Softplus(beta=1.0, threshold=20.0)"),
    (nn.Softmax(dim=1), lambda x: np.exp(x) / np.exp(x).sum(1, keepdims=True), "Softmax(dim=1)"),
    (nn.LogSoftmax(dim=1), lambda x: x - np.log(np.exp(x).sum(1, keepdims=True)), "LogSoftmax(dim=1)"),
    (nn.GELU(), None, "GELU(approximate='none')"),
]


@pytest.mark.parametrize("m,ref,rep", ACTS, ids=[r for _, _, r in ACTS])
def test_activations(m, ref, rep):
    x = T(rng.standard_normal((3, 4)) + 0.05, True)
    y = m(x)
    if ref is not None:
        np.testing.assert_allclose(y.detach().numpy(), ref(x.detach().numpy()), rtol=1e-10)
    assert repr(m) == rep
    assert ag.gradcheck(m, [x])


def test_gelu_values():
    from math import erf
    x = rng.standard_normal(6)
    ref = [0.5 * v * (1 + erf(v / math.sqrt(2))) for v in x]
    np.testing.assert_allclose(nn.GELU()(T(x)).detach().numpy(), ref, rtol=1e-10)


# --- Dropout -----------------------------------------------------------------------
def test_dropout_train_eval():
    ag.manual_seed(0)
    m = nn.Dropout(0.3)
    assert repr(m) == "Dropout(p=0.3, inplace=False)"
    x = ag.ones(200, 50)
    y = m(x).numpy()
    kept = y != 0
    assert abs(kept.mean() - 0.7) < 0.02
    np.testing.assert_allclose(y[kept], 1 / 0.7, rtol=1e-6)
    m.eval()
    assert m(x) is x
    ag.manual_seed(5)
    a = F.dropout(x, 0.5).numpy()
    ag.manual_seed(5)
    b = F.dropout(x, 0.5).numpy()
    np.testing.assert_array_equal(a, b)
    assert (F.dropout(x, 1.0).numpy() == 0).all()
    with pytest.raises(ValueError):
        nn.Dropout(1.5)


def test_dropout_gradient_uses_mask():
    ag.manual_seed(3)
    x = ag.randn(10, 10, requires_grad=True)
    y = F.dropout(x, 0.4)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), (y.detach().numpy() != 0) / 0.6, rtol=1e-6)


# --- BatchNorm ---------------------------------------------------------------------
def test_batchnorm_state_dict_keys_and_repr():
    m = nn.BatchNorm2d(3)
    assert list(m.state_dict()) == ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
    assert m.num_batches_tracked.dtype == np.int64
    assert repr(m) == "BatchNorm2d(3, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)"
    m = nn.BatchNorm1d(4, affine=False, track_running_stats=False)
    assert list(m.state_dict()) == []
    assert [n for n, _ in nn.BatchNorm1d(2).named_parameters()] == ["weight", "bias"]


@pytest.mark.parametrize("shape,cls", [((8, 3), nn.BatchNorm1d), ((4, 3, 5), nn.BatchNorm1d),
                                       ((2, 3, 4, 5), nn.BatchNorm2d)])
def test_batchnorm_training_and_running_stats(shape, cls):
    m = cls(3).double()
    with ag.no_grad():
        m.weight.copy_(T([1.0, 2.0, 0.5]))
        m.bias.copy_(T([0.0, -1.0, 3.0]))
    x = rng.standard_normal(shape) * 2 + 1
    axes = (0,) + tuple(range(2, len(shape)))
    bshape = (1, 3) + (1,) * (len(shape) - 2)
    mean = x.mean(axes)
    var = x.var(axes)
    n = x.size // 3
    y = m(T(x)).detach().numpy()
    ref = (x - mean.reshape(bshape)) / np.sqrt(var.reshape(bshape) + 1e-5)
    ref = ref * np.array([1.0, 2.0, 0.5]).reshape(bshape) + np.array([0.0, -1.0, 3.0]).reshape(bshape)
    np.testing.assert_allclose(y, ref, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(m.running_mean.numpy(), 0.1 * mean)
    np.testing.assert_allclose(m.running_var.numpy(), 0.9 + 0.1 * var * n / (n - 1))
    assert m.num_batches_tracked.item() == 1
    # eval mode uses the running stats and leaves them alone
    m.eval()
    rm, rv = m.running_mean.numpy().copy(), m.running_var.numpy().copy()
    y2 = m(T(x)).detach().numpy()
    ref2 = (x - rm.reshape(bshape)) / np.sqrt(rv.reshape(bshape) + 1e-5)
    ref2 = ref2 * np.array([1.0, 2.0, 0.5]).reshape(bshape) + np.array([0.0, -1.0, 3.0]).reshape(bshape)
    np.testing.assert_allclose(y2, ref2, rtol=1e-10)
    np.testing.assert_array_equal(m.running_mean.numpy(), rm)
    assert m.num_batches_tracked.item() == 1


def test_batchnorm_cumulative_momentum_none():
    m = nn.BatchNorm1d(2, momentum=None).double()
    xs = [rng.standard_normal((5, 2)) for _ in range(3)]
    for x in xs:
        m(T(x))
    np.testing.assert_allclose(m.running_mean.numpy(), np.mean([x.mean(0) for x in xs], 0))
    np.testing.assert_allclose(m.running_var.numpy(), np.mean([x.var(0, ddof=1) for x in xs], 0))
    assert m.num_batches_tracked.item() == 3


def test_batchnorm_no_running_stats_uses_batch_in_eval():
    m = nn.BatchNorm1d(2, track_running_stats=False).double().eval()
    x = rng.standard_normal((6, 2))
    np.testing.assert_allclose(m(T(x)).detach().numpy(), (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-5))


def test_batchnorm_gradcheck():
    m = nn.BatchNorm2d(2).double()
    x = T(rng.standard_normal((3, 2, 2, 2)), True)
    module_gradcheck(m, x)
    m1 = nn.BatchNorm1d(3).double()
    module_gradcheck(m1, T(rng.standard_normal((4, 3)), True))
    m1.eval()
    module_gradcheck(m1, T(rng.standard_normal((4, 3)), True))


def test_batchnorm_errors():
    with pytest.raises(ValueError, match="num_features=3"):
        nn.BatchNorm2d(3)(ag.randn(2, 4, 5, 5))
    with pytest.raises(ValueError, match="4D"):
        nn.BatchNorm2d(3)(ag.randn(2, 3))
    with pytest.raises(ValueError, match="2D or 3D"):
        nn.BatchNorm1d(3)(ag.randn(2, 3, 4, 4))
    with pytest.raises(ValueError, match="more than 1 value"):
        nn.BatchNorm1d(3)(ag.randn(1, 3))


def test_batchnorm_load_state_dict_roundtrip():
    a = nn.BatchNorm2d(3)
    a(ag.randn(4, 3, 2, 2))
    b = nn.BatchNorm2d(3)
    b.load_state_dict(a.state_dict())
    np.testing.assert_array_equal(b.running_var.numpy(), a.running_var.numpy())
    assert b.num_batches_tracked.item() == 1


# --- LayerNorm ---------------------------------------------------------------------
def test_layernorm():
    m = nn.LayerNorm((3, 4)).double()
    assert repr(m) == "LayerNorm((3, 4), eps=1e-05, elementwise_affine=True, bias=True)"
    assert list(m.state_dict()) == ["weight", "bias"] and m.weight.shape == (3, 4)
    x = rng.standard_normal((2, 3, 4))
    mean = x.mean((1, 2), keepdims=True)
    var = x.var((1, 2), keepdims=True)
    np.testing.assert_allclose(m(T(x)).detach().numpy(), (x - mean) / np.sqrt(var + 1e-5), rtol=1e-10)
    with ag.no_grad():
        m.weight.copy_(T(rng.standard_normal((3, 4))))
        m.bias.copy_(T(rng.standard_normal((3, 4))))
    module_gradcheck(m, T(x, True))
    m2 = nn.LayerNorm(4, elementwise_affine=False)
    assert list(m2.state_dict()) == []
    with pytest.raises(ValueError, match="normalized_shape"):
        nn.LayerNorm(5)(ag.randn(2, 4))


# --- Embedding ---------------------------------------------------------------------
def test_embedding():
    ag.manual_seed(0)
    m = nn.Embedding(1000, 8)
    w = m.weight.detach().numpy()
    assert w.shape == (1000, 8) and list(m.state_dict()) == ["weight"]
    assert abs(w.mean()) < 0.05 and abs(w.std() - 1) < 0.05
    idx = ag.tensor([[1, 2, 3], [4, 1, 999]])
    out = m(idx)
    assert out.shape == (2, 3, 8)
    np.testing.assert_array_equal(out.detach().numpy(), w[idx.numpy()])
    with pytest.raises(IndexError):
        m(ag.tensor([1000]))
    assert repr(m) == "Embedding(1000, 8)"


def test_embedding_padding_idx_and_grad():
    m = nn.Embedding(5, 3, padding_idx=1).double()
    assert (m.weight.detach().numpy()[1] == 0).all()
    assert repr(m) == "Embedding(5, 3, padding_idx=1)"
    idx = ag.tensor([[0, 1, 2], [1, 2, 2]])
    out = m(idx)
    (out * T(rng.standard_normal((2, 3, 3)))).sum().backward()
    g = m.weight.grad.numpy()
    assert (g[1] == 0).all() and (g[0] != 0).all() and (g[3] == 0).all()
    # repeated indices accumulate
    m.weight.grad = None
    m(ag.tensor([2, 2, 2])).sum().backward()
    np.testing.assert_allclose(m.weight.grad.numpy()[2], 3.0)
    m2 = nn.Embedding(4, 2).double()
    module_gradcheck(m2, ag.tensor([[0, 3], [3, 1]]))
    e = nn.Embedding.from_pretrained(T(np.arange(6.0).reshape(3, 2)))
    assert not e.weight.requires_grad
    np.testing.assert_array_equal(e(ag.tensor([2])).numpy(), [[4.0, 5.0]])


def test_layers_in_sequential_train_step():
    ag.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Dropout(0.1),
                          nn.Linear(8, 3))
    opt = nn.optim.SGD(model.parameters(), lr=0.1)
    x = ag.randn(16, 4)
    y = ag.tensor(np.arange(16) % 3)
    losses = []
    for _ in range(20):
        opt.zero_grad()
        loss = nn.CrossEntropyLoss()(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0]
    assert "(1): BatchNorm1d(8, eps=1e-05" in repr(model)


def test_factory_kwargs_and_legacy_reduction():
    m = nn.Linear(3, 2, dtype="float64")
    assert m.weight.dtype == np.float64 and m.bias.dtype == np.float64
    assert nn.BatchNorm1d(2, dtype="float64").running_mean.dtype == np.float64
    assert nn.MSELoss(size_average=False).reduction == "sum"
    assert nn.MSELoss(reduce=False).reduction == "none"


def test_bn_bias_false_and_layers_exported():
    m = nn.BatchNorm2d(2, bias=False)
    assert list(m.state_dict()) == ["weight", "running_mean", "running_var", "num_batches_tracked"]
    assert m(ag.randn(2, 2, 3, 3)).shape == (2, 2, 3, 3)
    import nn.layers as L
    for name in ["Linear", "ReLU", "Dropout", "BatchNorm2d", "LayerNorm", "Embedding", "CrossEntropyLoss",
                 "NegativeSamplingLoss"]:
        assert getattr(nn, name) is getattr(L, name)


def test_embedding_max_norm_renormalises_looked_up_rows_in_place():
    emb = nn.Embedding(6, 3, max_norm=1.0).double()
    w0 = np.array([[3.0, 4.0, 0.0], [0.1, 0.2, 0.2], [0.0, 0.0, 9.0],
                   [1.0, 1.0, 1.0], [2.0, 0.0, 0.0], [0.0, 0.5, 0.0]])
    emb.weight.array[...] = w0
    v0 = emb.weight._version
    out = emb(ag.tensor([[0, 1], [0, 3]]))
    norms = np.linalg.norm(emb.weight.array, axis=1)
    np.testing.assert_allclose(norms[[0, 3]], 1.0, rtol=1e-6)       # scaled down to max_norm
    np.testing.assert_allclose(emb.weight.array[1], w0[1])          # already below: untouched
    np.testing.assert_allclose(emb.weight.array[[2, 4, 5]], w0[[2, 4, 5]])   # not looked up
    np.testing.assert_allclose(out.array[0, 0], w0[0] / (5.0 + 1e-7))
    assert emb.weight._version > v0                                 # an in-place change
    l1 = nn.Embedding(6, 3, max_norm=2.0, norm_type=1.0).double()
    l1.weight.array[...] = w0
    l1(ag.tensor([2]))
    np.testing.assert_allclose(np.abs(l1.weight.array[2]).sum(), 2.0, rtol=1e-6)


def test_embedding_scale_grad_by_freq_divides_by_occurrences():
    emb = nn.Embedding(5, 2, scale_grad_by_freq=True).double()
    idx = ag.tensor([[1, 3, 3], [3, 0, 1]])                          # 1 twice, 3 three times
    up = rng.standard_normal((2, 3, 2))
    (emb(idx) * ag.tensor(up)).sum().backward()
    g = emb.weight.grad.array
    np.testing.assert_allclose(g[1], (up[0, 0] + up[1, 2]) / 2)
    np.testing.assert_allclose(g[3], (up[0, 1] + up[0, 2] + up[1, 0]) / 3)
    np.testing.assert_allclose(g[0], up[1, 1])
    np.testing.assert_allclose(g[[2, 4]], 0)
