"""nn.Dropout1d/2d/3d and F.dropout1d/2d/3d: whole channels zeroed, 1/(1-p) scaling,
identity in eval, PyTorch's rank rules and errors."""
import warnings

import numpy as np
import pytest

import autograd as ag
import nn
import nn.functional as F


def _channel_values(y, batched):
    """Per-(sample, channel) set of distinct values: one value each if whole channels go."""
    a = y.numpy()
    lead = 2 if batched else 1
    return a.reshape(int(np.prod(a.shape[:lead])), -1)


@pytest.mark.parametrize("module, shape, batched", [
    (nn.Dropout1d, (4, 6, 5), True), (nn.Dropout1d, (6, 5), False),
    (nn.Dropout2d, (4, 6, 3, 5), True), (nn.Dropout3d, (4, 6, 2, 3, 2), True),
    (nn.Dropout3d, (6, 2, 3, 2), False)])
def test_whole_channels_zeroed_and_scaled(module, shape, batched):
    ag.manual_seed(1)
    p = 0.4
    m = module(p)
    x = ag.ones(*shape)
    rows = _channel_values(m(x), batched)
    assert np.all(rows == rows[:, :1]), "a channel was only partly dropped"
    assert set(np.unique(rows)) <= {0.0, np.float32(1 / (1 - p))}
    big = _channel_values(m(ag.ones(*((400,) + shape[1:] if batched else (4000,) + shape[1:]))), batched)
    assert abs((big[:, 0] == 0).mean() - p) < 0.04
    m.eval()
    assert m(x) is x
    assert repr(module(0.3)) == f"{module.__name__}(p=0.3, inplace=False)"


def test_gradient_flows_through_kept_channels_only():
    ag.manual_seed(3)
    x = ag.randn(3, 4, 2, 2, dtype=ag.float64, requires_grad=True)
    y = F.dropout2d(x, 0.5)
    y.sum().backward()
    kept = (y.array != 0)
    np.testing.assert_allclose(x.grad.array, np.where(kept, 2.0, 0.0))


def test_p_edge_cases_and_errors():
    x = ag.ones(2, 3, 4, 4)
    assert F.dropout2d(x, 0.0) is x
    assert F.dropout2d(x, 0.7, training=False) is x
    assert (F.dropout2d(x, 1.0).numpy() == 0).all()
    with pytest.raises(ValueError, match="between 0 and 1, but got 1.5"):
        nn.Dropout2d(1.5)
    with pytest.raises(ValueError, match="between 0 and 1"):
        F.dropout3d(ag.ones(2, 3, 2, 2, 2), -0.1)
    with pytest.raises(RuntimeError, match="dropout1d: Expected 2D or 3D input, but received a 4D"):
        F.dropout1d(x, 0.5)
    with pytest.warns(UserWarning, match="dropout2d: Received a 1-D input"), \
            pytest.raises(RuntimeError, match="at least 2 dimensions"):
        F.dropout2d(ag.ones(5), 0.5)


def test_dropout2d_reads_3d_input_as_batch_channel_length_with_a_warning():
    ag.manual_seed(0)
    with pytest.warns(UserWarning, match=r"interpreted as shape \(N, C, L\)"):
        y = F.dropout2d(ag.ones(50, 4, 6), 0.5)
    rows = y.numpy().reshape(200, 6)
    assert np.all(rows == rows[:, :1])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.dropout2d(ag.ones(2, 3, 4, 4), 0.5)          # 4-D: no warning
