"""The offload policy (ag.backends.offload) on CPU-only machines.

The policy's logic (FLOP count against the threshold, copy in -> product -> copy back,
gradients by the same route, CPU results) runs here with a second NumPy device as the
target, one that counts what crosses to it. The same checks against a real GPU are in
tests/test_gpu.py (marked gpu).
"""
import json
import os

import numpy as np
import pytest

import autograd as ag
import nn
import nn.functional as F
from autograd import backends
from autograd.backends.numpy_backend import NumpyBackend


class CountingBackend(NumpyBackend):
    """A NumPy device that records the arrays sent to it and the products it makes."""

    def __init__(self, name):
        super().__init__(name)
        self.sent = []
        self.products = 0
        xp_matmul = self.xp.matmul

        def matmul(a, b):
            self.products += 1
            return xp_matmul(a, b)
        self.xp.matmul = matmul

    def from_numpy(self, a):
        self.sent.append(a.shape)
        return a.copy()                      # a copy, as a real transfer would make


TARGET = backends.register(CountingBackend('fake:offload'))


@pytest.fixture(autouse=True)
def _offload_off_and_private_cache(tmp_path, monkeypatch):
    """Every test starts with offloading off and a calibration cache of its own."""
    monkeypatch.setenv('XDG_CACHE_HOME', str(tmp_path / 'cache'))
    TARGET.sent.clear()
    TARGET.products = 0
    previous = backends._offload[0]
    backends._offload[0] = None
    yield
    backends._offload[0] = previous


def _arrays(*shapes, seed=0, dtype=np.float32):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s).astype(dtype) for s in shapes]


def _matmul_grads(a, b, **offload):
    x, w = ag.tensor(a, requires_grad=True), ag.tensor(b, requires_grad=True)
    if offload:
        with backends.offload(**offload):
            y = x @ w
            (y * y).sum().backward()
    else:
        y = x @ w
        (y * y).sum().backward()
    return y, x.grad, w.grad


# --- the no-op path ---------------------------------------------------------------------

def test_without_cuda_offload_is_a_noop_and_says_so():
    if ag.cuda.is_available():
        pytest.skip('this machine has a GPU: the no-op path does not apply')
    a, b = _arrays((64, 32), (32, 16))
    with backends.offload(min_flops=0) as policy:
        assert policy is None and backends.offload_threshold() is None
        y, ga, gb = _matmul_grads(a, b)
    assert y.device == 'cpu' and ga.device == 'cpu'
    np.testing.assert_allclose(y.detach().numpy(), a @ b, rtol=1e-5)
    np.testing.assert_allclose(ga.numpy(), 2 * (a @ b) @ b.T, rtol=1e-4)
    backends.offload(1e6)                    # the global form: also nothing to do
    assert backends.offload_policy() is None


def test_offload_is_off_by_default():
    assert backends.offload_policy() is None and backends.offload_threshold() is None
    a, b = _arrays((64, 64), (64, 64))
    _matmul_grads(a, b)
    assert TARGET.products == 0 and not TARGET.sent


# --- the route: results and gradients ---------------------------------------------------

def test_matmul_above_threshold_runs_on_target_with_same_results_and_gradients():
    a, b = _arrays((48, 40), (40, 24))
    y0, ga0, gb0 = _matmul_grads(a, b)
    y1, ga1, gb1 = _matmul_grads(a, b, min_flops=1, device='fake:offload')
    # forward + two backward products, each with both operands copied in; the
    # transposed operands of backward (b.T, a.T) travel as their C-ordered bases
    assert TARGET.products == 3
    assert sorted(TARGET.sent) == sorted([(48, 40), (40, 24), (48, 24), (40, 24), (48, 40),
                                          (48, 24)])
    for got, want in ((y1, y0), (ga1, ga0), (gb1, gb0)):
        assert got.device == 'cpu' and got.dtype == np.float32
        np.testing.assert_array_equal(got.detach().numpy(), want.detach().numpy())


def test_linear_layer_and_its_gradients_take_the_route():
    (x,) = _arrays((32, 20))
    layer = nn.Linear(20, 12)
    outs = []
    for offload in (False, True):
        layer.zero_grad()
        t = ag.tensor(x, requires_grad=True)
        if offload:
            with backends.offload(min_flops=0, device='fake:offload'):
                y = layer(t)
                y.pow(2).sum().backward()
        else:
            y = layer(t)
            y.pow(2).sum().backward()
        outs.append([y.detach().numpy(), t.grad.numpy(), layer.weight.grad.numpy(),
                     layer.bias.grad.numpy()])
    assert TARGET.products == 3                     # y, dx, dW; db is a sum, not a product
    for got, want in zip(outs[1], outs[0]):
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)
    assert layer.weight.grad.numpy().flags.c_contiguous


def test_batched_and_broadcast_products_and_float64():
    a, b = _arrays((3, 1, 5, 6), (4, 6, 7), dtype=np.float64)
    y0, ga0, gb0 = _matmul_grads(a, b)
    y1, ga1, gb1 = _matmul_grads(a, b, min_flops=0, device='fake:offload')
    assert TARGET.products == 3 and y1.shape == (3, 4, 5, 7) and y1.dtype == np.float64
    np.testing.assert_allclose(ga1.numpy(), ga0.numpy(), rtol=1e-12)
    np.testing.assert_allclose(gb1.numpy(), gb0.numpy(), rtol=1e-12)


def test_second_derivatives_go_through_the_route_too():
    a, b = _arrays((6, 5), (5, 4), dtype=np.float64)

    def hess_vec(offload):
        x, w = ag.tensor(a, requires_grad=True), ag.tensor(b, requires_grad=True)
        ctx = backends.offload(0, device='fake:offload') if offload else backends.offload(
            enabled=False)
        with ctx:
            (g,) = ag.grad(((x @ w) ** 2).sum(), x, create_graph=True)
            (h,) = ag.grad(g.sum(), w)
        return h.numpy()

    np.testing.assert_allclose(hess_vec(True), hess_vec(False), rtol=1e-12)
    assert TARGET.products >= 4


def test_gradcheck_through_the_offloaded_route():
    a, b = _arrays((4, 3), (3, 5), dtype=np.float64)
    x, w = ag.tensor(a, requires_grad=True), ag.tensor(b, requires_grad=True)
    with backends.offload(0, device='fake:offload'):
        assert ag.gradcheck(lambda p, q: (p @ q).tanh(), [x, w])
        assert ag.gradgradcheck(lambda p, q: F.linear(p, q.T), [x, w])
    assert TARGET.products > 0


def test_transposed_operand_travels_without_a_host_copy():
    a, b = _arrays((16, 8), (16, 8))
    bt = b.T                                        # F-ordered view
    policy = backends.OffloadPolicy(0, TARGET)
    out = policy.matmul(backends.get('cpu').xp, a, bt)
    np.testing.assert_allclose(out, a @ bt, rtol=1e-6)
    assert (16, 8) in TARGET.sent and (8, 16) not in TARGET.sent


# --- the threshold ----------------------------------------------------------------------

def test_threshold_is_inclusive_and_counts_two_flops_per_multiply_add():
    a, b = _arrays((10, 20), (20, 30))
    flops = 2 * 10 * 20 * 30
    xp = backends.get('cpu').xp
    assert backends.OffloadPolicy(0, TARGET).flops(a, b) == flops
    backends.OffloadPolicy(flops, TARGET).matmul(xp, a, b)
    assert TARGET.products == 1                     # exactly at the threshold: offloaded
    backends.OffloadPolicy(flops + 1, TARGET).matmul(xp, a, b)
    assert TARGET.products == 1                     # one FLOP short: stays on the CPU
    batched = _arrays((2, 3, 10, 20))[0]
    assert backends.OffloadPolicy(0, TARGET).flops(batched, b) == 6 * flops


def test_small_products_integers_and_vectors_stay_on_the_cpu():
    with backends.offload(min_flops=1e6, device='fake:offload'):
        a, b = _arrays((8, 8), (8, 8))
        _matmul_grads(a, b)                         # 1024 FLOPs: below
        i = ag.tensor(np.arange(6).reshape(2, 3)) @ ag.tensor(np.arange(6).reshape(3, 2))
        assert i.dtype == np.int64
        v = ag.ones(500) @ ag.ones(500, 1000)       # 1-D operands are lifted to 2-D: 1e6
    assert TARGET.products == 1
    np.testing.assert_array_equal(i.numpy(), np.arange(6).reshape(2, 3) @ np.arange(6).reshape(3, 2))
    np.testing.assert_allclose(v.numpy(), np.full(1000, 500.0))


def test_tensors_already_on_another_device_are_left_alone():
    other = backends.register(CountingBackend('fake:elsewhere'))
    a = ag.ones(8, 8, device='fake:elsewhere')
    with backends.offload(0, device='fake:offload'):
        y = a @ a
    assert y.device == 'fake:elsewhere' and TARGET.products == 0 and other.products == 1


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match='min_flops'):
        backends.offload(-1, device='fake:offload')
    with pytest.raises(ValueError, match='another device'):
        backends.offload(0, device='cpu')
    with pytest.raises(ValueError, match='unknown device'):
        backends.offload(0, device='tpu')
    with pytest.raises(ValueError, match='invalid CUDA device'):
        backends.offload(0, device='cuda:x')
    assert backends.offload_policy() is None


# --- global setting and context ---------------------------------------------------------

def test_context_restores_the_previous_policy_even_on_error():
    backends.offload(5e6, device='fake:offload')
    outer = backends.offload_policy()
    assert backends.offload_threshold() == 5e6
    with backends.offload(1e3, device='fake:offload') as inner:
        assert backends.offload_threshold() == 1e3 and inner is backends.offload_policy()
        with backends.offload(enabled=False):
            assert backends.offload_policy() is None
        assert backends.offload_policy() is inner
    assert backends.offload_policy() is outer
    with pytest.raises(KeyError):
        with backends.offload(1, device='fake:offload'):
            raise KeyError('boom')
    assert backends.offload_policy() is outer
    backends.offload(enabled=False)
    assert backends.offload_threshold() is None


# --- calibration ------------------------------------------------------------------------

def test_calibration_path_respects_xdg_cache_home(tmp_path, monkeypatch):
    assert backends.calibration_path() == str(tmp_path / 'cache' / 'tapegrad' / 'offload.json')
    monkeypatch.delenv('XDG_CACHE_HOME')
    monkeypatch.setenv('HOME', str(tmp_path / 'home'))
    assert backends.calibration_path() == str(tmp_path / 'home' / '.cache' / 'tapegrad'
                                              / 'offload.json')


def test_calibration_round_trip_and_default_threshold():
    assert backends.load_calibration('fake:offload') is None
    with backends.offload(device='fake:offload'):
        assert backends.offload_threshold() == backends.DEFAULT_MIN_FLOPS
    path = backends.save_calibration('fake:offload', 3.5e8, crossover_n=512, gpu='fake')
    assert os.path.exists(path) and not [p for p in os.listdir(os.path.dirname(path))
                                         if p.endswith('.tmp')]
    entry = backends.load_calibration('fake:offload')
    assert entry == {'min_flops': 3.5e8, 'crossover_n': 512, 'gpu': 'fake'}
    with backends.offload(device='fake:offload'):
        assert backends.offload_threshold() == 3.5e8
    with backends.offload(1e3, device='fake:offload'):          # an explicit value wins
        assert backends.offload_threshold() == 1e3
    # a second device's entry keeps the first; 'cuda' and 'cuda:0' are one entry
    backends.save_calibration('cuda', 1e9)
    with open(path) as f:
        data = json.load(f)
    assert set(data) == {'fake:offload', 'cuda:0'}
    assert backends.default_min_flops('cuda:0') == 1e9


def test_damaged_calibration_files_fall_back_to_the_default():
    path = backends.calibration_path()
    os.makedirs(os.path.dirname(path))
    for text in ('not json', '[1, 2]', '{"fake:offload": {"min_flops": "big"}}',
                 '{"fake:offload": {"min_flops": -5}}', '{"fake:offload": 7}'):
        with open(path, 'w') as f:
            f.write(text)
        assert backends.load_calibration('fake:offload') is None
        assert backends.default_min_flops('fake:offload') == backends.DEFAULT_MIN_FLOPS
    with pytest.raises(ValueError):
        backends.save_calibration('fake:offload', -1)


def test_crossover_analysis_of_the_benchmark():
    """The benchmark's crossover: the smallest size from which the GPU (transfers
    included) stays faster, and the FLOP threshold stored from it."""
    from benchmarks.matmul import crossover
    sizes = [64, 128, 256, 512, 1024]
    cpu = [1e-5, 8e-5, 6e-4, 5e-3, 4e-2]
    gpu = [2e-4, 3e-4, 5e-4, 1e-3, 4e-3]            # wins from 256 on
    assert crossover(sizes, cpu, gpu) == 256
    assert crossover(sizes, cpu, [1.0] * 5) is None                  # never wins
    assert crossover(sizes, cpu, [1e-6] * 5) == 64                   # always wins
    # a win that does not last (noise at 128) is not the crossover
    assert crossover(sizes, cpu, [2e-4, 5e-5, 7e-4, 1e-3, 4e-3]) == 512


def test_linear_on_batched_sequences_takes_the_route():
    (x,) = _arrays((3, 5, 20))
    w, b = _arrays((12, 20), (12,), seed=1)
    outs = []
    for offload in (False, True):
        t, wt = ag.tensor(x, requires_grad=True), ag.tensor(w, requires_grad=True)
        with backends.offload(min_flops=0, device='fake:offload', enabled=offload):
            y = F.linear(t, wt, ag.tensor(b))
            (y * y).sum().backward()
        outs.append([y.detach().numpy(), t.grad.numpy(), wt.grad.numpy()])
    assert TARGET.products == 3 and outs[1][0].shape == (3, 5, 12)
    for got, want in zip(outs[1], outs[0]):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
