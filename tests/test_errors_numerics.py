"""Extreme values give PyTorch's results, never NaN or a NumPy warning: a fully masked
attention row is zeros (and sends zero gradient), x ** 0 has gradient 0 at x = 0, and
gelu / huber / smooth_l1 of huge inputs stay finite without overflow warnings."""
import warnings

import numpy as np
import pytest

import autograd as ag
import nn

F = nn.functional


@pytest.fixture(autouse=True)
def _warnings_are_errors():
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        yield


def _qkv(dtype='float64'):
    ag.manual_seed(0)
    return [ag.randn(2, 3, 4, dtype=dtype, requires_grad=True) for _ in range(3)]


@pytest.mark.parametrize('kind', ['bool', 'float'])
def test_fully_masked_attention_row_is_zero_with_zero_gradients(kind):
    q, k, v = _qkv()
    allowed = np.ones((3, 3), dtype=bool)
    allowed[1] = False                                   # query row 1 attends to nothing
    mask = ag.tensor(allowed) if kind == 'bool' else ag.tensor(
        np.where(allowed, 0.0, -np.inf), dtype='float64')
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    assert np.all(out.detach().numpy()[:, 1] == 0)
    out.sum().backward()
    for x in (q, k, v):
        assert np.isfinite(x.grad.numpy()).all()
    assert np.all(q.grad.numpy()[:, 1] == 0)
    # the other rows are plain attention over their keys
    rows = [0, 2]
    ref = F.scaled_dot_product_attention(q.detach()[:, rows], k.detach(), v.detach())
    np.testing.assert_allclose(out.detach().numpy()[:, rows], ref.numpy(), rtol=1e-12)
    # v's gradient: each key's total weight from the live rows only
    weights = ag.softmax(q.detach()[:, rows] @ k.detach().transpose(-2, -1) / 2.0, dim=-1)
    np.testing.assert_allclose(v.grad.numpy(), np.repeat(weights.sum(1).numpy()[..., None], 4, -1),
                               rtol=1e-12)


def test_fully_masked_attention_gradcheck():
    q, k, v = _qkv()
    allowed = ag.tensor(np.array([[True, False, True], [False] * 3, [True, True, True]]))
    assert ag.gradcheck(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, attn_mask=allowed),
                        (q, k, v))


def test_attention_without_dead_rows_is_unchanged():
    q, k, v = _qkv()
    causal = F.scaled_dot_product_attention(q, k, v, is_causal=True)
    mask = ag.tensor(np.tril(np.ones((3, 3), dtype=bool)))
    np.testing.assert_allclose(causal.detach().numpy(),
                               F.scaled_dot_product_attention(q, k, v, attn_mask=mask).detach().numpy())


def test_pow_zero_has_zero_gradient_at_zero():
    x = ag.tensor([0.0, 1.0, -2.0], requires_grad=True)
    (x ** 0).sum().backward()
    assert x.grad.numpy().tolist() == [0.0, 0.0, 0.0]
    x = ag.tensor([0.0, 1.0, 2.0], requires_grad=True)
    e = ag.zeros(3, requires_grad=True)
    (x ** e).sum().backward()
    assert x.grad.numpy().tolist() == [0.0, 0.0, 0.0]
    assert e.grad.numpy().tolist() == [0.0, 0.0, float(np.log(np.float32(2.0)))]


def test_pow_zero_first_derivative_under_create_graph():
    x = ag.tensor([0.0, 3.0], dtype='float64', requires_grad=True)
    (g,) = ag.grad((x ** 0).sum(), x, create_graph=True)
    assert g.numpy().tolist() == [0.0, 0.0]


def test_pow_gradient_elsewhere_is_unchanged():
    x = ag.tensor([0.5, 2.0], dtype='float64', requires_grad=True)
    assert ag.gradcheck(lambda x: x ** 3, (x,)) and ag.gradcheck(lambda x: x ** 0, (x,))
    e = ag.tensor([0.0, 2.0], dtype='float64', requires_grad=True)
    assert ag.gradcheck(lambda x, e: x ** e, (x, e))
    assert ag.gradgradcheck(lambda x, e: x ** e, (x, e))


@pytest.mark.parametrize('dtype,huge', [('float32', 3e38), ('float64', 1e300)])
@pytest.mark.parametrize('approximate', ['none', 'tanh'])
def test_gelu_of_huge_values_is_exact_without_warnings(dtype, huge, approximate):
    x = ag.tensor([1e30, -1e30, huge, -huge], dtype=dtype, requires_grad=True)
    y = F.gelu(x, approximate=approximate)
    np.testing.assert_array_equal(y.detach().numpy(), np.array([1e30, 0, huge, 0], dtype=dtype))
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1, 0, 1, 0])


@pytest.mark.parametrize('approximate', ['none', 'tanh'])
def test_gelu_gradients_still_check(approximate):
    x = ag.tensor([-3.0, -0.5, 0.0, 0.7, 2.5, 45.0], dtype='float64', requires_grad=True)
    assert ag.gradcheck(lambda x: F.gelu(x, approximate=approximate), (x,))
    assert ag.gradgradcheck(lambda x: F.gelu(x, approximate=approximate), (x,))


@pytest.mark.parametrize('loss', [F.huber_loss, F.smooth_l1_loss])
@pytest.mark.parametrize('dtype', ['float32', 'float64'])
def test_robust_losses_of_huge_differences_stay_finite(loss, dtype):
    x = ag.tensor([1e20, 0.5, -1e20], dtype=dtype, requires_grad=True)
    out = loss(x, ag.zeros(3, dtype=dtype), reduction='none')
    np.testing.assert_allclose(out.detach().numpy(), [1e20 - 0.5, 0.125, 1e20 - 0.5], rtol=1e-6)
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 0.5, -1.0])


@pytest.mark.parametrize('loss', [F.huber_loss, F.smooth_l1_loss])
def test_robust_losses_gradients_still_check(loss):
    x = ag.tensor([-2.0, -0.3, 0.4, 3.0], dtype='float64', requires_grad=True)
    y = ag.tensor([0.0, 0.1, -0.1, 0.5], dtype='float64')
    assert ag.gradcheck(lambda x: loss(x, y), (x,))
    assert ag.gradgradcheck(lambda x: loss(x, y), (x,))
