"""The fused linear op behind F.linear / nn.Linear: gradients of every input, to second
order, for batched, unbatched and bias-free calls; weight gradients keep W's layout."""
import numpy as np
import pytest

import autograd as ag
import nn
import nn.functional as F

rng = np.random.default_rng(11)


def leaf(*shape):
    return ag.tensor(rng.standard_normal(shape), requires_grad=True)


@pytest.mark.parametrize('x_shape', [(4, 3), (2, 5, 3), (3,)])
@pytest.mark.parametrize('with_bias', [True, False])
def test_linear_gradients_first_and_second_order(x_shape, with_bias):
    x, w = leaf(*x_shape), leaf(2, 3)
    args = [x, w] + ([leaf(2)] if with_bias else [])
    fn = lambda *a: F.linear(*a)          # noqa: E731
    assert ag.gradcheck(fn, args)
    assert ag.gradgradcheck(fn, args)


def test_linear_matches_the_composition():
    x, w, b = leaf(5, 3), leaf(4, 3), leaf(4)
    np.testing.assert_allclose(F.linear(x, w, b).detach().numpy(),
                               x.detach().numpy() @ w.detach().numpy().T + b.detach().numpy())


def test_weight_gradient_is_c_contiguous_like_the_weight():
    layer = nn.Linear(8, 4)
    layer(ag.randn(16, 8)).sum().backward()
    assert layer.weight.grad.shape == (4, 8)
    assert layer.weight.grad.array.flags.c_contiguous
    assert layer.weight.grad.dtype == np.float32


def test_leaf_gradients_never_share_memory():
    """A leaf's .grad may be a view of a fresh buffer, but never of another leaf's."""
    a, b = leaf(3, 4), leaf(3, 4)
    (a + b).sum().backward()                     # Add hands the same gradient to both
    assert not np.shares_memory(a.grad.array, b.grad.array)
    a.grad.mul_(2.0)
    np.testing.assert_allclose(b.grad.numpy(), np.ones((3, 4)))
