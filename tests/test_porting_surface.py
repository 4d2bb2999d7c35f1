"""PyTorch's surface as ported programs reach it: torch.nn / torch.optim / torch.utils.data /
torch.autograd through the top-level module, torch.device and torch.accelerator, the dtype
aliases, the default dtype, and the grad-mode helpers."""
import subprocess
import sys

import numpy as np
import pytest

import autograd as ag
import nn


# --- torch.nn, torch.optim, torch.utils.data, torch.autograd -------------------------------
def test_importing_autograd_imports_no_nn():
    code = ("import sys, autograd; "
            "print(sorted(m for m in sys.modules if m == 'nn' or m.startswith(('nn.', 'autograd.nn'))))")
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == '[]'


def test_submodules_through_attributes():
    assert ag.nn is nn
    assert ag.nn.init.normal_ is nn.init.normal_
    assert ag.nn.functional.relu is nn.functional.relu
    assert ag.nn.utils.clip_grad_norm_ is nn.utils.clip_grad_norm_
    assert ag.optim is nn.optim and ag.optim.AdamW is nn.optim.AdamW
    assert ag.optim.lr_scheduler.StepLR is nn.optim.lr_scheduler.StepLR
    assert ag.utils.data is nn.data and ag.utils.data.DataLoader is nn.data.DataLoader
    assert ag.autograd.grad is ag.grad and ag.autograd.backward is ag.backward
    assert ag.autograd.functional.hessian is ag.functional.hessian
    with pytest.raises(AttributeError, match='no attribute'):
        ag.utils.nonexistent


def test_import_statements_give_the_same_modules():
    code = """
from autograd.utils.data import DataLoader, TensorDataset
from autograd.optim.lr_scheduler import StepLR
from autograd.autograd.functional import jacobian
from autograd.autograd import grad
import autograd.nn as tnn, autograd.nn.functional as F, autograd.optim as optim
import nn, nn.functional, nn.data, nn.optim.lr_scheduler, autograd.functional
assert tnn is nn and F is nn.functional and optim is nn.optim
assert DataLoader is nn.data.DataLoader and StepLR is nn.optim.lr_scheduler.StepLR
assert jacobian is autograd.functional.jacobian
print('ok')
"""
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True)
    assert out.stdout.strip() == 'ok', out.stderr


# --- torch.device --------------------------------------------------------------------------
def test_device_type_index_repr():
    d = ag.device('cuda', 1)
    assert (d.type, d.index, str(d), repr(d)) == ('cuda', 1, 'cuda:1', "device(type='cuda', index=1)")
    assert ag.device('cuda:1') == d == 'cuda:1'
    assert ag.device('cpu').index is None and repr(ag.device('cpu')) == "device(type='cpu')"
    assert ag.device(0) == 'cuda:0'
    assert ag.device(d) is d
    assert f'{d}' == 'cuda:1' and {d: 1}['cuda:1'] == 1
    assert ag.device('cuda') != ag.device('cuda:0')             # as in PyTorch


@pytest.mark.parametrize('args, match', [
    (('gpu',), "unknown device type 'gpu'"), (('cuda:x',), 'invalid device string'),
    (('cuda:-1',), 'invalid device string'), (('cuda:0', 1), 'already includes an index'),
    (('cuda', -1), 'index must be an int >= 0'), ((None,), 'expected a device string')])
def test_device_rejects_bad_input(args, match):
    with pytest.raises((RuntimeError, TypeError), match=match):
        ag.device(*args)


def test_device_wherever_a_device_string_goes():
    cpu = ag.device('cuda' if ag.cuda.is_available() else 'cpu')
    x = ag.ones(2, 3, device=cpu)
    assert x.device == cpu and isinstance(x.device, ag.device) and x.device.type == cpu.type
    assert x.to(ag.device('cpu'), non_blocking=True).device == 'cpu'
    assert ag.tensor([1.0], device=ag.device('cpu')).device == 'cpu'
    model = nn.Linear(3, 2).to(ag.device('cpu'))
    assert model(x.cpu()).device == 'cpu'


def test_accelerator_and_backend_flags():
    available = ag.cuda.is_available()
    assert ag.accelerator.is_available() == available
    assert ag.accelerator.device_count() == ag.cuda.device_count()
    current = ag.accelerator.current_accelerator()
    assert current == (ag.device('cuda') if available else None)
    assert ag.accelerator.current_device_index() == (0 if available else -1)
    assert ag.backends.mps.is_available() is False
    ag.backends.cudnn.benchmark = True          # tutorials set these; harmless here
    ag.backends.cudnn.deterministic = True
    assert ag.backends.cudnn.is_available() is False


# --- dtypes ----------------------------------------------------------------------------------
def test_dtype_aliases_are_pytorchs():
    pairs = {ag.long: np.int64, ag.int: np.int32, ag.short: np.int16, ag.float: np.float32,
             ag.double: np.float64, ag.half: np.float16, ag.bool: np.bool_, ag.uint8: np.uint8,
             ag.int8: np.int8, ag.cfloat: np.complex64}
    for alias, expected in pairs.items():
        assert np.dtype(alias) == np.dtype(expected)
    assert ag.zeros(2, dtype=ag.long).dtype == ag.long
    assert ag.tensor([1, 2]).dtype == ag.int64 and ag.tensor([1.0]).dtype == ag.float32
    with pytest.raises(AttributeError, match='NumPy has no bfloat16'):
        ag.bfloat16


def test_default_dtype():
    assert ag.get_default_dtype() == np.float32
    try:
        ag.set_default_dtype(ag.float64)
        assert ag.get_default_dtype() == np.float64
        for t in (ag.tensor([1.5]), ag.zeros(2), ag.randn(2), ag.arange(0.0, 1.0, 0.5),
                  ag.tensor([1, 2]) / ag.tensor([2, 2]), nn.Linear(2, 2).weight):
            assert t.dtype == np.float64
        assert ag.tensor([1]).dtype == np.int64
    finally:
        ag.set_default_dtype(ag.float32)
    assert ag.zeros(2).dtype == np.float32
    with pytest.raises(TypeError, match='only floating-point'):
        ag.set_default_dtype(ag.int64)


# --- grad modes ------------------------------------------------------------------------------
def test_inference_mode_and_set_detect_anomaly():
    x = ag.ones(2, requires_grad=True)
    with ag.inference_mode():
        assert not (x * 2).requires_grad
    with ag.inference_mode(False):
        assert (x * 2).requires_grad

    @ag.inference_mode
    def bare():
        return (x * 2).requires_grad

    @ag.inference_mode()
    def called():
        return (x * 2).requires_grad
    assert not bare() and not called() and (x * 2).requires_grad
    ag.autograd.set_detect_anomaly(True)
    assert ag.is_anomaly_enabled()
    with ag.autograd.set_detect_anomaly(False):
        assert not ag.is_anomaly_enabled()
    assert ag.is_anomaly_enabled()
    ag.autograd.set_detect_anomaly(False)
    assert not ag.is_anomaly_enabled()


# --- display ---------------------------------------------------------------------------------
def test_format_spec_on_0d_tensors():
    loss = ag.tensor(1.23456)
    assert f"{loss:.4f}" == '1.2346' and '{:+.2f}'.format(ag.tensor(2.0)) == '+2.00'
    assert f"{ag.tensor(7):>3}" == '  7' and f"{ag.tensor(True)}" == 'True'
    assert f"{ag.tensor([1.5])}" == str(ag.tensor([1.5]))
    with pytest.raises(TypeError, match=r"only 0-d tensors take one, this one has shape \(1,\)"):
        f"{ag.tensor([1.5]):.2f}"


# --- type promotion (PyTorch's, not NumPy's) ---------------------------------------------------
def _t(dtype, shape=(2,)):
    return ag.ones(*shape, dtype=dtype) if shape else ag.tensor(1, dtype=dtype)


@pytest.mark.parametrize('make, expected', [
    (lambda: _t(ag.float32) + _t(ag.int64), np.float32),
    (lambda: _t(ag.int64) * _t(ag.float32), np.float32),
    (lambda: _t(ag.int64) / _t(ag.int64), np.float32),
    (lambda: _t(ag.uint8) / _t(ag.uint8), np.float32),
    (lambda: _t(ag.bool) + _t(ag.int32), np.int32),
    (lambda: _t(ag.bool) + 2, np.int64),
    (lambda: _t(ag.bool) + 2.5, np.float32),
    (lambda: _t(ag.int32) + 2.5, np.float32),
    (lambda: _t(ag.int32) + 2, np.int32),
    (lambda: 2.5 - _t(ag.int64), np.float32),
    (lambda: 2.0 ** _t(ag.int64), np.float32),
    (lambda: _t(ag.int64) ** 2, np.int64),
    (lambda: _t(ag.float16) + _t(ag.int64), np.float16),
    (lambda: _t(ag.uint8) + _t(ag.int8), np.int16),
    (lambda: _t(ag.float32) + _t(ag.float64), np.float64),
    (lambda: _t(ag.float32) + _t(ag.float64, ()), np.float32),   # 0-d gives way within a category
    (lambda: _t(ag.int32) + _t(ag.int64, ()), np.int32),
    (lambda: _t(ag.int32) * _t(ag.float64, ()), np.float64),     # ... not across categories
    (lambda: _t(ag.float32) + np.arange(2), np.float32),
    (lambda: np.arange(2) + _t(ag.float32), np.float32),
    (lambda: _t(ag.int32) + (1 + 2j), np.complex64),
    (lambda: ag.where(_t(ag.bool), _t(ag.int64), 0.5), np.float32),
    (lambda: ag.where(_t(ag.bool), 0.0, 1.0), np.float32),
    (lambda: ag.maximum(_t(ag.float32), _t(ag.int64)), np.float32),
    (lambda: _t(ag.float32) % _t(ag.int64), np.float32),
    (lambda: _t(ag.int64) // _t(ag.int64), np.int64),
    (lambda: ag.cat([_t(ag.float32), _t(ag.int64)]), np.float32),
    (lambda: ag.stack([_t(ag.float32), _t(ag.float64)]), np.float64),
])
def test_promotion_follows_pytorch(make, expected):
    assert make().dtype == expected


def test_promotion_computes_in_the_result_dtype_and_differentiates():
    x = ag.tensor([1.5, 2.5], requires_grad=True)
    idx = ag.tensor([3, 4])
    y = x * idx + idx / 2
    assert y.dtype == np.float32
    np.testing.assert_allclose(y.array, [6.0, 12.0])
    y.sum().backward()
    assert x.grad.dtype == np.float32 and x.grad.tolist() == [3.0, 4.0]
    big = ag.tensor([2 ** 40 + 1])                  # int64 that float32 cannot hold exactly
    assert (big + ag.tensor([0.0])).item() == np.float32(2 ** 40 + 1)
    try:
        ag.set_default_dtype(ag.float64)
        assert (ag.tensor([1, 2]) / 2).dtype == np.float64 and (idx * 0.5).dtype == np.float64
    finally:
        ag.set_default_dtype(ag.float32)


# --- factories with PyTorch's overloads ---------------------------------------------------------
def test_randint_overloads():
    for t, low, high in ((ag.randint(10, (200,)), 0, 10), (ag.randint(3, 6, (200,)), 3, 6),
                         (ag.randint(5, size=(200,)), 0, 5),
                         (ag.randint(low=2, high=4, size=(200,)), 2, 4)):
        assert t.dtype == np.int64 and t.shape == (200,)
        assert set(t.tolist()) == set(range(low, high))
    assert ag.randint(0, 10, (2, 3), dtype=ag.float32).dtype == np.float32
    with pytest.raises(TypeError, match='missing the size argument'):
        ag.randint(10)
    with pytest.raises(ValueError, match='must be less than high'):
        ag.randint(5, 5, (2,))


def test_generator_seeds_factories_and_data_splits():
    g = ag.Generator().manual_seed(42)
    first = ag.randn(3, generator=g)
    assert g.manual_seed(42) is g and g.initial_seed() == 42
    assert ag.equal(first, ag.randn(3, generator=g))
    state = g.get_state()
    a = ag.randperm(6, generator=g)
    g.set_state(state)
    assert ag.equal(a, ag.randperm(6, generator=g)) and sorted(a.tolist()) == list(range(6))
    ds = nn.data.TensorDataset(ag.arange(10))
    splits = [nn.data.random_split(ds, [0.8, 0.2], generator=ag.Generator().manual_seed(1))
              for _ in range(2)]
    assert [int(x[0]) for x in splits[0][1]] == [int(x[0]) for x in splits[1][1]]


def test_like_factories_logspace_normal():
    x = ag.ones(2, 3, dtype=ag.float64)
    for t in (ag.empty_like(x), ag.randn_like(x), ag.rand_like(x), ag.randint_like(x, 5),
              ag.full_like(x, 2)):
        assert t.shape == (2, 3) and t.dtype == np.float64
    r = ag.randint_like(x, 3, 5)
    assert set(np.unique(r.array)) <= {3.0, 4.0}
    np.testing.assert_allclose(ag.logspace(0, 2, 3).array, [1, 10, 100])
    assert ag.logspace(0, 3, 4, base=2).tolist() == [1, 2, 4, 8]
    n = ag.normal(ag.full((2000,), 3.0), ag.full((2000,), 0.1))
    assert abs(n.mean().item() - 3) < 0.02 and n.dtype == np.float32
    assert ag.normal(0.0, 1.0, (4, 2)).shape == (4, 2)


def test_small_names_tutorials_use():
    assert ag.cuda.manual_seed(0) is None and ag.cuda.manual_seed_all(0) is None
    x = ag.randn(3, 4)
    assert x.nelement() == 12 and ag.numel(x) == 12 and ag.Tensor is type(x)
    assert x.to('cpu', non_blocking=True) is x
    data = ag.arange(20)
    batched = data.narrow(0, 0, 18).view(3, -1).t().contiguous()
    assert batched.shape == (6, 3) and batched.is_contiguous() and batched[1, 2].item() == 13
    with pytest.raises(Exception, match='narrow: start 15 and length 10'):
        data.narrow(0, 15, 10)
    with pytest.raises(Exception, match='mm: expected a tensor with 2 dimensions'):
        ag.mm(ag.ones(3), ag.ones(3, 1))
    with pytest.raises(Exception, match='bmm: batch sizes differ'):
        ag.bmm(ag.ones(2, 3, 4), ag.ones(3, 4, 5))
    with pytest.raises(Exception, match='t: expects a tensor with <= 2 dimensions'):
        ag.ones(2, 2, 2).t()
    assert ag.ones(3).t().shape == (3,)
    w = ag.zeros(2, 3, dtype=ag.int64)
    with pytest.raises(Exception, match='uniform_: fills floating point tensors'):
        w.uniform_()


def test_a_pytorch_style_program_runs_with_its_imports_changed(capsys):
    """Written as a PyTorch tutorial would be; only the import lines differ."""
    import autograd as torch
    import autograd.nn as tnn
    import autograd.nn.functional as F
    from autograd.utils.data import DataLoader, TensorDataset

    class Square(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, grad_output):
            (x,) = ctx.saved_tensors
            return 2 * x * grad_output

    device = torch.accelerator.current_accelerator() if torch.accelerator.is_available() else "cpu"
    device = torch.device(device)
    torch.manual_seed(0)
    X = torch.randn(256, 2)
    y = (X[:, 0] * X[:, 1] > 0).long()
    loader = DataLoader(TensorDataset(X, y), batch_size=32, shuffle=True,
                        generator=torch.Generator().manual_seed(0))

    class Net(tnn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = tnn.Linear(2, 32)
            self.fc2 = tnn.Linear(32, 2)
            torch.nn.init.normal_(self.fc1.weight, std=0.5)

        def forward(self, x):
            return self.fc2(Square.apply(self.fc1(x)).tanh())

    model = Net().to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=0.02)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=10, gamma=0.5)
    for epoch in range(30):
        total, correct = 0.0, 0
        for xb, yb in loader:
            xb, yb = xb.to(device, non_blocking=True), yb.to(device)
            out = model(xb)
            loss = F.cross_entropy(out, yb)
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            total += loss.item() * xb.size(0)
            correct += (out.argmax(1) == yb).type(torch.float).sum().item()
        scheduler.step()
        print(f"epoch {epoch}: loss {total / len(X):.4f} acc {correct / len(X):>5.1%}")
    with torch.no_grad():
        accuracy = (model(X.to(device)).argmax(dim=1) == y.to(device)).float().mean()
    assert accuracy.item() >= 0.9, capsys.readouterr().out


def test_distributed_through_the_top_level_module():
    code = "import autograd as torch; print(torch.distributed.__name__)"
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True)
    assert out.stdout.strip() == 'autograd.distributed', out.stderr


def test_set_printoptions():
    x = ag.tensor([3.14159, 1e-5, 100.0])
    try:
        assert repr(x) == 'tensor([3.1416e+00, 1.0000e-05, 1.0000e+02])'
        ag.set_printoptions(precision=2)
        assert repr(x) == 'tensor([3.14e+00, 1.00e-05, 1.00e+02])'
        ag.set_printoptions(sci_mode=False)
        assert repr(x) == 'tensor([  3.14,   0.00, 100.00])'
        ag.set_printoptions(threshold=5, edgeitems=1)
        assert repr(ag.arange(10)) == 'tensor([0, ..., 9])'
        with pytest.raises(ValueError, match='profile must be one of'):
            ag.set_printoptions(profile='long')
    finally:
        ag.set_printoptions(profile='default')
    assert repr(x) == 'tensor([3.1416e+00, 1.0000e-05, 1.0000e+02])'


def test_legacy_typed_constructors():
    a, b = ag.FloatTensor(2, 3), ag.LongTensor([1, 2])
    assert a.dtype == np.float32 and a.shape == (2, 3) and not a.array.any()
    assert b.dtype == np.int64 and b.tolist() == [1, 2] and ag.FloatTensor().shape == (0,)
    assert ag.DoubleTensor([[1, 2]]).dtype == np.float64 and ag.BoolTensor([1, 0]).tolist() == [True, False]
    assert isinstance(ag.FloatTensor([1.0]), ag.FloatTensor) and not isinstance(b, ag.FloatTensor)
    assert isinstance(ag.arange(3), ag.LongTensor) and not isinstance([1], ag.LongTensor)
    with pytest.raises(TypeError, match='expected sizes'):
        ag.FloatTensor([1], [2])
