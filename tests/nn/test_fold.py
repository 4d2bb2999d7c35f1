"""F.unfold / F.fold (im2col / col2im) and nn.Unfold / nn.Fold."""
import numpy as np
import pytest

import autograd as ag
import nn
import nn.functional as F
from autograd import errors

rng = np.random.default_rng(3)


@pytest.mark.parametrize('kw', [dict(), dict(dilation=(2, 1), padding=1, stride=(2, 1))])
def test_unfold_then_matmul_is_conv2d(kw):
    x = ag.tensor(rng.standard_normal((2, 3, 7, 6)))
    w = ag.tensor(rng.standard_normal((4, 3, 2, 3)))
    cols = F.unfold(x, (2, 3), **kw)                             # (N, C*KH*KW, L)
    expected = F.conv2d(x, w, **kw)
    got = (w.reshape(4, -1) @ cols).reshape(expected.shape)
    assert np.allclose(got.numpy(), expected.numpy())


def test_fold_sums_overlapping_windows():
    # each output pixel counts the windows that cover it (3x3 kernel, stride 1, 5x5 output)
    cols = F.unfold(ag.ones(1, 1, 5, 5), 3)
    counts = F.fold(cols, (5, 5), 3)[0, 0].numpy()
    per_axis = np.array([1, 2, 3, 2, 1])
    assert np.array_equal(counts, np.outer(per_axis, per_axis))
    assert F.fold(cols[0], 5, 3).shape == (1, 5, 5)            # unbatched form


def test_gradients_to_second_order():
    x = ag.tensor(rng.standard_normal((1, 2, 4, 5)), requires_grad=True)
    unf = lambda t: F.unfold(t, 2, padding=1, stride=2)                     # noqa: E731
    assert ag.gradcheck(unf, [x]) and ag.gradgradcheck(unf, [x])
    c = ag.tensor(rng.standard_normal((1, 8, 15)), requires_grad=True)
    fld = lambda t: F.fold(t, (4, 5), 2, dilation=(1, 2), padding=(1, 0))   # noqa: E731
    assert ag.gradcheck(fld, [c]) and ag.gradgradcheck(fld, [c])


def test_modules_and_errors():
    x = ag.randn(2, 3, 6, 6)
    assert nn.Fold((6, 6), 2, stride=2)(nn.Unfold(2, stride=2)(x)).allclose(x)
    with pytest.raises(errors.ShapeError, match='does not fit'):
        F.unfold(ag.zeros(1, 1, 2, 2), 3)
    with pytest.raises(errors.ShapeError, match='multiple of KH\\*KW = 4'):
        F.fold(ag.zeros(1, 6, 9), (4, 4), 2)
    with pytest.raises(errors.ShapeError, match='3-D .* or 4-D'):
        F.unfold(ag.zeros(4, 4), 2)
