"""ag.functional against hand-derived Jacobians and Hessians, with PyTorch's return conventions."""
import numpy as np
import pytest

import autograd as ag
from autograd import functional as AF

rng = np.random.default_rng(3)


def X(*shape):
    return ag.tensor(rng.standard_normal(shape))


def cubic(x):            # f(x) = sum(x^3) + x0 * x1:  grad 3x^2 + (x1, x0, 0...)
    return (x ** 3).sum() + x[0] * x[1]


def test_jacobian_single_and_tuple():
    x = X(3)
    J = AF.jacobian(lambda t: t.sin() * 2, x)
    assert J.shape == (3, 3)
    np.testing.assert_allclose(J.numpy(), np.diag(2 * np.cos(x.numpy())), atol=1e-12)
    a, b = X(2, 3), X(3)
    Ja, Jb = AF.jacobian(lambda p, q: p @ q, (a, b))
    assert Ja.shape == (2, 2, 3) and Jb.shape == (2, 3)
    np.testing.assert_allclose(Jb.numpy(), a.numpy())
    expected = np.zeros((2, 2, 3))
    expected[0, 0], expected[1, 1] = b.numpy(), b.numpy()
    np.testing.assert_allclose(Ja.numpy(), expected)


def test_jacobian_of_several_outputs_nests():
    x = X(2)
    (j1,), (j2,) = AF.jacobian(lambda t: (t * 2, t.sum()), (x,))
    np.testing.assert_allclose(j1.numpy(), 2 * np.eye(2))
    np.testing.assert_allclose(j2.numpy(), np.ones(2))


def hand_hessian(x):
    H = np.diag(6 * x)
    H[0, 1] += 1
    H[1, 0] += 1
    return H


def test_hessian_matches_hand_derivation():
    x = X(4)
    H = AF.hessian(cubic, x)
    assert H.shape == (4, 4)
    np.testing.assert_allclose(H.numpy(), hand_hessian(x.numpy()), atol=1e-12)


def test_hvp_vhp_and_vjp_return_output_first():
    x, v = X(4), X(4)
    out, hv = AF.hvp(cubic, x, v)
    np.testing.assert_allclose(out.item(), cubic(x).item())
    np.testing.assert_allclose(hv.numpy(), hand_hessian(x.numpy()) @ v.numpy(), atol=1e-12)
    out, vh = AF.vhp(cubic, x, v)
    np.testing.assert_allclose(vh.numpy(), v.numpy() @ hand_hessian(x.numpy()), atol=1e-12)
    out, g = AF.vjp(cubic, x)
    expected = 3 * x.numpy() ** 2
    expected[0] += x.numpy()[1]
    expected[1] += x.numpy()[0]
    np.testing.assert_allclose(g.numpy(), expected, atol=1e-12)
    assert not g.requires_grad and not out.requires_grad


def test_jvp_is_jacobian_times_vector():
    x, v = X(3), X(3)
    out, jv = AF.jvp(lambda t: t.exp() * t[0], x, v)
    J = AF.jacobian(lambda t: t.exp() * t[0], x).numpy()
    np.testing.assert_allclose(jv.numpy(), J @ v.numpy(), atol=1e-12)


def test_create_graph_keeps_results_differentiable():
    x = X(3)
    _, g = AF.vjp(lambda t: (t ** 3).sum(), x, create_graph=True)
    assert g.requires_grad


def test_vjp_without_v_needs_a_scalar_output():
    with pytest.raises(RuntimeError, match='single element'):
        AF.vjp(lambda t: t * 2, X(3))
