"""Padding layers, PixelShuffle/Unshuffle, InstanceNorm, AdaptiveMaxPool: values against NumPy
references written here, gradients against finite differences in float64."""
import numpy as np
import pytest

import autograd as ag
import nn
import nn.functional as F

RS = np.random.RandomState(0)


def t64(a):
    return ag.tensor(a, dtype="float64", requires_grad=True)


def check(module_or_fn, x, expected):
    np.testing.assert_allclose(module_or_fn(ag.tensor(x)).numpy(), expected, rtol=1e-6, atol=1e-6)
    assert ag.gradcheck(module_or_fn, (t64(x),))


# (1) padding layers: np.pad's modes 'constant', 'reflect', 'edge' are PyTorch's three;
# PyTorch's flat padding lists the last dim first, np.pad's widths the first dim first
PADS = [
    (nn.ZeroPad2d(1), ((1, 1), (1, 1)), "constant", {}),
    (nn.ZeroPad2d((1, 0, 2, 1)), ((2, 1), (1, 0)), "constant", {}),
    (nn.ConstantPad1d((2, 1), 3.5), ((2, 1),), "constant", {"constant_values": 3.5}),
    (nn.ConstantPad2d(1, -1.0), ((1, 1), (1, 1)), "constant", {"constant_values": -1.0}),
    (nn.ReflectionPad1d((2, 1)), ((2, 1),), "reflect", {}),
    (nn.ReflectionPad2d((1, 2, 2, 0)), ((2, 0), (1, 2)), "reflect", {}),
    (nn.ReplicationPad1d(3), ((3, 3),), "edge", {}),
    (nn.ReplicationPad2d((0, 1, 3, 2)), ((3, 2), (0, 1)), "edge", {}),
]


@pytest.mark.parametrize("layer,widths,mode,kw", PADS, ids=[repr(p[0]) for p in PADS])
def test_padding_layers(layer, widths, mode, kw):
    x = RS.randn(2, 3, *(4, 5)[-len(widths):])     # widths: np.pad's, for the padded dims
    check(layer, x, np.pad(x, ((0, 0), (0, 0)) + widths, mode, **kw))


def test_padding_attributes_and_errors():
    assert nn.ZeroPad2d(2).padding == (2, 2, 2, 2) and nn.ReplicationPad1d(1).padding == (1, 1)
    assert repr(nn.ZeroPad2d(2)) == "ZeroPad2d((2, 2, 2, 2))"
    assert repr(nn.ConstantPad1d((1, 2), 3.5)) == "ConstantPad1d(padding=(1, 2), value=3.5)"
    assert repr(nn.ReflectionPad2d(1)) == "ReflectionPad2d((1, 1, 1, 1))"
    assert isinstance(nn.ZeroPad2d(1), nn.ConstantPad2d)
    with pytest.raises(ValueError, match="ReflectionPad2d: padding must be an int or 4 ints"):
        nn.ReflectionPad2d((1, 2))
    with pytest.raises(ValueError, match="ReflectionPad1d: expected a 2D or 3D input"):
        nn.ReflectionPad1d(1)(ag.zeros(1, 2, 3, 4))
    with pytest.raises(ValueError, match="reflect padding"):
        nn.ReflectionPad1d(3)(ag.zeros(1, 3))
    assert nn.ReflectionPad1d(1)(ag.ones(3, 4)).shape == (3, 6)   # unbatched (C, W)


# (2) pixel shuffle: a plain loop over output pixels as the reference
def shuffle_ref(x, r):
    n, c, h, w = x.shape
    out = np.empty((n, c // (r * r), h * r, w * r))
    for co in range(c // (r * r)):
        for i in range(h * r):
            for j in range(w * r):
                out[:, co, i, j] = x[:, co * r * r + (i % r) * r + j % r, i // r, j // r]
    return out


def test_pixel_shuffle_and_unshuffle():
    x = RS.randn(2, 8, 3, 2)
    y = shuffle_ref(x, 2)
    check(nn.PixelShuffle(2), x, y)
    check(lambda v: F.pixel_shuffle(v, 2), x, y)
    check(nn.PixelUnshuffle(2), y, x)
    check(lambda v: F.pixel_unshuffle(v, 2), y, x)
    x5 = RS.randn(3, 2, 9, 1, 2)        # extra leading dims pass through
    assert F.pixel_shuffle(ag.tensor(x5), 3).shape == (3, 2, 1, 3, 6)
    assert repr(nn.PixelShuffle(2)) == "PixelShuffle(upscale_factor=2)"
    assert repr(nn.PixelUnshuffle(2)) == "PixelUnshuffle(downscale_factor=2)"
    with pytest.raises(ValueError, match="pixel_shuffle: input of shape .* upscale_factor=2"):
        F.pixel_shuffle(ag.zeros(1, 6, 2, 2), 2)
    with pytest.raises(ValueError, match="pixel_unshuffle: input of shape"):
        F.pixel_unshuffle(ag.zeros(1, 1, 3, 4), 2)
    with pytest.raises(ValueError, match="positive integer"):
        nn.PixelShuffle(0)(ag.zeros(1, 4, 2, 2))


# (3) instance norm
def inorm_ref(x, w=None, b=None, eps=1e-5):
    dims = tuple(range(2, x.ndim))
    out = (x - x.mean(dims, keepdims=True)) / np.sqrt(x.var(dims, keepdims=True) + eps)
    shape = (1, -1) + (1,) * len(dims)
    return out if w is None else out * w.reshape(shape) + b.reshape(shape)


def test_instance_norm_values_and_grads():
    x1, x2 = RS.randn(2, 3, 5) * 2 + 1, RS.randn(2, 3, 4, 3)
    check(nn.InstanceNorm1d(3), x1, inorm_ref(x1))
    check(nn.InstanceNorm2d(3), x2, inorm_ref(x2))
    check(F.instance_norm, x2, inorm_ref(x2))
    w, b = RS.randn(3), RS.randn(3)
    assert ag.gradcheck(lambda x, w, b: F.instance_norm(x, weight=w, bias=b),
                        (t64(x2), t64(w), t64(b)))
    m = nn.InstanceNorm2d(3, affine=True)
    assert list(m.state_dict()) == ["weight", "bias"]
    with ag.no_grad():
        m.weight.copy_(ag.tensor(w, dtype="float32"))
        m.bias.copy_(ag.tensor(b, dtype="float32"))
    np.testing.assert_allclose(m(ag.tensor(x2)).detach().numpy(), inorm_ref(x2, w, b), rtol=1e-5, atol=1e-5)
    unbatched = nn.InstanceNorm1d(3)(ag.tensor(x1[0])).numpy()    # (C, L) input
    np.testing.assert_allclose(unbatched, inorm_ref(x1[:1])[0], rtol=1e-5, atol=1e-5)


def test_instance_norm_running_stats_and_errors():
    x = RS.randn(4, 3, 6)
    m = nn.InstanceNorm1d(3, momentum=0.2, track_running_stats=True)
    assert list(m.state_dict()) == ["running_mean", "running_var", "num_batches_tracked"]
    assert repr(m) == ("InstanceNorm1d(3, eps=1e-05, momentum=0.2, affine=False, bias=False, "
                       "track_running_stats=True)")
    m(ag.tensor(x))
    rm, rv = 0.2 * x.mean(2).mean(0), 0.8 + 0.2 * x.var(2, ddof=1).mean(0)
    np.testing.assert_allclose(m.running_mean.numpy(), rm, rtol=1e-5)
    np.testing.assert_allclose(m.running_var.numpy(), rv, rtol=1e-5)
    assert m.num_batches_tracked.item() == 0
    m.eval()        # running stats normalise now
    want = (x - rm[:, None]) / np.sqrt(rv[:, None] + 1e-5)
    np.testing.assert_allclose(m(ag.tensor(x)).numpy(), want, rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="InstanceNorm2d: expected 3D .* or 4D input"):
        nn.InstanceNorm2d(3)(ag.zeros(2, 3))
    with pytest.raises(ValueError, match="num_features=3"):
        nn.InstanceNorm1d(3, affine=True)(ag.zeros(2, 4, 5))
    with pytest.raises(ValueError, match="more than 1 spatial element"):
        F.instance_norm(ag.zeros(2, 3, 1))


# (4) adaptive max pooling: PyTorch's windows [floor(i*n/out), ceil((i+1)*n/out)), looped
def adaptive_max_ref(x, out_h, out_w):
    h, w = x.shape[-2:]
    out = np.empty(x.shape[:-2] + (out_h, out_w))
    for i in range(out_h):
        for j in range(out_w):
            win = x[..., i * h // out_h:-(-(i + 1) * h // out_h), j * w // out_w:-(-(j + 1) * w // out_w)]
            out[..., i, j] = win.max((-2, -1))
    return out


def test_adaptive_max_pool():
    x = RS.randn(2, 3, 7, 5)
    check(nn.AdaptiveMaxPool2d((3, 2)), x, adaptive_max_ref(x, 3, 2))
    check(nn.AdaptiveMaxPool2d(4), x, adaptive_max_ref(x, 4, 4))
    check(nn.AdaptiveMaxPool2d((None, 3)), x, adaptive_max_ref(x, 7, 3))
    check(lambda v: F.adaptive_max_pool2d(v, (2, 5)), x[0], adaptive_max_ref(x[0], 2, 5))  # (C, H, W)
    x1 = RS.randn(2, 3, 10)
    want = adaptive_max_ref(x1[:, :, None, :], 1, 4)[:, :, 0]
    check(nn.AdaptiveMaxPool1d(4), x1, want)
    check(lambda v: F.adaptive_max_pool1d(v, 4), x1, want)
    assert repr(nn.AdaptiveMaxPool2d((2, None))) == "AdaptiveMaxPool2d(output_size=(2, None))"
    with pytest.raises(NotImplementedError, match="adaptive_max_pool2d: return_indices=True"):
        nn.AdaptiveMaxPool2d(2, return_indices=True)(ag.tensor(x))
    with pytest.raises(ValueError, match="adaptive_max_pool1d: expected a non-empty 2D or 3D"):
        F.adaptive_max_pool1d(ag.tensor(x), 2)
    with pytest.raises(ValueError, match="positive ints or None, got 0"):
        F.adaptive_max_pool2d(ag.tensor(x), (0, 2))


# (5) full backward hooks
def test_full_backward_hooks_see_and_replace_gradients():
    lin = nn.Linear(3, 2).double()
    x = t64(RS.randn(4, 3))
    seen, order = {}, []

    def pre(m, grad_output):
        order.append("pre")
        return (grad_output[0] * 2,)            # doubles dL/d(output) for everything upstream

    def hook(m, grad_input, grad_output):
        order.append("hook")
        seen["gi"], seen["go"] = grad_input, grad_output
        return (grad_input[0] + 1,)

    handles = [lin.register_full_backward_pre_hook(pre), lin.register_full_backward_hook(hook)]
    lin(x).sum().backward()
    w = lin.weight.detach().numpy()
    assert order == ["pre", "hook"] and len(seen["gi"]) == 1 and len(seen["go"]) == 1
    np.testing.assert_allclose(seen["go"][0].numpy(), np.full((4, 2), 2.0))
    np.testing.assert_allclose(seen["gi"][0].numpy(), np.full((4, 2), 2.0) @ w)
    np.testing.assert_allclose(x.grad.numpy(), np.full((4, 2), 2.0) @ w + 1)
    np.testing.assert_allclose(lin.weight.grad.numpy(), np.full((2, 4), 2.0) @ x.detach().numpy())
    for h in handles:
        h.remove()
    x.grad = None
    lin(x).sum().backward()                      # hooks gone: plain gradient again
    np.testing.assert_allclose(x.grad.numpy(), np.ones((4, 2)) @ w)
    assert order == ["pre", "hook"]


def test_full_backward_hook_argument_layout():
    class Two(nn.Module):
        def forward(self, a, k, b):
            return a * k + b, a * b

    m, calls = Two(), []
    m.register_full_backward_hook(lambda mod, gi, go: calls.append((gi, go)))
    m.register_full_backward_hook(lambda mod, gi, go: calls.append("second"), prepend=True)
    a, b = t64(RS.randn(3)), ag.tensor(RS.randn(3))
    out, _ = m(a, 2.0, b)
    out.sum().backward()                         # the second output gets no gradient: None
    assert calls[0] == "second"
    gi, go = calls[1]
    assert gi[1] is None and gi[2] is None and go[1] is None
    np.testing.assert_allclose(gi[0].numpy(), np.full(3, 2.0))
    m2 = nn.Linear(2, 2)                         # no input needs grad: called with None inputs
    m2.register_full_backward_hook(lambda mod, gi, go: calls.append(gi))
    m2(ag.ones(1, 2)).sum().backward()
    assert calls[-1] == (None,)
    m3 = nn.Identity()
    m3.register_full_backward_hook(lambda mod, gi, go: (gi[0], gi[0]))
    with pytest.raises(RuntimeError, match="register_full_backward_hook: .* returned 2 gradients"):
        m3(t64(np.ones(2)) * 1).sum().backward()
