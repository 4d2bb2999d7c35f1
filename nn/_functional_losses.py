"""The metric-learning and likelihood losses, composed from differentiable ops:
margin_ranking_loss, hinge_embedding_loss, soft_margin_loss, multilabel_soft_margin_loss,
cosine_embedding_loss, triplet_margin_loss, poisson_nll_loss, gaussian_nll_loss
(PyTorch's formulas and defaults)."""
import math

import autograd as ag

from ._functional_activations import pairwise_distance

__all__ = ["margin_ranking_loss", "hinge_embedding_loss", "soft_margin_loss",
           "multilabel_soft_margin_loss", "cosine_embedding_loss", "triplet_margin_loss",
           "poisson_nll_loss", "gaussian_nll_loss"]


def _reduce(loss, reduction, name):
    from .functional import _reduce as reduce     # late: nn.functional imports this module
    return reduce(loss, reduction, name)


def margin_ranking_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None,
                        reduction="mean"):
    """max(0, -target * (input1 - input2) + margin); target is 1 or -1."""
    return _reduce(ag.clamp(-target * (input1 - input2) + margin, min=0), reduction, "margin_ranking_loss")


def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None, reduction="mean"):
    """input where target is 1, max(0, margin - input) where it is -1."""
    zeros = ag.zeros_like(input)
    loss = (ag.where(target != 1, ag.clamp(margin - input, min=0), zeros)
            + ag.where(target != -1, input, zeros))
    return _reduce(loss, reduction, "hinge_embedding_loss")


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    return _reduce(ag.softplus(-target * input), reduction, "soft_margin_loss")


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None,
                                reduction="mean"):
    """Per-class binary cross entropy on logits, averaged over the classes (last dim)."""
    loss = target * ag.softplus(-input) + (1 - target) * ag.softplus(input)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss.mean(-1), reduction, "multilabel_soft_margin_loss")


def cosine_embedding_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None,
                          reduction="mean"):
    """1 - cos(x1, x2) where target is 1, max(0, cos(x1, x2) - margin) where it is -1."""
    dim = input1.ndim - 1
    eps = 1e-12     # PyTorch's: inside the square root, so equal-zero rows give cos 0
    cos = (input1 * input2).sum(dim) / ag.sqrt(((input1 ** 2).sum(dim) + eps)
                                               * ((input2 ** 2).sum(dim) + eps))
    zeros = ag.zeros_like(cos)
    loss = (ag.where(target == 1, 1 - cos, zeros)
            + ag.where(target == -1, ag.clamp(cos - margin, min=0), zeros))
    return _reduce(loss, reduction, "cosine_embedding_loss")


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False,
                        size_average=None, reduce=None, reduction="mean"):
    """max(0, margin + d(anchor, positive) - d(anchor, negative)), d the p-norm distance."""
    d_ap = pairwise_distance(anchor, positive, p, eps)
    d_an = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_an = ag.minimum(d_an, pairwise_distance(positive, negative, p, eps))
    return _reduce(ag.clamp(margin + d_ap - d_an, min=0), reduction, "triplet_margin_loss")


def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8,
                     reduce=None, reduction="mean"):
    """exp(input) - target * input (log_input), or input - target * log(input + eps)."""
    if log_input:
        loss = ag.exp(input) - target * input
    else:
        loss = input - target * ag.log(input + eps)
    if full:
        # Stirling's term for log(target!), where target > 1
        safe = ag.where(target > 1, target, ag.ones_like(target))
        stirling = safe * ag.log(safe) - safe + 0.5 * ag.log(2 * math.pi * safe)
        loss = loss + ag.where(target > 1, stirling, ag.zeros_like(stirling))
    return _reduce(loss, reduction, "poisson_nll_loss")


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    """0.5 * (log(var) + (input - target)**2 / var), var clamped below at eps (the clamp does
    not reach the gradient, as in PyTorch)."""
    if var.ndim == input.ndim - 1 and var.ndim and tuple(var.shape) == tuple(input.shape[:-1]):
        var = var.unsqueeze(-1)           # one variance per sample, as PyTorch allows
    if bool((var < 0).any()):
        raise ValueError("gaussian_nll_loss: var has negative entries; variances must be >= 0")
    var = var + (ag.clamp(var.detach(), min=eps) - var.detach())
    loss = 0.5 * (ag.log(var) + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction, "gaussian_nll_loss")
