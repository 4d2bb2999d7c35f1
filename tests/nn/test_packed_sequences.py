"""nn.utils.rnn (pad / pack / unpack) and RNN, LSTM, GRU on PackedSequence.

The reference for a packed batch is the same module run on each sequence alone,
unpadded: outputs, each sequence's last state, and all gradients must agree."""
import numpy as np
import pytest

import autograd as ag
import nn
from nn.utils.rnn import (PackedSequence, pack_padded_sequence, pack_sequence, pad_packed_sequence,
                          pad_sequence, unpack_sequence, unpad_sequence)

rng = np.random.default_rng(11)


def test_nn_utils_is_a_package_that_keeps_its_names():
    from nn.utils import clip_grad_norm_, clip_grad_value_, parameters_to_vector  # noqa: F401
    assert nn.utils.rnn.pad_sequence is pad_sequence


def test_pad_sequence_both_sides_and_layouts():
    a, b = ag.tensor([1.0, 2.0]), ag.tensor([3.0, 4.0, 5.0])
    assert pad_sequence([a, b]).tolist() == [[1, 3], [2, 4], [0, 5]]
    assert pad_sequence([a, b], batch_first=True, padding_value=-1,
                        padding_side='left').tolist() == [[-1, 1, 2], [3, 4, 5]]
    with pytest.raises(ValueError, match="padding_side must be 'left' or 'right'"):
        pad_sequence([a], padding_side='up')


def test_pack_padded_sequence_layout_matches_numpy():
    x = np.arange(12.0).reshape(4, 3)                       # (T, B)
    p = pack_padded_sequence(ag.tensor(x), [4, 2, 1])
    assert p.data.tolist() == [0, 1, 2, 3, 4, 6, 9]
    assert p.batch_sizes.tolist() == [3, 2, 1, 1] and p.sorted_indices is None
    p = pack_padded_sequence(ag.tensor(x), ag.tensor([1, 4, 2]), enforce_sorted=False)
    assert p.sorted_indices.tolist() == [1, 2, 0] and p.unsorted_indices.tolist() == [2, 0, 1]
    assert p.data.tolist() == [1, 2, 0, 4, 5, 7, 10]
    padded, lengths = pad_packed_sequence(p, total_length=5, padding_value=-1.0)
    assert lengths.tolist() == [1, 4, 2] and lengths.dtype == np.int64
    expected = np.where(np.arange(5)[:, None] < np.array([1, 4, 2]), np.vstack([x, x[:1]]), -1)
    np.testing.assert_array_equal(padded.numpy(), expected)


def test_pack_errors_say_what_to_do():
    x = ag.ones(4, 3)
    with pytest.raises(RuntimeError, match="enforce_sorted=False"):
        pack_padded_sequence(x, [1, 4, 2])
    with pytest.raises(RuntimeError, match="greater than 0"):
        pack_padded_sequence(x, [4, 0, 2], enforce_sorted=False)
    with pytest.raises(ValueError, match="longer than the 4 steps"):
        pack_padded_sequence(x, [5, 4, 2])
    with pytest.raises(ValueError, match="total_length=2"):
        pad_packed_sequence(pack_padded_sequence(x, [4, 2, 1]), total_length=2)


def test_round_trips_and_gradient_through_packing():
    seqs = [ag.tensor(rng.standard_normal((n, 2)), requires_grad=True) for n in (2, 4, 3)]
    packed = pack_sequence(seqs, enforce_sorted=False)
    for s, u in zip(seqs, unpack_sequence(packed)):
        np.testing.assert_array_equal(s.detach().numpy(), u.detach().numpy())
    padded, lengths = pad_packed_sequence(packed, batch_first=True)
    for s, u in zip(seqs, unpad_sequence(padded, lengths, batch_first=True)):
        np.testing.assert_array_equal(s.detach().numpy(), u.detach().numpy())
    (padded * padded).sum().backward()
    for s in seqs:
        np.testing.assert_allclose(s.grad.numpy(), 2 * s.detach().numpy())
    assert isinstance(packed, PackedSequence) and packed.double().data.dtype == np.float64


def _per_sequence(model, seqs, states):
    """Each sequence alone (unbatched, unpadded) with its own initial state."""
    outs, finals = [], []
    for i, s in enumerate(seqs):
        hx = None if states is None else tuple(h[:, i] for h in states)
        if hx is not None and len(hx) == 1:
            hx = hx[0]
        out, h = model(s, hx)
        outs.append(out)
        finals.append(h if isinstance(h, tuple) else (h,))
    return outs, [ag.stack([f[k] for f in finals], dim=1) for k in range(len(finals[0]))]


@pytest.mark.parametrize('kind,kwargs', [
    ('LSTM', dict(num_layers=2, bidirectional=True)),
    ('LSTM', dict(proj_size=2)),
    ('GRU', dict(num_layers=2, bidirectional=True)),
    ('RNN', dict(bidirectional=True, nonlinearity='relu')),
])
def test_packed_rnn_equals_each_sequence_alone(kind, kwargs):
    ag.manual_seed(0)
    model = getattr(nn, kind)(3, 4, **kwargs).to(ag.float64)
    lengths = [3, 5, 1, 4]
    seqs = [ag.tensor(rng.standard_normal((n, 3)), requires_grad=True) for n in lengths]
    dirs = 2 if kwargs.get('bidirectional') else 1
    layers = kwargs.get('num_layers', 1)
    shapes = [(layers * dirs, 4, kwargs.get('proj_size') or 4)]
    if kind == 'LSTM':
        shapes.append((layers * dirs, 4, 4))
    states = [ag.tensor(rng.standard_normal(s), requires_grad=True) for s in shapes]
    packed = pack_sequence(seqs, enforce_sorted=False)
    out, h = model(packed, tuple(states) if kind == 'LSTM' else states[0])
    assert isinstance(out, PackedSequence) and out.batch_sizes.tolist() == [4, 3, 3, 2, 1]
    finals = list(h) if kind == 'LSTM' else [h]
    ref_outs, ref_finals = _per_sequence(model, seqs, states)
    for o, r in zip(unpack_sequence(out), ref_outs):
        np.testing.assert_allclose(o.detach().numpy(), r.detach().numpy(), atol=1e-12)
    for f, r in zip(finals, ref_finals):
        np.testing.assert_allclose(f.detach().numpy(), r.detach().numpy(), atol=1e-12)
    # gradients: the same weighted loss on both sides
    weights = [ag.tensor(rng.standard_normal(r.shape)) for r in ref_outs + ref_finals]
    loss = lambda outs, fins: sum(((o * w).sum() for o, w in zip(outs + fins, weights)))  # noqa
    leaves = seqs + states + list(model.parameters())
    got = ag.grad(loss(unpack_sequence(out), finals), leaves)
    want = ag.grad(loss(*_per_sequence(model, seqs, states)), leaves)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g.numpy(), w.numpy(), atol=1e-10)


def test_packed_lstm_gradcheck():
    ag.manual_seed(1)
    model = nn.LSTM(2, 3, num_layers=2, bidirectional=True, batch_first=True).to(ag.float64)
    x = ag.tensor(rng.standard_normal((3, 4, 2)), requires_grad=True)
    h0 = ag.tensor(rng.standard_normal((4, 3, 3)), requires_grad=True)
    c0 = ag.tensor(rng.standard_normal((4, 3, 3)), requires_grad=True)

    def fn(x, h0, c0):
        packed = pack_padded_sequence(x, [2, 4, 1], batch_first=True, enforce_sorted=False)
        out, (h, c) = model(packed, (h0, c0))
        return ag.cat([pad_packed_sequence(out)[0].flatten(), h.flatten(), c.flatten()])

    assert ag.gradcheck(fn, [x, h0, c0])


def test_padding_steps_do_not_change_the_result():
    """Garbage in the padded positions must not reach outputs or states."""
    model = nn.GRU(2, 3, batch_first=True)
    x = rng.standard_normal((2, 4, 2)).astype(np.float32)
    y = x.copy()
    y[1, 2:] = 1e6
    runs = [model(pack_padded_sequence(ag.tensor(v), [4, 2], batch_first=True)) for v in (x, y)]
    np.testing.assert_array_equal(runs[0][0].data.detach().numpy(), runs[1][0].data.detach().numpy())
    np.testing.assert_array_equal(runs[0][1].detach().numpy(), runs[1][1].detach().numpy())
