"""The GPU backend, tested device by device.

Every device-parametrised test runs twice: on 'fake:1', a second NumPy device that
runs on any machine (so the test logic itself is exercised by CPU-only CI), and on
'cuda' (marked gpu: skipped without CuPy and a GPU). Each compares the device's
results with the CPU's: the op gradient table of tests/test_op_gradients.py (first and
second derivatives), the nn layers, the optimizers, indexing backward (scatter-add),
seeding, memory statistics, device ids, mixed-device errors and the offload policy.
Tests that need no device at all (device-id parsing, the fused-kernel switch, import
lightness) run unmarked.
"""
import copy
import subprocess
import sys

import numpy as np
import pytest

import autograd as ag
import nn
import nn.functional as F
from autograd import backends
from autograd.backends.cupy_backend import SCATTER_ADD_DTYPES, parse_device
from autograd.backends.numpy_backend import NumpyBackend
from nn import optim
from test_op_gradients import ROWS

FAKE = backends._registry.get('fake:1') or backends.register(NumpyBackend('fake:1'))
DEVICES = [pytest.param('fake:1', id='fake'),
           pytest.param('cuda', id='cuda', marks=pytest.mark.gpu)]
gpu = pytest.mark.gpu


def _gpu_only():
    if not ag.cuda.is_available():
        pytest.skip('needs CuPy and a CUDA GPU')


def _np(t):
    return None if t is None else t.detach().cpu().numpy()


def _close(got, want, rtol, atol):
    np.testing.assert_allclose(_np(got) if isinstance(got, ag.Tensor) else got,
                               _np(want) if isinstance(want, ag.Tensor) else want,
                               rtol=rtol, atol=atol)


# --- the op gradient table, on each device -------------------------------------------

def _run_row(name, device, inputs_cpu, seed=0):
    """Outputs, first and second derivatives of ROWS[name] on `device`, as NumPy."""
    fn, _ = ROWS[name]
    inputs = [ag.tensor(x.detach().numpy(), device=device, requires_grad=x.requires_grad)
              if isinstance(x, ag.Tensor) else x for x in inputs_cpu]
    diff = [x for x in inputs if isinstance(x, ag.Tensor) and x.requires_grad]
    previous = backends.default_device()
    ag.set_default_device(device)            # constants made inside fn land there too
    try:
        outs = fn(*inputs)
        outs = [o for o in (outs if isinstance(outs, (tuple, list)) else (outs,))
                if isinstance(o, ag.Tensor) and o.dtype.kind == 'f']
        rng = np.random.default_rng(seed)
        cot = [ag.tensor(rng.standard_normal(o.shape), device=device) for o in outs]
        grads = ag.grad(outs, diff, cot, create_graph=True, allow_unused=True)
        live = [(g, x) for g, x in zip(grads, diff) if g is not None and g.requires_grad]
        second = [None] * len(diff)
        if live:
            w = [ag.tensor(rng.standard_normal(g.shape), device=device) for g, _ in live]
            second = ag.grad([g for g, _ in live], diff, w, allow_unused=True)
    finally:
        ag.set_default_device(previous)
    for o in outs:
        assert o.device == backends.get(device).name
    return ([_np(o) for o in outs], [_np(g) for g in grads], [_np(h) for h in second])


@pytest.mark.parametrize('device', DEVICES)
@pytest.mark.parametrize('name', sorted(ROWS))
def test_op_gradient_table_matches_cpu(name, device):
    """Values, gradients and second derivatives on the device equal the CPU's (float64;
    the CPU's are themselves checked against finite differences in test_op_gradients)."""
    if device == 'cuda':
        _gpu_only()
    _, make = ROWS[name]
    inputs = make()
    want = _run_row(name, 'cpu', inputs)
    got = _run_row(name, device, inputs)
    for kind, g_list, w_list in zip(('value', 'grad', 'grad2'), got, want):
        assert len(g_list) == len(w_list), kind
        for g, w in zip(g_list, w_list):
            assert (g is None) == (w is None), kind
            if g is not None:
                np.testing.assert_allclose(g, w, rtol=1e-7, atol=1e-9, err_msg=kind)


# --- nn layers ---------------------------------------------------------------------------

def _layer_cases():
    r = np.random.default_rng(5)

    def x(*shape):
        return r.standard_normal(shape).astype(np.float32)
    tokens = np.array([[1, 3, 3, 0], [2, 2, 7, 3]])
    return {
        'linear': (lambda: nn.Linear(7, 5), [x(4, 7)]),
        'mlp': (lambda: nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 8), nn.GELU(),
                                      nn.Linear(8, 8), nn.Tanh(), nn.Linear(8, 3), nn.Sigmoid()),
                [x(5, 6)]),
        'conv2d': (lambda: nn.Sequential(nn.Conv2d(2, 4, 3, padding=1, stride=2), nn.ReLU(),
                                         nn.MaxPool2d(2), nn.Flatten()), [x(2, 2, 9, 9)]),
        'conv_transpose2d': (lambda: nn.ConvTranspose2d(3, 2, 3, stride=2), [x(2, 3, 4, 4)]),
        'conv1d_pool': (lambda: nn.Sequential(nn.Conv1d(3, 4, 3), nn.AvgPool1d(2),
                                              nn.MaxPool1d(2)), [x(2, 3, 12)]),
        'avgpool_adaptive': (lambda: nn.Sequential(nn.AvgPool2d(2), nn.AdaptiveAvgPool2d(2)),
                             [x(2, 3, 8, 8)]),
        'batchnorm': (lambda: nn.Sequential(nn.BatchNorm2d(3), nn.Flatten(),
                                            nn.BatchNorm1d(3 * 16)), [x(4, 3, 4, 4)]),
        'layernorm': (lambda: nn.LayerNorm(6), [x(3, 4, 6)]),
        'embedding': (lambda: nn.Embedding(8, 5), [tokens]),
        'rnn': (lambda: nn.RNN(4, 6, num_layers=2), [x(5, 3, 4)]),
        'lstm': (lambda: nn.LSTM(4, 6, bidirectional=True), [x(5, 3, 4)]),
        'gru': (lambda: nn.GRU(4, 6, batch_first=True), [x(3, 5, 4)]),
        'lstm_cell': (lambda: nn.LSTMCell(4, 6), [x(3, 4)]),
        'bilinear': (lambda: nn.Bilinear(3, 4, 2), [x(5, 3), x(5, 4)]),
        'activations': (lambda: nn.Sequential(nn.LeakyReLU(0.1), nn.ELU(), nn.Softplus(),
                                              nn.LogSoftmax(dim=1)), [x(4, 6)]),
    }


LAYERS = _layer_cases()


def _layer_run(make, inputs, device, seed=11):
    ag.manual_seed(seed)
    model = make()
    model.train()
    model = copy.deepcopy(model).to(device)
    args = [ag.tensor(a, device=device, requires_grad=a.dtype.kind == 'f') for a in inputs]
    out = model(*args)
    if isinstance(out, tuple):                                # RNNs: (output, state)
        out = out[0]
    rng = np.random.default_rng(0)
    (out * ag.tensor(rng.standard_normal(out.shape).astype(np.float32), device=device)
     ).sum().backward()
    return (_np(out), [_np(a.grad) for a in args if a.requires_grad],
            {k: _np(p.grad) for k, p in model.named_parameters()})


@pytest.mark.parametrize('device', DEVICES)
@pytest.mark.parametrize('name', sorted(LAYERS))
def test_nn_layers_match_cpu(name, device):
    """Forward output, input gradients and parameter gradients, float32 tolerance."""
    if device == 'cuda':
        _gpu_only()
    make, inputs = LAYERS[name]
    out0, gin0, gp0 = _layer_run(make, inputs, 'cpu')
    out1, gin1, gp1 = _layer_run(make, inputs, device)
    _close(out1, out0, 1e-4, 1e-5)
    for a, b in zip(gin1, gin0):
        _close(a, b, 1e-4, 1e-5)
    assert set(gp1) == set(gp0) and (gp0 or name in ("activations", "avgpool_adaptive"))
    for k in gp0:
        _close(gp1[k], gp0[k], 1e-4, 1e-5)


@pytest.mark.parametrize('device', DEVICES)
@pytest.mark.parametrize('loss', ['cross_entropy', 'nll_loss', 'mse_loss',
                                  'binary_cross_entropy_with_logits', 'smooth_l1_loss'])
def test_losses_match_cpu(loss, device):
    if device == 'cuda':
        _gpu_only()
    rng = np.random.default_rng(2)
    logits = rng.standard_normal((6, 4)).astype(np.float32)
    labels = rng.integers(0, 4, 6)
    target = (labels if loss in ('cross_entropy', 'nll_loss')
              else rng.random((6, 4)).astype(np.float32))
    results = []
    for d in ('cpu', device):
        x = ag.tensor(logits, device=d, requires_grad=True)
        t = ag.tensor(target, device=d)
        inp = x.log_softmax(1) if loss == 'nll_loss' else x
        value = getattr(F, loss)(inp, t)
        value.backward()
        results.append((value.item(), _np(x.grad)))
    np.testing.assert_allclose(results[1][0], results[0][0], rtol=1e-5)
    _close(results[1][1], results[0][1], 1e-4, 1e-6)


@pytest.mark.parametrize('device', DEVICES)
@pytest.mark.parametrize('opt', ['sgd', 'sgd_nesterov', 'adam', 'adamw', 'rmsprop'])
def test_optimizers_match_cpu(opt, device):
    if device == 'cuda':
        _gpu_only()
    make = {'sgd': lambda p: optim.SGD(p, lr=0.1, momentum=0.9, weight_decay=1e-2),
            'sgd_nesterov': lambda p: optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True),
            'adam': lambda p: optim.Adam(p, lr=1e-2, weight_decay=1e-2),
            'adamw': lambda p: optim.AdamW(p, lr=1e-2),
            'rmsprop': lambda p: optim.RMSprop(p, lr=1e-2, momentum=0.5)}[opt]
    rng = np.random.default_rng(4)
    x = rng.standard_normal((8, 5)).astype(np.float32)
    params = []
    for d in ('cpu', device):
        ag.manual_seed(3)
        model = nn.Linear(5, 3).to(d)
        start = [_np(p).copy() for p in model.parameters()]
        o = make(model.parameters())
        xt = ag.tensor(x, device=d)
        for _ in range(4):
            o.zero_grad()
            (model(xt) ** 2).mean().backward()
            o.step()
        params.append([_np(p) for p in model.parameters()])
        for before, after in zip(start, params[-1]):     # the steps really moved every tensor
            assert np.abs(after - before).max() > 1e-4, f"{opt} on {d} left a parameter unchanged"
    for a, b in zip(params[1], params[0]):               # and the device agrees with the CPU
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


# --- indexing backward: repeated indices accumulate (scatter-add) -------------------

@pytest.mark.parametrize('device', DEVICES)
@pytest.mark.parametrize('dtype', ['float32', 'float64'])
def test_indexing_backward_accumulates_repeated_indices(device, dtype):
    if device == 'cuda':
        _gpu_only()
    a = np.arange(12, dtype=dtype).reshape(3, 4) / 7
    idx = np.array([0, 2, 2, 0, 2])
    results = []
    for d in ('cpu', device):
        x = ag.tensor(a, device=d, requires_grad=True)
        i = ag.tensor(idx, device=d)
        y = (x[i] * 2).sum() + x[:, [1, 1, 3]].sum() + x[i[:3], ag.tensor([3, 3, 1], device=d)].sum() \
            + ag.gather(x, 1, ag.tensor([[0, 0], [3, 3], [1, 1]], device=d)).sum() \
            + ag.index_select(x, 0, i).sum()
        y.backward()
        assert x.grad.dtype == np.dtype(dtype)
        results.append(_np(x.grad))
    np.testing.assert_allclose(results[1], results[0], rtol=1e-6)
    assert results[0][0, 0] > 0                       # a repeated row really accumulated
    expected_row0 = 2 * 2 + 2                         # x[i]: twice; index_select: twice
    assert results[0][0, 2] == pytest.approx(expected_row0)


@pytest.mark.parametrize('device', DEVICES)
@pytest.mark.parametrize('dtype', ['float16', 'float32', 'float64', 'int32', 'int64',
                                   'complex64'])
def test_backend_scatter_add_every_dtype(device, dtype):
    """Atomic dtypes go through cupyx.scatter_add, int64/complex through the fallbacks:
    all must accumulate repeats exactly as np.add.at does."""
    if device == 'cuda':
        _gpu_only()
    backend = backends.get(device)
    out = backend.asarray(np.zeros((4, 3), dtype=dtype))
    index = (backend.asarray(np.array([0, 3, 0, 0])),)
    values = backend.asarray((np.arange(12).reshape(4, 3) + 1).astype(dtype))
    backend.scatter_add(out, index, values)
    want = np.zeros((4, 3), dtype=dtype)
    np.add.at(want, (np.array([0, 3, 0, 0]),), (np.arange(12).reshape(4, 3) + 1).astype(dtype))
    np.testing.assert_array_equal(backend.to_numpy(out), want)


def test_scatter_add_dtype_list_is_what_cupy_supports():
    assert {'float32', 'float64', 'int32'} <= SCATTER_ADD_DTYPES
    assert 'int64' not in SCATTER_ADD_DTYPES and 'bool' not in SCATTER_ADD_DTYPES


# --- random numbers ----------------------------------------------------------------------

@pytest.mark.parametrize('device', DEVICES)
def test_manual_seed_reproduces_random_factories_on_the_device(device):
    if device == 'cuda':
        _gpu_only()

    def draw():
        return [_np(ag.randn(3, 4, device=device)), _np(ag.rand(5, device=device)),
                _np(ag.randint(0, 10, (20,), device=device)), _np(ag.randperm(9, device=device)),
                _np(F.dropout(ag.ones(50, device=device), 0.5, training=True))]
    ag.manual_seed(123)
    first = draw()
    ag.manual_seed(123)
    second = draw()
    ag.manual_seed(124)
    third = draw()
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[0], third[0])
    randn, rand, ints, perm, drop = first
    assert randn.dtype == np.float32 and rand.dtype == np.float32
    assert ((0 <= rand) & (rand < 1)).all() and ((0 <= ints) & (ints < 10)).all()
    assert sorted(perm.tolist()) == list(range(9))
    assert set(np.unique(drop).tolist()) <= {0.0, 2.0}


@gpu
def test_cuda_generator_is_cupys_and_seeded_per_device():
    _gpu_only()
    import cupy
    ag.manual_seed(5)
    t = ag.randn(1000, device='cuda')
    assert isinstance(t.array, cupy.ndarray)
    assert abs(float(t.mean().item())) < 0.15 and 0.85 < float(t.std().item()) < 1.15
    assert isinstance(backends.get('cuda').rng.state, cupy.random.RandomState)


# --- memory, ids, synchronisation ---------------------------------------------------------

def test_cuda_helpers_answer_without_a_gpu():
    if ag.cuda.is_available():
        pytest.skip('this machine has a GPU')
    assert ag.cuda.device_count() == 0
    assert ag.cuda.memory_stats() == {} and ag.cuda.memory_allocated() == 0
    assert ag.cuda.memory_reserved() == 0
    ag.cuda.synchronize()
    ag.cuda.empty_cache()
    with pytest.raises(RuntimeError, match='CUDA is not available'):
        with ag.cuda.device(0):
            pass


@gpu
def test_memory_pool_statistics_follow_allocations():
    _gpu_only()
    ag.cuda.synchronize()
    before = ag.cuda.memory_allocated()
    t = ag.zeros(1024, 1024, device='cuda')                   # 4 MiB
    stats = ag.cuda.memory_stats()
    assert stats['used_bytes'] >= before + 4 * 2 ** 20
    assert stats['total_bytes'] >= stats['used_bytes']
    assert stats['device_total_bytes'] > stats['device_free_bytes'] > 0
    del t
    assert ag.cuda.memory_allocated() <= before + 1024
    reserved = ag.cuda.memory_reserved()
    ag.cuda.empty_cache()
    assert ag.cuda.memory_reserved() <= reserved


@gpu
def test_training_steps_reuse_the_memory_pool():
    """After a warm-up step, further steps take no new memory from the device."""
    _gpu_only()
    model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10)).to('cuda')
    o = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    x = ag.randn(32, 64, device='cuda')
    y = ag.randint(0, 10, (32,), device='cuda')

    def step():
        o.zero_grad()
        F.cross_entropy(model(x), y).backward()
        o.step()
    for _ in range(3):
        step()
    ag.cuda.synchronize()
    reserved = ag.cuda.memory_reserved()
    for _ in range(5):
        step()
    ag.cuda.synchronize()
    assert ag.cuda.memory_reserved() == reserved


def test_device_ids_are_parsed_without_cupy():
    assert [parse_device(d) for d in ('cuda', 'cuda:0', 'cuda:1', 'cuda:12')] == [0, 0, 1, 12]
    for bad in ('cuda:', 'cuda:x', 'cuda:-1', 'cuda1', 'gpu:0', 'cuda:0:1'):
        with pytest.raises(ValueError, match='expected'):
            parse_device(bad)
    with pytest.raises(ValueError, match='invalid CUDA device'):
        ag.zeros(2, device='cuda:x')


@gpu
def test_cuda_device_ids():
    _gpu_only()
    a = ag.ones(2, device='cuda')
    b = ag.ones(2, device='cuda:0')
    c = ag.ones(2).cuda(0)
    assert a.device == b.device == c.device == 'cuda:0'
    assert backends.get('cuda') is backends.get('cuda:0')
    assert a.is_cuda and not ag.ones(2).is_cuda
    n = ag.cuda.device_count()
    with pytest.raises(RuntimeError, match=f'{n} CUDA device'):
        ag.zeros(2, device=f'cuda:{n}')
    if n > 1:
        with ag.cuda.device(1):
            t = ag.ones(3, device='cuda:1') * 2
        assert t.device == 'cuda:1' and t.array.device.id == 1


@gpu
def test_mixed_cpu_and_cuda_raise_naming_both():
    _gpu_only()
    a, b = ag.ones(2, 3), ag.ones(2, 3, device='cuda')
    for fn in (lambda: a + b, lambda: a @ b.T, lambda: ag.cat([a, b])):
        with pytest.raises(ag.errors.DeviceError) as info:
            fn()
        assert 'cpu' in str(info.value) and 'cuda:0' in str(info.value)
    with pytest.raises(TypeError, match='cpu'):
        np.asarray(b)


@pytest.mark.parametrize('device', DEVICES)
def test_time_call_returns_seconds_per_call(device):
    if device == 'cuda':
        _gpu_only()
    backend = backends.get(device)
    x = backend.asarray(np.ones((64, 64), np.float32))
    t = backend.time_call(lambda: backend.xp.matmul(x, x), 3)
    assert 0 < t < 10


def test_importing_autograd_does_not_import_cupy():
    code = ("import sys, autograd, autograd.backends.cupy_backend; "
            "print('cupy' in sys.modules)")
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == 'False'


# --- fused kernels: the optimizers' steps as one kernel each, against their array code ---

def test_fused_switch_defaults_off_and_restores():
    assert backends.fused_enabled() is False
    previous = backends.set_fused(True)
    assert previous is False and backends.fused_enabled() is True
    backends.set_fused(previous)
    assert backends.fused_enabled() is False


FUSED_CASES = {   # optimizer, options, the kernel its fused steps run
    'sgd': (optim.SGD, dict(lr=0.1, weight_decay=0.01), 'sgd'),
    'sgd_momentum': (optim.SGD, dict(lr=0.1, momentum=0.9, dampening=0.1, weight_decay=0.01),
                     'sgd_momentum'),
    'sgd_nesterov_maximize': (optim.SGD, dict(lr=0.1, momentum=0.9, nesterov=True,
                                              maximize=True), 'sgd_momentum'),
    'adam': (optim.Adam, dict(lr=1e-2, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1), 'adam'),
    'adamw': (optim.AdamW, dict(lr=1e-2, weight_decay=0.1), 'adam'),
}


@gpu
@pytest.mark.parametrize('case', sorted(FUSED_CASES))
@pytest.mark.parametrize('dtype', ['float32', 'float64'])
def test_fused_kernels_equal_the_optimizers_array_code(case, dtype):
    _gpu_only()
    make, options, kernel = FUSED_CASES[case]
    backend = backends.get('cuda')
    rng = np.random.default_rng(1)
    start = [rng.standard_normal((30, 7)).astype(dtype), rng.standard_normal(7).astype(dtype)]
    grads = [[rng.standard_normal(a.shape).astype(dtype) for a in start] for _ in range(4)]
    results = []
    for fused in (False, True):
        params = [nn.Parameter(ag.tensor(a.copy(), device='cuda')) for a in start]
        opt = make(params, **options)
        backend._kernels.clear()
        previous = backends.set_fused(fused)
        try:
            for step in grads:
                for p, g in zip(params, step):
                    p.grad = ag.tensor(g, device='cuda')
                opt.step()
        finally:
            backends.set_fused(previous)
        assert (kernel in backend._kernels) == fused         # the route was taken, or not
        assert all(p._version == len(grads) for p in params)
        results.append([_np(p) for p in params])
    for plain, fused in zip(*results):
        np.testing.assert_allclose(fused, plain, rtol=1e-5, atol=1e-6)


@gpu
def test_fused_steps_fall_back_to_the_array_code_for_other_dtypes():
    _gpu_only()
    p = nn.Parameter(ag.tensor(np.linspace(-1, 1, 8, dtype=np.float16), device='cuda'))
    q = nn.Parameter(ag.tensor(np.linspace(-1, 1, 8, dtype=np.float16)))
    backend = backends.get('cuda')
    backend._kernels.clear()
    previous = backends.set_fused(True)
    try:
        for x in (p, q):
            opt = optim.Adam([x], lr=0.1)
            x.grad = ag.ones_like(x)
            opt.step()
    finally:
        backends.set_fused(previous)
    assert not backend._kernels and p._version == 1
    np.testing.assert_allclose(_np(p), _np(q), rtol=1e-3, atol=1e-3)
    assert not np.array_equal(_np(p), np.linspace(-1, 1, 8, dtype=np.float16))


@gpu
def test_relu_gradient_on_gpu_is_exact_for_infinite_upstream():
    _gpu_only()
    x = ag.tensor([-1.0, 2.0, 0.5], device='cuda', requires_grad=True)
    ag.log(ag.relu(x)).sum().backward()
    np.testing.assert_array_equal(_np(x.grad), [0.0, 0.5, 2.0])


# --- offload on the GPU --------------------------------------------------------------------

@gpu
def test_offload_to_the_gpu_matches_cpu_results_and_gradients(tmp_path, monkeypatch):
    _gpu_only()
    monkeypatch.setenv('XDG_CACHE_HOME', str(tmp_path))
    rng = np.random.default_rng(0)
    a = rng.standard_normal((256, 128)).astype(np.float32)
    b = rng.standard_normal((128, 64)).astype(np.float32)
    layer = nn.Linear(64, 32)
    results = []
    for offload in (False, True):
        layer.zero_grad()
        x, w = ag.tensor(a, requires_grad=True), ag.tensor(b, requires_grad=True)
        with backends.offload(min_flops=0 if offload else None, enabled=offload) as policy:
            y = layer((x @ w).relu())
            (y ** 2).sum().backward()
        if offload:
            assert policy.offloaded == 6 and policy.target.name == 'cuda:0'
        for t in (y, x.grad, w.grad, layer.weight.grad):
            assert t.device == 'cpu'
        results.append([_np(y), _np(x.grad), _np(w.grad), _np(layer.weight.grad)])
    for got, want in zip(results[1], results[0]):
        _close(got, want, 1e-4, 1e-3)
    with backends.offload():                             # no calibration stored here
        assert backends.offload_threshold() == backends.DEFAULT_MIN_FLOPS
    backends.save_calibration('cuda', 1e7)
    with backends.offload() as policy:
        assert policy.min_flops == 1e7
        ag.randn(64, 64) @ ag.randn(64, 64)              # 5e5 FLOPs: stays
        ag.randn(512, 512) @ ag.randn(512, 512)          # 2.7e8 FLOPs: goes
        assert policy.offloaded == 1
