"""Broadcasting: forward values match NumPy, and the gradient of each input is
the upstream gradient (times the local derivative) summed back over the
broadcast dimensions, with exactly the input's shape. float64 throughout."""
import numpy as np
import pytest
from hypothesis import given, settings, HealthCheck
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

import autograd as ag

SETTINGS = settings(max_examples=50, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

two_shapes = mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4,
                                           min_side=1, max_side=4)
three_shapes = mutually_broadcastable_shapes(num_shapes=3, min_dims=0, max_dims=4,
                                             min_side=1, max_side=4)
seeds = st.integers(0, 2**32 - 1)


def reduce_to(g, shape):
    """Sum g over the dimensions that broadcasting added or stretched."""
    g = np.asarray(g)
    lead = g.ndim - len(shape)
    if lead:
        g = g.sum(axis=tuple(range(lead)))
    axes = tuple(i for i, s in enumerate(shape) if s == 1 and g.shape[i] != 1)
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    assert g.shape == tuple(shape)
    return g


def A(t):
    return np.array(t.detach().numpy())


def leaf(a):
    return ag.tensor(np.asarray(a, dtype=np.float64), requires_grad=True)


def nonzero(rng, shape):
    """Values bounded away from zero (for denominators)."""
    return np.asarray(rng.choice([-1.0, 1.0], size=shape) * rng.uniform(0.5, 2.0, size=shape))


def check_grad(t, expected, shape):
    assert t.grad is not None
    assert t.grad.shape == tuple(shape), (t.grad.shape, shape)
    assert t.grad.dtype == np.float64
    np.testing.assert_allclose(A(t.grad), expected, rtol=1e-10, atol=1e-12)


BINARY = {
    # name: (tensor op, numpy op, grad_a(G, a, b), grad_b(G, a, b))
    "add": (lambda x, y: x + y, np.add, lambda G, a, b: G, lambda G, a, b: G),
    "sub": (lambda x, y: x - y, np.subtract, lambda G, a, b: G, lambda G, a, b: -G),
    "mul": (lambda x, y: x * y, np.multiply, lambda G, a, b: G * b, lambda G, a, b: G * a),
    "div": (lambda x, y: x / y, np.divide, lambda G, a, b: G / b, lambda G, a, b: -G * a / b**2),
    "maximum": (lambda x, y: ag.maximum(x, y), np.maximum,
                lambda G, a, b: G * (a > b), lambda G, a, b: G * (b > a)),
    "minimum": (lambda x, y: ag.minimum(x, y), np.minimum,
                lambda G, a, b: G * (a < b), lambda G, a, b: G * (b < a)),
}


@pytest.mark.parametrize("name", sorted(BINARY))
@SETTINGS
@given(shapes=two_shapes, seed=seeds)
def test_binary_broadcast_forward_and_grad(name, shapes, seed):
    op, npop, ga, gb = BINARY[name]
    (sa, sb), out_shape = shapes
    rng = np.random.default_rng(seed)
    a = np.asarray(rng.standard_normal(sa))
    b = nonzero(rng, sb)          # continuous values: no ties for max/min
    G = np.asarray(rng.standard_normal(out_shape))

    x, y = leaf(a), leaf(b)
    out = op(x, y)
    assert type(out) is ag.Tensor
    assert out.shape == tuple(out_shape)
    assert out.dtype == np.float64
    np.testing.assert_allclose(A(out), npop(a, b), rtol=1e-12, atol=0)

    out.backward(gradient=ag.tensor(G))
    ab, bb = np.broadcast_arrays(a, b)
    check_grad(x, reduce_to(ga(G, ab, bb), sa), sa)
    check_grad(y, reduce_to(gb(G, ab, bb), sb), sb)


@pytest.mark.parametrize("name", ["maximum", "minimum"])
@SETTINGS
@given(shapes=two_shapes, seed=seeds)
def test_maximum_minimum_ties_split_evenly(name, shapes, seed):
    op, npop, _, _ = BINARY[name]
    (sa, sb), out_shape = shapes
    rng = np.random.default_rng(seed)
    a = rng.integers(-1, 2, size=sa).astype(np.float64)   # many ties
    b = rng.integers(-1, 2, size=sb).astype(np.float64)
    G = np.asarray(rng.standard_normal(out_shape))
    x, y = leaf(a), leaf(b)
    out = op(x, y)
    np.testing.assert_array_equal(A(out), npop(a, b))
    out.backward(gradient=ag.tensor(G))
    ab, bb = np.broadcast_arrays(a, b)
    win_a = (ab > bb) if name == "maximum" else (ab < bb)
    win_b = (bb > ab) if name == "maximum" else (bb < ab)
    tie = ab == bb
    check_grad(x, reduce_to(G * (win_a + 0.5 * tie), sa), sa)
    check_grad(y, reduce_to(G * (win_b + 0.5 * tie), sb), sb)


@SETTINGS
@given(shapes=three_shapes, seed=seeds)
def test_where_broadcast_forward_and_grad(shapes, seed):
    (sc, sa, sb), out_shape = shapes
    rng = np.random.default_rng(seed)
    cond = np.asarray(rng.random(sc) < 0.5)
    a = np.asarray(rng.standard_normal(sa))
    b = np.asarray(rng.standard_normal(sb))
    G = np.asarray(rng.standard_normal(out_shape))

    x, y = leaf(a), leaf(b)
    out = ag.where(ag.tensor(cond), x, y)
    assert out.shape == tuple(out_shape)
    np.testing.assert_array_equal(A(out), np.where(cond, a, b))
    out.backward(gradient=ag.tensor(G))
    cb = np.broadcast_to(cond, out_shape)
    check_grad(x, reduce_to(G * cb, sa), sa)
    check_grad(y, reduce_to(G * ~cb, sb), sb)


@SETTINGS
@given(shapes=two_shapes, seed=seeds)
def test_composite_broadcast_against_finite_differences(shapes, seed):
    # independent oracle: f = sum(W * (a*b + a/b - b)), central differences
    (sa, sb), out_shape = shapes
    rng = np.random.default_rng(seed)
    a = np.asarray(rng.standard_normal(sa))
    b = nonzero(rng, sb)
    W = np.asarray(rng.standard_normal(out_shape))

    def f(av, bv):
        return float(np.sum(W * (av * bv + av / bv - bv)))

    x, y = leaf(a), leaf(b)
    ((x * y + x / y - y) * ag.tensor(W)).sum().backward()

    eps = 1e-6
    for t, base, which in ((x, a, 0), (y, b, 1)):
        num = np.zeros(np.shape(base))
        for i in np.ndindex(*np.shape(base)):
            p = np.array(base, dtype=np.float64, copy=True)
            m = p.copy()
            p[i] += eps
            m[i] -= eps
            if which == 0:
                num[i] = (f(p, b) - f(m, b)) / (2 * eps)
            else:
                num[i] = (f(a, p) - f(a, m)) / (2 * eps)
        assert t.grad.shape == np.shape(base)
        np.testing.assert_allclose(A(t.grad), num, rtol=1e-5, atol=1e-6)


@SETTINGS
@given(shapes=two_shapes, seed=seeds)
def test_one_side_requires_grad(shapes, seed):
    (sa, sb), out_shape = shapes
    rng = np.random.default_rng(seed)
    a = np.asarray(rng.standard_normal(sa))
    b = np.asarray(rng.standard_normal(sb))
    G = np.asarray(rng.standard_normal(out_shape))
    x = leaf(a)
    y = ag.tensor(b)                       # constant
    (x * y).backward(gradient=ag.tensor(G))
    ab, bb = np.broadcast_arrays(a, b)
    check_grad(x, reduce_to(G * bb, sa), sa)
    assert y.grad is None


@pytest.mark.parametrize("name", ["add", "sub", "mul", "div"])
@SETTINGS
@given(shapes=two_shapes, seed=seeds)
def test_numpy_array_operands_both_sides(name, shapes, seed):
    # tensor (op) ndarray and ndarray (op) tensor both give differentiable Tensors
    op, npop, ga, gb = BINARY[name]
    (sa, sb), out_shape = shapes
    rng = np.random.default_rng(seed)
    a = nonzero(rng, sa)
    b = nonzero(rng, sb)
    G = np.asarray(rng.standard_normal(out_shape))
    ab, bb = np.broadcast_arrays(a, b)

    x = leaf(a)
    out = op(x, b)                        # Tensor op ndarray
    assert type(out) is ag.Tensor and out.shape == tuple(out_shape)
    np.testing.assert_allclose(A(out), npop(a, b), rtol=1e-12)
    out.backward(gradient=ag.tensor(G))
    check_grad(x, reduce_to(ga(G, ab, bb), sa), sa)

    y = leaf(b)
    out = op(a, y)                        # ndarray op Tensor (reflected)
    assert type(out) is ag.Tensor, type(out)
    assert out.shape == tuple(out_shape)
    np.testing.assert_allclose(A(out), npop(a, b), rtol=1e-12)
    out.backward(gradient=ag.tensor(G))
    check_grad(y, reduce_to(gb(G, ab, bb), sb), sb)


@pytest.mark.parametrize("name", ["add", "sub", "mul", "div"])
@SETTINGS
@given(shape=st.lists(st.integers(1, 4), min_size=0, max_size=4).map(tuple),
       s=st.floats(0.5, 3.0), seed=seeds)
def test_python_scalar_operands_both_sides(name, shape, s, seed):
    op, npop, ga, gb = BINARY[name]
    rng = np.random.default_rng(seed)
    a = nonzero(rng, shape)
    G = np.asarray(rng.standard_normal(shape))
    x = leaf(a)
    out = op(x, s)
    np.testing.assert_allclose(A(out), npop(a, s), rtol=1e-12)
    out.backward(gradient=ag.tensor(G))
    check_grad(x, ga(G, a, s), shape)

    y = leaf(a)
    out = op(s, y)
    np.testing.assert_allclose(A(out), npop(s, a), rtol=1e-12)
    out.backward(gradient=ag.tensor(G))
    check_grad(y, gb(G, s, a), shape)
