"""Losses against NumPy reference values (PyTorch's formulas), reductions, stability, gradients."""
import warnings

import numpy as np
import pytest

import autograd as ag
import nn
import nn.functional as F

rng = np.random.default_rng(0)


def T(a, grad=False, dtype="float64"):
    return ag.tensor(np.asarray(a), dtype=dtype, requires_grad=grad)


def I(a):
    return ag.tensor(np.asarray(a, dtype=np.int64))


def log_softmax_np(x, axis=1):
    m = x.max(axis=axis, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=axis, keepdims=True))


def ce_ref(x, t, w=None, ignore=-100, reduction="mean", ls=0.0):
    """PyTorch's cross_entropy for class indices, x (N, C, ...)."""
    lp = log_softmax_np(x, 1)
    C = x.shape[1]
    w = np.ones(C) if w is None else w
    valid = t != ignore
    safe = np.where(valid, t, 0)
    picked = np.take_along_axis(lp, safe[:, None], 1)[:, 0]
    wi = w[safe] * valid
    nll = -picked * wi
    wshape = (1, C) + (1,) * (x.ndim - 2)
    smooth = -(lp * w.reshape(wshape)).sum(1) * valid
    if reduction == "mean":
        nll, smooth = nll.sum() / wi.sum(), smooth.sum() / wi.sum()
    elif reduction == "sum":
        nll, smooth = nll.sum(), smooth.sum()
    return (1 - ls) * nll + ls / C * smooth


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("use_w", [False, True])
@pytest.mark.parametrize("ls", [0.0, 0.2])
def test_cross_entropy_indices(reduction, use_w, ls):
    x = rng.standard_normal((6, 4))
    t = np.array([0, 3, -100, 2, 1, 3])
    w = np.array([0.5, 1.0, 2.0, 3.0]) if use_w else None
    got = F.cross_entropy(T(x), I(t), weight=None if w is None else T(w), reduction=reduction,
                          label_smoothing=ls)
    np.testing.assert_allclose(got.detach().numpy(), ce_ref(x, t, w, reduction=reduction, ls=ls), rtol=1e-10)
    mod = nn.CrossEntropyLoss(weight=None if w is None else T(w), reduction=reduction, label_smoothing=ls)
    np.testing.assert_allclose(mod(T(x), I(t)).detach().numpy(), got.detach().numpy(), rtol=1e-12)


def test_cross_entropy_custom_ignore_index_and_spatial():
    x = rng.standard_normal((2, 3, 4, 5))
    t = rng.integers(0, 3, size=(2, 4, 5))
    t[0, 1, 2] = 1
    t[1, 0, 0] = 7
    w = np.array([1.0, 2.0, 0.5])
    got = F.cross_entropy(T(x), I(t), weight=T(w), ignore_index=7, label_smoothing=0.1)
    np.testing.assert_allclose(got.item(), ce_ref(x, t, w, ignore=7, ls=0.1), rtol=1e-10)
    none = F.cross_entropy(T(x), I(t), ignore_index=7, reduction="none")
    assert none.shape == (2, 4, 5) and none.detach().numpy()[1, 0, 0] == 0


def test_cross_entropy_known_value():
    # uniform logits: loss = log(C)
    assert abs(F.cross_entropy(ag.zeros(3, 5), I([0, 1, 4])).item() - np.log(5)) < 1e-6


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_probabilities(reduction):
    x = rng.standard_normal((5, 4))
    p = rng.random((5, 4))
    p /= p.sum(1, keepdims=True)
    w = np.array([1.0, 2.0, 0.5, 1.5])
    ls = 0.1
    q = p * (1 - ls) + ls / 4
    per = -(log_softmax_np(x) * q * w).sum(1)
    ref = {"mean": per.sum() / 5, "sum": per.sum(), "none": per}[reduction]
    got = F.cross_entropy(T(x), T(p), weight=T(w), reduction=reduction, label_smoothing=ls)
    np.testing.assert_allclose(got.detach().numpy(), ref, rtol=1e-10)


def test_cross_entropy_finite_for_huge_logits_and_gradcheck():
    x = ag.tensor([[1e4, -1e4, 0.0], [-1e4, 1e4, 3.0]], requires_grad=True)
    loss = F.cross_entropy(x, I([1, 1]))
    loss.backward()
    assert np.isfinite(loss.item()) and abs(loss.item() - 1e4) < 1
    assert np.isfinite(x.grad.detach().numpy()).all()
    x = T(rng.standard_normal((3, 4)), grad=True)
    w = T([1.0, 2.0, 3.0, 0.5])
    t = I([1, -100, 3])
    assert ag.gradcheck(lambda x: F.cross_entropy(x, t, weight=w, label_smoothing=0.3), [x])
    p = T(rng.dirichlet(np.ones(4), size=3))
    assert ag.gradcheck(lambda x: F.cross_entropy(x, p), [x])


def test_cross_entropy_unbatched_and_errors():
    x = rng.standard_normal(4)
    got = F.cross_entropy(T(x), I(2))
    np.testing.assert_allclose(got.item(), -log_softmax_np(x[None])[0, 2])
    with pytest.raises(IndexError):
        F.cross_entropy(T(rng.standard_normal((2, 3))), I([0, 3]))
    with pytest.raises(ValueError):
        F.cross_entropy(T(rng.standard_normal((2, 3))), I([0, 1, 2]))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_nll_loss(reduction):
    lp = log_softmax_np(rng.standard_normal((5, 3)))
    t = np.array([0, 2, 1, -100, 2])
    w = np.array([1.0, 0.3, 2.0])
    safe = np.where(t >= 0, t, 0)
    wi = w[safe] * (t >= 0)
    per = -lp[np.arange(5), safe] * wi
    ref = {"mean": per.sum() / wi.sum(), "sum": per.sum(), "none": per}[reduction]
    np.testing.assert_allclose(F.nll_loss(T(lp), I(t), weight=T(w), reduction=reduction).detach().numpy(), ref)
    np.testing.assert_allclose(nn.NLLLoss(weight=T(w), reduction=reduction)(T(lp), I(t)).detach().numpy(), ref)
    x = T(lp, grad=True)
    assert ag.gradcheck(lambda x: F.nll_loss(x, I(t), weight=T(w), reduction=reduction), [x])


def test_mse_l1():
    a, b = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    np.testing.assert_allclose(F.mse_loss(T(a), T(b)).item(), ((a - b) ** 2).mean())
    np.testing.assert_allclose(F.mse_loss(T(a), T(b), reduction="sum").item(), ((a - b) ** 2).sum())
    np.testing.assert_allclose(nn.L1Loss(reduction="none")(T(a), T(b)).detach().numpy(), np.abs(a - b))
    np.testing.assert_allclose(nn.L1Loss()(T(a), T(b)).item(), np.abs(a - b).mean())
    x = T(a, grad=True)
    assert ag.gradcheck(lambda x: F.mse_loss(x, T(b)), [x])
    assert ag.gradcheck(lambda x: F.l1_loss(x, T(b)), [x])
    with pytest.raises(ValueError):
        F.mse_loss(T(a), T(b), reduction="avg")
    with pytest.warns(UserWarning):
        F.mse_loss(T(a), T(b[:1]))


@pytest.mark.parametrize("delta", [0.5, 1.0, 2.0])
def test_huber_smooth_l1(delta):
    a, b = 2 * rng.standard_normal((4, 5)), rng.standard_normal((4, 5))
    d = a - b
    ad = np.abs(d)
    huber = np.where(ad < delta, 0.5 * d * d, delta * (ad - 0.5 * delta))
    smooth = np.where(ad < delta, 0.5 * d * d / delta, ad - 0.5 * delta)
    np.testing.assert_allclose(F.huber_loss(T(a), T(b), delta=delta).item(), huber.mean())
    np.testing.assert_allclose(nn.HuberLoss(reduction="none", delta=delta)(T(a), T(b)).detach().numpy(), huber)
    np.testing.assert_allclose(F.smooth_l1_loss(T(a), T(b), beta=delta).item(), smooth.mean())
    np.testing.assert_allclose(nn.SmoothL1Loss(reduction="sum", beta=delta)(T(a), T(b)).item(), smooth.sum())
    x = T(a, grad=True)
    assert ag.gradcheck(lambda x: F.huber_loss(x, T(b), delta=delta), [x])
    assert ag.gradcheck(lambda x: F.smooth_l1_loss(x, T(b), beta=delta), [x])
    np.testing.assert_allclose(F.smooth_l1_loss(T(a), T(b), beta=0.0).item(), ad.mean())


def test_bce():
    p = rng.uniform(0.05, 0.95, (4, 3))
    t = rng.integers(0, 2, (4, 3)).astype(float)
    w = rng.uniform(0.5, 2, (4, 3))
    ref = -(t * np.log(p) + (1 - t) * np.log(1 - p))
    np.testing.assert_allclose(F.binary_cross_entropy(T(p), T(t)).item(), ref.mean())
    np.testing.assert_allclose(nn.BCELoss(weight=T(w), reduction="sum")(T(p), T(t)).item(), (w * ref).sum())
    x = T(p, grad=True)
    assert ag.gradcheck(lambda x: F.binary_cross_entropy(x, T(t), weight=T(w)), [x])
    tt = T(t * 0.7 + 0.1, grad=True)
    assert ag.gradcheck(lambda tt: F.binary_cross_entropy(T(p), tt), [tt])


def test_bce_clamps_log_and_finite_grad():
    x = ag.tensor([0.0, 1.0, 0.0, 1.0], requires_grad=True)
    t = ag.tensor([1.0, 0.0, 0.0, 1.0])
    loss = F.binary_cross_entropy(x, t, reduction="none")
    np.testing.assert_allclose(loss.detach().numpy(), [100, 100, 0, 0])
    loss.sum().backward()
    assert np.isfinite(x.grad.detach().numpy()).all()
    with pytest.raises(ValueError):
        F.binary_cross_entropy(ag.tensor([1.5]), ag.tensor([1.0]))


def bce_logits_ref(x, t, w=None, pw=None):
    sp = np.logaddexp(0, -x)  # -log sigmoid(x)
    lw = 1 if pw is None else (pw - 1) * t + 1
    loss = (1 - t) * x + lw * sp
    return loss if w is None else loss * w


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_bce_with_logits(reduction):
    x = 3 * rng.standard_normal((5, 3))
    t = rng.random((5, 3))
    pw = np.array([1.0, 2.0, 0.5])
    w = rng.uniform(0.5, 2, (5, 3))
    per = bce_logits_ref(x, t, w, pw)
    ref = {"mean": per.mean(), "sum": per.sum(), "none": per}[reduction]
    got = nn.BCEWithLogitsLoss(weight=T(w), pos_weight=T(pw), reduction=reduction)(T(x), T(t))
    np.testing.assert_allclose(got.detach().numpy(), ref, rtol=1e-10)
    # without pos_weight equals BCE of the sigmoid
    s = 1 / (1 + np.exp(-x))
    np.testing.assert_allclose(F.binary_cross_entropy_with_logits(T(x), T(t)).item(),
                               (-(t * np.log(s) + (1 - t) * np.log(1 - s))).mean(), rtol=1e-10)
    xx = T(x, grad=True)
    assert ag.gradcheck(lambda xx: F.binary_cross_entropy_with_logits(xx, T(t), T(w), pos_weight=T(pw),
                                                                      reduction=reduction), [xx])


def test_bce_with_logits_huge():
    x = ag.tensor([1e4, -1e4, 1e4, -1e4, 0.0], requires_grad=True)
    t = ag.tensor([1.0, 0.0, 0.0, 1.0, 1.0])
    loss = F.binary_cross_entropy_with_logits(x, t, reduction="none", pos_weight=ag.tensor(3.0))
    np.testing.assert_allclose(loss.detach().numpy(), [0, 0, 1e4, 3e4, 3 * np.log(2)], rtol=1e-6)
    loss.sum().backward()
    assert np.isfinite(x.grad.detach().numpy()).all()
    np.testing.assert_allclose(x.grad.detach().numpy(), [0, 0, 1, -3, -1.5], atol=1e-6)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none", "batchmean"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div(reduction, log_target):
    q = log_softmax_np(rng.standard_normal((4, 5)))
    p = np.exp(log_softmax_np(rng.standard_normal((4, 5))))
    if not log_target:
        p[0, 0] = 0.0
    tgt = np.log(p) if log_target else p
    with np.errstate(divide="ignore", invalid="ignore"):
        per = np.where(p > 0, p * (np.log(p) - q), 0.0)
    ref = {"mean": per.mean(), "sum": per.sum(), "none": per, "batchmean": per.sum() / 4}[reduction]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = nn.KLDivLoss(reduction=reduction, log_target=log_target)(T(q), T(tgt))
        np.testing.assert_allclose(got.detach().numpy(), ref, rtol=1e-10, atol=1e-12)
        x = T(q, grad=True)
        if not log_target:
            assert ag.gradcheck(lambda x: F.kl_div(x, T(tgt), reduction=reduction), [x])


def test_negative_sampling_loss():
    B, K, D = 3, 4, 5
    u, v, n = rng.standard_normal((B, D)), rng.standard_normal((B, D)), rng.standard_normal((B, K, D))

    def logsig(z):
        return -np.logaddexp(0, -z)
    per = -logsig((u * v).sum(1)) - logsig(-np.einsum("bkd,bd->bk", n, u)).sum(1)
    np.testing.assert_allclose(F.negative_sampling_loss(T(u), T(v), T(n)).item(), per.mean(), rtol=1e-10)
    np.testing.assert_allclose(nn.NegativeSamplingLoss(reduction="none")(T(u), T(v), T(n)).detach().numpy(), per)
    tu, tv, tn = T(u, True), T(v, True), T(n, True)
    assert ag.gradcheck(F.negative_sampling_loss, [tu, tv, tn])
    big = F.negative_sampling_loss(T(u * 1e4), T(v * 1e4), T(n * 1e4))
    assert np.isfinite(big.item())
    with pytest.raises(ValueError):
        F.negative_sampling_loss(T(u), T(v), T(n[:, :, :2]))


def test_loss_module_state_dict_and_reduction_check():
    assert list(nn.CrossEntropyLoss(weight=ag.ones(3)).state_dict()) == ["weight"]
    assert list(nn.CrossEntropyLoss().state_dict()) == []
    assert list(nn.BCEWithLogitsLoss(pos_weight=ag.ones(3)).state_dict()) == ["pos_weight"]
    with pytest.raises(ValueError):
        nn.MSELoss(reduction="batchmean")
