"""torch.distributions' everyday part: Categorical, Normal and Bernoulli (sample, rsample where
reparameterisable, log_prob, entropy, mean, variance) and kl_divergence between two of a kind,
as the policy-gradient and VAE programs use them. log_prob and entropy are differentiable in
the parameters; sample() is not (rsample() is, for Normal)."""
import math

from . import creation
from .grad_mode import no_grad
from .tensor import Tensor

__all__ = ["Distribution", "Categorical", "Normal", "Bernoulli", "kl_divergence"]


_TINY = 1.1754943508222875e-38    # float32's smallest normal number


def _as_tensor(value, like=None):
    if isinstance(value, Tensor):
        return value
    dtype = like.dtype if isinstance(like, Tensor) else None
    return creation.tensor(value, dtype=dtype)


def _broadcast_shape(a, b):
    n = max(len(a), len(b))
    a, b = (1,) * (n - len(a)) + a, (1,) * (n - len(b)) + b
    if any(x != y and 1 not in (x, y) for x, y in zip(a, b)):
        raise ValueError(f"log_prob: value of batch shape {a} does not broadcast with the "
                         f"distribution's batch shape {b}")
    return tuple(max(x, y) for x, y in zip(a, b))


def _one_of(name, probs, logits):
    if (probs is None) == (logits is None):
        raise ValueError(f"{name}: pass either probs or logits, not both (and not neither)")


class Distribution:
    has_rsample = False

    @property
    def batch_shape(self):
        return self._batch_shape

    @property
    def stddev(self):
        return self.variance.sqrt()

    def sample(self, sample_shape=()):
        with no_grad():
            return self.rsample(sample_shape) if self.has_rsample else self._sample(tuple(sample_shape))

    def rsample(self, sample_shape=()):
        raise NotImplementedError(f"{type(self).__name__} has no reparameterised sample (rsample); "
                                  "use sample(), or a score-function estimator with log_prob")

    def __repr__(self):
        return f"{type(self).__name__}()"


class Categorical(Distribution):
    """Over 0..K-1 along the last dim of ``probs`` (normalised) or ``logits`` (unnormalised)."""

    def __init__(self, probs=None, logits=None, validate_args=None):
        _one_of("Categorical", probs, logits)
        if probs is not None:
            probs = _as_tensor(probs)
            self.probs = probs / probs.sum(-1, keepdim=True)
            self.logits = self.probs.clamp(min=_TINY).log()     # log(0) stays finite, as in torch
        else:
            logits = _as_tensor(logits)
            self.logits = logits - logits.logsumexp(-1, keepdim=True)
            self.probs = self.logits.exp()
        self._num_events = self.probs.shape[-1]
        self._batch_shape = tuple(self.probs.shape[:-1])

    @property
    def mean(self):
        return creation.full(self._batch_shape, float("nan"))

    def _sample(self, sample_shape):
        cdf = self.probs.cumsum(-1)
        u = creation.rand(*(sample_shape + self._batch_shape), dtype=self.probs.dtype,
                          device=self.probs.device).unsqueeze(-1)
        # the first index whose cumulative probability passes u (clamped against rounding)
        return (cdf < u).sum(-1).clamp(max=self._num_events - 1).long()

    def log_prob(self, value):
        value = _as_tensor(value).long().unsqueeze(-1)
        logits = self.logits
        if tuple(value.shape[:-1]) != self._batch_shape:
            shape = _broadcast_shape(tuple(value.shape[:-1]), self._batch_shape)
            value = value.expand(*shape, 1)
            logits = logits.expand(*shape, self._num_events)
        return logits.gather(-1, value).squeeze(-1)

    def entropy(self):
        return -(self.logits.clamp(min=-3.4e38) * self.probs).sum(-1)


class Normal(Distribution):
    has_rsample = True

    def __init__(self, loc, scale, validate_args=None):
        self.loc = _as_tensor(loc, scale)
        self.scale = _as_tensor(scale, self.loc)
        self._batch_shape = tuple((self.loc + self.scale).shape)

    @property
    def mean(self):
        return self.loc.expand(*self._batch_shape)

    @property
    def variance(self):
        return (self.scale ** 2).expand(*self._batch_shape)

    def rsample(self, sample_shape=()):
        eps = creation.randn(*(tuple(sample_shape) + self._batch_shape), dtype=self.loc.dtype,
                             device=self.loc.device)
        return self.loc + eps * self.scale

    def log_prob(self, value):
        value = _as_tensor(value, self.loc)
        return (-((value - self.loc) ** 2) / (2 * self.scale ** 2) - self.scale.log()
                - math.log(math.sqrt(2 * math.pi)))

    def entropy(self):
        return (0.5 + 0.5 * math.log(2 * math.pi) + self.scale.log()).expand(*self._batch_shape)


class Bernoulli(Distribution):
    def __init__(self, probs=None, logits=None, validate_args=None):
        _one_of("Bernoulli", probs, logits)
        if probs is not None:
            self.probs = _as_tensor(probs)
            p = self.probs.clamp(1.2e-7, 1 - 1.2e-7)
            self.logits = p.log() - (1 - p).log()
        else:
            self.logits = _as_tensor(logits)
            self.probs = self.logits.sigmoid()
        self._batch_shape = tuple(self.probs.shape)

    @property
    def mean(self):
        return self.probs

    @property
    def variance(self):
        return self.probs * (1 - self.probs)

    def _sample(self, sample_shape):
        u = creation.rand(*(sample_shape + self._batch_shape), dtype=self.probs.dtype,
                          device=self.probs.device)
        return (u < self.probs).to(self.probs.dtype)

    def log_prob(self, value):
        # -BCE with logits, in its stable form: v*l - softplus(l)
        value = _as_tensor(value, self.logits)
        return value * self.logits - self.logits.softplus()

    def entropy(self):
        return self.logits.softplus() - self.probs * self.logits


def kl_divergence(p, q):
    """KL(p || q) for two Normals, two Categoricals or two Bernoullis."""
    if isinstance(p, Normal) and isinstance(q, Normal):
        var_ratio = (p.scale / q.scale) ** 2
        t1 = ((p.loc - q.loc) / q.scale) ** 2
        return 0.5 * (var_ratio + t1 - 1 - var_ratio.log())
    if isinstance(p, Categorical) and isinstance(q, Categorical):
        return (p.probs * (p.logits - q.logits)).sum(-1)
    if isinstance(p, Bernoulli) and isinstance(q, Bernoulli):
        return p.probs * (p.logits - q.logits) + (q.logits.softplus() - p.logits.softplus())
    raise NotImplementedError(f"kl_divergence: no formula for {type(p).__name__} and "
                              f"{type(q).__name__}; supported pairs are Normal, Categorical and "
                              "Bernoulli, each with its own kind")
