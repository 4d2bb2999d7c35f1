"""Devices and backends. A second NumPy-backed device stands in for a GPU, so
the mixed-device logic runs on every machine; real CUDA tests are marked gpu."""
import numpy as np
import pytest

import autograd as ag
from autograd.backends.numpy_backend import NumpyBackend

OTHER = ag.backends.register(NumpyBackend('fake:1'))


def test_available_lists_cpu():
    assert 'cpu' in ag.backends.available()
    assert ag.cuda.is_available() == ('cuda' in ag.backends.available())


def test_to_another_device_and_back_carries_gradients():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    y = x.to('fake:1')
    assert y.device == 'fake:1' and x.device == 'cpu'
    z = (y * y).sum()
    assert z.device == 'fake:1'
    z.backward()
    assert x.grad.device == 'cpu'
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 4.0])


def test_mixed_devices_raise_naming_both():
    a = ag.ones(2, 3)
    b = ag.ones(2, 3, device='fake:1')
    for fn, op in ((lambda: a + b, 'add'), (lambda: a @ b.T, 'matmul'),
                   (lambda: ag.cat([a, b]), 'cat'), (lambda: a == b, 'equal')):
        with pytest.raises(ag.errors.DeviceError) as info:
            fn()
        message = str(info.value)
        assert op in message and 'cpu' in message and 'fake:1' in message
        assert '(2, 3)' in message


def test_default_device_is_used_by_factories():
    ag.set_default_device('fake:1')
    try:
        assert ag.zeros(2).device == 'fake:1'
        assert ag.randn(2).device == 'fake:1'
        assert ag.tensor([1.0]).device == 'fake:1'
    finally:
        ag.set_default_device('cpu')
    assert ag.zeros(2).device == 'cpu'


def test_unknown_device_and_missing_cuda_are_clear():
    with pytest.raises(ValueError, match='unknown device'):
        ag.zeros(2, device='tpu')
    if not ag.cuda.is_available():
        with pytest.raises(RuntimeError, match='CUDA is not available'):
            ag.zeros(2).cuda()


def test_offload_is_a_noop_without_a_gpu():
    a, b = ag.randn(64, 64, requires_grad=True), ag.randn(64, 64)
    with ag.backends.offload(min_flops=1):
        y = a @ b
    assert y.device == 'cpu'
    y.sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), np.ones((64, 64)) @ b.numpy().T, rtol=1e-4, atol=1e-4)
    if not ag.cuda.is_available():
        assert ag.backends.offload_threshold() is None


def test_manual_seed_reproduces_random_factories():
    ag.manual_seed(7)
    a = ag.randn(3, 3).numpy(), ag.rand(2).numpy()
    ag.manual_seed(7)
    b = ag.randn(3, 3).numpy(), ag.rand(2).numpy()
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])


def test_backend_namespace_has_what_backward_formulas_use():
    """Every name the create_graph namespace offers exists in the array namespace too."""
    from autograd.ops import tensor_namespace
    xp = ag.backends.get('cpu').xp
    names = [n for n in vars(tensor_namespace) if not n.startswith('_')
             and callable(getattr(tensor_namespace, n)) and n != 'Tensor' and n != 'Sum']
    missing = [n for n in names if not hasattr(xp, n)]
    assert not missing, missing


@pytest.mark.gpu
def test_cuda_matches_cpu():
    if not ag.cuda.is_available():
        pytest.skip('needs CuPy and a CUDA GPU')
    rng = np.random.default_rng(0)
    a = rng.standard_normal((8, 5)).astype(np.float32)
    b = rng.standard_normal((5, 3)).astype(np.float32)
    outs = []
    for device in ('cpu', 'cuda'):
        x = ag.tensor(a, device=device, requires_grad=True)
        w = ag.tensor(b, device=device, requires_grad=True)
        loss = (x @ w).tanh().log_softmax(1)[:, [0, 0, 2]].sum()
        loss.backward()
        outs.append((loss.item(), x.grad.cpu().numpy(), w.grad.cpu().numpy()))
    np.testing.assert_allclose(outs[0][0], outs[1][0], rtol=1e-4)
    np.testing.assert_allclose(outs[0][1], outs[1][1], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(outs[0][2], outs[1][2], rtol=1e-4, atol=1e-5)
