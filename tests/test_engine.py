"""Engine semantics: the tape, accumulation, hooks, higher order, grad modes,
version counters, anomaly detection, memory, and the tensor basics of API.md.

Oracles are hand-computed values or float64 finite differences; no torch.
"""
import gc
import math
import subprocess
import sys
import textwrap
import weakref
from pathlib import Path

import numpy as np
import pytest

import autograd as ag

ROOT = Path(__file__).resolve().parents[1]
F64 = np.float64


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------
def A(t):
    """A plain numpy copy of a Tensor (or array-like), for comparisons."""
    if isinstance(t, ag.Tensor):
        return np.array(t.detach().numpy())
    return np.asarray(t)


def leaf(values, dtype=F64):
    return ag.tensor(np.asarray(values, dtype=dtype), requires_grad=True)


def numeric_grad(f, x, eps=1e-6):
    """Central finite differences of the scalar function f(ndarray) at x (float64)."""
    x = np.array(x, dtype=F64)
    g = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        xp = x.copy()
        xp[i] += eps
        xm = x.copy()
        xm[i] -= eps
        g[i] = (f(xp) - f(xm)) / (2 * eps)
    return g


def assert_close(actual, expected, rtol=1e-7, atol=1e-9):
    np.testing.assert_allclose(A(actual), np.asarray(expected), rtol=rtol, atol=atol)


def msg_has_any(msg, *needles):
    low = msg.lower()
    return any(n.lower() in low for n in needles)


# --------------------------------------------------------------------------
# accumulation, diamonds, reused non-leaves
# --------------------------------------------------------------------------
def test_grad_accumulates_across_two_backward_calls():
    x = leaf([1.0, -2.0, 3.0])
    (x * x).sum().backward()
    assert_close(x.grad, 2 * np.array([1.0, -2.0, 3.0]))
    (x * x).sum().backward()
    assert_close(x.grad, 4 * np.array([1.0, -2.0, 3.0]))
    x.grad = None
    (x * 3.0).sum().backward()
    assert_close(x.grad, [3.0, 3.0, 3.0])


def test_grad_is_a_tensor_with_input_shape_and_dtype():
    x = leaf(np.arange(6.0).reshape(2, 3))
    (x * x).sum().backward()
    assert isinstance(x.grad, ag.Tensor)
    assert x.grad.shape == (2, 3)
    assert x.grad.dtype == np.float64
    assert x.grad.requires_grad is False


def test_diamond_graph_hand_computed():
    a0 = np.array([1.5, -2.0, 0.5])
    a = leaf(a0)
    b = a * 3.0          # db/da = 3
    c = a * a            # dc/da = 2a
    d = b * c            # d = 3 a^3
    d.sum().backward()
    assert_close(d, 3 * a0 ** 3)
    assert_close(a.grad, 9 * a0 ** 2)


def test_diamond_with_exp_against_finite_differences():
    a0 = np.array([[0.3, -0.7], [1.1, 0.2]])
    a = leaf(a0)
    b = a.exp()
    c = a.sin()
    d = (b * c + b / (c + 2.0)).sum()
    d.backward()

    def f(v):
        return float(np.sum(np.exp(v) * np.sin(v) + np.exp(v) / (np.sin(v) + 2.0)))

    assert_close(a.grad, numeric_grad(f, a0), rtol=1e-6, atol=1e-8)


def test_reused_non_leaf_b_plus_b():
    a = leaf([1.0, 2.0, 3.0])
    b = a + a
    c = b + b
    c.sum().backward()
    assert_close(a.grad, [4.0, 4.0, 4.0])


def test_reused_non_leaf_many_consumers():
    a = leaf([0.5, -1.5])
    b = a * a                 # 2a
    c = b * b + b * 3.0 + b   # c = a^4 + 4 a^2 ; dc/da = 4a^3 + 8a
    c.sum().backward()
    a0 = np.array([0.5, -1.5])
    assert_close(a.grad, 4 * a0 ** 3 + 8 * a0)


def test_same_tensor_both_operands():
    x = leaf([2.0, -3.0])
    (x * x * x).sum().backward()
    assert_close(x.grad, 3 * np.array([2.0, -3.0]) ** 2)


# --------------------------------------------------------------------------
# leaves, requires_grad propagation, .grad on non-leaves, retain_grad
# --------------------------------------------------------------------------
def test_is_leaf_grad_fn_and_requires_grad_propagation():
    x = leaf([1.0, 2.0])
    c = ag.tensor(np.array([3.0, 4.0]))
    assert x.is_leaf and x.grad_fn is None and x.requires_grad
    assert c.is_leaf and c.grad_fn is None and not c.requires_grad

    y = x * 2.0
    assert not y.is_leaf
    assert y.grad_fn is not None
    assert y.requires_grad

    z = c * 2.0
    assert z.is_leaf and z.grad_fn is None and not z.requires_grad

    w = x + c
    assert w.requires_grad and w.grad_fn is not None and not w.is_leaf

    d = y.detach()
    assert d.is_leaf and d.grad_fn is None and not d.requires_grad

    r = ag.tensor(np.array([1.0])).requires_grad_()
    assert r.requires_grad and r.is_leaf


def test_grad_is_none_on_non_leaf_without_retain_grad():
    x = leaf([1.0, 2.0])
    y = x * 2.0
    (y * y).sum().backward()
    assert y.grad is None
    assert x.grad is not None


def test_retain_grad_on_non_leaf():
    x0 = np.array([1.0, -2.0])
    x = leaf(x0)
    y = x * 3.0
    y.retain_grad()
    (y * y).sum().backward()
    assert_close(y.grad, 2 * 3 * x0)
    assert_close(x.grad, 18 * x0)


def test_grad_assignable():
    x = leaf([1.0])
    (x * 2.0).sum().backward()
    x.grad = None
    assert x.grad is None
    x.grad = ag.tensor(np.array([5.0]))
    (x * 2.0).sum().backward()
    assert_close(x.grad, [7.0])


# --------------------------------------------------------------------------
# hooks
# --------------------------------------------------------------------------
def test_hook_on_leaf_replaces_gradient():
    x = leaf([1.0, 2.0])
    seen = []

    def hook(g):
        seen.append(A(g))
        return g * 2.0

    x.register_hook(hook)
    (x * 3.0).sum().backward()
    assert len(seen) == 1
    assert_close(seen[0], [3.0, 3.0])
    assert_close(x.grad, [6.0, 6.0])


def test_hook_returning_none_leaves_gradient_unchanged():
    x = leaf([1.0, 2.0])
    seen = []
    x.register_hook(lambda g: seen.append(A(g)))   # returns None
    (x * x).sum().backward()
    assert len(seen) == 1
    assert_close(seen[0], [2.0, 4.0])
    assert_close(x.grad, [2.0, 4.0])


def test_hook_on_non_leaf_modifies_upstream_gradient():
    x0 = np.array([1.0, -2.0])
    x = leaf(x0)
    y = x * 3.0
    seen = []

    def hook(g):
        seen.append(A(g))
        return g * 10.0

    y.register_hook(hook)
    (y * y).sum().backward()
    assert len(seen) == 1
    assert_close(seen[0], 2 * 3 * x0)             # dL/dy = 2y
    assert_close(x.grad, 10 * 2 * 3 * x0 * 3)      # hooked, then through y = 3x


def test_hook_on_non_leaf_sees_total_gradient_once():
    x0 = np.array([0.5, 2.0])
    x = leaf(x0)
    y = x * 2.0
    calls = []
    y.register_hook(lambda g: calls.append(A(g)))
    (y * y + y).sum().backward()      # dL/dy = 2y + 1, from two consumers
    assert len(calls) == 1
    assert_close(calls[0], 2 * (2 * x0) + 1)
    assert_close(x.grad, (2 * (2 * x0) + 1) * 2)


def test_hook_receives_tensor_and_hooks_chain_in_order():
    x = leaf([1.0])
    order = []

    def h1(g):
        assert isinstance(g, ag.Tensor)
        order.append(("h1", A(g).item()))
        return g + 1.0

    def h2(g):
        order.append(("h2", A(g).item()))
        return g * 2.0

    x.register_hook(h1)
    x.register_hook(h2)
    (x * 5.0).sum().backward()
    assert order == [("h1", 5.0), ("h2", 6.0)]
    assert_close(x.grad, [12.0])


def test_hook_handle_remove():
    x = leaf([1.0])
    h = x.register_hook(lambda g: g * 100.0)
    h.remove()
    (x * 2.0).sum().backward()
    assert_close(x.grad, [2.0])


def test_retain_grad_reflects_hooks():
    # PyTorch >= 2.0: the retained .grad is the gradient after all hooks
    x = leaf([1.0])
    y = x * 2.0
    y.retain_grad()
    y.register_hook(lambda g: g * 10.0)
    y.sum().backward()
    assert_close(y.grad, [10.0])
    assert_close(x.grad, [20.0])


def test_leaf_hook_runs_under_ag_grad_with_create_graph():
    x = ag.tensor(np.array(2.0), requires_grad=True)
    x.register_hook(lambda g: g * g)
    (g,) = ag.grad(x ** 3, x, create_graph=True)
    assert_close(g, 144.0)          # (3 x^2)^2
    assert g.requires_grad


# --------------------------------------------------------------------------
# freed graphs and retain_graph
# --------------------------------------------------------------------------
def test_second_backward_through_freed_graph_raises():
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError) as ei:
        y.backward()
    assert "retain_graph=True" in str(ei.value)


def test_retain_graph_allows_second_backward_and_accumulates():
    x0 = np.array([1.0, 2.0])
    x = leaf(x0)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    assert_close(x.grad, 2 * x0)
    y.backward()
    assert_close(x.grad, 4 * x0)
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()


def test_ag_grad_frees_graph_by_default_and_retains_with_create_graph():
    x = leaf([1.5])
    y = (x * x).sum()
    ag.grad(y, x)
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        ag.grad(y, x)

    x2 = leaf([1.5])
    y2 = (x2 * x2).sum()
    (g1,) = ag.grad(y2, x2, create_graph=True)   # retain_graph defaults to create_graph
    (g2,) = ag.grad(y2, x2)
    assert_close(g1, [3.0])
    assert_close(g2, [3.0])


# --------------------------------------------------------------------------
# higher order (create_graph)
# --------------------------------------------------------------------------
@pytest.mark.parametrize("x0", [2.0, -0.5])
def test_third_derivative_of_cube(x0):
    x = ag.tensor(np.array(x0), requires_grad=True)
    y = x ** 3
    (g1,) = ag.grad(y, x, create_graph=True)
    assert_close(g1, 3 * x0 ** 2)
    assert g1.requires_grad
    (g2,) = ag.grad(g1, x, create_graph=True)
    assert_close(g2, 6 * x0)
    (g3,) = ag.grad(g2, x)
    assert_close(g3, 6.0)


@pytest.mark.parametrize("x0", [0.3, 2.0])
def test_higher_derivatives_of_sin(x0):
    x = ag.tensor(np.array(x0), requires_grad=True)
    y = ag.sin(x)
    (g1,) = ag.grad(y, x, create_graph=True)
    assert_close(g1, math.cos(x0))
    (g2,) = ag.grad(g1, x, create_graph=True)
    assert_close(g2, -math.sin(x0))
    (g3,) = ag.grad(g2, x)
    assert_close(g3, -math.cos(x0))


def test_backward_create_graph_then_backward_of_grad():
    x0 = np.array([1.0, -2.0, 0.5])
    x = leaf(x0)
    (x ** 3).sum().backward(create_graph=True)
    g = x.grad
    assert_close(g, 3 * x0 ** 2)
    assert g.requires_grad and g.grad_fn is not None
    x.grad = None
    g.sum().backward()
    assert_close(x.grad, 6 * x0)


def test_grad_without_create_graph_is_not_differentiable():
    x = leaf([2.0])
    (g,) = ag.grad((x ** 3).sum(), x)
    assert not g.requires_grad
    assert g.grad_fn is None


def test_mixed_second_derivative_against_hand_value():
    # f = x^2 y^3 ; d2f/dxdy = 6 x y^2
    x = ag.tensor(np.array(1.5), requires_grad=True)
    y = ag.tensor(np.array(-0.5), requires_grad=True)
    f = x * x * y * y * y
    (gx,) = ag.grad(f, x, create_graph=True)
    (gxy,) = ag.grad(gx, y)
    assert_close(gxy, 6 * 1.5 * 0.25)


# --------------------------------------------------------------------------
# ag.grad
# --------------------------------------------------------------------------
def test_ag_grad_returns_tuple_and_does_not_touch_dot_grad():
    x = leaf([1.0, 2.0])
    w = leaf([3.0, 4.0])
    y = (x * w).sum()
    res = ag.grad(y, [x, w])
    assert isinstance(res, tuple) and len(res) == 2
    assert_close(res[0], [3.0, 4.0])
    assert_close(res[1], [1.0, 2.0])
    assert x.grad is None and w.grad is None

    x2 = leaf([1.0])
    res2 = ag.grad((x2 * 2.0).sum(), x2)   # single tensor input
    assert isinstance(res2, tuple) and len(res2) == 1
    assert_close(res2[0], [2.0])


def test_ag_grad_allow_unused():
    x = leaf([1.0, 2.0])
    z = leaf([5.0])
    y = (x * x).sum()
    gx, gz = ag.grad(y, [x, z], allow_unused=True)
    assert_close(gx, [2.0, 4.0])
    assert gz is None

    y = (x * x).sum()
    with pytest.raises(RuntimeError):
        ag.grad(y, [x, z])


def test_ag_grad_grad_outputs():
    x = leaf([1.0, 2.0, 3.0])
    y = x * x
    (g,) = ag.grad(y, x, grad_outputs=ag.tensor(np.array([1.0, 10.0, 100.0])))
    assert_close(g, 2 * np.array([1.0, 2.0, 3.0]) * np.array([1.0, 10.0, 100.0]))

    y = x * 2.0
    (g,) = ag.grad([y], [x], grad_outputs=[ag.tensor(np.array([1.0, -1.0, 0.5]))])
    assert_close(g, [2.0, -2.0, 1.0])


def test_ag_grad_multiple_outputs_sum():
    x = leaf([1.0, 2.0])
    y1 = (x * x).sum()
    y2 = (x * 3.0).sum()
    (g,) = ag.grad([y1, y2], [x])
    assert_close(g, [2.0 + 3.0, 4.0 + 3.0])


def test_ag_grad_non_scalar_without_grad_outputs_raises():
    x = leaf(np.ones((2, 3)))
    with pytest.raises(RuntimeError):
        ag.grad(x * 2.0, x)


def test_ag_grad_wrt_non_leaf_and_backward_inputs():
    x = leaf([1.0, 2.0])
    a = x * 3.0
    (ga,) = ag.grad((a * a).sum(), a)
    assert_close(ga, [6.0, 12.0])
    assert x.grad is None

    w = leaf([3.0, 4.0])
    (x * w).sum().backward(inputs=[x])
    assert_close(x.grad, [3.0, 4.0])
    assert w.grad is None


def test_backward_create_graph_retains_graph_by_default():
    x = ag.tensor(np.array(3.0), requires_grad=True)
    y = x ** 2
    y.backward(create_graph=True)
    y.backward()
    assert_close(x.grad, 12.0)


# --------------------------------------------------------------------------
# backward on non-scalars
# --------------------------------------------------------------------------
def test_backward_non_scalar_without_gradient_raises_with_shape():
    x = leaf(np.ones((2, 3)))
    y = x * 2.0
    with pytest.raises(RuntimeError) as ei:
        y.backward()
    msg = str(ei.value)
    assert msg_has_any(msg, "(2, 3)", "[2, 3]"), msg


def test_backward_with_gradient_on_non_scalar():
    x0 = np.arange(6.0).reshape(2, 3)
    x = leaf(x0)
    y = x * x
    g = np.array([[1.0, 2.0, 3.0], [-1.0, 0.5, 0.0]])
    y.backward(gradient=ag.tensor(g))
    assert_close(x.grad, 2 * x0 * g)


def test_backward_on_one_element_non_0d_tensor():
    # PyTorch allows implicit grad for any single-element output
    x = leaf([3.0])
    y = x * x
    y.backward()
    assert_close(x.grad, [6.0])


# --------------------------------------------------------------------------
# grad modes
# --------------------------------------------------------------------------
def test_no_grad_context():
    x = leaf([1.0])
    assert ag.is_grad_enabled()
    with ag.no_grad():
        assert not ag.is_grad_enabled()
        y = x * 2.0
        z = ag.exp(x)
    assert ag.is_grad_enabled()
    for t in (y, z):
        assert t.requires_grad is False
        assert t.grad_fn is None
        assert t.is_leaf


def test_no_grad_decorator_with_parens():
    x = leaf([1.0])

    @ag.no_grad()
    def f(t):
        assert not ag.is_grad_enabled()
        return t * 2.0

    y = f(x)
    assert not y.requires_grad and y.grad_fn is None
    assert ag.is_grad_enabled()


def test_no_grad_decorator_without_parens():
    # PyTorch >= 2.0 accepts @torch.no_grad without the call
    x = leaf([1.0])

    @ag.no_grad
    def f(t):
        return t * 2.0

    y = f(x)
    assert not y.requires_grad
    assert ag.is_grad_enabled()


def test_enable_grad_inside_no_grad_and_as_decorator():
    x = leaf([1.0])
    with ag.no_grad():
        with ag.enable_grad():
            assert ag.is_grad_enabled()
            y = x * 2.0
        assert not ag.is_grad_enabled()
        z = x * 2.0
    assert y.requires_grad and y.grad_fn is not None
    assert not z.requires_grad

    @ag.enable_grad()
    def f(t):
        return t * 3.0

    with ag.no_grad():
        w = f(x)
        assert not ag.is_grad_enabled()
    assert w.requires_grad


def test_set_grad_enabled_context_function_and_decorator():
    x = leaf([1.0])
    with ag.set_grad_enabled(False):
        assert not ag.is_grad_enabled()
        y = x * 2.0
        with ag.set_grad_enabled(True):
            assert ag.is_grad_enabled()
            z = x * 2.0
    assert ag.is_grad_enabled()
    assert not y.requires_grad
    assert z.requires_grad

    try:
        ag.set_grad_enabled(False)        # plain call sets the mode
        assert not ag.is_grad_enabled()
        assert not (x * 2.0).requires_grad
    finally:
        ag.set_grad_enabled(True)
    assert ag.is_grad_enabled()

    @ag.set_grad_enabled(False)
    def f(t):
        return t * 2.0

    assert not f(x).requires_grad
    assert ag.is_grad_enabled()


def test_grad_mode_nesting_and_restoration_on_exception():
    assert ag.is_grad_enabled()
    with ag.no_grad():
        with ag.enable_grad():
            with ag.no_grad():
                assert not ag.is_grad_enabled()
            assert ag.is_grad_enabled()
        assert not ag.is_grad_enabled()
    assert ag.is_grad_enabled()

    with pytest.raises(KeyError):
        with ag.no_grad():
            raise KeyError("boom")
    assert ag.is_grad_enabled()


def test_no_grad_in_place_on_leaf_is_allowed_and_keeps_leaf():
    x = leaf([1.0, 2.0])
    with ag.no_grad():
        r = x.sub_(1.0)
    assert r is x
    assert x.is_leaf and x.requires_grad
    assert_close(x, [0.0, 1.0])
    (x * 2.0).sum().backward()
    assert_close(x.grad, [2.0, 2.0])


# --------------------------------------------------------------------------
# detach
# --------------------------------------------------------------------------
def test_detach_shares_memory_and_has_no_grad_fn():
    x = leaf([1.0, 2.0, 3.0])
    y = x * 2.0
    d = y.detach()
    assert d.grad_fn is None and not d.requires_grad
    assert np.shares_memory(d.array, y.array)
    dx = x.detach()
    dx.array[0] = 42.0
    assert A(x)[0] == 42.0


def test_clone_is_differentiable_and_does_not_share():
    x = leaf([1.0, 2.0])
    c = x.clone()
    assert not np.shares_memory(c.array, x.array)
    assert c.grad_fn is not None
    (c * 3.0).sum().backward()
    assert_close(x.grad, [3.0, 3.0])


# --------------------------------------------------------------------------
# versions and in-place ops
# --------------------------------------------------------------------------
def test_in_place_on_saved_non_leaf_detected_at_backward():
    x = leaf([1.0, 2.0])
    a = x * 2.0
    b = a * a                 # Mul saves a
    with ag.no_grad():
        a.mul_(3.0)
    with pytest.raises(RuntimeError) as ei:
        b.sum().backward()
    msg = str(ei.value)
    assert msg_has_any(msg, "mul"), msg
    assert msg_has_any(msg, "version", "in-place", "inplace", "in place"), msg


def test_in_place_on_saved_leaf_detected_at_backward():
    x = leaf([1.0, 2.0])
    w = leaf([3.0, 4.0])
    y = x * w                 # Mul saves x and w
    with ag.no_grad():
        w.add_(1.0)           # an optimizer step between forward and backward
    with pytest.raises(RuntimeError) as ei:
        y.sum().backward()
    msg = str(ei.value)
    assert msg_has_any(msg, "mul"), msg
    assert msg_has_any(msg, "version", "in-place", "inplace", "in place"), msg


def test_in_place_on_saved_output_detected_at_backward():
    x = leaf([0.1, 0.2])
    e = x.exp()               # exp's backward needs its output
    with ag.no_grad():
        e.add_(1.0)
    with pytest.raises(RuntimeError) as ei:
        e.sum().backward()
    assert msg_has_any(str(ei.value), "exp"), str(ei.value)


def test_in_place_on_leaf_requiring_grad_outside_no_grad_raises():
    x = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError):
        x.add_(1.0)
    assert_close(x, [1.0, 2.0])


@pytest.mark.parametrize(
    "name,args,expected",
    [
        ("add_", (2.0,), [3.0, 0.0, 5.0]),
        ("sub_", (1.0,), [0.0, -3.0, 2.0]),
        ("mul_", (2.0,), [2.0, -4.0, 6.0]),
        ("div_", (2.0,), [0.5, -1.0, 1.5]),
        ("zero_", (), [0.0, 0.0, 0.0]),
        ("fill_", (7.0,), [7.0, 7.0, 7.0]),
        ("clamp_", (-1.0, 2.0), [1.0, -1.0, 2.0]),
    ],
)
def test_in_place_ops_return_self_and_bump_version(name, args, expected):
    t = ag.tensor(np.array([1.0, -2.0, 3.0]))
    v0 = t._version
    storage = t.array
    r = getattr(t, name)(*args)
    assert r is t
    assert t._version > v0
    assert_close(t, expected)
    np.testing.assert_allclose(storage, expected)   # written into the same buffer


def test_copy_and_tensor_operand_in_place():
    t = ag.tensor(np.zeros(3))
    v0 = t._version
    src = ag.tensor(np.array([1.0, 2.0, 3.0]))
    assert t.copy_(src) is t
    assert t._version > v0
    assert_close(t, [1.0, 2.0, 3.0])
    v1 = t._version
    assert t.add_(src) is t
    assert t._version > v1
    assert_close(t, [2.0, 4.0, 6.0])


def test_in_place_writes_through_to_views_memory():
    base = np.zeros(3)
    t = ag.from_numpy(base)
    t.add_(1.0)
    assert_close(base, [1.0, 1.0, 1.0])


def test_augmented_assignment_is_in_place_like_pytorch():
    # the classic update `with no_grad(): w -= lr * w.grad` must update the
    # parameter object itself, not rebind the name to a new tensor
    w = leaf([1.0, 2.0])
    (w * w).sum().backward()
    ref = w
    v0 = w._version
    with ag.no_grad():
        w -= 0.1 * w.grad
    assert w is ref
    assert_close(ref, [0.8, 1.6])
    assert ref.is_leaf and ref.requires_grad
    assert ref._version > v0

    t = ag.tensor(np.array([1.0, 2.0]))
    storage = t.array
    t0 = t
    t += 1.0
    t *= 2.0
    t /= 4.0
    t -= 0.5
    assert t is t0
    np.testing.assert_allclose(storage, [0.5, 1.0])


def test_augmented_assignment_on_leaf_requiring_grad_raises():
    x = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError):
        x += 1.0


def test_differentiable_in_place_on_non_leaf():
    # as in PyTorch, an in-place op on a non-leaf is recorded on the tape
    x0 = np.array([1.0, 2.0])
    x = leaf(x0)
    y = x * 2.0
    assert y.mul_(3.0) is y
    y.sum().backward()
    assert_close(x.grad, [6.0, 6.0])

    x = leaf(x0)
    y = x * 2.0
    y0 = y
    y += x
    assert y is y0
    y.sum().backward()
    assert_close(x.grad, [3.0, 3.0])

    x = leaf(x0)
    y = x * 1.0
    y.clamp_(0.0, 1.5)
    y.sum().backward()
    assert_close(x.grad, [1.0, 0.0])

    # ... and it still invalidates what an earlier op saved
    x = leaf(x0)
    y = x * 2.0
    b = y * y
    y += 1.0
    with pytest.raises(RuntimeError, match="(?i)mul"):
        b.sum().backward()


def test_in_place_on_view_shares_version_counter():
    x = ag.tensor(np.arange(4.0))
    v = x[1:3]
    v0 = x._version
    v.add_(10.0)
    assert x.tolist() == [0.0, 11.0, 12.0, 3.0]
    assert x._version > v0

    w = leaf(np.arange(1.0, 5.0))
    a = w * 1.0
    b = (a * a).sum()          # saves a
    with ag.no_grad():
        a[1:3].mul_(0.0)       # modify a through a view
    with pytest.raises(RuntimeError):
        b.backward()


# --------------------------------------------------------------------------
# anomaly detection
# --------------------------------------------------------------------------
def test_detect_anomaly_forward_nan_names_op():
    with np.errstate(all="ignore"):
        with ag.detect_anomaly():
            with pytest.raises(RuntimeError) as ei:
                ag.log(ag.tensor([-1.0], requires_grad=True))
    assert msg_has_any(str(ei.value), "log"), str(ei.value)


def test_detect_anomaly_backward_inf_names_op():
    with np.errstate(all="ignore"):
        with ag.detect_anomaly():
            x = ag.tensor([0.0], requires_grad=True)
            y = ag.sqrt(x).sum()
            with pytest.raises(RuntimeError) as ei:
                y.backward()
    assert msg_has_any(str(ei.value), "sqrt"), str(ei.value)


def test_without_detect_anomaly_nan_and_inf_propagate_silently():
    with np.errstate(all="ignore"):
        x = ag.tensor([0.0], requires_grad=True)
        ag.sqrt(x).sum().backward()
        assert np.isinf(A(x.grad)).all()
        y = ag.log(ag.tensor([-1.0], requires_grad=True))
        assert np.isnan(A(y)).all()


# --------------------------------------------------------------------------
# deep graphs: iterative backward (run in a subprocess so that a C-stack
# overflow while freeing a deep graph shows up as a failure, not a crash)
# --------------------------------------------------------------------------
def _run_script(code, timeout=120):
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=str(ROOT), capture_output=True, text=True, timeout=timeout,
    )
    assert proc.returncode == 0, (
        f"exit {proc.returncode}\nstdout:\n{proc.stdout[-3000:]}\nstderr:\n{proc.stderr[-3000:]}"
    )
    return proc.stdout


@pytest.mark.slow
def test_million_node_chain_backward_no_recursion_error():
    out = _run_script(
        """
        import sys
        import autograd as ag
        assert sys.getrecursionlimit() <= 10000
        N = 10**6
        x = ag.tensor([0.0], requires_grad=True)
        y = x
        for _ in range(N):
            y = y + 1.0
        assert y.item() == float(N), y.item()
        y.sum().backward()
        assert x.grad.tolist() == [1.0], x.grad
        del y
        print("OK")
        """
    )
    assert "OK" in out


@pytest.mark.slow
def test_deep_graph_deleted_without_backward_does_not_crash():
    out = _run_script(
        """
        import gc
        import autograd as ag
        N = 3 * 10**5
        x = ag.tensor([1.0], requires_grad=True)
        y = x
        for _ in range(N):
            y = y * 1.0
        del y
        gc.collect()
        print("OK")
        """
    )
    assert "OK" in out


def test_moderately_deep_chain_in_process():
    # deeper than the default recursion limit, and in-process
    x = leaf([0.5])
    y = x
    for _ in range(5000):
        y = y * 1.0001
    y.sum().backward()
    assert_close(x.grad, [1.0001 ** 5000], rtol=1e-9)


# --------------------------------------------------------------------------
# memory: saved buffers freed after backward, no reference cycles
# --------------------------------------------------------------------------
def _build_saved_graph():
    h = leaf(np.random.RandomState(0).rand(5))
    m = h * 3.0            # intermediate, not held by the caller
    p = m * m              # Mul saves m
    loss = p.sum()
    return h, weakref.ref(m), weakref.ref(m.array), loss


def test_saved_buffers_freed_after_backward():
    h, wm, wdata, loss = _build_saved_graph()
    gc.collect()
    assert wdata() is not None, "the graph must keep the saved buffer alive before backward"
    loss.backward()
    gc.collect()
    assert wdata() is None, "saved array still alive after backward without retain_graph"
    assert wm() is None, "intermediate tensor still alive after backward"
    assert_close(h.grad, 18 * A(h))


def test_saved_buffers_kept_with_retain_graph_until_graph_dropped():
    h, wm, wdata, loss = _build_saved_graph()
    loss.backward(retain_graph=True)
    gc.collect()
    assert wdata() is not None
    loss.backward()
    assert_close(h.grad, 2 * 18 * A(h))
    del loss
    gc.collect()
    assert wdata() is None


def test_saved_exp_output_freed_after_backward():
    h = leaf([0.1, 0.2, 0.3])
    e = h.exp()
    we = weakref.ref(e.array)
    loss = e.sum()
    del e
    loss.backward()
    gc.collect()
    assert we() is None
    assert_close(h.grad, np.exp([0.1, 0.2, 0.3]))


def test_graph_has_no_reference_cycles():
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        # dropped without backward: freed by reference counting alone
        h, wm, wdata, loss = _build_saved_graph()
        del loss
        assert wdata() is None and wm() is None

        # after backward too
        h, wm, wdata, loss = _build_saved_graph()
        loss.backward()
        del loss
        assert wdata() is None and wm() is None
    finally:
        if was_enabled:
            gc.enable()


def test_chain_intermediates_freed_after_backward():
    x = leaf(np.linspace(0.1, 1.0, 4))
    refs = []
    y = x
    for _ in range(5):
        y = (y * 1.5).tanh()
        refs.append(weakref.ref(y.array))
    loss = y.sum()
    del y
    loss.backward()
    gc.collect()
    assert all(r() is None for r in refs)


# --------------------------------------------------------------------------
# conversion and dtypes
# --------------------------------------------------------------------------
def test_numpy_refuses_requires_grad_then_works_after_detach():
    x = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError):
        x.numpy()
    a = x.detach().numpy()
    assert isinstance(a, np.ndarray)
    np.testing.assert_array_equal(a, [1.0, 2.0])


def test_np_asarray_works_via_array_protocol():
    t = ag.tensor(np.array([[1.0, 2.0], [3.0, 4.0]], dtype=np.float32))
    a = np.asarray(t)
    assert isinstance(a, np.ndarray)
    assert a.dtype == np.float32
    np.testing.assert_array_equal(a, [[1.0, 2.0], [3.0, 4.0]])


@pytest.mark.parametrize(
    "name,kwargs",
    [
        ("sum", {}), ("mean", {}), ("prod", {}), ("max", {}), ("min", {}),
        ("amax", {}), ("amin", {}), ("var", {}), ("std", {}), ("norm", {}),
        ("logsumexp", {"dim": (0, 1)}), ("sum", {"dim": (0, 1)}),
    ],
)
def test_reductions_return_0d_tensors(name, kwargs):
    x = ag.tensor(np.array([[1.0, 2.0], [3.0, 4.0]], dtype=np.float32))
    r = getattr(x, name)(**kwargs)
    assert type(r) is ag.Tensor
    assert r.shape == ()
    assert r.ndim == 0
    assert isinstance(r.item(), float)


def test_reduction_values_and_keepdim_aliases():
    a = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 7.0]])
    x = ag.tensor(a)
    assert_close(x.sum(dim=0), a.sum(0))
    assert_close(x.sum(axis=1), a.sum(1))
    assert x.sum(dim=1, keepdim=True).shape == (2, 1)
    assert x.mean(axis=0, keepdims=True).shape == (1, 3)
    assert_close(x.var(), a.var(ddof=1))
    assert_close(x.var(unbiased=False), a.var())
    assert_close(x.std(dim=1), a.std(1, ddof=1))


def test_python_scalars_take_tensor_dtype():
    x = ag.tensor([1.0, 2.0])
    assert x.dtype == np.float32
    for r in (x * 2.0, 2.0 * x, x + 1, x - 0.5, 1.0 - x, x / 3.0, 3.0 / x, x ** 2, x ** 0.5, -x):
        assert r.dtype == np.float32, r.dtype
    assert (x.sum() * 2.0).dtype == np.float32
    d = ag.tensor(np.array([1.0, 2.0]))
    assert (d * 2.0).dtype == np.float64
    i = ag.tensor([1, 2])
    assert (i + 1).dtype == np.int64


def test_tensor_constructor_dtypes():
    assert ag.tensor([1.0, 2.0]).dtype == np.float32
    assert ag.tensor([1.0, 2.0]).dtype == ag.float32
    assert ag.tensor(1.5).dtype == np.float32
    assert ag.tensor([1, 2]).dtype == np.int64
    assert ag.tensor([1, 2]).dtype == ag.int64
    assert ag.tensor(np.array([1.0, 2.0])).dtype == np.float64
    assert ag.tensor(np.array([1, 2], dtype=np.int32)).dtype == np.int32
    assert ag.tensor(np.array([True, False])).dtype == np.bool_
    assert ag.tensor([True, False]).dtype == ag.bool_
    assert ag.tensor([1.0], dtype=ag.float64).dtype == np.float64
    assert ag.tensor(np.zeros(2, np.float16)).dtype == ag.float16


def test_from_numpy_shares_memory():
    a = np.zeros(3)
    t = ag.from_numpy(a)
    assert t.dtype == np.float64
    a[1] = 5.0
    assert A(t)[1] == 5.0
    assert np.shares_memory(t.array, a)


def test_item_tolist_len_size_numel_T():
    x = ag.tensor(np.arange(6.0).reshape(2, 3))
    assert ag.tensor([3.5]).item() == 3.5
    assert isinstance(ag.tensor(np.array(2.0)).item(), float)
    assert isinstance(ag.tensor([2]).item(), int)
    assert x.tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    assert len(x) == 2
    assert tuple(x.size()) == (2, 3)
    assert x.size(1) == 3 and x.size(-1) == 3
    assert x.numel() == 6
    assert x.shape == (2, 3) and x.ndim == 2
    assert x.T.shape == (3, 2)
    assert_close(x.T, np.arange(6.0).reshape(2, 3).T)
    assert x.device == "cpu"


def test_T_is_differentiable():
    x = leaf(np.arange(6.0).reshape(2, 3))
    w = np.arange(6.0).reshape(3, 2) + 1
    (x.T * ag.tensor(w)).sum().backward()
    assert_close(x.grad, w.T)


def test_dtype_conversions():
    x = ag.tensor([1.5, 2.5])
    assert x.double().dtype == np.float64
    assert x.float().dtype == np.float32
    assert x.half().dtype == np.float16
    assert x.long().dtype == np.int64
    assert x.to(ag.float64).dtype == np.float64
    assert x.cpu().device == "cpu"
    # .to(dtype) is differentiable
    y = leaf([1.0, 2.0])
    (y.float() * 2.0).sum().backward()
    assert y.grad.dtype == np.float64
    assert_close(y.grad, [2.0, 2.0])


# --------------------------------------------------------------------------
# factories and the RNG
# --------------------------------------------------------------------------
def test_factories_shapes_dtypes_and_requires_grad():
    z = ag.zeros(2, 3)
    assert z.shape == (2, 3) and z.dtype == np.float32 and not z.requires_grad
    assert_close(z, np.zeros((2, 3)))
    o = ag.ones((2, 3), dtype=ag.float64, requires_grad=True)
    assert o.shape == (2, 3) and o.dtype == np.float64 and o.requires_grad and o.is_leaf
    f = ag.full((2, 2), 7.0)
    assert_close(f, np.full((2, 2), 7.0))
    assert f.dtype == np.float32
    e = ag.eye(3)
    assert_close(e, np.eye(3))
    assert ag.arange(5).dtype == np.int64
    assert_close(ag.arange(5), np.arange(5))
    assert ag.arange(0.0, 1.0, 0.25).dtype == np.float32
    assert_close(ag.arange(0.0, 1.0, 0.25), [0.0, 0.25, 0.5, 0.75])
    assert ag.arange(1, 7, 2).tolist() == [1, 3, 5]
    r = ag.rand(4, 5)
    assert r.shape == (4, 5) and r.dtype == np.float32
    assert (A(r) >= 0).all() and (A(r) < 1).all()
    n = ag.randn(3, 4, dtype=ag.float64, requires_grad=True)
    assert n.shape == (3, 4) and n.dtype == np.float64 and n.requires_grad
    assert ag.empty(2, 3).shape == (2, 3)
    zl = ag.zeros_like(ag.tensor(np.ones((2, 2))))
    assert zl.dtype == np.float64 and zl.shape == (2, 2)
    ol = ag.ones_like(ag.tensor(np.ones((2, 2))), dtype=ag.float32)
    assert ol.dtype == np.float32
    assert ag.zeros(2, device="cpu").device == "cpu"
    # a factory leaf requiring grad participates in backward
    (o * 2.0).sum().backward()
    assert_close(o.grad, np.full((2, 3), 2.0))


def test_manual_seed_reproducibility():
    ag.manual_seed(0)
    a = A(ag.randn(3, 4))
    b1 = A(ag.rand(5))
    ag.manual_seed(0)
    a2 = A(ag.randn(3, 4))
    b2 = A(ag.rand(5))
    np.testing.assert_array_equal(a, a2)
    np.testing.assert_array_equal(b1, b2)
    a3 = A(ag.randn(3, 4))
    assert not np.array_equal(a, a3)
    ag.manual_seed(1)
    assert not np.array_equal(a, A(ag.randn(3, 4)))


# --------------------------------------------------------------------------
# max(dim=), split, chunk, pad
# --------------------------------------------------------------------------
def test_max_with_dim_returns_values_and_indices():
    a = np.array([[1.0, 5.0, 3.0], [7.0, 2.0, 9.0]])
    x = leaf(a)
    v, i = x.max(dim=1)
    assert_close(v, [5.0, 9.0])
    assert i.tolist() == [1, 2]
    assert i.dtype == np.int64
    assert not i.requires_grad
    v.sum().backward()
    assert_close(x.grad, [[0, 1, 0], [0, 0, 1]])

    v0, i0 = x.detach().min(dim=0)
    assert_close(v0, [1.0, 2.0, 3.0])
    assert i0.tolist() == [0, 1, 0]

    vk, ik = x.detach().max(dim=1, keepdim=True)
    assert vk.shape == (2, 1) and ik.shape == (2, 1)

    m = x.detach().max()
    assert type(m) is ag.Tensor and m.shape == () and m.item() == 9.0


def test_max_with_dim_named_fields():
    x = ag.tensor(np.array([[1.0, 5.0], [7.0, 2.0]]))
    r = x.max(dim=0)
    assert_close(r.values, [7.0, 5.0])
    assert r.indices.tolist() == [1, 0]


def test_full_max_ties_split_evenly_and_index_duplicates_accumulate():
    x = leaf([1.0, 3.0, 3.0])
    x.max().backward()
    assert_close(x.grad, [0.0, 0.5, 0.5])

    y = leaf(np.arange(4.0))
    y[ag.tensor(np.array([0, 0, 2]))].sum().backward()
    assert_close(y.grad, [2.0, 0.0, 1.0, 0.0])


def test_grad_mode_is_per_thread():
    import threading
    seen = []
    with ag.no_grad():
        th = threading.Thread(target=lambda: seen.append(ag.is_grad_enabled()))
        th.start()
        th.join()
    assert seen == [True]


def test_split_chunk_size_semantics():
    x0 = np.arange(5.0)
    x = leaf(x0)
    parts = x.split(2)
    assert [p.shape for p in parts] == [(2,), (2,), (1,)]
    assert [p.tolist() for p in parts] == [[0.0, 1.0], [2.0, 3.0], [4.0]]
    (parts[0].sum() + (parts[2] * 3.0).sum()).backward()
    assert_close(x.grad, [1.0, 1.0, 0.0, 0.0, 3.0])

    sizes = [p.shape for p in x.detach().split([1, 4])]
    assert sizes == [(1,), (4,)]

    m = ag.tensor(np.arange(12.0).reshape(2, 6))
    assert [p.shape for p in m.split(4, dim=1)] == [(2, 4), (2, 2)]
    assert [p.shape for p in m.chunk(3, dim=1)] == [(2, 2), (2, 2), (2, 2)]
    assert [p.shape for p in ag.tensor(np.arange(5.0)).chunk(2)] == [(3,), (2,)]


def _get_pad():
    if hasattr(ag, "pad"):
        return ag.pad
    try:
        import nn.functional as F
        return F.pad
    except Exception:
        pytest.skip("neither ag.pad nor nn.functional.pad is available yet")


def test_pad_flat_tuple_last_dim_first():
    pad = _get_pad()
    a = np.arange(6.0).reshape(2, 3)
    x = leaf(a)
    y = pad(x, (1, 2))                       # last dim only
    assert y.shape == (2, 6)
    assert_close(y, np.pad(a, ((0, 0), (1, 2))))
    z = pad(x, (1, 0, 0, 2), value=-1.0)     # (left, right, top, bottom)
    assert z.shape == (4, 4)
    assert_close(z, np.pad(a, ((0, 2), (1, 0)), constant_values=-1.0))
    w = ag.tensor(np.arange(6.0).reshape(3, 2))
    (z * pad(w.T, (1, 0, 0, 2))).sum().backward()
    assert_close(x.grad, np.arange(6.0).reshape(3, 2).T)


def test_rounding_and_remainder_follow_pytorch_signs():
    a = ag.tensor([5.5, -5.5, 3.0, -3.0])
    b = ag.tensor([2.0, 2.0, -2.0, -2.0])
    np.testing.assert_array_equal((a % b).numpy(), [1.5, 0.5, -1.0, -1.0])        # sign of b
    np.testing.assert_array_equal(ag.fmod(a, b).numpy(), [1.5, -1.5, 1.0, -1.0])  # sign of a
    np.testing.assert_array_equal((a // b).numpy(), [2.0, -3.0, -2.0, 1.0])       # toward -inf
    np.testing.assert_array_equal(ag.trunc(a).numpy(), [5.0, -5.0, 3.0, -3.0])
    np.testing.assert_array_equal(ag.round(ag.tensor([0.5, 1.5, -2.5])).numpy(), [0.0, 2.0, -2.0])
    np.testing.assert_allclose(ag.round(ag.tensor([2.567]), decimals=2).numpy(), [2.57])
    i = ag.tensor([7, -7])
    assert (i % 3).dtype == np.int64 and (i % 3).tolist() == [1, 2]
    assert (i // 2).tolist() == [3, -4] and (7 // ag.tensor([2, -2])).tolist() == [3, -4]
    assert (10 % ag.tensor([3.0])).tolist() == [1.0]
    x = ag.tensor([1.7, -0.3], requires_grad=True)
    (ag.floor(x) + ag.ceil(x) + ag.round(x) + ag.trunc(x)).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0])                  # zero, not None


def test_data_is_a_tensor_sharing_memory_outside_the_graph():
    p = ag.tensor([1.0, 2.0], requires_grad=True)
    d = p.data
    assert isinstance(d, ag.Tensor) and not d.requires_grad and d.grad_fn is None
    assert d.array is p.array                        # shares memory
    d.add_(ag.tensor([1.0, 1.0]))                    # PyTorch's p.data.add_(...)
    assert p.tolist() == [2.0, 3.0]
    p.data = ag.tensor([5.0, 6.0, 7.0])              # replaces the storage, keeps identity
    assert p.shape == (3,) and p.requires_grad
    with pytest.raises(TypeError, match="data: assigned a list"):
        p.data = [1.0]
