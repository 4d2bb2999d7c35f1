"""Tensor.register_post_accumulate_grad_hook: PyTorch's semantics, and the timing DDP relies on
(a leaf's hook runs as soon as its gradient is final, before the rest of backward)."""
import numpy as np
import pytest

import autograd as ag
from autograd import engine


def test_hook_sees_the_accumulated_grad_and_can_be_removed():
    a = ag.tensor([1., 2.], requires_grad=True)
    seen = []
    handle = a.register_post_accumulate_grad_hook(lambda t: seen.append(t.grad.array.copy()))
    (a * 3).sum().backward()
    (a * a).sum().backward()                       # accumulates: 3 + 2a
    np.testing.assert_array_equal(seen[0], [3., 3.])
    np.testing.assert_array_equal(seen[1], [5., 7.])
    handle.remove()
    (a * 3).sum().backward()
    assert len(seen) == 2
    from autograd.hooks import post_accumulate_hooks
    assert id(a) not in post_accumulate_hooks           # backward stops looking for hooks


def test_hook_runs_for_backward_inputs_but_not_for_grad():
    a = ag.tensor([1., 2.], requires_grad=True)
    calls = []
    a.register_post_accumulate_grad_hook(lambda t: calls.append(t.grad.array.copy()))
    ag.grad((a * 3).sum(), a)
    assert calls == []                              # grad() accumulates nothing, as PyTorch
    (a * 3).sum().backward(inputs=[a])
    a.sum().backward()                              # a root that is itself the leaf
    np.testing.assert_array_equal(calls[0], [3., 3.])
    np.testing.assert_array_equal(calls[1], [4., 4.])


def test_hook_runs_before_the_rest_of_backward():
    # w2 is used last in the forward, so its gradient is final before w1's backward runs
    w1 = ag.tensor(np.ones((3, 3)), requires_grad=True)
    w2 = ag.tensor(np.ones((3, 3)), requires_grad=True)
    order = []
    w2.register_post_accumulate_grad_hook(lambda t: order.append("w2 accumulated"))
    h = ag.tensor(np.ones((2, 3))) @ w1
    h.register_hook(lambda g: order.append("h's gradient (before w1's)"))
    ((h.tanh() @ w2) * 2).sum().backward()
    assert order == ["w2 accumulated", "h's gradient (before w1's)"]


def test_leaf_used_twice_fires_once_with_the_full_gradient():
    w = ag.tensor([2.], requires_grad=True)
    x = ag.tensor([3.], requires_grad=True)
    grads = []
    w.register_post_accumulate_grad_hook(lambda t: grads.append(float(t.grad.array[0])))
    y = (w * x).exp() + w * w                       # w feeds two nodes far apart on the tape
    y.sum().backward()
    assert grads == [pytest.approx(3 * np.exp(6.) + 4.)]


def test_queue_callback_runs_at_the_end_of_backward():
    w = ag.tensor([1.], requires_grad=True)
    v = ag.tensor([1.], requires_grad=True)
    events = []
    w.register_post_accumulate_grad_hook(
        lambda t: engine.queue_callback(lambda: events.append(("end", v.grad is not None))))
    (w * 2 + v.exp()).sum().backward()
    assert events == [("end", True)]                # after every leaf got its grad


def test_hook_errors_are_pytorchs():
    a = ag.tensor([1.], requires_grad=True)
    with pytest.raises(RuntimeError, match="non-leaf"):
        (a * 2).register_post_accumulate_grad_hook(lambda t: None)
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        ag.tensor([1.]).register_post_accumulate_grad_hook(lambda t: None)
    a.register_post_accumulate_grad_hook(lambda t: 5)
    with pytest.raises(TypeError, match="must return None"):
        (a * 2).sum().backward()


def test_create_graph_and_anomaly_mode_work_with_hooks():
    a = ag.tensor([1., 2.], dtype=ag.float64, requires_grad=True)
    got = []
    a.register_post_accumulate_grad_hook(lambda t: got.append(t.grad.requires_grad))
    with ag.detect_anomaly():
        (a ** 3).sum().backward(create_graph=True)
    assert got == [True]
    np.testing.assert_allclose(a.grad.array, [3., 12.])


def test_entry_goes_with_the_tensor():
    import gc

    from autograd.hooks import post_accumulate_hooks
    a = ag.tensor([1.], requires_grad=True)
    a.register_post_accumulate_grad_hook(lambda t: None)
    key = id(a)
    assert key in post_accumulate_hooks
    del a
    gc.collect()
    assert key not in post_accumulate_hooks           # backward's fast path comes back
