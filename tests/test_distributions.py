"""ag.distributions: Categorical, Normal, Bernoulli and kl_divergence against closed forms;
gradients of log_prob/entropy/rsample against finite differences; sampling frequencies."""
import math

import numpy as np
import pytest

import autograd as ag
from autograd.distributions import Bernoulli, Categorical, Normal, kl_divergence

RS = np.random.RandomState(0)
P = RS.rand(3, 4)
LG = RS.randn(3, 4)


def test_categorical_probs_and_logits_agree():
    probs = P / P.sum(-1, keepdims=True)
    logp = np.log(probs)
    for d in (Categorical(probs=ag.tensor(P)), Categorical(logits=ag.tensor(np.log(P)))):
        np.testing.assert_allclose(d.log_prob(ag.tensor([0, 3, 2])).numpy(), logp[[0, 1, 2], [0, 3, 2]])
        np.testing.assert_allclose(d.entropy().numpy(), -(probs * logp).sum(-1))
        # a (2, 1) value broadcasts against the batch shape (3,)
        np.testing.assert_allclose(d.log_prob(ag.tensor([[1], [2]])).numpy(), np.stack([logp[:, 1], logp[:, 2]]))
    with pytest.raises(ValueError, match="Categorical: pass either probs or logits"):
        Categorical()


def test_categorical_sampling_frequencies():
    ag.manual_seed(0)
    s = Categorical(probs=ag.tensor([0.2, 0.5, 0.3])).sample((20000,))
    assert s.dtype == ag.int64 and s.shape == (20000,)
    np.testing.assert_allclose(np.bincount(s.numpy(), minlength=3) / 20000, [0.2, 0.5, 0.3], atol=0.015)
    assert Categorical(logits=ag.tensor(LG)).sample().shape == (3,)


def test_normal_closed_forms_and_rsample_gradient():
    loc, scale = ag.tensor(LG, requires_grad=True), ag.tensor(P + 0.1, requires_grad=True)
    d = Normal(loc, scale)
    v = RS.randn(3, 4)
    want = -((v - LG) ** 2) / (2 * (P + 0.1) ** 2) - np.log(P + 0.1) - 0.5 * math.log(2 * math.pi)
    np.testing.assert_allclose(d.log_prob(ag.tensor(v)).detach().numpy(), want)
    np.testing.assert_allclose(d.entropy().detach().numpy(), 0.5 + 0.5 * math.log(2 * math.pi) + np.log(P + 0.1))
    assert not d.sample().requires_grad and d.rsample((5,)).requires_grad and d.rsample((5,)).shape == (5, 3, 4)
    assert ag.gradcheck(lambda m, s: Normal(m, s).log_prob(ag.tensor(v)), (loc, scale))
    q = Normal(0.0, 2.0)
    kl = kl_divergence(Normal(ag.tensor([1.0]), ag.tensor([0.5])), q).item()
    assert kl == pytest.approx(math.log(2 / 0.5) + (0.25 + 1) / (2 * 4) - 0.5)


def test_bernoulli_and_kl_pairs():
    v = (P > 0.5).astype(float)
    for d in (Bernoulli(probs=ag.tensor(P)), Bernoulli(logits=ag.tensor(np.log(P / (1 - P))))):
        np.testing.assert_allclose(d.log_prob(ag.tensor(v)).numpy(), v * np.log(P) + (1 - v) * np.log(1 - P))
        np.testing.assert_allclose(d.entropy().numpy(), -(P * np.log(P) + (1 - P) * np.log(1 - P)))
    lg = ag.tensor(LG, requires_grad=True)
    assert ag.gradcheck(lambda t: Bernoulli(logits=t).entropy(), (lg,))
    p, q = P / P.sum(-1, keepdims=True), np.exp(LG) / np.exp(LG).sum(-1, keepdims=True)
    kl = kl_divergence(Categorical(probs=ag.tensor(P)), Categorical(logits=ag.tensor(LG)))
    np.testing.assert_allclose(kl.numpy(), (p * np.log(p / q)).sum(-1))
    with pytest.raises(NotImplementedError, match="kl_divergence: no formula for Normal and Bernoulli"):
        kl_divergence(Normal(0.0, 1.0), Bernoulli(probs=ag.tensor(0.5)))


def test_policy_gradient_through_categorical():
    logits = ag.tensor(LG[0], requires_grad=True)
    assert ag.gradcheck(lambda t: Categorical(logits=t).log_prob(ag.tensor(2)), (logits,))
    assert ag.gradcheck(lambda t: Categorical(logits=t).entropy(), (logits,))
