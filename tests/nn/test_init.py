"""nn.init: PyTorch's formulas, in place, reproducible through ag.manual_seed."""
import math

import numpy as np
import pytest

import autograd as ag
import nn
from nn import init


def param(*shape, dtype=np.float32):
    return nn.Parameter(np.zeros(shape, dtype))


def test_calculate_gain():
    assert init.calculate_gain("linear") == 1 and init.calculate_gain("conv2d") == 1
    assert init.calculate_gain("sigmoid") == 1
    assert init.calculate_gain("tanh") == pytest.approx(5 / 3)
    assert init.calculate_gain("relu") == pytest.approx(math.sqrt(2))
    assert init.calculate_gain("leaky_relu") == pytest.approx(math.sqrt(2 / (1 + 0.01 ** 2)))
    assert init.calculate_gain("leaky_relu", 0.2) == pytest.approx(math.sqrt(2 / 1.04))
    assert init.calculate_gain("selu") == pytest.approx(0.75)
    with pytest.raises(ValueError):
        init.calculate_gain("swish")


def test_fan_in_and_fan_out():
    assert init._calculate_fan_in_and_fan_out(param(5, 3)) == (3, 5)
    assert init._calculate_fan_in_and_fan_out(param(8, 4, 3, 3)) == (36, 72)
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init._calculate_fan_in_and_fan_out(param(4))


def test_in_place_returns_tensor_and_keeps_dtype():
    p = param(64, 32)
    arr = p.array
    v0 = getattr(p, "_version", None)
    out = init.kaiming_uniform_(p)
    assert out is p and p.array is arr and p.dtype == np.float32
    if v0 is not None:
        assert p._version > v0
    assert init.zeros_(p) is p and not p.array.any()
    assert float(init.ones_(p).array.min()) == 1.0
    init.constant_(p, 0.25)
    assert np.all(p.array == np.float32(0.25))
    q = param(3, 3, dtype=np.float64)
    init.eye_(q)
    np.testing.assert_array_equal(q.array, np.eye(3))


def test_uniform_and_normal_statistics():
    p = param(400, 500)
    init.uniform_(p, -2.0, 3.0)
    assert float(p.array.min()) >= -2.0 and float(p.array.max()) <= 3.0
    assert float(p.array.mean()) == pytest.approx(0.5, abs=0.02)
    init.normal_(p, 1.0, 0.5)
    assert float(p.array.mean()) == pytest.approx(1.0, abs=0.01)
    assert float(p.array.std()) == pytest.approx(0.5, rel=0.01)
    init.trunc_normal_(p, 0.0, 1.0, -1.0, 1.0)
    assert float(np.abs(p.array).max()) <= 1.0


def test_xavier_bounds():
    p = param(300, 200)
    a = math.sqrt(6 / 500)
    init.xavier_uniform_(p)
    assert float(np.abs(p.array).max()) <= a and float(np.abs(p.array).max()) > 0.95 * a
    init.xavier_uniform_(p, gain=2.0)
    assert float(np.abs(p.array).max()) <= 2 * a
    init.xavier_normal_(p)
    assert float(p.array.std()) == pytest.approx(math.sqrt(2 / 500), rel=0.02)


def test_kaiming_defaults_and_modes():
    p = param(256, 400)
    init.kaiming_uniform_(p)  # a=0, fan_in, leaky_relu -> gain sqrt(2): bound sqrt(6 / fan_in)
    bound = math.sqrt(6 / 400)
    assert float(np.abs(p.array).max()) <= bound and float(np.abs(p.array).max()) > 0.95 * bound
    init.kaiming_uniform_(p, a=math.sqrt(5))  # PyTorch's Linear default: bound 1/sqrt(fan_in)
    assert float(np.abs(p.array).max()) <= 1 / math.sqrt(400) + 1e-7
    init.kaiming_normal_(p, mode="fan_out", nonlinearity="relu")
    assert float(p.array.std()) == pytest.approx(math.sqrt(2 / 256), rel=0.02)
    with pytest.raises(ValueError):
        init.kaiming_normal_(p, mode="fan_avg")


def test_orthogonal():
    for shape in [(6, 10), (10, 6), (4, 2, 3)]:
        p = param(*shape, dtype=np.float64)
        init.orthogonal_(p, gain=1.5)
        w = p.array.reshape(shape[0], -1)
        if w.shape[0] <= w.shape[1]:
            np.testing.assert_allclose(w @ w.T, 2.25 * np.eye(w.shape[0]), atol=1e-10)
        else:
            np.testing.assert_allclose(w.T @ w, 2.25 * np.eye(w.shape[1]), atol=1e-10)
    with pytest.raises(ValueError):
        init.orthogonal_(param(4))


def test_reproducible_with_manual_seed_and_generator():
    p = param(5, 7)
    ag.manual_seed(123)
    a = init.normal_(p).array.copy()
    ag.manual_seed(123)
    b = init.normal_(p).array.copy()
    np.testing.assert_array_equal(a, b)
    c = init.normal_(p).array.copy()
    assert not np.array_equal(a, c)
    d = init.uniform_(p, generator=7).array.copy()
    e = init.uniform_(p, generator=np.random.default_rng(7)).array.copy()
    np.testing.assert_array_equal(d, e)
