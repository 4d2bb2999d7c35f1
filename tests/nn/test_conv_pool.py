"""conv / pool ops and layers: naive NumPy references for values, gradcheck for gradients."""
import numpy as np
import pytest

import autograd as ag
import nn
from nn import _functional_conv_rnn as F

rng = np.random.default_rng(0)


def T(a, grad=True):
    return ag.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


def naive_conv2d(x, w, b, stride, pad, dil, groups):
    N, C, H, W = x.shape
    O, Cg, KH, KW = w.shape
    xp_ = np.pad(x, ((0, 0), (0, 0), (pad[0], pad[0]), (pad[1], pad[1])))
    OH = (H + 2 * pad[0] - dil[0] * (KH - 1) - 1) // stride[0] + 1
    OW = (W + 2 * pad[1] - dil[1] * (KW - 1) - 1) // stride[1] + 1
    out = np.zeros((N, O, OH, OW))
    Og = O // groups
    for n in range(N):
        for o in range(O):
            g = o // Og
            for i in range(OH):
                for j in range(OW):
                    s = 0.0
                    for c in range(Cg):
                        for kh in range(KH):
                            for kw in range(KW):
                                s += xp_[n, g * Cg + c, i * stride[0] + kh * dil[0],
                                         j * stride[1] + kw * dil[1]] * w[o, c, kh, kw]
                    out[n, o, i, j] = s + (b[o] if b is not None else 0)
    return out


def naive_conv_transpose2d(x, w, b, stride, pad, opad, dil, groups):
    N, Cin, H, W = x.shape
    _, Cog, KH, KW = w.shape
    Ho = (H - 1) * stride[0] - 2 * pad[0] + dil[0] * (KH - 1) + opad[0] + 1
    Wo = (W - 1) * stride[1] - 2 * pad[1] + dil[1] * (KW - 1) + opad[1] + 1
    full = np.zeros((N, Cog * groups, Ho + 2 * pad[0] + KH * dil[0], Wo + 2 * pad[1] + KW * dil[1]))
    Cig = Cin // groups
    for n in range(N):
        for ci in range(Cin):
            g = ci // Cig
            for i in range(H):
                for j in range(W):
                    for co in range(Cog):
                        for kh in range(KH):
                            for kw in range(KW):
                                full[n, g * Cog + co, i * stride[0] + kh * dil[0],
                                     j * stride[1] + kw * dil[1]] += x[n, ci, i, j] * w[ci, co, kh, kw]
    out = full[:, :, pad[0]:pad[0] + Ho, pad[1]:pad[1] + Wo]
    return out + (b.reshape(1, -1, 1, 1) if b is not None else 0)


def naive_pool(x, k, s, p, mode, count_include_pad=True):
    N, C, H, W = x.shape
    OH = (H + 2 * p - k) // s + 1
    OW = (W + 2 * p - k) // s + 1
    out = np.zeros((N, C, OH, OW))
    for i in range(OH):
        for j in range(OW):
            h0, w0 = i * s - p, j * s - p
            hs, he = max(h0, 0), min(h0 + k, H)
            ws, we = max(w0, 0), min(w0 + k, W)
            win = x[:, :, hs:he, ws:we]
            if mode == 'max':
                out[:, :, i, j] = win.max(axis=(2, 3))
            else:
                cnt = (min(h0 + k, H + p) - h0) * (min(w0 + k, W + p) - w0) if count_include_pad \
                    else (he - hs) * (we - ws)
                out[:, :, i, j] = win.sum(axis=(2, 3)) / cnt
    return out


CONV_CASES = [  # x shape, w shape, stride, padding, dilation, groups
    ((2, 3, 6, 5), (4, 3, 3, 2), (1, 1), (0, 0), (1, 1), 1),
    ((1, 4, 7, 7), (6, 2, 3, 3), (2, 1), (1, 2), (1, 1), 2),
    ((2, 2, 8, 7), (2, 1, 2, 3), (1, 2), (2, 1), (2, 1), 2),
    ((1, 3, 7, 6), (2, 3, 3, 3), (3, 2), (1, 1), (2, 2), 1),
    # stride 1 takes the flat-row path: padding, dilation and groups through it
    ((2, 4, 7, 6), (6, 2, 3, 2), (1, 1), (1, 2), (2, 1), 2),
    ((3, 1, 6, 5), (2, 1, 2, 2), (1, 1), (0, 1), (1, 2), 1),
]


@pytest.mark.parametrize("xs,ws,stride,pad,dil,groups", CONV_CASES)
def test_conv2d_values_and_gradcheck(xs, ws, stride, pad, dil, groups):
    x, w, b = rng.standard_normal(xs), rng.standard_normal(ws), rng.standard_normal(ws[0])
    out = F.conv2d(T(x), T(w), T(b), stride, pad, dil, groups)
    np.testing.assert_allclose(out.array, naive_conv2d(x, w, b, stride, pad, dil, groups), atol=1e-10)
    assert ag.gradcheck(lambda x, w, b: F.conv2d(x, w, b, stride, pad, dil, groups), (T(x), T(w), T(b)))


def test_conv2d_no_bias_and_same_padding():
    x, w = rng.standard_normal((1, 2, 5, 6)), rng.standard_normal((3, 2, 4, 3))
    out = F.conv2d(T(x), T(w), None, padding='same')
    assert out.shape == (1, 3, 5, 6)
    # 'same' with an even kernel pads (1, 2) rows: compare with explicit padding
    xpad = np.pad(x, ((0, 0), (0, 0), (1, 2), (1, 1)))
    np.testing.assert_allclose(out.array, naive_conv2d(xpad, w, None, (1, 1), (0, 0), (1, 1), 1), atol=1e-10)
    assert ag.gradcheck(lambda x, w: F.conv2d(x, w, padding='same'), (T(x), T(w)))
    assert F.conv2d(T(x), T(w), padding='valid').shape == (1, 3, 2, 4)


def test_conv1d():
    x, w, b = rng.standard_normal((2, 3, 9)), rng.standard_normal((4, 3, 3)), rng.standard_normal(4)
    out = F.conv1d(T(x), T(w), T(b), stride=2, padding=1, dilation=2)
    ref = naive_conv2d(x[:, :, None], w[:, :, None], b, (1, 2), (0, 1), (1, 2), 1)[:, :, 0]
    np.testing.assert_allclose(out.array, ref, atol=1e-10)
    assert ag.gradcheck(lambda x, w, b: F.conv1d(x, w, b, 2, 1, 2), (T(x), T(w), T(b)))


@pytest.mark.parametrize("xs,ws,stride,pad,opad,dil,groups", [
    ((2, 3, 4, 3), (3, 2, 3, 3), (1, 1), (0, 0), (0, 0), (1, 1), 1),
    ((1, 4, 3, 4), (4, 2, 3, 2), (2, 3), (1, 0), (1, 2), (1, 1), 2),
    ((1, 2, 3, 3), (2, 3, 2, 3), (2, 2), (1, 1), (1, 0), (2, 1), 1),
    ((2, 4, 4, 3), (4, 1, 2, 3), (1, 1), (1, 0), (0, 0), (2, 1), 2),
])
def test_conv_transpose2d(xs, ws, stride, pad, opad, dil, groups):
    x, w = rng.standard_normal(xs), rng.standard_normal(ws)
    b = rng.standard_normal(ws[1] * groups)
    out = F.conv_transpose2d(T(x), T(w), T(b), stride, pad, opad, groups, dil)
    np.testing.assert_allclose(out.array, naive_conv_transpose2d(x, w, b, stride, pad, opad, dil, groups),
                               atol=1e-10)
    assert ag.gradcheck(lambda x, w, b: F.conv_transpose2d(x, w, b, stride, pad, opad, groups, dil),
                        (T(x), T(w), T(b)))


@pytest.mark.parametrize("stride", [(1, 1), (2, 1)])
def test_conv2d_batch_chunks_agree_with_one_pass(monkeypatch, stride):
    # a tiny column budget splits the batch into many chunks (one sample each, and
    # more than one chunk for the flat-row and the strided layout alike)
    import autograd.ops.conv as conv
    x, w, b = rng.standard_normal((5, 3, 7, 6)), rng.standard_normal((4, 3, 3, 2)), rng.standard_normal(4)
    whole = F.conv2d(T(x), T(w), T(b), stride, 1, 1, 1)
    monkeypatch.setattr(conv, "_COLUMN_BUDGET", 40)
    assert len(conv._batch_chunks(5, 3 * 3 * 2 * 30)) == 5
    np.testing.assert_allclose(F.conv2d(T(x), T(w), T(b), stride, 1, 1, 1).array, whole.array, atol=1e-12)
    np.testing.assert_allclose(whole.array, naive_conv2d(x, w, b, stride, (1, 1), (1, 1), 1), atol=1e-10)
    assert ag.gradcheck(lambda x, w, b: F.conv2d(x, w, b, stride, 1, 1, 1), (T(x), T(w), T(b)))


@pytest.mark.parametrize("stride", [(1, 1), (2, 1)])
def test_conv2d_gradients_alone_equal_gradients_together(stride):
    # stride 1 computes both gradients in one pass when both are needed: each alone
    # (input only, weight only) must give the same numbers
    x, w = rng.standard_normal((3, 2, 6, 5)), rng.standard_normal((4, 2, 3, 2))
    both = [T(x), T(w)]
    F.conv2d(both[0], both[1], None, stride, 1).square().sum().backward()
    xo, wo = T(x), T(w, grad=False)
    F.conv2d(xo, wo, None, stride, 1).square().sum().backward()
    xn, wn = T(x, grad=False), T(w)
    F.conv2d(xn, wn, None, stride, 1).square().sum().backward()
    np.testing.assert_allclose(xo.grad.array, both[0].grad.array, atol=1e-12)
    np.testing.assert_allclose(wn.grad.array, both[1].grad.array, atol=1e-12)
    assert np.abs(both[0].grad.array).max() > 0 and np.abs(both[1].grad.array).max() > 0


def _distinct(shape):
    return rng.permutation(int(np.prod(shape))).reshape(shape) / 7.0 + rng.uniform(0, 0.01, shape)


@pytest.mark.parametrize("k,s,p", [(2, 2, 0), (3, 2, 1), (3, 1, 1), (2, 3, 0)])
def test_max_pool2d(k, s, p):
    x = _distinct((2, 2, 7, 6))
    out = F.max_pool2d(T(x), k, s, p)
    np.testing.assert_allclose(out.array, naive_pool(x, k, s, p, 'max'))
    assert ag.gradcheck(lambda x: F.max_pool2d(x, k, s, p), (T(x),))


def test_max_pool2d_indices_dilation_ceil_and_ties():
    x = _distinct((1, 2, 6, 6))
    out, idx = F.max_pool2d(T(x), 2, return_indices=True)
    flat = x.reshape(1, 2, 36)
    np.testing.assert_array_equal(np.take_along_axis(flat, idx.array.reshape(1, 2, -1), 2).reshape(out.shape),
                                  out.array)
    assert idx.dtype == np.int64
    assert ag.gradcheck(lambda x: F.max_pool2d(x, 2, 2, 1, dilation=2, ceil_mode=True), (T(x),))
    # ties: exactly one winner per window gets the gradient
    t = T(np.ones((1, 1, 4, 4)))
    F.max_pool2d(t, 2).sum().backward()
    assert t.grad.array.sum() == 4 and (t.grad.array.reshape(2, 2, 2, 2).sum(axis=(1, 3)) == 1).all()


@pytest.mark.parametrize("k,s,p,cip", [(2, 2, 0, True), (3, 2, 1, True), (3, 2, 1, False), (2, 1, 1, False)])
def test_avg_pool2d(k, s, p, cip):
    x = rng.standard_normal((2, 2, 7, 6))
    out = F.avg_pool2d(T(x), k, s, p, count_include_pad=cip)
    np.testing.assert_allclose(out.array, naive_pool(x, k, s, p, 'avg', cip), atol=1e-12)
    assert ag.gradcheck(lambda x: F.avg_pool2d(x, k, s, p, count_include_pad=cip), (T(x),))


def test_avg_pool2d_ceil_mode_and_unbatched():
    x = rng.standard_normal((2, 7, 6))
    out = F.avg_pool2d(T(x), 3, 2, 1, ceil_mode=True)
    assert out.shape == (2, 4, 4)
    assert ag.gradcheck(lambda x: F.avg_pool2d(x, 3, 2, 1, ceil_mode=True), (T(x),))


@pytest.mark.parametrize("out_size", [(3, 2), 1, (4, None), 5])
def test_adaptive_avg_pool2d(out_size):
    x = rng.standard_normal((2, 2, 7, 5))
    out = F.adaptive_avg_pool2d(T(x), out_size)
    o = (out_size, out_size) if isinstance(out_size, int) else out_size
    OH, OW = o[0] or 7, o[1] or 5
    ref = np.zeros((2, 2, OH, OW))
    for i in range(OH):
        for j in range(OW):
            h0, h1 = (i * 7) // OH, -(-((i + 1) * 7) // OH)
            w0, w1 = (j * 5) // OW, -(-((j + 1) * 5) // OW)
            ref[:, :, i, j] = x[:, :, h0:h1, w0:w1].mean(axis=(2, 3))
    np.testing.assert_allclose(out.array, ref, atol=1e-12)
    assert ag.gradcheck(lambda x: F.adaptive_avg_pool2d(x, out_size), (T(x),))


def test_layers_shapes_init_and_state_dict():
    ag.manual_seed(0)
    c = nn.Conv2d(4, 6, 3, stride=2, padding=1, groups=2)
    assert c.weight.shape == (6, 2, 3, 3) and c.bias.shape == (6,)
    assert list(c.state_dict().keys()) == ['weight', 'bias']
    bound = 1 / np.sqrt(2 * 9)
    assert np.abs(c.weight.array).max() <= bound and np.abs(c.bias.array).max() <= bound
    assert c(ag.randn(2, 4, 9, 9)).shape == (2, 6, 5, 5)
    assert c(ag.randn(4, 9, 9)).shape == (6, 5, 5)
    c1 = nn.Conv1d(3, 5, 4, bias=False)
    assert c1.weight.shape == (5, 3, 4) and c1.bias is None
    assert c1(ag.randn(2, 3, 10)).shape == (2, 5, 7)
    ct = nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2)
    assert ct.weight.shape == (4, 3, 3, 3) and ct.bias.shape == (6,)
    assert ct(ag.randn(2, 4, 5, 5)).shape == (2, 6, 10, 10)
    assert ct(ag.randn(2, 4, 5, 5), output_size=(9, 9)).shape == (2, 6, 9, 9)
    assert nn.Conv2d(3, 4, (3, 5), padding='same')(ag.randn(1, 3, 6, 7)).shape == (1, 4, 6, 7)
    assert nn.MaxPool2d(2)(ag.randn(1, 3, 6, 7)).shape == (1, 3, 3, 3)
    assert nn.AvgPool2d(3, 2, 1)(ag.randn(1, 3, 6, 7)).shape == (1, 3, 3, 4)
    assert nn.AdaptiveAvgPool2d((2, 3))(ag.randn(1, 3, 6, 7)).shape == (1, 3, 2, 3)
    out, idx = nn.MaxPool2d(2, return_indices=True)(ag.randn(1, 3, 6, 6))
    assert out.shape == idx.shape == (1, 3, 3, 3)


def test_wrong_channels_error():
    c = nn.Conv2d(3, 4, 3)
    with pytest.raises(ValueError, match=r"in_channels=3.*\(2, 5, 8, 8\).*\(4, 3, 3, 3\)"):
        c(ag.randn(2, 5, 8, 8))
    with pytest.raises(ValueError, match="in_channels"):
        F.conv2d(ag.randn(2, 5, 8, 8), ag.randn(4, 3, 3, 3))
    with pytest.raises(ValueError, match="4-D"):
        c(ag.randn(8))
    with pytest.raises(ValueError, match="divisible by groups"):
        nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match="smaller than the kernel"):
        F.conv2d(ag.randn(1, 3, 2, 2), ag.randn(4, 3, 3, 3))


def test_lenet_trains_one_step_and_create_graph_refused():
    ag.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.MaxPool2d(2), nn.Conv2d(4, 2, 3), nn.AdaptiveAvgPool2d(1),
                          nn.Flatten())
    x = ag.randn(3, 1, 12, 12)
    loss = model(x).square().sum()
    loss.backward()
    assert all(p.grad is not None and p.grad.shape == p.shape for p in model.parameters())
    x = T(rng.standard_normal((1, 1, 5, 5)))
    y = F.conv2d(x, T(rng.standard_normal((1, 1, 3, 3)))).sum()
    with pytest.raises(RuntimeError, match="once-differentiable"):
        ag.grad(y, x, create_graph=True)


def test_max_pool_indices_with_window_offsets_past_255():
    # window positions are stored in one byte; offsets (position * dilation) are not
    x = ag.tensor(np.random.default_rng(5).standard_normal((1, 1, 300, 4)))
    out, idx = F.max_pool2d(x, (3, 1), stride=1, dilation=(130, 1), return_indices=True)
    assert out.shape == (1, 1, 40, 4)
    flat = x.numpy().reshape(-1)
    np.testing.assert_array_equal(flat[idx.numpy()], out.numpy())
    windows = np.stack([x.numpy()[0, 0, k * 130:k * 130 + 40] for k in range(3)])
    np.testing.assert_array_equal(out.numpy()[0, 0], windows.max(axis=0))


NP_PAD_MODE = {'reflect': 'reflect', 'replicate': 'edge', 'circular': 'wrap'}


@pytest.mark.parametrize("mode", sorted(NP_PAD_MODE))
def test_pad_modes_values_and_gradcheck(mode):
    x = rng.standard_normal((2, 3, 4, 5))
    flat = (2, 1, 3, 0)                       # last dim (2, 1), then (3, 0)
    out = ag.pad(T(x), flat, mode=mode)
    ref = np.pad(x, ((0, 0), (0, 0), (3, 0), (2, 1)), mode=NP_PAD_MODE[mode])
    np.testing.assert_array_equal(out.array, ref)
    assert ag.gradcheck(lambda x: ag.pad(x, flat, mode=mode), (T(x),))
    assert ag.gradcheck(lambda x: ag.pad(x, (1, 1), mode=mode) * 2, (T(rng.standard_normal((3, 2))),))


def test_pad_mode_errors_name_the_sizes():
    x = T(rng.standard_normal((1, 2, 3)))
    with pytest.raises(ValueError, match=r"reflect padding \(3, 0\) .*\(size 3"):
        ag.pad(x, (3, 0), mode='reflect')
    with pytest.raises(ValueError, match="circular padding"):
        ag.pad(x, (0, 4), mode='circular')
    with pytest.raises(ValueError, match="mode must be one of"):
        ag.pad(x, (1, 1), mode='mirror')
    with pytest.raises(ValueError, match="negative padding"):
        ag.pad(x, (-1, 1), mode='replicate')


@pytest.mark.parametrize("mode", sorted(NP_PAD_MODE))
@pytest.mark.parametrize("cls,shape,kw", [
    (nn.Conv2d, (2, 3, 7, 6), dict(kernel_size=3, padding=(1, 2), stride=(2, 1))),
    (nn.Conv2d, (1, 3, 6, 5), dict(kernel_size=(3, 2), padding='same')),
    (nn.Conv1d, (2, 3, 9), dict(kernel_size=3, padding=2, dilation=2)),
])
def test_conv_padding_modes(mode, cls, shape, kw):
    # the reference: pad with NumPy in that mode, then a convolution that pads nothing
    m = cls(3, 4, padding_mode=mode, **kw).double()
    x = rng.standard_normal(shape)
    ref_layer = cls(3, 4, **dict(kw, padding=0)).double()
    ref_layer.load_state_dict(m.state_dict())
    n = len(shape) - 2
    if kw['padding'] == 'same':
        pads = [(1, 1), (0, 1)]           # kernel (3, 2): total k-1, the extra on the far side
    else:
        p = kw['padding'] if isinstance(kw['padding'], tuple) else (kw['padding'],) * n
        pads = [(q, q) for q in p]
    xpad = np.pad(x, [(0, 0), (0, 0)] + pads, mode=NP_PAD_MODE[mode])
    np.testing.assert_allclose(m(T(x)).array, ref_layer(T(xpad)).array, atol=1e-12)
    assert ag.gradcheck(lambda x: m(x), (T(x),))
    assert m.padding_mode == mode


def test_padding_mode_errors():
    with pytest.raises(ValueError, match="padding_mode must be one of"):
        nn.Conv2d(1, 1, 3, padding_mode='mirror')
    with pytest.raises(ValueError, match='Only "zeros" padding mode'):
        nn.ConvTranspose2d(1, 1, 3, padding_mode='reflect')
