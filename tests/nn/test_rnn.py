"""RNN / LSTM / GRU cells and modules: NumPy references for values, gradcheck for gradients."""
import numpy as np
import pytest

import autograd as ag
import nn
from autograd.ops.rnn import GRUCellOp, LSTMCellOp

rng = np.random.default_rng(1)


def T(a, grad=True):
    return ag.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


def sig(x):
    return 1 / (1 + np.exp(-x))


def np_lstm_cell(x, h, c, wi, wh, bi, bh):
    i, f, g, o = np.split(x @ wi.T + bi + h @ wh.T + bh, 4, axis=-1)
    c2 = sig(f) * c + sig(i) * np.tanh(g)
    return sig(o) * np.tanh(c2), c2


def np_gru_cell(x, h, wi, wh, bi, bh):
    xr, xz, xn = np.split(x @ wi.T + bi, 3, axis=-1)
    hr, hz, hn = np.split(h @ wh.T + bh, 3, axis=-1)
    r, z = sig(xr + hr), sig(xz + hz)
    n = np.tanh(xn + r * hn)
    return (1 - z) * n + z * h


def np_rnn_cell(x, h, wi, wh, bi, bh):
    return np.tanh(x @ wi.T + bi + h @ wh.T + bh)


def np_module(m, x, h0, c0, kind):
    """x (T, B, I); states (L*D, B, H) -> (out, h_n, c_n), a plain loop over layers/directions/time.
    An LSTM with proj_size projects each step's h = (o * tanh(c)) @ W_hr^T before the next."""
    dirs = 2 if m.bidirectional else 1
    hs, cs = [], []
    for layer in range(m.num_layers):
        outs = []
        for d in range(dirs):
            sfx = f"_l{layer}" + ("_reverse" if d else "")
            p = [getattr(m, n + sfx).array for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
            w_hr = getattr(m, "weight_hr" + sfx).array if getattr(m, "proj_size", 0) else None
            k = layer * dirs + d
            h, c = h0[k], c0[k]
            out = [None] * x.shape[0]
            for t in (range(x.shape[0] - 1, -1, -1) if d else range(x.shape[0])):
                if kind == 'lstm':
                    h, c = np_lstm_cell(x[t], h, c, *p)
                    if w_hr is not None:
                        h = h @ w_hr.T
                elif kind == 'gru':
                    h = np_gru_cell(x[t], h, *p)
                else:
                    h = np_rnn_cell(x[t], h, *p)
                out[t] = h
            outs.append(np.stack(out))
            hs.append(h)
            cs.append(c)
        x = np.concatenate(outs, axis=-1)
    return x, np.stack(hs), np.stack(cs)


def test_cell_ops_gradcheck():
    B, H = 3, 4
    xg, h, c = T(rng.standard_normal((B, 4 * H))), T(rng.standard_normal((B, H))), T(rng.standard_normal((B, H)))
    w, b = T(rng.standard_normal((4 * H, H)) * 0.5), T(rng.standard_normal(4 * H))
    assert ag.gradcheck(lambda *a: LSTMCellOp.apply(*a), (xg, h, c, w, b))
    xg3, w3, b3 = T(rng.standard_normal((B, 3 * H))), T(rng.standard_normal((3 * H, H)) * 0.5), T(rng.standard_normal(3 * H))
    assert ag.gradcheck(lambda *a: GRUCellOp.apply(*a), (xg3, h, w3, b3))


@pytest.mark.parametrize("cls,ref", [(nn.LSTMCell, 'lstm'), (nn.GRUCell, 'gru'), (nn.RNNCell, 'rnn')])
def test_cells_values_and_gradcheck(cls, ref):
    ag.manual_seed(0)
    m = cls(3, 4).double()
    x, h, c = rng.standard_normal((2, 3)), rng.standard_normal((2, 4)), rng.standard_normal((2, 4))
    p = [m.weight_ih.array, m.weight_hh.array, m.bias_ih.array, m.bias_hh.array]
    if ref == 'lstm':
        h2, c2 = m(T(x), (T(h), T(c)))
        eh, ec = np_lstm_cell(x, h, c, *p)
        np.testing.assert_allclose(c2.array, ec, atol=1e-12)
        assert ag.gradcheck(lambda x, h, c, *ps: sum(o.square().sum() for o in m(x, (h, c))),
                            (T(x), T(h), T(c)))
        assert m(T(x[0]))[0].shape == (4,)
    else:
        h2 = m(T(x), T(h))
        eh = np_gru_cell(x, h, *p) if ref == 'gru' else np_rnn_cell(x, h, *p)
        assert ag.gradcheck(lambda x, h: m(x, h), (T(x), T(h)))
        assert m(T(x)).shape == (2, 4)
    np.testing.assert_allclose(h2.array, eh, atol=1e-12)
    assert [n for n, _ in m.named_parameters()] == ['weight_ih', 'weight_hh', 'bias_ih', 'bias_hh']


def _param_names(num_layers, bidirectional):
    names = []
    for layer in range(num_layers):
        for sfx in ([""] + (["_reverse"] if bidirectional else [])):
            names += [f"{n}_l{layer}{sfx}" for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
    return names


@pytest.mark.parametrize("cls,kind,G", [(nn.LSTM, 'lstm', 4), (nn.GRU, 'gru', 3), (nn.RNN, 'rnn', 1)])
@pytest.mark.parametrize("bidirectional,batch_first", [(False, False), (True, True)])
def test_modules_values_shapes_gradcheck(cls, kind, G, bidirectional, batch_first):
    ag.manual_seed(0)
    I, H, L, Tn, B = 3, 4, 2, 4, 2
    m = cls(I, H, num_layers=L, bidirectional=bidirectional, batch_first=batch_first).double()
    D = 2 if bidirectional else 1
    names = _param_names(L, bidirectional)
    assert [n for n, _ in m.named_parameters()] == names
    assert list(m.state_dict().keys()) == names
    for n, p in m.named_parameters():
        layer_in = I if "_l0" in n else H * D
        expect = (G * H, layer_in) if "weight_ih" in n else (G * H, H) if "weight_hh" in n else (G * H,)
        assert p.shape == expect
        assert np.abs(p.array).max() <= 1 / np.sqrt(H)
    x = rng.standard_normal((B, Tn, I) if batch_first else (Tn, B, I))
    h0, c0 = rng.standard_normal((L * D, B, H)), rng.standard_normal((L * D, B, H))
    hx = (T(h0), T(c0)) if kind == 'lstm' else T(h0)
    out, state = m(T(x), hx)
    xs = x.transpose(1, 0, 2) if batch_first else x
    eo, eh, ec = np_module(m, xs, h0, c0, kind)
    if batch_first:
        eo = eo.transpose(1, 0, 2)
    assert out.shape == ((B, Tn, D * H) if batch_first else (Tn, B, D * H))
    np.testing.assert_allclose(out.array, eo, atol=1e-12)
    if kind == 'lstm':
        np.testing.assert_allclose(state[0].array, eh, atol=1e-12)
        np.testing.assert_allclose(state[1].array, ec, atol=1e-12)
        fn = lambda x, h, c: (lambda o, s: o.sum() + (s[0] * s[1]).sum())(*m(x, (h, c)))  # noqa: E731
        assert ag.gradcheck(fn, (T(x), T(h0), T(c0)))
    else:
        np.testing.assert_allclose(state.array, eh, atol=1e-12)
        fn = lambda x, h: (lambda o, s: o.sum() + s.square().sum())(*m(x, h))  # noqa: E731
        assert ag.gradcheck(fn, (T(x), T(h0)))
    # parameter gradients through the whole module
    params = list(m.parameters())
    for p in params[:4] + params[-4:]:
        assert ag.gradcheck(lambda w: _with_param(m, p, w, x), (T(p.array.copy()),))


def _with_param(m, p, w, x):
    # run the module with parameter p replaced by w (a differentiable leaf)
    name = [n for n, q in m.named_parameters() if q is p][0]
    m._parameters[name] = w
    try:
        out = m(T(x, False))[0]
    finally:
        m._parameters[name] = p
    return out.square().sum()


def test_unbatched_no_hidden_and_dropout():
    ag.manual_seed(0)
    m = nn.LSTM(3, 5, num_layers=2, dropout=0.5)
    out, (h, c) = m(ag.randn(6, 3))
    assert out.shape == (6, 5) and h.shape == (2, 5) and c.shape == (2, 5)
    m.eval()
    a = m(ag.randn(6, 2, 3))[0]
    assert a.shape == (6, 2, 5)
    g = nn.GRU(3, 5, bidirectional=True)
    out, h = g(ag.randn(6, 2, 3))
    assert out.shape == (6, 2, 10) and h.shape == (2, 2, 5)
    out[0].sum().backward()
    assert all(p.grad is not None for p in g.parameters())


def test_bad_inputs():
    m = nn.LSTM(3, 4)
    with pytest.raises(ValueError, match="input_size"):
        m(ag.randn(5, 2, 7))
    with pytest.raises(ValueError, match=r"hidden\[0\]"):
        m(ag.randn(5, 2, 3), (ag.randn(1, 3, 4), ag.randn(1, 2, 4)))
    with pytest.raises(ValueError, match="input_size"):
        nn.GRUCell(3, 4)(ag.randn(2, 5))
    with pytest.raises(ValueError, match="nonlinearity"):
        nn.RNN(3, 4, nonlinearity='sigmoid')


@pytest.mark.parametrize("bidirectional", [False, True])
def test_lstm_proj_size_values_shapes_gradcheck(bidirectional):
    ag.manual_seed(0)
    I, H, P, L, Tn, B = 3, 5, 2, 2, 4, 2
    D = 2 if bidirectional else 1
    m = nn.LSTM(I, H, num_layers=L, bidirectional=bidirectional, proj_size=P).double()
    names = []
    for layer in range(L):
        for sfx in ([""] + (["_reverse"] if bidirectional else [])):
            names += [f"{n}_l{layer}{sfx}" for n in
                      ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hr")]
    assert list(m.state_dict().keys()) == names                       # PyTorch's order
    assert m.weight_hh_l0.shape == (4 * H, P) and m.weight_hr_l0.shape == (P, H)
    assert m.weight_ih_l1.shape == (4 * H, P * D)
    assert "proj_size=2" in repr(m)
    x = rng.standard_normal((Tn, B, I))
    h0, c0 = rng.standard_normal((L * D, B, P)), rng.standard_normal((L * D, B, H))
    out, (h, c) = m(T(x), (T(h0), T(c0)))
    eo, eh, ec = np_module(m, x, h0, c0, 'lstm')
    assert out.shape == (Tn, B, D * P) and h.shape == (L * D, B, P) and c.shape == (L * D, B, H)
    np.testing.assert_allclose(out.array, eo, atol=1e-12)
    np.testing.assert_allclose(h.array, eh, atol=1e-12)
    np.testing.assert_allclose(c.array, ec, atol=1e-12)
    fn = lambda x, h, c: (lambda o, s: o.square().sum() + (s[0].sum() + s[1].sin().sum()))(*m(x, (h, c)))  # noqa: E731
    assert ag.gradcheck(fn, (T(x), T(h0), T(c0)))
    for p in (m.weight_hr_l0, m.weight_hh_l0, list(m.parameters())[-1]):
        assert ag.gradcheck(lambda w: _with_param(m, p, w, x), (T(p.array.copy()),))
    out, (h, c) = m(T(x, False))                                      # zero initial states
    assert h.shape == (L * D, B, P) and c.shape == (L * D, B, H)


def test_proj_size_errors():
    with pytest.raises(ValueError, match="smaller than hidden_size"):
        nn.LSTM(3, 4, proj_size=4)
    with pytest.raises(ValueError, match="only supported for LSTM"):
        nn.layers.rnn.RNNBase('GRU', 3, 4, proj_size=2)      # GRU and RNN take no proj_size
    m = nn.LSTM(3, 4, proj_size=2)
    with pytest.raises(ValueError, match=r"hidden\[0\] size \(1, 5, 2\)"):
        m(ag.randn(2, 5, 3), (ag.randn(1, 5, 4), ag.randn(1, 5, 4)))
