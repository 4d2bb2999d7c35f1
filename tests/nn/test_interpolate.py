"""F.interpolate and nn.Upsample against a NumPy reference written pixel by pixel
(PyTorch's documented source-index formulas), and gradient checks."""
import math

import numpy as np
import pytest

import autograd as ag
import nn
import nn.functional as F

rng = np.random.default_rng(3)


def _nearest_src(dst, n_in, n_out, scale):
    s = np.float32(1.0 / scale) if scale else np.float32(n_in) / np.float32(n_out)
    return min(int(math.floor(np.float32(dst) * s)), n_in - 1)


def _linear_src(dst, n_in, n_out, scale, align_corners):
    """(i0, i1, w1) of one output index."""
    if align_corners:
        src = dst * (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
    else:
        s = 1.0 / scale if scale else n_in / n_out
        src = max(s * (dst + 0.5) - 0.5, 0.0)
    i0 = min(int(math.floor(src)), n_in - 1)
    return i0, min(i0 + 1, n_in - 1), min(max(src - i0, 0.0), 1.0)


def reference(x, out_hw, mode, align_corners=False, scales=(None, None)):
    N, C, H, W = x.shape
    Ho, Wo = out_hw
    out = np.zeros((N, C, Ho, Wo), dtype=x.dtype)
    for i in range(Ho):
        for j in range(Wo):
            if mode == 'nearest':
                out[:, :, i, j] = x[:, :, _nearest_src(i, H, Ho, scales[0]),
                                    _nearest_src(j, W, Wo, scales[1])]
                continue
            a0, a1, wa = _linear_src(i, H, Ho, scales[0], align_corners)
            b0, b1, wb = _linear_src(j, W, Wo, scales[1], align_corners)
            out[:, :, i, j] = ((1 - wa) * ((1 - wb) * x[:, :, a0, b0] + wb * x[:, :, a0, b1])
                               + wa * ((1 - wb) * x[:, :, a1, b0] + wb * x[:, :, a1, b1]))
    return out


@pytest.mark.parametrize('mode,align_corners', [('nearest', None), ('bilinear', False),
                                                ('bilinear', True)])
@pytest.mark.parametrize('kwargs,out_hw,scales', [
    (dict(size=(7, 3)), (7, 3), (None, None)),
    (dict(size=9), (9, 9), (None, None)),
    (dict(scale_factor=1.7), (6, 8), (1.7, 1.7)),
    (dict(scale_factor=(0.6, 2.5)), (2, 12), (0.6, 2.5)),
    (dict(scale_factor=1.7, recompute_scale_factor=True), (6, 8), (None, None)),
])
def test_interpolate_2d_matches_reference(mode, align_corners, kwargs, out_hw, scales):
    x = rng.standard_normal((2, 3, 4, 5))
    out = F.interpolate(ag.tensor(x), mode=mode, align_corners=align_corners, **kwargs)
    np.testing.assert_allclose(out.numpy(), reference(x, out_hw, mode, bool(align_corners), scales),
                               rtol=1e-12, atol=1e-12)


def test_interpolate_1d_nearest_and_linear():
    x = rng.standard_normal((2, 3, 5))
    up = F.interpolate(ag.tensor(x), scale_factor=2).numpy()
    np.testing.assert_array_equal(up, np.repeat(x, 2, axis=-1))
    lin = F.interpolate(ag.tensor(x), size=9, mode='linear', align_corners=True).numpy()
    np.testing.assert_allclose(lin[..., ::2], x, atol=1e-12)         # the corners line up
    np.testing.assert_allclose(lin[..., 1::2], (x[..., 1:] + x[..., :-1]) / 2, atol=1e-12)


def test_nearest_integer_upsampling_repeats_pixels_float32():
    x = rng.standard_normal((1, 2, 3, 4)).astype(np.float32)
    out = nn.Upsample(scale_factor=2)(ag.tensor(x))
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out.numpy(), x.repeat(2, 2).repeat(2, 3))


@pytest.mark.parametrize('mode,align_corners', [('nearest', None), ('nearest-exact', None),
                                                ('bilinear', False), ('bilinear', True)])
def test_interpolate_gradients(mode, align_corners):
    x = ag.tensor(rng.standard_normal((1, 2, 3, 4)), requires_grad=True)
    for kw in (dict(scale_factor=1.7), dict(size=(2, 7)), dict(scale_factor=2)):
        fn = lambda a: F.interpolate(a, mode=mode, align_corners=align_corners, **kw)  # noqa: E731
        assert ag.gradcheck(fn, [x])
        assert ag.gradgradcheck(fn, [x])


def test_integer_upsampling_gradient_sums_each_block():
    """Each source repeated r times: the gradient is the sum over its r copies."""
    x = ag.tensor(rng.standard_normal((2, 1, 4)), requires_grad=True)
    g = rng.standard_normal((2, 1, 12))
    F.interpolate(x, scale_factor=3).backward(ag.tensor(g))
    np.testing.assert_allclose(x.grad.numpy(), g.reshape(2, 1, 4, 3).sum(-1))
    assert ag.gradgradcheck(lambda a: F.interpolate(a, scale_factor=3) ** 2, [x])


def test_upsampling_modules_and_repr():
    x = ag.tensor(rng.standard_normal((1, 1, 3, 3)))
    np.testing.assert_allclose(nn.UpsamplingBilinear2d(scale_factor=2)(x).numpy(),
                               F.interpolate(x, scale_factor=2, mode='bilinear',
                                             align_corners=True).numpy())
    assert nn.UpsamplingNearest2d(size=5)(x).shape == (1, 1, 5, 5)
    assert repr(nn.Upsample(scale_factor=2)) == "Upsample(scale_factor=2.0, mode='nearest')"
    assert repr(nn.Upsample(size=(2, 3), mode='bilinear')) == "Upsample(size=(2, 3), mode='bilinear')"


def test_interpolate_bad_arguments_raise_clearly():
    x = ag.ones(1, 1, 4, 4)
    with pytest.raises(ValueError, match="exactly one of size or scale_factor"):
        F.interpolate(x)
    with pytest.raises(ValueError, match="exactly one of size or scale_factor"):
        F.interpolate(x, size=2, scale_factor=2)
    with pytest.raises(ValueError, match="align_corners option can only be set"):
        F.interpolate(x, size=2, align_corners=True)
    with pytest.raises(NotImplementedError, match="bilinear mode needs a 4-D input"):
        F.interpolate(ag.ones(1, 1, 4), size=2, mode='bilinear')
    with pytest.raises(NotImplementedError, match="mode 'bicubic' is not supported"):
        F.interpolate(x, size=2, mode='bicubic')
    with pytest.raises(ValueError, match="one entry per spatial dim"):
        F.interpolate(x, size=(2, 2, 2))
