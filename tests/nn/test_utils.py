"""nn.utils: gradient clipping and parameter vectors."""
import math

import numpy as np
import pytest

import autograd as ag
import nn
from nn.utils import clip_grad_norm_, clip_grad_value_, parameters_to_vector, vector_to_parameters


def params_with_grads():
    a = nn.Parameter(np.zeros((2, 2), np.float32))
    b = nn.Parameter(np.zeros(3, np.float32))
    a.grad = ag.tensor(np.array([[3.0, 0.0], [0.0, 4.0]], np.float32))
    b.grad = ag.tensor(np.array([0.0, 0.0, 12.0], np.float32))
    return a, b


def test_clip_grad_norm_scales_and_returns_total_norm():
    a, b = params_with_grads()
    total = clip_grad_norm_([a, b], max_norm=1.3)
    assert isinstance(total, ag.Tensor) and total.shape == () and total.dtype == np.float32
    assert float(total.item()) == pytest.approx(13.0)
    coef = 1.3 / (13.0 + 1e-6)
    np.testing.assert_allclose(a.grad.array, [[3 * coef, 0], [0, 4 * coef]], rtol=1e-6)
    np.testing.assert_allclose(b.grad.array, [0, 0, 12 * coef], rtol=1e-6)
    a, b = params_with_grads()
    assert float(clip_grad_norm_([a, b], 100.0).item()) == pytest.approx(13.0)
    np.testing.assert_array_equal(b.grad.array, [0, 0, 12.0])  # under the limit: unchanged


def test_clip_grad_norm_other_norms_and_generator_input():
    a, b = params_with_grads()
    assert float(clip_grad_norm_((p for p in [a, b]), 1.0, norm_type=math.inf).item()) == pytest.approx(12.0)
    a, b = params_with_grads()
    assert float(clip_grad_norm_([a, b], 100.0, norm_type=1).item()) == pytest.approx(19.0)
    c = nn.Parameter(np.zeros(2, np.float32))
    assert float(clip_grad_norm_(c, 1.0).item()) == 0.0  # no grads at all
    a.grad = ag.tensor(np.array([[np.inf, 0], [0, 0]], np.float32))
    with pytest.raises(RuntimeError, match="non-finite"):
        clip_grad_norm_([a], 1.0, error_if_nonfinite=True)


def test_clip_grad_value():
    a, b = params_with_grads()
    clip_grad_value_([a, b], 3.5)
    np.testing.assert_array_equal(a.grad.array, [[3.0, 0.0], [0.0, 3.5]])
    np.testing.assert_array_equal(b.grad.array, [0.0, 0.0, 3.5])


def test_parameters_to_vector_and_back():
    a, b = params_with_grads()
    a.array[...] = [[1, 2], [3, 4]]
    b.array[...] = [5, 6, 7]
    vec = parameters_to_vector([a, b])
    np.testing.assert_array_equal(vec.array, [1, 2, 3, 4, 5, 6, 7])
    vector_to_parameters(ag.tensor(np.arange(7, dtype=np.float32) * 10), [a, b])
    np.testing.assert_array_equal(a.array, [[0, 10], [20, 30]])
    np.testing.assert_array_equal(b.array, [40, 50, 60])
    with pytest.raises(TypeError):
        vector_to_parameters(np.zeros(7), [a, b])
    with pytest.raises(ValueError):
        vector_to_parameters(ag.tensor(np.zeros(6, np.float32)), [a, b])
