"""nn.Transformer and its encoder/decoder layers: PyTorch's state_dict keys, shapes for
every layout, what the masks do, gradients (gradcheck in float64), errors."""
import numpy as np
import pytest

import autograd as ag
import nn
import nn.functional as F

LAYER = ["self_attn.in_proj_weight", "self_attn.in_proj_bias", "self_attn.out_proj.weight",
         "self_attn.out_proj.bias", "linear1.weight", "linear1.bias", "linear2.weight",
         "linear2.bias", "norm1.weight", "norm1.bias", "norm2.weight", "norm2.bias"]
DEC_LAYER = ["self_attn.in_proj_weight", "self_attn.in_proj_bias", "self_attn.out_proj.weight",
             "self_attn.out_proj.bias", "multihead_attn.in_proj_weight",
             "multihead_attn.in_proj_bias", "multihead_attn.out_proj.weight",
             "multihead_attn.out_proj.bias", "linear1.weight", "linear1.bias", "linear2.weight",
             "linear2.bias", "norm1.weight", "norm1.bias", "norm2.weight", "norm2.bias",
             "norm3.weight", "norm3.bias"]


def test_state_dict_keys_and_shapes_are_torchs():
    m = nn.Transformer(d_model=8, nhead=2, num_encoder_layers=2, num_decoder_layers=1,
                       dim_feedforward=16)
    want = ([f"encoder.layers.{i}.{k}" for i in range(2) for k in LAYER]
            + ["encoder.norm.weight", "encoder.norm.bias"]
            + [f"decoder.layers.0.{k}" for k in DEC_LAYER]
            + ["decoder.norm.weight", "decoder.norm.bias"])
    sd = m.state_dict()
    assert list(sd) == want
    assert sd["encoder.layers.1.self_attn.in_proj_weight"].shape == (24, 8)
    assert sd["decoder.layers.0.linear1.weight"].shape == (16, 8)
    assert sd["decoder.layers.0.linear2.weight"].shape == (8, 16)
    # the clones are independent copies, and torch's xavier re-initialisation applied
    a, b = (m.encoder.layers[i].linear1.weight for i in range(2))
    assert a is not b and not np.allclose(a.array, b.array)
    bound = np.sqrt(6 / (16 + 8))
    assert np.abs(a.array).max() <= bound and np.abs(a.array).max() > 0.8 * bound


def test_defaults_and_bias_false():
    layer = nn.TransformerEncoderLayer(16, 4)
    assert layer.linear1.out_features == 2048 and layer.dropout.p == 0.1
    assert layer.norm1.eps == 1e-5 and not layer.norm_first and not layer.self_attn.batch_first
    assert layer.activation is F.relu
    m = nn.Transformer()
    assert (m.d_model, m.nhead, len(m.encoder.layers), len(m.decoder.layers)) == (512, 8, 6, 6)
    nb = nn.TransformerDecoderLayer(8, 2, 16, bias=False)
    assert list(nb.state_dict()) == ["self_attn.in_proj_weight", "self_attn.out_proj.weight",
                                     "multihead_attn.in_proj_weight",
                                     "multihead_attn.out_proj.weight", "linear1.weight",
                                     "linear2.weight", "norm1.weight", "norm2.weight",
                                     "norm3.weight"]
    assert nn.TransformerEncoder(layer, 2, enable_nested_tensor=False).num_layers == 2
    enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16), 3)
    custom = nn.Transformer(8, 2, dim_feedforward=16, num_decoder_layers=1, custom_encoder=enc)
    assert custom.encoder is enc and len(custom.decoder.layers) == 1 and enc.norm is None


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("norm_first", [False, True])
def test_shapes_every_layout(batch_first, norm_first):
    m = nn.Transformer(8, 2, 1, 1, 16, batch_first=batch_first, norm_first=norm_first).eval()
    S, T, N = 5, 4, 3
    src = ag.randn(*((N, S, 8) if batch_first else (S, N, 8)))
    tgt = ag.randn(*((N, T, 8) if batch_first else (T, N, 8)))
    assert m(src, tgt).shape == ((N, T, 8) if batch_first else (T, N, 8))
    assert m(ag.randn(S, 8), ag.randn(T, 8)).shape == (T, 8)           # unbatched
    enc = m.encoder(src)
    assert enc.shape == src.shape


def test_square_subsequent_mask():
    mask = nn.Transformer.generate_square_subsequent_mask(4)
    assert mask.dtype == np.float32 and mask.shape == (4, 4)
    want = np.where(np.triu(np.ones((4, 4), bool), 1), -np.inf, 0.0)
    np.testing.assert_array_equal(mask.numpy(), want)
    assert nn.Transformer.generate_square_subsequent_mask(2, dtype=ag.float64).dtype == np.float64
    old = ag.get_default_dtype()
    try:
        ag.set_default_dtype(ag.float64)
        assert nn.Transformer.generate_square_subsequent_mask(2).dtype == np.float64
    finally:
        ag.set_default_dtype(old)


def _decoder(norm_first=False):
    ag.manual_seed(0)
    return nn.TransformerDecoder(nn.TransformerDecoderLayer(8, 2, 16, norm_first=norm_first), 2,
                                 norm=nn.LayerNorm(8)).eval()


@pytest.mark.parametrize("norm_first", [False, True])
def test_causal_mask_hides_the_future(norm_first):
    dec = _decoder(norm_first)
    T = 5
    tgt, mem = ag.randn(T, 2, 8), ag.randn(6, 2, 8)
    mask = nn.Transformer.generate_square_subsequent_mask(T)
    out = dec(tgt, mem, tgt_mask=mask).detach().numpy()
    changed = tgt.detach().clone()
    changed.array[3:] += ag.randn(2, 2, 8).array * 3   # only positions 3 and 4
    out2 = dec(changed, mem, tgt_mask=mask).detach().numpy()
    np.testing.assert_allclose(out2[:3], out[:3], atol=1e-6)  # earlier outputs unchanged
    assert np.abs(out2[3:] - out[3:]).max() > 1e-2
    unmasked = dec(changed, mem).detach().numpy()              # without the mask they change
    assert np.abs(unmasked[:3] - dec(tgt, mem).detach().numpy()[:3]).max() > 1e-2
    # a boolean mask (True = blocked) gives the same result as the float one
    blocked = ag.tensor(np.triu(np.ones((T, T), bool), 1))
    np.testing.assert_allclose(dec(tgt, mem, tgt_mask=blocked).detach().numpy(), out, atol=1e-6)


@pytest.mark.parametrize("batch_first", [False, True])
def test_key_padding_masks_ignore_padded_positions(batch_first):
    ag.manual_seed(1)
    m = nn.Transformer(8, 2, 1, 1, 16, batch_first=batch_first).eval()
    S, T, N = 6, 3, 2
    src = ag.randn(*((N, S, 8) if batch_first else (S, N, 8)))
    tgt = ag.randn(*((N, T, 8) if batch_first else (T, N, 8)))
    pad = np.zeros((N, S), bool)
    pad[0, 4:] = True                                          # sample 0 has 4 real tokens
    kw = dict(src_key_padding_mask=ag.tensor(pad), memory_key_padding_mask=ag.tensor(pad))
    out = m(src, tgt, **kw).detach().numpy()
    noisy = src.detach().clone()
    if batch_first:
        noisy.array[0, 4:] = 100.0
    else:
        noisy.array[4:, 0] = 100.0
    np.testing.assert_allclose(m(noisy, tgt, **kw).detach().numpy(), out, atol=1e-5)
    assert np.abs(m(noisy, tgt).detach().numpy() - m(src, tgt).detach().numpy()).max() > 1e-2


def test_train_mode_dropout_and_eval_determinism():
    layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.5)
    x = ag.randn(4, 2, 8)
    assert not np.allclose(layer(x).detach().numpy(), layer(x).detach().numpy())
    layer.eval()
    np.testing.assert_array_equal(layer(x).detach().numpy(), layer(x).detach().numpy())


def test_activation_string_callable_and_error():
    assert nn.TransformerEncoderLayer(8, 2, 16, activation="gelu").activation is F.gelu
    gelu = nn.GELU()
    layer = nn.TransformerEncoderLayer(8, 2, 16, activation=gelu)
    assert layer.activation is gelu and "activation.weight" not in layer.state_dict()
    with pytest.raises(RuntimeError, match="activation should be relu/gelu, not tanh"):
        nn.TransformerEncoderLayer(8, 2, activation="tanh")


def test_errors_name_the_problem():
    m = nn.Transformer(8, 2, 1, 1, 16)
    with pytest.raises(RuntimeError, match="batch number of src and tgt must be equal"):
        m(ag.randn(5, 2, 8), ag.randn(4, 3, 8))
    with pytest.raises(RuntimeError, match="feature number of src and tgt must be equal to d_model"):
        m(ag.randn(5, 2, 8), ag.randn(4, 2, 6))
    with pytest.raises(RuntimeError, match="Need attn_mask if specifying the is_causal hint"):
        nn.TransformerEncoderLayer(8, 2, 16)(ag.randn(3, 1, 8), is_causal=True)


@pytest.mark.parametrize("norm_first", [False, True])
def test_gradcheck_tiny_layers_float64(norm_first):
    ag.manual_seed(2)
    enc = nn.TransformerEncoderLayer(4, 2, 6, dropout=0.0, norm_first=norm_first).double()
    dec = nn.TransformerDecoderLayer(4, 2, 6, dropout=0.0, norm_first=norm_first,
                                     activation="gelu").double()
    mask = nn.Transformer.generate_square_subsequent_mask(3, dtype=ag.float64)
    x = ag.randn(3, 2, 4, dtype=ag.float64, requires_grad=True)
    mem = ag.randn(2, 2, 4, dtype=ag.float64, requires_grad=True)
    w = enc.self_attn.in_proj_weight
    assert ag.gradcheck(lambda x, w: enc(x, src_mask=mask), (x, w))
    assert ag.gradcheck(lambda x, mem: dec(x, mem, tgt_mask=mask), (x, mem))
