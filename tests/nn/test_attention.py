"""Scaled dot-product attention and nn.MultiheadAttention: NumPy references for values
(masks included), gradcheck for gradients, PyTorch's parameter layout and errors."""
import numpy as np
import pytest

import autograd as ag
import nn
import nn.functional as F

rng = np.random.default_rng(7)


def T(a, grad=True):
    return ag.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


def np_softmax(s):
    e = np.exp(s - s.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def np_sdpa(q, k, v, add=None, scale=None):
    s = q @ np.swapaxes(k, -1, -2) * (1 / np.sqrt(q.shape[-1]) if scale is None else scale)
    if add is not None:
        s = s + add
    return np_softmax(s) @ v


@pytest.mark.parametrize("kind", ["plain", "causal", "bool", "float", "scale"])
def test_sdpa_values_and_gradcheck(kind):
    q, k, v = rng.standard_normal((2, 4, 5)), rng.standard_normal((2, 6, 5)), rng.standard_normal((2, 6, 3))
    kw, add = {}, None
    if kind == "causal":
        kw["is_causal"] = True
        add = np.where(np.triu(np.ones((4, 6), bool), 1), -np.inf, 0.0)
    elif kind == "bool":                                  # True = takes part, as torch
        keep = rng.random((4, 6)) > 0.3
        keep[:, 0] = True
        kw["attn_mask"] = ag.tensor(keep)
        add = np.where(keep, 0.0, -np.inf)
    elif kind == "float":
        add = rng.standard_normal((4, 6))
        kw["attn_mask"] = ag.tensor(add)
    elif kind == "scale":
        kw["scale"] = 0.3
    out = F.scaled_dot_product_attention(T(q), T(k), T(v), **kw)
    np.testing.assert_allclose(out.array, np_sdpa(q, k, v, add, kw.get("scale")), atol=1e-12)
    assert ag.gradcheck(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, **kw), (T(q), T(k), T(v)))


def np_mha(m, q, k, v, add=None):
    """(L, N, E) inputs; torch's head layout; returns output and head-averaged weights."""
    E, h = m.embed_dim, m.num_heads
    hd = E // h
    W, b = m.in_proj_weight.array, m.in_proj_bias.array
    Q, K, V = q @ W[:E].T + b[:E], k @ W[E:2 * E].T + b[E:2 * E], v @ W[2 * E:].T + b[2 * E:]
    L, N, _ = q.shape
    S = k.shape[0]
    split = lambda t, n: t.reshape(n, N * h, hd).transpose(1, 0, 2)   # noqa: E731
    s = split(Q, L) @ split(K, S).transpose(0, 2, 1) / np.sqrt(hd)
    if add is not None:
        s = s + add
    w = np_softmax(s)
    o = (w @ split(V, S)).transpose(1, 0, 2).reshape(L, N, E)
    o = o @ m.out_proj.weight.array.T + m.out_proj.bias.array
    return o, w.reshape(N, h, L, S).mean(1)


@pytest.mark.parametrize("mask", [None, "attn_bool", "attn_float", "key_padding"])
def test_multihead_attention_values_and_gradcheck(mask):
    ag.manual_seed(0)
    E, h, L, S, N = 6, 2, 3, 4, 2
    m = nn.MultiheadAttention(E, h).double()
    for p in (m.in_proj_bias, m.out_proj.bias):          # zero at init: make them count
        p.array[...] = rng.standard_normal(p.shape)
    q, k, v = rng.standard_normal((L, N, E)), rng.standard_normal((S, N, E)), rng.standard_normal((S, N, E))
    kw, add = {}, None
    if mask == "attn_bool":                               # True = blocked, as torch
        blocked = np.triu(np.ones((L, S), bool), 1)
        kw["attn_mask"] = ag.tensor(blocked)
        add = np.where(blocked, -np.inf, 0.0)
    elif mask == "attn_float":
        add = rng.standard_normal((L, S))
        kw["attn_mask"] = ag.tensor(add)
    elif mask == "key_padding":
        pad = np.zeros((N, S), bool)
        pad[1, -1] = True
        kw["key_padding_mask"] = ag.tensor(pad)
        add = np.repeat(np.where(pad, -np.inf, 0.0)[:, None, None, :], h, axis=1).reshape(N * h, 1, S)
    out, w = m(T(q), T(k), T(v), **kw)
    eo, ew = np_mha(m, q, k, v, add)
    assert out.shape == (L, N, E) and w.shape == (N, L, S)
    np.testing.assert_allclose(out.array, eo, atol=1e-12)
    np.testing.assert_allclose(w.array, ew, atol=1e-12)
    f = lambda q, k, v: (lambda o, w: o.square().sum() + (w * w).sum())(*m(q, k, v, **kw))  # noqa: E731
    assert ag.gradcheck(f, (T(q), T(k), T(v)))
    for name, p in list(m.named_parameters()):
        def g(wt, name=name, p=p):
            mod, attr = (m.out_proj, name.split(".")[1]) if name.startswith("out_proj") else (m, name)
            mod._parameters[attr] = wt
            try:
                return m(T(q, False), T(k, False), T(v, False), **kw)[0].square().sum()
            finally:
                mod._parameters[attr] = p
        assert ag.gradcheck(g, (T(p.array.copy()),))


def test_multihead_attention_layout_shapes_and_options():
    m = nn.MultiheadAttention(8, 2)
    assert list(m.state_dict()) == ["in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"]
    assert m.in_proj_weight.shape == (24, 8) and np.all(m.in_proj_bias.array == 0)
    m2 = nn.MultiheadAttention(8, 2, kdim=3, vdim=5, bias=False)
    assert list(m2.state_dict()) == ["q_proj_weight", "k_proj_weight", "v_proj_weight", "out_proj.weight"]
    assert m2.k_proj_weight.shape == (8, 3) and m2.v_proj_weight.shape == (8, 5)
    out, w = m2(ag.randn(4, 2, 8), ag.randn(6, 2, 3), ag.randn(6, 2, 5), average_attn_weights=False)
    assert out.shape == (4, 2, 8) and w.shape == (2, 2, 4, 6)
    bf = nn.MultiheadAttention(8, 2, batch_first=True)
    out, w = bf(ag.randn(3, 4, 8), ag.randn(3, 6, 8), ag.randn(3, 6, 8), need_weights=False)
    assert out.shape == (3, 4, 8) and w is None
    out, w = m(ag.randn(4, 8), ag.randn(6, 8), ag.randn(6, 8))          # unbatched
    assert out.shape == (4, 8) and w.shape == (4, 6)
    np.testing.assert_allclose(w.array.sum(-1), 1, rtol=1e-5)


def test_multihead_attention_errors():
    with pytest.raises(ValueError, match="divisible by num_heads"):
        nn.MultiheadAttention(7, 2)
    m = nn.MultiheadAttention(8, 2)
    with pytest.raises(ValueError, match="query must have 8 features"):
        m(ag.randn(4, 2, 6), ag.randn(5, 2, 8), ag.randn(5, 2, 8))
    with pytest.raises(ValueError, match=r"attn_mask must be \(L, S\) = \(4, 5\)"):
        m(ag.randn(4, 2, 8), ag.randn(5, 2, 8), ag.randn(5, 2, 8), attn_mask=ag.zeros(5, 5))
    with pytest.raises(ValueError, match=r"key_padding_mask must be \(N, S\)"):
        m(ag.randn(4, 2, 8), ag.randn(5, 2, 8), ag.randn(5, 2, 8), key_padding_mask=ag.zeros(2, 4))
    with pytest.raises(RuntimeError, match="Need attn_mask"):
        m(ag.randn(4, 2, 8), ag.randn(5, 2, 8), ag.randn(5, 2, 8), is_causal=True)
    with pytest.raises(ValueError, match="either attn_mask or is_causal"):
        F.scaled_dot_product_attention(ag.randn(2, 3, 4), ag.randn(2, 3, 4), ag.randn(2, 3, 4),
                                       attn_mask=ag.ones(3, 3), is_causal=True)
