"""Activations and distances PyTorch users reach for, composed from existing differentiable
ops (so their gradients, and double backward, come for free): silu, mish, hardtanh, relu6,
hardsigmoid, hardswish, selu, celu, softsign, tanhshrink, threshold, glu, softmin, logsigmoid,
prelu, normalize, cosine_similarity, pairwise_distance, group_norm."""
import autograd as ag

__all__ = ["silu", "mish", "hardtanh", "relu6", "hardsigmoid", "hardswish", "selu", "celu",
           "softsign", "tanhshrink", "threshold", "glu", "softmin", "logsigmoid", "prelu",
           "normalize", "cosine_similarity", "pairwise_distance", "group_norm"]

# SELU's constants (Klambauer et al. 2017), as PyTorch writes them
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def silu(input, inplace=False):
    return input * ag.sigmoid(input)


def mish(input, inplace=False):
    return input * ag.tanh(ag.softplus(input))


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    if min_val > max_val:
        raise ValueError(f"hardtanh: min_val ({min_val}) cannot be greater than max_val ({max_val})")
    return ag.clamp(input, min_val, max_val)


def relu6(input, inplace=False):
    return ag.clamp(input, 0.0, 6.0)


def hardsigmoid(input, inplace=False):
    return ag.clamp(input / 6 + 0.5, 0.0, 1.0)


def hardswish(input, inplace=False):
    return input * hardsigmoid(input)


def selu(input, inplace=False):
    return _SELU_SCALE * ag.elu(input, _SELU_ALPHA)


def celu(input, alpha=1.0, inplace=False):
    if alpha == 0:
        raise ValueError("celu: alpha must not be 0 (it divides the input); pass a nonzero alpha")
    return alpha * ag.elu(input / alpha, 1.0)


def softsign(input):
    return input / (1 + ag.abs(input))


def tanhshrink(input):
    return input - ag.tanh(input)


def threshold(input, threshold, value, inplace=False):
    """``input`` where it is greater than ``threshold``, else ``value``."""
    return ag.where(input > threshold, input, ag.full_like(input, value))


def glu(input, dim=-1):
    if input.ndim == 0 or input.shape[dim] % 2:
        raise ValueError(f"glu: halving dimension must be even, but dimension {dim} of the input "
                         f"(shape {tuple(input.shape)}) is not")
    a, b = ag.chunk(input, 2, dim)
    return a * ag.sigmoid(b)


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    from .functional import softmax     # late: nn.functional imports this module
    return softmax(-input, dim=dim, dtype=dtype)


def logsigmoid(input):
    return -ag.softplus(-input)


def prelu(input, weight):
    """max(0, x) + weight * min(0, x); a weight of C values applies per channel (dim 1)."""
    if weight.numel() > 1:
        if input.ndim < 2 or input.shape[1] != weight.numel():
            raise ValueError(f"prelu: weight has {weight.numel()} values, but the input (shape "
                             f"{tuple(input.shape)}) has {input.shape[1] if input.ndim > 1 else 1} "
                             "channels (dim 1); give one weight per channel, or a single one")
        weight = weight.reshape((1, -1) + (1,) * (input.ndim - 2))
    return ag.where(input >= 0, input, weight * input)


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    """``input`` divided by its ``p``-norm along ``dim`` (at least ``eps``)."""
    return input / ag.clamp(ag.norm(input, p, dim=dim, keepdim=True), min=eps)


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """x1·x2 / (max(‖x1‖, eps) · max(‖x2‖, eps)) along ``dim``, after broadcasting."""
    n1 = ag.clamp(ag.norm(x1, 2, dim=dim, keepdim=True), min=eps)
    n2 = ag.clamp(ag.norm(x2, 2, dim=dim, keepdim=True), min=eps)
    return ((x1 / n1) * (x2 / n2)).sum(dim)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """The ``p``-norm of ``x1 - x2 + eps`` over the last dimension."""
    return ag.norm(x1 - x2 + eps, p, dim=-1, keepdim=keepdim)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """Normalise each sample's channels in ``num_groups`` groups (biased variance), then scale
    and shift per channel."""
    if input.ndim < 2 or input.shape[1] % num_groups:
        raise ValueError(f"group_norm: expected an input of shape (N, C, *) with C divisible by "
                         f"num_groups={num_groups}, got shape {tuple(input.shape)}")
    n, c = input.shape[:2]
    x = input.reshape(n, num_groups, -1)
    mean = x.mean(-1, keepdim=True)
    var = x.var(-1, unbiased=False, keepdim=True)
    out = ((x - mean) / ag.sqrt(var + eps)).reshape(input.shape)
    shape = (1, c) + (1,) * (input.ndim - 2)
    if weight is not None:
        out = out * weight.reshape(shape)
    if bias is not None:
        out = out + bias.reshape(shape)
    return out
