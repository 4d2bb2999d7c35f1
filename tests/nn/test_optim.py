"""Optimizers against update rules written out by hand in NumPy (PyTorch's documented algorithms)."""
import numpy as np
import pytest

import autograd as ag
import nn
from nn import optim

STEPS = 4
RNG = np.random.default_rng(1234)
P0 = RNG.standard_normal((3, 4))
GRADS = [RNG.standard_normal((3, 4)) for _ in range(STEPS)]


def run_ours(cls, grads=GRADS, p0=P0, **kw):
    p = nn.Parameter(p0.copy())  # float64: compare tightly with the float64 references
    opt = cls([p], **kw)
    for g in grads:
        p.grad = ag.tensor(g.copy())
        opt.step()
    return p.array


# ------------------------------------------------------------- references
def ref_sgd(p, grads, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False, maximize=False):
    p, buf = p.copy(), None
    for g in grads:
        g = -g if maximize else g
        g = g + weight_decay * p
        if momentum:
            buf = g.copy() if buf is None else momentum * buf + (1 - dampening) * g
            g = g + momentum * buf if nesterov else buf
        p = p - lr * g
    return p


def ref_adam(p, grads, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False,
             maximize=False, decoupled=False):
    b1, b2 = betas
    p = p.copy()
    m, v, vmax = np.zeros_like(p), np.zeros_like(p), np.zeros_like(p)
    for t, g in enumerate(grads, 1):
        g = -g if maximize else g
        if decoupled:
            p = p * (1 - lr * weight_decay)
        else:
            g = g + weight_decay * p
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        m_hat = m / (1 - b1 ** t)
        if amsgrad:
            vmax = np.maximum(vmax, v)
            v_hat = vmax / (1 - b2 ** t)
        else:
            v_hat = v / (1 - b2 ** t)
        p = p - lr * m_hat / (np.sqrt(v_hat) + eps)
    return p


def ref_rmsprop(p, grads, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False,
                maximize=False):
    p = p.copy()
    v, gavg, buf = np.zeros_like(p), np.zeros_like(p), np.zeros_like(p)
    for g in grads:
        g = -g if maximize else g
        g = g + weight_decay * p
        v = alpha * v + (1 - alpha) * g * g
        vt = v
        if centered:
            gavg = alpha * gavg + (1 - alpha) * g
            vt = v - gavg * gavg
        if momentum > 0:
            buf = momentum * buf + g / (np.sqrt(vt) + eps)
            p = p - lr * buf
        else:
            p = p - lr * g / (np.sqrt(vt) + eps)
    return p


def ref_adagrad(p, grads, lr=1e-2, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0, eps=1e-10,
                maximize=False):
    p = p.copy()
    s = np.full_like(p, initial_accumulator_value)
    for t, g in enumerate(grads, 1):
        g = -g if maximize else g
        clr = lr / (1 + (t - 1) * lr_decay)
        g = g + weight_decay * p
        s = s + g * g
        p = p - clr * g / (np.sqrt(s) + eps)
    return p


def ref_adadelta(p, grads, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0, maximize=False):
    p = p.copy()
    v, u = np.zeros_like(p), np.zeros_like(p)
    for g in grads:
        g = -g if maximize else g
        g = g + weight_decay * p
        v = rho * v + (1 - rho) * g * g
        delta = np.sqrt(u + eps) / np.sqrt(v + eps) * g
        u = rho * u + (1 - rho) * delta * delta
        p = p - lr * delta
    return p


SGD_CASES = [
    dict(lr=0.1),
    dict(lr=0.1, weight_decay=0.05),
    dict(lr=0.1, momentum=0.9),
    dict(lr=0.1, momentum=0.9, dampening=0.3),
    dict(lr=0.05, momentum=0.8, nesterov=True),
    dict(lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.1, maximize=True),
    dict(lr=0.1, maximize=True),
]
ADAM_CASES = [
    dict(lr=0.01),
    dict(lr=0.01, betas=(0.8, 0.95), eps=1e-6),
    dict(lr=0.01, weight_decay=0.1),
    dict(lr=0.01, amsgrad=True),
    dict(lr=0.01, amsgrad=True, weight_decay=0.1, maximize=True),
    dict(lr=0.01, betas=(0.3, 0.9)),  # beta1 < 0.5: the other branch of lerp
]
RMSPROP_CASES = [
    dict(lr=0.01),
    dict(lr=0.01, alpha=0.9, eps=1e-6),
    dict(lr=0.01, weight_decay=0.1),
    dict(lr=0.01, momentum=0.9),
    dict(lr=0.01, centered=True),
    dict(lr=0.01, centered=True, momentum=0.5, weight_decay=0.05, maximize=True),
]
ADAGRAD_CASES = [
    dict(lr=0.1),
    dict(lr=0.1, lr_decay=0.1),
    dict(lr=0.1, weight_decay=0.1),
    dict(lr=0.1, initial_accumulator_value=0.5, eps=1e-5),
    dict(lr=0.1, lr_decay=0.05, weight_decay=0.05, initial_accumulator_value=0.1, maximize=True),
]
ADADELTA_CASES = [
    dict(),
    dict(lr=0.5, rho=0.8),
    dict(eps=1e-4, weight_decay=0.1),
    dict(lr=0.7, rho=0.95, eps=1e-5, weight_decay=0.01, maximize=True),
]


@pytest.mark.parametrize("kw", SGD_CASES)
def test_sgd_matches_reference(kw):
    np.testing.assert_allclose(run_ours(optim.SGD, **kw), ref_sgd(P0, GRADS, **kw), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("kw", ADAM_CASES)
def test_adam_matches_reference(kw):
    np.testing.assert_allclose(run_ours(optim.Adam, **kw), ref_adam(P0, GRADS, **kw), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("kw", [dict(lr=0.01), dict(lr=0.01, weight_decay=0.3), dict(lr=0.01, weight_decay=0.3,
                                                                                     amsgrad=True, maximize=True)])
def test_adamw_matches_reference(kw):
    ref = ref_adam(P0, GRADS, decoupled=True, **{"weight_decay": 1e-2, **kw})
    np.testing.assert_allclose(run_ours(optim.AdamW, **kw), ref, rtol=1e-10, atol=1e-12)


def test_adamw_default_weight_decay_differs_from_adam():
    assert optim.AdamW([nn.Parameter(P0.copy())]).defaults["weight_decay"] == 1e-2
    assert optim.Adam([nn.Parameter(P0.copy())]).defaults["weight_decay"] == 0


@pytest.mark.parametrize("kw", RMSPROP_CASES)
def test_rmsprop_matches_reference(kw):
    np.testing.assert_allclose(run_ours(optim.RMSprop, **kw), ref_rmsprop(P0, GRADS, **kw), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("kw", ADAGRAD_CASES)
def test_adagrad_matches_reference(kw):
    np.testing.assert_allclose(run_ours(optim.Adagrad, **kw), ref_adagrad(P0, GRADS, **kw), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("kw", ADADELTA_CASES)
def test_adadelta_matches_reference(kw):
    np.testing.assert_allclose(run_ours(optim.Adadelta, **kw), ref_adadelta(P0, GRADS, **kw),
                               rtol=1e-10, atol=1e-12)


def test_float32_params_stay_float32_and_in_place():
    p = nn.Parameter(P0.astype(np.float32))
    arr = p.array
    opt = optim.Adam([p], lr=0.01)
    for g in GRADS:
        p.grad = ag.tensor(g.astype(np.float32))
        opt.step()
    assert p.array is arr and p.array.dtype == np.float32
    assert opt.state[p]["exp_avg"].dtype == np.float32
    np.testing.assert_allclose(p.array, ref_adam(P0, GRADS, lr=0.01), rtol=1e-5, atol=1e-6)


def test_step_does_not_modify_grad_and_bumps_version():
    p = nn.Parameter(P0.copy())
    g = GRADS[0].copy()
    p.grad = ag.tensor(g.copy())
    opt = optim.SGD([p], lr=0.1, momentum=0.9, weight_decay=0.1, maximize=True)
    v0 = getattr(p, "_version", None)
    opt.step()
    opt.step()
    np.testing.assert_array_equal(p.grad.array, g)
    if v0 is not None:
        assert p._version > v0


def test_params_without_grad_are_skipped():
    a, b = nn.Parameter(P0.copy()), nn.Parameter(P0.copy())
    opt = optim.Adam([a, b], lr=0.1)
    a.grad = ag.tensor(GRADS[0].copy())
    opt.step()
    np.testing.assert_array_equal(b.array, P0)
    assert b not in opt.state and a in opt.state


def test_param_groups_and_defaults():
    a, b = nn.Parameter(P0.copy()), nn.Parameter(P0.copy())
    opt = optim.SGD([{"params": [a]}, {"params": b, "lr": 0.5}], lr=0.1, momentum=0.9)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.5]
    assert all(g["momentum"] == 0.9 for g in opt.param_groups)
    for p in (a, b):
        p.grad = ag.tensor(GRADS[0].copy())
    opt.step()
    np.testing.assert_allclose(a.array, P0 - 0.1 * GRADS[0])
    np.testing.assert_allclose(b.array, P0 - 0.5 * GRADS[0])
    c = nn.Parameter(P0.copy())
    opt.add_param_group({"params": [c], "momentum": 0.0})
    assert opt.param_groups[2]["lr"] == 0.1 and opt.param_groups[2]["momentum"] == 0.0
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [a]})


def test_constructor_errors():
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(TypeError):
        optim.SGD(nn.Parameter(P0.copy()), lr=0.1)
    with pytest.raises(ValueError, match="Nesterov"):
        optim.SGD([nn.Parameter(P0.copy())], lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="learning rate"):
        optim.Adam([nn.Parameter(P0.copy())], lr=-1.0)
    with pytest.raises(ValueError, match="beta"):
        optim.Adam([nn.Parameter(P0.copy())], betas=(1.0, 0.9))
    with pytest.raises(TypeError, match="ordered"):
        optim.SGD([{"params": {nn.Parameter(P0.copy())}}], lr=0.1)


def test_non_leaf_refused():
    p = nn.Parameter(P0.copy())
    y = p * 2.0
    with pytest.raises(ValueError, match="non-leaf"):
        optim.SGD([y], lr=0.1)


def test_zero_grad():
    p = nn.Parameter(P0.copy())
    opt = optim.SGD([p], lr=0.1)
    p.grad = ag.tensor(GRADS[0].copy())
    opt.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(p.grad.array, np.zeros_like(P0))
    opt.zero_grad()
    assert p.grad is None


def test_closure_returns_loss():
    p = nn.Parameter(P0.copy())
    opt = optim.SGD([p], lr=0.1)

    def closure():
        p.grad = ag.tensor(GRADS[0].copy())
        return 42.0
    assert opt.step(closure) == 42.0
    np.testing.assert_allclose(p.array, P0 - 0.1 * GRADS[0])


@pytest.mark.parametrize("cls,kw", [
    (optim.SGD, dict(lr=0.1, momentum=0.9, nesterov=True)),
    (optim.Adam, dict(lr=0.01, amsgrad=True)),
    (optim.AdamW, dict(lr=0.01)),
    (optim.RMSprop, dict(lr=0.01, momentum=0.5, centered=True)),
    (optim.Adagrad, dict(lr=0.1, lr_decay=0.01)),
    (optim.Adadelta, dict(lr=0.5)),
])
def test_state_dict_round_trip_continues_identically(cls, kw, tmp_path):
    grads = [RNG.standard_normal((3, 4)) for _ in range(6)] + [RNG.standard_normal(2) for _ in range(6)]
    a1, b1 = nn.Parameter(P0.astype(np.float32)), nn.Parameter(np.ones(2, np.float32))
    opt1 = cls([{"params": [a1]}, {"params": [b1], "lr": kw["lr"] / 2}], **kw)
    for g, h in zip(grads[:3], grads[6:9]):
        a1.grad, b1.grad = ag.tensor(g.astype(np.float32)), ag.tensor(h.astype(np.float32))
        opt1.step()
    sd = opt1.state_dict()
    assert sorted(sd["state"]) == [0, 1]
    assert [g["params"] for g in sd["param_groups"]] == [[0], [1]]
    path = tmp_path / "opt.ckpt"
    nn.save(sd, path)
    loaded = nn.load(path)
    assert sorted(loaded["state"]) == [0, 1]  # int keys survive the file

    a2, b2 = nn.Parameter(a1.array.copy()), nn.Parameter(b1.array.copy())
    opt2 = cls([{"params": [a2]}, {"params": [b2]}], **kw)
    opt2.load_state_dict(loaded)
    assert opt2.param_groups[1]["lr"] == kw["lr"] / 2
    assert opt2.param_groups[0]["params"][0] is a2
    for g, h in zip(grads[3:6], grads[9:12]):
        for a, b, o in ((a1, b1, opt1), (a2, b2, opt2)):
            a.grad, b.grad = ag.tensor(g.astype(np.float32)), ag.tensor(h.astype(np.float32))
            o.step()
    np.testing.assert_array_equal(a1.array, a2.array)
    np.testing.assert_array_equal(b1.array, b2.array)


def test_state_dict_values_are_tensors_and_copies():
    p = nn.Parameter(P0.astype(np.float32))
    opt = optim.Adam([p], lr=0.01)
    p.grad = ag.tensor(GRADS[0].astype(np.float32))
    opt.step()
    sd = opt.state_dict()
    st = sd["state"][0]
    assert st["step"] == 1
    assert isinstance(st["exp_avg"], ag.Tensor) and st["exp_avg"].dtype == np.float32
    before = st["exp_avg"].array.copy()
    opt.step()
    np.testing.assert_array_equal(st["exp_avg"].array, before)
    assert sd["param_groups"][0]["betas"] == (0.9, 0.999)


def test_load_state_dict_mismatch_errors():
    a, b = nn.Parameter(P0.copy()), nn.Parameter(P0.copy())
    sd = optim.SGD([a, b], lr=0.1).state_dict()
    with pytest.raises(ValueError, match="doesn't match the size"):
        optim.SGD([a], lr=0.1).load_state_dict(sd)
    with pytest.raises(ValueError, match="parameter groups"):
        optim.SGD([{"params": [a]}, {"params": [b]}], lr=0.1).load_state_dict(sd)


def test_optimizer_drives_a_quadratic_to_its_minimum():
    target = np.array([1.0, -2.0, 3.0])
    p = nn.Parameter(np.zeros(3))
    opt = optim.Adam([p], lr=0.1)
    for _ in range(300):
        p.grad = ag.tensor(2 * (p.array - target))
        opt.step()
    np.testing.assert_allclose(p.array, target, atol=1e-3)
