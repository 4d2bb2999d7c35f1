"""torch.autograd.Function in PyTorch's form: ctx, saved tensors, several outputs,
non-differentiable outputs, materialize_grads, mark_dirty, setup_context, gradcheck and
double backward."""
import numpy as np
import pytest

import autograd as ag
from autograd.autograd import Function, once_differentiable


def leaf(*shape, seed=0):
    rng = np.random.default_rng(seed)
    return ag.tensor(rng.standard_normal(shape), dtype=ag.float64, requires_grad=True)


class Exp(Function):
    @staticmethod
    def forward(ctx, x):
        y = x.exp()
        ctx.save_for_backward(y)            # an output, saved
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad * y


class ScaledProduct(Function):
    """x * w * c and sum(x + w): two outputs, a non-tensor argument, saved inputs."""
    @staticmethod
    def forward(ctx, x, c, w):
        ctx.c = c
        ctx.save_for_backward(x, w)
        return x * w * c, (x + w).sum()

    @staticmethod
    def backward(ctx, g_prod, g_sum):
        x, w = ctx.saved_tensors
        gx = g_prod * w * ctx.c + g_sum if ctx.needs_input_grad[0] else None
        gw = g_prod * x * ctx.c + g_sum if ctx.needs_input_grad[2] else None
        return gx, None, gw


def test_single_output_values_grad_fn_and_gradients():
    x = leaf(3, 2)
    y = Exp.apply(x)
    assert y.grad_fn.name == 'Exp' and 'ExpBackward' in repr(y)
    np.testing.assert_allclose(y.array, np.exp(x.array))
    y.sum().backward()
    np.testing.assert_allclose(x.grad.array, np.exp(x.array))
    assert ag.gradcheck(Exp.apply, (x,)) and ag.gradgradcheck(Exp.apply, (x,))


def test_two_outputs_non_tensor_argument_gradcheck_and_double_backward():
    x, w = leaf(4, seed=1), leaf(4, seed=2)
    fn = lambda x, w: ScaledProduct.apply(x, 2.5, w)
    assert ag.gradcheck(fn, (x, w)) and ag.gradgradcheck(fn, (x, w))
    prod, total = fn(x, w)
    assert prod.shape == (4,) and total.shape == ()
    np.testing.assert_allclose(total.item(), (x.array + w.array).sum())


def test_needs_input_grad_and_no_record_without_grad():
    seen = []

    class Probe(Function):
        @staticmethod
        def forward(ctx, x, y, k):
            seen.append(ctx.needs_input_grad)
            return x * y * k

        @staticmethod
        def backward(ctx, g):
            return g, g, None
    x, y = leaf(2), ag.ones(2, dtype=ag.float64)
    Probe.apply(x, y, 3).sum().backward()
    with ag.no_grad():
        out = Probe.apply(x, y, 3)
    assert seen == [(True, False, False), (False, False, False)]
    assert not out.requires_grad and out.grad_fn is None


def test_non_differentiable_and_integer_outputs_get_zero_gradients():
    received = []

    class MaxWithIndex(Function):
        @staticmethod
        def forward(ctx, x):
            idx = x.argmax(dim=1)
            values = x.max(dim=1).values
            mask = values > 0
            ctx.mark_non_differentiable(mask)
            ctx.save_for_backward(x, idx)
            return values, idx, mask

        @staticmethod
        def backward(ctx, g, g_idx, g_mask):
            received.append((g_idx, g_mask))
            x, idx = ctx.saved_tensors
            grad = ag.zeros_like(x)
            grad[ag.arange(x.shape[0]), idx] = g
            return grad
    x = leaf(3, 4)
    values, idx, mask = MaxWithIndex.apply(x)
    assert values.requires_grad and not idx.requires_grad and not mask.requires_grad
    assert idx.dtype == np.int64 and mask.dtype == np.bool_
    values.sum().backward()
    expected = np.zeros((3, 4))
    expected[np.arange(3), x.array.argmax(1)] = 1
    np.testing.assert_array_equal(x.grad.array, expected)
    g_idx, g_mask = received[0]
    assert g_idx.shape == (3,) and not g_idx.array.any() and not g_mask.array.any()


def test_set_materialize_grads_false_passes_none_for_unused_outputs():
    received = []

    class Split(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(False)
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, g2, g3):
            received.append((g2 is None, g3 is None))
            total = 0
            if g2 is not None:
                total = total + 2 * g2
            if g3 is not None:
                total = total + 3 * g3
            return total
    x = leaf(2)
    a, b = Split.apply(x)
    b.sum().backward(retain_graph=True)
    (a.sum() + b.sum()).backward()
    assert received == [(True, False), (False, False)]
    np.testing.assert_allclose(x.grad.array, [3 + 5, 3 + 5])


def test_setup_context_form_and_once_differentiable():
    class Square(Function):
        @staticmethod
        def forward(x):
            return x * x

        @staticmethod
        def setup_context(ctx, inputs, output):
            (x,) = inputs
            ctx.save_for_backward(x)

        @staticmethod
        @once_differentiable
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 2 * x * g
    x = leaf(3)
    assert ag.gradcheck(Square.apply, (x,))
    (g,) = ag.grad(Square.apply(x).sum(), x)
    np.testing.assert_allclose(g.array, 2 * x.array)
    with pytest.raises(RuntimeError, match='once-differentiable'):
        ag.grad(Square.apply(x).sum(), x, create_graph=True)


def test_mark_dirty_makes_the_input_the_output():
    class AddOne_(Function):
        @staticmethod
        def forward(ctx, x):
            x.add_(1)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, g):
            return g
    w = leaf(3)
    x = w * 2                       # a non-leaf, so modifying it in place is allowed
    out = AddOne_.apply(x)
    assert out is x and x.grad_fn.name == 'AddOne_'
    np.testing.assert_allclose(x.array, w.array * 2 + 1)
    (out * out).sum().backward()
    np.testing.assert_allclose(w.grad.array, 4 * (w.array * 2 + 1))
    with pytest.raises(RuntimeError, match='leaf tensor that requires grad'):
        AddOne_.apply(leaf(2))


def test_version_check_on_saved_tensors():
    x = leaf(3)
    y = Exp.apply(x)
    y.mul_(2)
    with pytest.raises(RuntimeError, match='modified by an in-place operation'):
        y.sum().backward()


def test_identity_returning_its_input():
    class Identity(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * x / x
    x = leaf(2)
    y = Identity.apply(x)
    assert y is not x and y.grad_fn is not None
    assert ag.gradcheck(Identity.apply, (x,)) and ag.gradgradcheck(Identity.apply, (x,))


@pytest.mark.parametrize('grads, error, match', [
    ((None,), RuntimeError, 'incorrect number of gradients'),
    (('oops', None), TypeError, 'returned a str as the gradient of argument 0'),
    ((ag.ones(5, dtype=ag.float64), None), Exception, 'gradient of shape \\(5,\\)'),
    ((None, ag.ones(1)), RuntimeError, 'argument 1, which is not a Tensor'),
])
def test_bad_backward_results_are_named(grads, error, match):
    class Bad(Function):
        @staticmethod
        def forward(ctx, x, k):
            return x * k

        @staticmethod
        def backward(ctx, g):
            return grads
    with pytest.raises(error, match=match):
        Bad.apply(leaf(3), 2.0).sum().backward()


def test_misuse_is_explained():
    class Saver(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x, 3)
            return x
    with pytest.raises(TypeError, match='save_for_backward can only save tensors'):
        Saver.apply(leaf(2))
    with pytest.raises(RuntimeError, match='not instantiated'):
        Exp()
    with pytest.raises(RuntimeError, match='only available inside backward'):
        from autograd.autograd import FunctionCtx
        FunctionCtx().saved_tensors


def test_variable_is_a_tensor_sharing_memory():
    t = ag.ones(2)
    v = ag.autograd.Variable(t, requires_grad=True)
    assert isinstance(v, ag.Tensor) and v.requires_grad and not t.requires_grad
    assert np.shares_memory(v.array, t.array)
