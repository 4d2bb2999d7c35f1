"""nn.functional: layers, activations and losses as functions (PyTorch's names and semantics).

    import nn.functional as F
    y = F.relu(F.linear(x, w, b))
    loss = F.cross_entropy(logits, target, label_smoothing=0.1)

Everything here is composed from the engine's gradient-checked ops, except
``binary_cross_entropy`` (a fused op, so its gradient stays finite at 0 and 1).
Losses take ``reduction='mean' | 'sum' | 'none'``.
"""
import math
import numbers
import warnings

import numpy as np

import autograd as ag
from autograd.ops.linalg import Linear as _Linear

from . import _compat

__all__ = [
    "linear", "bilinear", "relu", "leaky_relu", "elu", "gelu", "sigmoid", "tanh", "softmax",
    "log_softmax", "softplus", "dropout", "batch_norm", "layer_norm", "embedding", "one_hot",
    "pad", "mse_loss", "l1_loss", "huber_loss", "smooth_l1_loss", "cross_entropy", "nll_loss",
    "binary_cross_entropy", "binary_cross_entropy_with_logits", "kl_div",
    "negative_sampling_loss",
]

pad = ag.pad


# --- helpers ---------------------------------------------------------------------------
def _xp(t):
    return t._backend.xp


def _const(arr, like):
    """A constant Tensor (no grad) around a raw array, on ``like``'s device."""
    return ag.as_tensor(arr, device=like.device)


def _as_tensor(x, like):
    if isinstance(x, ag.Tensor):
        return x
    return ag.as_tensor(np.asarray(x, dtype=like.dtype), device=like.device)


def _reduce(loss, reduction, name):
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ValueError(f"{name}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def _check_same_size(name, input, target):
    ag.errors.same_device(name, input, target, 'the target')
    if tuple(input.shape) != tuple(target.shape):
        warnings.warn(
            f"{name}: using a target size ({tuple(target.shape)}) that is different to the input "
            f"size ({tuple(input.shape)}). This will likely lead to incorrect results due to "
            "broadcasting. Please ensure they have the same size.", stacklevel=3)
        ag.errors.broadcast_shape(name, input, target)


# --- linear layers --------------------------------------------------------------------
def linear(input, weight, bias=None):
    """``input @ weight.T + bias``; weight is (out_features, in_features)."""
    if input.shape[-1:] != weight.shape[-1:]:
        raise ValueError(
            f"linear: input has {input.shape[-1] if input.ndim else 0} features in its last dim "
            f"(shape {tuple(input.shape)}) but the weight {tuple(weight.shape)} expects "
            f"in_features={weight.shape[-1]}")
    return _Linear.apply(input, weight, bias)


def bilinear(input1, input2, weight, bias=None):
    """``y_k = x1 @ W_k @ x2 + b_k``; weight is (out, in1, in2)."""
    if input1.shape[-1] != weight.shape[1] or input2.shape[-1] != weight.shape[2]:
        raise ValueError(
            f"bilinear: inputs of shapes {tuple(input1.shape)} and {tuple(input2.shape)} don't "
            f"match the weight {tuple(weight.shape)} (in1_features={weight.shape[1]}, "
            f"in2_features={weight.shape[2]})")
    lead = input1.shape[:-1]
    x1 = input1.reshape(-1, input1.shape[-1])
    x2 = input2.reshape(-1, input2.shape[-1])
    out = ag.einsum("bi,oij,bj->bo", x1, weight, x2)
    if bias is not None:
        out = out + bias
    return out.reshape(tuple(lead) + (weight.shape[0],))


# --- activations ----------------------------------------------------------------------
def relu(input, inplace=False):
    return ag.relu(input)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    return ag.leaky_relu(input, negative_slope)


def elu(input, alpha=1.0, inplace=False):
    return ag.elu(input, alpha)


def gelu(input, approximate="none"):
    return ag.gelu(input, approximate=approximate)


def sigmoid(input):
    return ag.sigmoid(input)


def tanh(input):
    return ag.tanh(input)


def softplus(input, beta=1.0, threshold=20.0):
    return ag.softplus(input, beta, threshold)


def _softmax_dim(ndim):
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input, dim=None, dtype=None):
    if dtype is not None:
        input = input.type(dtype)
    return ag.softmax(input, _softmax_dim(input.ndim) if dim is None else dim)


def log_softmax(input, dim=None, dtype=None):
    if dtype is not None:
        input = input.type(dtype)
    return ag.log_softmax(input, _softmax_dim(input.ndim) if dim is None else dim)


# --- dropout --------------------------------------------------------------------------
def dropout(input, p=0.5, training=True, inplace=False):
    """Inverted dropout: zero each element with probability ``p``, scale the rest by 1/(1-p).

    The mask comes from the engine's generator of the input's device (``ag.manual_seed``).
    """
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout: dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return input * 0.0
    gen = ag.default_generator(input.device)
    keep = gen.random(tuple(input.shape)) >= p
    mask = _xp(input).asarray(keep).astype(input.dtype) * (1.0 / (1.0 - p))
    return input * _const(mask.astype(input.dtype), input)


# --- normalisation --------------------------------------------------------------------
def _update_running(buf, new_value, momentum):
    """buf <- (1 - momentum) * buf + momentum * new_value, in place (raw arrays)."""
    xp = _xp(buf)
    buf.array[...] = ((1.0 - momentum) * buf.array + momentum * xp.asarray(new_value)).astype(buf.dtype)
    buf._bump_version()


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5):
    """Batch normalisation over every dim but the channel dim 1 ((N,C), (N,C,L), (N,C,H,W)).

    In training, normalises with the biased batch variance and updates the running
    statistics (when given) with the unbiased one; otherwise uses the running stats.
    """
    if input.ndim < 2:
        raise ValueError(f"batch_norm: expected an input with at least 2 dims (N, C, ...), "
                         f"got shape {tuple(input.shape)}")
    C = input.shape[1]
    for name, t in (("running_mean", running_mean), ("running_var", running_var),
                    ("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != (C,):
            raise ValueError(f"batch_norm: {name} has shape {tuple(t.shape)} but the input "
                             f"{tuple(input.shape)} has {C} channels (dim 1)")
    axes = (0,) + tuple(range(2, input.ndim))
    bshape = (1, C) + (1,) * (input.ndim - 2)
    if training:
        n = input.numel() // C
        if n <= 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input "
                             f"size {tuple(input.shape)}")
        mean = input.mean(dim=axes, keepdim=True)
        centered = input - mean
        var = (centered * centered).mean(dim=axes, keepdim=True)
        out = centered * ag.rsqrt(var + eps)
        if running_mean is not None or running_var is not None:
            m = momentum if momentum is not None else 0.0
            if running_mean is not None:
                _update_running(running_mean, mean.array.reshape(C), m)
            if running_var is not None:
                _update_running(running_var, var.array.reshape(C) * (n / (n - 1)), m)
    else:
        if running_mean is None or running_var is None:
            raise ValueError("batch_norm: running_mean and running_var are needed when not training")
        rm = running_mean.reshape(bshape).type(input.dtype)
        rv = running_var.reshape(bshape).type(input.dtype)
        out = (input - rm) * ag.rsqrt(rv + eps)
    if weight is not None:
        out = out * weight.reshape(bshape)
    if bias is not None:
        out = out + bias.reshape(bshape)
    return out


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalise over the last ``len(normalized_shape)`` dims (biased variance), then scale/shift."""
    if isinstance(normalized_shape, numbers.Integral):
        normalized_shape = (int(normalized_shape),)
    normalized_shape = tuple(normalized_shape)
    k = len(normalized_shape)
    if tuple(input.shape[input.ndim - k:]) != normalized_shape or input.ndim < k:
        raise ValueError(f"layer_norm: expected an input whose last dims are {list(normalized_shape)}"
                         f" (normalized_shape), got shape {tuple(input.shape)}")
    axes = tuple(range(input.ndim - k, input.ndim))
    mean = input.mean(dim=axes, keepdim=True)
    centered = input - mean
    var = (centered * centered).mean(dim=axes, keepdim=True)
    out = centered * ag.rsqrt(var + eps)
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out


# --- embeddings -----------------------------------------------------------------------
def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0,
              scale_grad_by_freq=False, sparse=False):
    """Rows of ``weight`` (num_embeddings, dim) picked by the integer ``input``: (*input.shape, dim).

    Entries equal to ``padding_idx`` get their row but send no gradient to it. With
    ``max_norm``, the rows looked up whose ``norm_type``-norm exceeds it are first
    scaled down to it, in place and outside the graph (PyTorch's embedding_renorm_).
    ``scale_grad_by_freq`` divides each looked-up row's gradient by how often its index
    occurs in ``input``. ``sparse`` is accepted; the gradient is always dense.
    """
    idx = input if isinstance(input, ag.Tensor) else ag.as_tensor(np.asarray(input), device=weight.device)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"embedding: indices must be an integer tensor (int64), got {idx.dtype}")
    if weight.ndim != 2:
        raise ag.errors.ShapeError(f"embedding: the weight must be 2-D (num_embeddings, "
                                   f"embedding_dim), got shape {tuple(weight.shape)}")
    ag.errors.same_device("embedding", weight, idx, "the indices", "the weight")
    n = weight.shape[0]
    if padding_idx is not None:
        if not -n <= padding_idx < n:
            raise ValueError(f"embedding: padding_idx {padding_idx} must be within num_embeddings {n}")
        padding_idx = padding_idx % n
    flat = idx.reshape(-1)
    if flat.numel():
        lo, hi = idx._backend.min_max(flat.array)
        if lo < 0 or hi >= n:
            raise IndexError(f"embedding: index {hi if hi >= n else lo} is out of range for "
                             f"num_embeddings={n}")
    if max_norm is not None and flat.numel():
        _embedding_renorm_(weight, flat.array, max_norm, norm_type)
    out = ag.index_select(weight, 0, flat)
    if padding_idx is not None and weight.requires_grad:
        pad_rows = _const((flat.array == padding_idx)[:, None], weight)
        out = ag.where(pad_rows, out.detach(), out)
    if scale_grad_by_freq and out.requires_grad and flat.numel():
        xp = _xp(weight)
        _, inverse, counts = xp.unique(flat.array, return_inverse=True, return_counts=True)
        inv_freq = _const((1.0 / counts[inverse.reshape(-1)]).astype(weight.dtype)[:, None], weight)
        out.register_hook(lambda g: g * inv_freq)
    return out.reshape(tuple(idx.shape) + (weight.shape[1],))


def _embedding_renorm_(weight, index, max_norm, norm_type):
    """Scale the rows of ``weight`` at ``index`` whose norm exceeds ``max_norm`` to
    max_norm / (norm + 1e-7) of themselves, in place (the weight's version is bumped)."""
    xp = _xp(weight)
    rows = xp.unique(index)
    picked = weight.array[rows]
    norms = xp.linalg.norm(picked, ord=norm_type, axis=1)
    scale = xp.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0).astype(picked.dtype)
    weight.array[rows] = picked * scale[:, None]
    _compat.bump_version(weight)


def one_hot(tensor, num_classes=-1):
    """(*shape) integer tensor -> (*shape, num_classes) int64 tensor of 0/1."""
    if tensor.dtype.kind not in "iu":
        raise TypeError(f"one_hot is only applicable to index tensors (int64), got {tensor.dtype}")
    xp = _xp(tensor)
    data = tensor.array
    lo, hi = tensor._backend.min_max(data) if data.size else (0, -1)
    if num_classes == -1:
        num_classes = hi + 1
    if lo < 0 or hi >= num_classes:
        raise ValueError(f"one_hot: class values must be in [0, {num_classes}), got [{lo}, {hi}]")
    out = (data[..., None] == xp.arange(num_classes)).astype(xp.int64)
    return _const(out, tensor)


# --- regression losses ----------------------------------------------------------------
def mse_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    target = _as_tensor(target, input)
    _check_same_size("mse_loss", input, target)
    d = input - target
    return _reduce(d * d, reduction, "mse_loss")


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    target = _as_tensor(target, input)
    _check_same_size("l1_loss", input, target)
    return _reduce(ag.abs(input - target), reduction, "l1_loss")


def huber_loss(input, target, reduction="mean", delta=1.0):
    """0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta), with d = input - target."""
    target = _as_tensor(target, input)
    _check_same_size("huber_loss", input, target)
    if delta <= 0:
        raise ag.errors.ArgumentError(f"huber_loss: delta must be positive, got {delta}")
    d = input - target
    a = ag.abs(d)
    # the square only where it is taken (|d| < delta): d * d of a large d would overflow
    small = a.detach() < delta
    loss = ag.where(small, 0.5 * _where_small(small, d) ** 2, delta * (a - 0.5 * delta))
    return _reduce(loss, reduction, "huber_loss")


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta (plain L1 when beta == 0)."""
    target = _as_tensor(target, input)
    _check_same_size("smooth_l1_loss", input, target)
    if beta < 0:
        raise ag.errors.ArgumentError(f"smooth_l1_loss: beta must be non-negative, got {beta}")
    d = input - target
    a = ag.abs(d)
    if beta == 0:
        return _reduce(a, reduction, "smooth_l1_loss")
    small = a.detach() < beta
    loss = ag.where(small, (0.5 / beta) * _where_small(small, d) ** 2, a - 0.5 * beta)
    return _reduce(loss, reduction, "smooth_l1_loss")


def _where_small(small, d):
    """d where `small`, else 0: the quadratic branch's input, so that large differences
    (1e20) never reach the square, which would overflow to inf (and warn) before
    where() discards it."""
    return ag.where(small, d, 0.0)


# --- classification losses -------------------------------------------------------------
def _class_weight_view(weight, ndim):
    return weight.reshape((1, -1) + (1,) * (ndim - 2))


def _nll(logp, target, weight, ignore_index, reduction, name):
    """Negative log-likelihood of class indices; logp is (N, C, d1, ...), target (N, d1, ...)."""
    if not isinstance(target, ag.Tensor):
        target = ag.as_tensor(np.asarray(target), device=logp.device)
    if target.dtype.kind not in "iu":
        raise TypeError(f"{name}: class-index targets must be an integer tensor (int64), got "
                        f"{target.dtype}; pass probabilities with the input's shape for soft targets")
    expected = (logp.shape[0],) + tuple(logp.shape[2:])
    if tuple(target.shape) != expected:
        raise ValueError(f"{name}: expected target of shape {expected} for input of shape "
                         f"{tuple(logp.shape)}, got {tuple(target.shape)}")
    C = logp.shape[1]
    if weight is not None and tuple(weight.shape) != (C,):
        raise ValueError(f"{name}: weight must have shape ({C},) (one per class), got "
                         f"{tuple(weight.shape)}")
    xp = _xp(logp)
    t = target.array
    valid = t != ignore_index
    safe = xp.where(valid, t, 0)
    lo, hi = logp._backend.min_max(safe) if safe.size else (0, 0)
    if lo < 0 or hi >= C:
        bad = hi if hi >= C else lo
        raise IndexError(f"{name}: target {bad} is out of bounds for {C} classes "
                         f"(ignore_index={ignore_index})")
    picked = ag.gather(logp, 1, _const(safe[:, None], logp)).squeeze(1)
    validf = _const(valid.astype(logp.dtype), logp)
    if weight is not None:
        w = ag.index_select(_as_tensor(weight, logp).type(logp.dtype), 0,
                            _const(safe.reshape(-1), logp)).reshape(safe.shape) * validf
    else:
        w = validf
    loss = -picked * w
    if reduction == "mean":
        return loss.sum() / w.sum()
    return _reduce(loss, reduction, name)


def _batched(input, target, name):
    """Unbatched (C,) input with a scalar target -> (1, C) and (1,)."""
    ag.errors.same_device(name, input, target, "the target")
    if input.ndim == 1:
        if isinstance(target, ag.Tensor) and target.ndim == 0:
            target = target.reshape(1)
        elif isinstance(target, ag.Tensor) and target.ndim == 1 and target.dtype.kind == "f":
            target = target.reshape(1, -1)
        return input.reshape(1, -1), target, True
    if input.ndim == 0:
        raise ValueError(f"{name}: input needs a class dim, got a 0-d tensor")
    return input, target, False


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
             reduction="mean"):
    """Negative log-likelihood: ``-input[n, target[n]]`` weighted by ``weight[target[n]]``.

    input: log-probabilities (N, C) or (N, C, d1, ...); target: class indices (N,) or
    (N, d1, ...). 'mean' divides by the sum of the weights of the non-ignored targets.
    """
    input, target, unbatched = _batched(input, target, "nll_loss")
    out = _nll(input, target, weight, ignore_index, reduction, "nll_loss")
    return out.reshape(()) if unbatched and reduction == "none" else out


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
                  reduction="mean", label_smoothing=0.0):
    """Cross-entropy of logits ``input`` (N, C) or (N, C, d1, ...), from log_softmax over dim 1.

    ``target`` holds class indices (N,) / (N, d1, ...) or class probabilities (same shape as
    input). Semantics are PyTorch's: with ``weight`` the 'mean' is sum(w_i * loss_i) / sum(w_i)
    over non-ignored targets; ``label_smoothing`` ε mixes (1-ε) * nll with ε/C times the
    (weighted) sum of -log p over classes.
    """
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    input, target, unbatched = _batched(input, target, "cross_entropy")
    C = input.shape[1]
    logp = ag.log_softmax(input, 1)
    if isinstance(target, ag.Tensor) and target.dtype.kind == "f":
        # class probabilities
        if tuple(target.shape) != tuple(input.shape):
            raise ValueError(f"cross_entropy: probability targets must have the input's shape "
                             f"{tuple(input.shape)}, got {tuple(target.shape)}")
        if ignore_index != -100:
            raise ValueError("cross_entropy: ignore_index is only applicable when the target "
                             "contains class indices")
        if label_smoothing > 0:
            target = target * (1 - label_smoothing) + label_smoothing / C
        prod = logp * target
        if weight is not None:
            prod = prod * _class_weight_view(_as_tensor(weight, input).type(input.dtype), input.ndim)
        if reduction == "mean":
            out = -prod.sum() / (input.numel() // C)
        elif reduction == "sum":
            out = -prod.sum()
        elif reduction == "none":
            out = -prod.sum(1)
        else:
            raise ValueError(f"cross_entropy: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")
        return out.reshape(()) if unbatched and reduction == "none" else out
    nll = _nll(logp, target, weight, ignore_index, reduction, "cross_entropy")
    if label_smoothing > 0:
        t = target.array if isinstance(target, ag.Tensor) else np.asarray(target)
        valid = _const((t != ignore_index).astype(input.dtype), input)
        if weight is not None:
            w = _class_weight_view(_as_tensor(weight, input).type(input.dtype), input.ndim)
            smooth = -(logp * w).sum(1)
        else:
            smooth = -logp.sum(1)
        smooth = smooth * valid
        if reduction == "mean":
            if weight is not None:
                xp = _xp(input)
                safe = xp.where(t != ignore_index, t, 0)
                wsum = ag.index_select(_as_tensor(weight, input).type(input.dtype), 0,
                                       _const(safe.reshape(-1), input)).reshape(safe.shape)
                denom = (wsum * valid).sum()
            else:
                denom = valid.sum()
            smooth = smooth.sum() / denom
        elif reduction == "sum":
            smooth = smooth.sum()
        nll = (1 - label_smoothing) * nll + smooth * (label_smoothing / C)
    return nll.reshape(()) if unbatched and reduction == "none" else nll


class _BinaryCrossEntropy(ag.Function):
    """-w (t log x + (1-t) log(1-x)) with each log clamped to >= -100, as PyTorch.

    The gradient is w (x - t) / max(x (1 - x), 1e-12), finite at 0 and 1.
    """
    differentiable_twice = False

    def forward(self, xp, x, t, w):
        self.save_for_backward(x, t, w)
        with np.errstate(divide="ignore"):
            lx = xp.maximum(xp.log(x), -100.0)
            l1x = xp.maximum(xp.log(1 - x), -100.0)
        loss = -(t * lx + (1 - t) * l1x)
        return loss if w is None else loss * w

    def backward(self, xp, g, x, t, w):
        gw = g if w is None else g * w
        gx = gw * (x - t) / xp.maximum(x * (1 - x), 1e-12)
        gt = None
        if self.needs_grad(1):
            with np.errstate(divide="ignore"):
                gt = gw * (xp.maximum(xp.log(1 - x), -100.0) - xp.maximum(xp.log(x), -100.0))
        gwt = None
        if w is not None and self.needs_grad(2):
            with np.errstate(divide="ignore"):
                gwt = -g * (t * xp.maximum(xp.log(x), -100.0) + (1 - t) * xp.maximum(xp.log(1 - x), -100.0))
        return gx, gt, gwt


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None,
                         reduction="mean"):
    """-(t log x + (1-t) log(1-x)) for probabilities x in [0, 1]; logs are clamped to >= -100."""
    target = _as_tensor(target, input)
    ag.errors.same_device("binary_cross_entropy", input, target, "the target")
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"binary_cross_entropy: using a target size ({tuple(target.shape)}) that "
                         f"is different to the input size ({tuple(input.shape)}) is deprecated. "
                         "Please ensure they have the same size.")
    for what, t in (("input", input), ("target", target)):
        lo, hi = t._backend.min_max(t.array) if t.numel() else (0, 0)
        if lo < 0 or hi > 1:
            raise ValueError(f"binary_cross_entropy: all elements of {what} should be between 0 "
                             f"and 1, got values in [{lo}, {hi}] (use "
                             "binary_cross_entropy_with_logits for logits)")
    if weight is not None:
        weight = _as_tensor(weight, input)
        shape = ag.errors.broadcast_shape("binary_cross_entropy", weight, input)
        if shape != tuple(input.shape):
            raise ValueError(f"binary_cross_entropy: weight {tuple(weight.shape)} doesn't "
                             f"broadcast to the input {tuple(input.shape)}")
        weight = weight.expand(input.shape) if tuple(weight.shape) != tuple(input.shape) else weight
        loss = _BinaryCrossEntropy.apply(input, target.type(input.dtype), weight.type(input.dtype))
    else:
        loss = _BinaryCrossEntropy.apply(input, target.type(input.dtype), None)
    return _reduce(loss, reduction, "binary_cross_entropy")


def _softplus_exact(z):
    # log(1 + e^z) via logaddexp everywhere (no linear cut-off): finite for any z
    return ag.softplus(z, 1.0, math.inf)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None,
                                     reduction="mean", pos_weight=None):
    """BCE of sigmoid(input), computed stably: (1-t) x + (1 + (pw-1) t) softplus(-x).

    ``pos_weight`` weighs the positive term (broadcast along the last, class dim);
    ``weight`` rescales each element's loss. Finite for logits of any size.
    """
    target = _as_tensor(target, input)
    ag.errors.same_device("binary_cross_entropy_with_logits", input, target, "the target")
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"binary_cross_entropy_with_logits: target size ({tuple(target.shape)}) "
                         f"must be the same as input size ({tuple(input.shape)})")
    target = target.type(input.dtype)
    sp = _softplus_exact(-input)
    if pos_weight is not None:
        pos_weight = _as_tensor(pos_weight, input).type(input.dtype)
        log_weight = (pos_weight - 1) * target + 1
        loss = (1 - target) * input + log_weight * sp
    else:
        loss = (1 - target) * input + sp
    if weight is not None:
        loss = loss * _as_tensor(weight, input).type(input.dtype)
    return _reduce(loss, reduction, "binary_cross_entropy_with_logits")


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """KL(target || q) pointwise with ``input = log q``: target * (log target - input).

    ``log_target=True`` takes the target as log-probabilities. 'batchmean' divides the
    sum by the batch size (the mathematically correct KL); 'mean' divides by numel.
    """
    target = _as_tensor(target, input)
    if log_target:
        loss = ag.exp(target) * (target - input)
    else:
        pos = target > 0
        safe = ag.where(pos, target, 1.0)
        loss = ag.where(pos, target * ag.log(safe), 0.0) - target * input
    if reduction == "batchmean":
        return loss.sum() / (input.shape[0] if input.ndim else 1)
    if reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the "
                      "support size.'batchmean' divides only by the batch size, and aligns with "
                      "the KL div math definition.", stacklevel=2)
    return _reduce(loss, reduction, "kl_div")


def negative_sampling_loss(center_vecs, context_vecs, negative_vecs, reduction="mean"):
    """Word2vec skip-gram negative-sampling loss.

    center_vecs u: (B, D), context_vecs v: (B, D), negative_vecs n: (B, K, D). Per example

        loss_b = -log sigmoid(u_b . v_b) - sum_k log sigmoid(-u_b . n_bk)

    computed as softplus(-u.v) + sum_k softplus(u.n_k) (finite for any scores); the result is
    the mean over the batch ('sum' and 'none' also accepted).
    """
    if center_vecs.ndim != 2 or tuple(context_vecs.shape) != tuple(center_vecs.shape):
        raise ValueError(f"negative_sampling_loss: center_vecs and context_vecs must both be (B, D), "
                         f"got {tuple(center_vecs.shape)} and {tuple(context_vecs.shape)}")
    B, D = center_vecs.shape
    if negative_vecs.ndim != 3 or negative_vecs.shape[0] != B or negative_vecs.shape[2] != D:
        raise ValueError(f"negative_sampling_loss: negative_vecs must be (B, K, D) = ({B}, K, {D}), "
                         f"got {tuple(negative_vecs.shape)}")
    pos = (center_vecs * context_vecs).sum(-1)                         # (B,)
    neg = (negative_vecs @ center_vecs.unsqueeze(-1)).squeeze(-1)      # (B, K)
    loss = _softplus_exact(-pos) + _softplus_exact(neg).sum(-1)
    return _reduce(loss, reduction, "negative_sampling_loss")


from . import _functional_conv_rnn  # noqa: E402
from ._functional_conv_rnn import *  # noqa: E402,F401,F403  conv and pool functional forms
from ._functional_attention import multi_head_attention_forward, scaled_dot_product_attention  # noqa: E402

__all__ += _functional_conv_rnn.__all__ + ["scaled_dot_product_attention",
                                           "multi_head_attention_forward"]

from ._functional_dropout import dropout1d, dropout2d, dropout3d  # noqa: E402

__all__ += ["dropout1d", "dropout2d", "dropout3d"]

from ._functional_interpolate import interpolate, upsample, upsample_bilinear, upsample_nearest  # noqa: E402,E501

__all__ += ["interpolate", "upsample", "upsample_nearest", "upsample_bilinear"]

from autograd.ops.im2col import fold, unfold  # noqa: E402  im2col / col2im

__all__ += ["unfold", "fold"]

from . import _functional_activations  # noqa: E402
from ._functional_activations import *  # noqa: E402,F401,F403  silu, mish, hardswish, group_norm, ...

__all__ += _functional_activations.__all__

from . import _functional_losses  # noqa: E402
from ._functional_losses import *  # noqa: E402,F401,F403  margin, triplet, poisson, gaussian, ...

__all__ += _functional_losses.__all__

from . import _functional_more  # noqa: E402
from ._functional_more import *  # noqa: E402,F401,F403  pixel_shuffle, instance_norm, ...

__all__ += _functional_more.__all__
