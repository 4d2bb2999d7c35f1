"""Attention, functional forms (PyTorch signatures); re-exported by nn.functional.

Both are compositions of differentiable ops (matmul, softmax, masked fills), so
their gradients, second derivatives included, come from the ops' own.
"""
import math

import numpy as np

import autograd as ag

__all__ = ["scaled_dot_product_attention", "multi_head_attention_forward"]


def _neg_inf_where(scores, blocked):
    """scores with -inf where `blocked` (a boolean array, broadcastable) is True."""
    mask = ag.as_tensor(blocked, device=scores.device)
    return ag.where(mask, ag.tensor(-math.inf, dtype=scores.dtype, device=scores.device), scores)


def _add_mask(scores, mask, blocked_when, name, what='attn_mask'):
    """Apply an attention mask: boolean masks block where they equal `blocked_when`,
    float masks are added. Errors name `name`, the function the user called."""
    if mask is None:
        return scores
    ag.errors.same_device(name, scores, mask, f'the {what}')
    if ag.errors.broadcast_shape(name, scores, mask) != tuple(scores.shape):
        raise ag.errors.ShapeError(f"{name}: the {what} {tuple(mask.shape)} must broadcast to "
                                   f"the attention scores' shape {tuple(scores.shape)}")
    data = mask.array if isinstance(mask, ag.Tensor) else np.asarray(mask)
    if data.dtype == bool:
        return _neg_inf_where(scores, data == blocked_when)
    return scores + (mask if isinstance(mask, ag.Tensor) else ag.as_tensor(data, device=scores.device))


def _fully_masked(scores):
    """A (..., L, 1) bool tensor of the query rows whose every score is -inf, or None."""
    dead = scores._backend.xp.isneginf(scores.array).all(-1, keepdims=True)
    return ag.as_tensor(dead, device=scores.device) if dead.any() else None


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0,
                                 is_causal=False, scale=None, enable_gqa=False):
    """softmax(q k^T * scale + mask) v over the last two dims; (..., L, E) x (..., S, E).

    As torch: a boolean attn_mask marks with True the pairs that TAKE PART; a float
    mask is added; is_causal masks the upper triangle (and excludes attn_mask);
    dropout_p applies whenever it is positive."""
    if query.shape[-1] != key.shape[-1] or key.shape[-2] != value.shape[-2]:
        raise ValueError(f"scaled_dot_product_attention: query {tuple(query.shape)}, key "
                         f"{tuple(key.shape)} and value {tuple(value.shape)} must agree as "
                         f"(..., L, E), (..., S, E), (..., S, Ev)")
    if is_causal and attn_mask is not None:
        raise ValueError("scaled_dot_product_attention: pass either attn_mask or is_causal, "
                         "not both")
    L, S = query.shape[-2], key.shape[-2]
    scale = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
    scores = (query @ key.transpose(-2, -1)) * scale
    if is_causal:
        scores = _neg_inf_where(scores, np.triu(np.ones((L, S), dtype=bool), k=1))
    scores = _add_mask(scores, attn_mask, False, 'scaled_dot_product_attention')
    dead = _fully_masked(scores) if is_causal or attn_mask is not None else None
    if dead is not None:       # rows that attend to nothing: zeros, as PyTorch (not NaN)
        scores = ag.where(dead, 0.0, scores)
    weights = ag.softmax(scores, dim=-1)
    if dead is not None:
        weights = ag.where(dead, 0.0, weights)
    if dropout_p > 0:
        from .functional import dropout
        weights = dropout(weights, dropout_p, True)
    return weights @ value


def multi_head_attention_forward(query, key, value, num_heads, in_proj_weight, in_proj_bias,
                                 out_proj_weight, out_proj_bias, dropout_p=0.0, training=True,
                                 key_padding_mask=None, need_weights=True, attn_mask=None,
                                 average_attn_weights=True, is_causal=False,
                                 q_proj_weight=None, k_proj_weight=None, v_proj_weight=None):
    """nn.MultiheadAttention's computation on (L, N, E) query and (S, N, E) key/value
    (sequence first). Returns (output (L, N, E), weights (N, L, S) averaged over heads,
    or (N, heads, L, S), or None). Boolean masks block where True, as in torch."""
    from .functional import dropout, linear
    L, N, E = query.shape
    S = key.shape[0]
    if E % num_heads:
        raise ValueError(f"multi_head_attention: embed_dim {E} is not divisible by num_heads "
                         f"{num_heads}")
    if is_causal and attn_mask is None:
        raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use "
                           "the Transformer module method `generate_square_subsequent_mask` "
                           "to create this mask.")
    hd = E // num_heads
    if q_proj_weight is None:
        w_q, w_k, w_v = in_proj_weight[:E], in_proj_weight[E:2 * E], in_proj_weight[2 * E:]
    else:
        w_q, w_k, w_v = q_proj_weight, k_proj_weight, v_proj_weight
    b_q = b_k = b_v = None
    if in_proj_bias is not None:
        b_q, b_k, b_v = in_proj_bias[:E], in_proj_bias[E:2 * E], in_proj_bias[2 * E:]
    q, k, v = linear(query, w_q, b_q), linear(key, w_k, b_k), linear(value, w_v, b_v)

    def heads(t, n):         # (n, N, E) -> (N*heads, n, hd), torch's head layout
        return t.reshape(n, N * num_heads, hd).transpose(0, 1)
    q, k, v = heads(q, L), heads(k, S), heads(v, S)
    scores = (q @ k.transpose(1, 2)) * (1.0 / math.sqrt(hd))          # (N*heads, L, S)
    if attn_mask is not None:
        if attn_mask.ndim == 2 and tuple(attn_mask.shape) != (L, S):
            raise ValueError(f"multi_head_attention: a 2-D attn_mask must be (L, S) = ({L}, {S}), "
                             f"got {tuple(attn_mask.shape)}")
        if attn_mask.ndim == 3 and tuple(attn_mask.shape) != (N * num_heads, L, S):
            raise ValueError(f"multi_head_attention: a 3-D attn_mask must be (N*num_heads, L, S) "
                             f"= ({N * num_heads}, {L}, {S}), got {tuple(attn_mask.shape)}")
        scores = _add_mask(scores, attn_mask, True, 'multi_head_attention_forward')
    if key_padding_mask is not None:
        if tuple(key_padding_mask.shape) != (N, S):
            raise ValueError(f"multi_head_attention: key_padding_mask must be (N, S) = ({N}, {S}), "
                             f"got {tuple(key_padding_mask.shape)}")
        kpm = key_padding_mask.reshape(N, 1, 1, S) if isinstance(key_padding_mask, ag.Tensor) \
            else np.asarray(key_padding_mask).reshape(N, 1, 1, S)
        scores = _add_mask(scores.reshape(N, num_heads, L, S), kpm, True,
                           'multi_head_attention_forward', 'key_padding_mask'
                           ).reshape(N * num_heads, L, S)
    weights = ag.softmax(scores, dim=-1)
    if dropout_p > 0 and training:
        weights = dropout(weights, dropout_p, True)
    out = (weights @ v).transpose(0, 1).reshape(L, N, E)
    out = linear(out, out_proj_weight, out_proj_bias)
    if not need_weights:
        return out, None
    weights = weights.reshape(N, num_heads, L, S)
    return out, (weights.mean(dim=1) if average_attn_weights else weights)
