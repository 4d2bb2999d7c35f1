"""Metric-learning and likelihood losses: values from NumPy formulas written from PyTorch's
documentation, gradients against finite differences."""
import math

import numpy as np
import pytest

import autograd as ag
import nn
import nn.functional as F

R = np.random.RandomState(0)
X1, X2, X3 = R.randn(5, 4), R.randn(5, 4), R.randn(5, 4)
Y = np.array([1.0, -1.0, 1.0, -1.0, -1.0])
YM = (R.rand(5, 4) > 0.5) * 1.0
VAR = R.rand(5, 4) + 0.1
COUNTS = R.poisson(2, (5, 4)).astype(float)


def t(a, grad=False):
    return ag.tensor(a, requires_grad=grad)


def softplus(v):
    return np.log1p(np.exp(v))


def dist(a, b):
    return np.linalg.norm(a - b + 1e-6, axis=-1)


def cos(a, b):
    return (a * b).sum(1) / np.sqrt(((a ** 2).sum(1) + 1e-12) * ((b ** 2).sum(1) + 1e-12))


CASES = [
    ("margin_ranking", lambda: nn.MarginRankingLoss(0.3)(t(X1[:, 0]), t(X2[:, 0]), t(Y)),
     np.maximum(0, -Y * (X1[:, 0] - X2[:, 0]) + 0.3).mean()),
    ("hinge_embedding", lambda: nn.HingeEmbeddingLoss()(t(X1), t(np.sign(X2))),
     np.where(np.sign(X2) == 1, X1, np.maximum(0, 1 - X1)).mean()),
    ("soft_margin", lambda: nn.SoftMarginLoss()(t(X1), t(np.sign(X2))), softplus(-np.sign(X2) * X1).mean()),
    ("multilabel_soft_margin", lambda: nn.MultiLabelSoftMarginLoss()(t(X1), t(YM)),
     (YM * softplus(-X1) + (1 - YM) * softplus(X1)).mean(1).mean()),
    ("cosine_embedding", lambda: nn.CosineEmbeddingLoss(0.2)(t(X1), t(X2), t(Y)),
     np.where(Y == 1, 1 - cos(X1, X2), np.maximum(0, cos(X1, X2) - 0.2)).mean()),
    ("triplet", lambda: nn.TripletMarginLoss()(t(X1), t(X2), t(X3)),
     np.maximum(0, 1 + dist(X1, X2) - dist(X1, X3)).mean()),
    ("triplet_swap", lambda: nn.TripletMarginLoss(swap=True)(t(X1), t(X2), t(X3)),
     np.maximum(0, 1 + dist(X1, X2) - np.minimum(dist(X1, X3), dist(X2, X3))).mean()),
    ("poisson", lambda: nn.PoissonNLLLoss()(t(X1), t(COUNTS)), (np.exp(X1) - COUNTS * X1).mean()),
    ("poisson_full", lambda: nn.PoissonNLLLoss(log_input=False, full=True)(t(VAR), t(COUNTS)),
     (VAR - COUNTS * np.log(VAR + 1e-8) + np.where(
         COUNTS > 1, COUNTS * np.log(np.maximum(COUNTS, 1)) - COUNTS
         + 0.5 * np.log(2 * math.pi * np.maximum(COUNTS, 1)), 0)).mean()),
    ("gaussian", lambda: nn.GaussianNLLLoss()(t(X1), t(X2), t(VAR)),
     (0.5 * (np.log(VAR) + (X1 - X2) ** 2 / VAR)).mean()),
    ("gaussian_per_sample_var", lambda: nn.GaussianNLLLoss(full=True)(t(X1), t(X2), t(VAR[:, 0])),
     (0.5 * (np.log(VAR[:, :1]) + (X1 - X2) ** 2 / VAR[:, :1]) + 0.5 * math.log(2 * math.pi)).mean()),
]


@pytest.mark.parametrize("name, fn, want", CASES, ids=[c[0] for c in CASES])
def test_value(name, fn, want):
    assert fn().item() == pytest.approx(want, rel=1e-12)


def test_gradients():
    a, b, c = t(X1[:3], True), t(X2[:3], True), t(X3[:3], True)
    y = t(Y[:3])
    assert ag.gradcheck(lambda u, v: F.cosine_embedding_loss(u, v, y, 0.1), (a, b))
    assert ag.gradcheck(lambda u, v, w: F.triplet_margin_loss(u, v, w, swap=True), (a, b, c))
    assert ag.gradcheck(lambda u: F.multilabel_soft_margin_loss(u, t(YM[:3])), (a,))
    assert ag.gradcheck(lambda u: F.poisson_nll_loss(u, t(COUNTS[:3])), (a,))
    var = t(VAR[:3], True)
    assert ag.gradcheck(lambda u, s: F.gaussian_nll_loss(u, t(X2[:3]), s), (a, var))


def test_reduction_none_and_errors():
    assert nn.TripletMarginLoss(reduction="none")(t(X1), t(X2), t(X3)).shape == (5,)
    assert nn.MultiLabelSoftMarginLoss(reduction="sum")(t(X1), t(YM)).shape == ()
    with pytest.raises(ValueError, match="gaussian_nll_loss: var has negative entries"):
        F.gaussian_nll_loss(t(X1), t(X2), t(-VAR))
    with pytest.raises(ValueError, match="MarginRankingLoss: 'avg' is not a valid value for reduction"):
        nn.MarginRankingLoss(reduction="avg")
