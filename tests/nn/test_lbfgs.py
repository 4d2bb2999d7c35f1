"""optim.LBFGS: minimises Rosenbrock and least squares to stated tolerances, follows
torch's trajectory (reference values recorded from torch.optim.LBFGS in float64),
respects max_iter/max_eval, and resumes exactly from its state_dict."""
import numpy as np
import pytest

import autograd as ag
import nn
import nn.functional as F
from nn import optim


def rosenbrock(x):
    return (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2


def _run(opt, x, steps):
    losses = []
    for _ in range(steps):
        def closure():
            opt.zero_grad()
            loss = rosenbrock(x)
            loss.backward()
            return loss
        losses.append(float(opt.step(closure)))
    return losses


# torch.optim.LBFGS([x], max_iter=5, line_search_fn=...) from x = (-1.5, 2) in float64,
# three steps: the losses step() returned, the final x, state func_evals and n_iter
TORCH_REF = {
    None: ([12.5, 5.832367086697702, 5.6454508389336],
           [-0.6828165818348131, 0.32968065358955856], 15, 15),
    "strong_wolfe": ([12.5, 5.851898414902332, 5.204910022853519],
                     [-0.741182959696463, 0.512356777959665], 18, 13),
}


@pytest.mark.parametrize("ls", [None, "strong_wolfe"])
def test_trajectory_matches_torch(ls):
    x = ag.tensor([-1.5, 2.0], dtype=ag.float64, requires_grad=True)
    opt = optim.LBFGS([x], max_iter=5, line_search_fn=ls)
    losses = _run(opt, x, 3)
    want_losses, want_x, evals, iters = TORCH_REF[ls]
    np.testing.assert_allclose(losses, want_losses, rtol=1e-10)
    np.testing.assert_allclose(x.detach().numpy(), want_x, rtol=1e-9)
    assert (opt.state[x]["func_evals"], opt.state[x]["n_iter"]) == (evals, iters)


def test_float32_trajectory_is_torchs_bit_for_bit():
    # torch.optim.LBFGS([x]) from (-1.5, 2) in float32, five steps (84 iterations): the
    # returned losses and the final x, exactly; this needs torch's single rounding of
    # its fused multiply-adds (p.add_(d, alpha=t)), which plain NumPy rounds twice
    x = ag.tensor([-1.5, 2.0], dtype=ag.float32, requires_grad=True)
    losses = _run(optim.LBFGS([x]), x, 5)
    assert losses == [12.5, 3.1733570098876953, 0.7678202986717224, 0.23333828151226044,
                      5.941558356425958e-11]
    assert x.detach().numpy().tolist() == [0.9999959468841553, 0.9999925494194031]


def test_updates_round_once_like_a_fused_multiply_add():
    from nn.optim.lbfgs import _axpy
    rng = np.random.default_rng(1)
    y, x = rng.standard_normal((2, 1000)).astype(np.float32)
    a = np.float32(0.37)
    once = (y.astype(np.float64) + np.float64(a) * x.astype(np.float64)).astype(np.float32)
    np.testing.assert_array_equal(_axpy(y, a, x), once)
    assert (y + a * x != once).any()                     # the case this is for
    y64, x64 = y.astype(np.float64), x.astype(np.float64)
    np.testing.assert_array_equal(_axpy(y64, 0.37, x64), y64 + 0.37 * x64)


@pytest.mark.parametrize("ls, steps", [(None, 5), ("strong_wolfe", 3)])
@pytest.mark.parametrize("tols, atol", [({}, 1e-5),     # defaults: stops once the loss change < 1e-9
                                        ({"tolerance_grad": 1e-12, "tolerance_change": 1e-20}, 1e-9)])
def test_minimises_rosenbrock(ls, steps, tols, atol):
    x = ag.tensor([-1.5, 2.0], dtype=ag.float64, requires_grad=True)
    opt = optim.LBFGS([x], line_search_fn=ls, **tols)
    _run(opt, x, steps)
    np.testing.assert_allclose(x.detach().numpy(), [1.0, 1.0], rtol=0, atol=atol)


@pytest.mark.parametrize("ls", [None, "strong_wolfe"])
def test_least_squares_reaches_the_closed_form(ls):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((50, 4))
    y = X @ np.array([1.0, -2.0, 0.5, 3.0]) + 0.7 + 0.1 * rng.standard_normal(50)
    model = nn.Linear(4, 1).double()
    opt = optim.LBFGS(model.parameters(), line_search_fn=ls, history_size=10,
                      tolerance_change=1e-14)
    Xt, yt = ag.tensor(X), ag.tensor(y.reshape(-1, 1))

    def closure():
        opt.zero_grad()
        loss = F.mse_loss(model(Xt), yt)
        loss.backward()
        return loss
    for _ in range(3):
        opt.step(closure)
    coef, *_ = np.linalg.lstsq(np.hstack([X, np.ones((50, 1))]), y, rcond=None)
    np.testing.assert_allclose(model.weight.detach().numpy().ravel(), coef[:4], atol=1e-6)
    np.testing.assert_allclose(model.bias.item(), coef[4], atol=1e-6)


def test_max_iter_max_eval_and_returned_loss():
    x = ag.tensor([-1.5, 2.0], dtype=ag.float64, requires_grad=True)
    opt = optim.LBFGS([x], max_iter=7)
    assert opt.param_groups[0]["max_eval"] == 8                    # max_iter * 5 // 4
    calls = []

    def closure():
        opt.zero_grad()
        loss = rosenbrock(x)
        loss.backward()
        calls.append(loss.item())
        return loss
    first = opt.step(closure)
    assert isinstance(first, ag.Tensor) and first.item() == 12.5 == calls[0]
    assert len(calls) == 7 and opt.state[x]["n_iter"] == 7
    opt = opt2 = optim.LBFGS([x], max_iter=20, max_eval=4, line_search_fn="strong_wolfe")
    calls.clear()
    opt2.step(closure)
    assert len(calls) <= 5 and opt2.state[x]["func_evals"] == len(calls)


def test_state_dict_resumes_the_same_trajectory(tmp_path):
    def make():
        x = ag.tensor([-1.5, 2.0], dtype=ag.float64, requires_grad=True)
        return x, optim.LBFGS([x], max_iter=3, history_size=4, line_search_fn="strong_wolfe")
    x, opt = make()
    _run(opt, x, 2)
    sd = opt.state_dict()
    assert isinstance(sd["state"][0]["old_dirs"][0], ag.Tensor)
    nn.save(sd, tmp_path / "lbfgs.npz")                    # the history survives a file
    sd = nn.load(tmp_path / "lbfgs.npz")
    x2, opt2 = make()
    x2.data.copy_(x.detach())
    opt2.load_state_dict(sd)
    a, b = _run(opt, x, 3), _run(opt2, x2, 3)
    assert a == b
    np.testing.assert_array_equal(x.detach().numpy(), x2.detach().numpy())


def test_state_dict_of_a_model_and_a_mismatched_one(tmp_path):
    def make(n_in):
        model = nn.Linear(n_in, 2).double()
        return model, optim.LBFGS(model.parameters(), max_iter=4)
    model, opt = make(3)
    X, Y = ag.randn(8, 3, dtype=ag.float64), ag.randn(8, 2, dtype=ag.float64)

    def closure():
        opt.zero_grad()
        loss = F.mse_loss(model(X), Y)
        loss.backward()
        return loss
    opt.step(closure)
    sd = opt.state_dict()
    assert sd["state"][0]["d"].shape == (8,)                  # 2x3 weight + 2 biases, flat
    other_model, other = make(3)
    other.load_state_dict(sd)
    np.testing.assert_array_equal(other.state[other_model.weight]["d"], opt.state[model.weight]["d"])
    with pytest.raises(ValueError, match=r"LBFGS.load_state_dict: .* shape \(8,\) but the "
                                         r"parameters hold 10 elements"):
        make(4)[1].load_state_dict(sd)


def test_unused_parameter_and_zero_gradient():
    w = ag.tensor([3.0], dtype=ag.float64, requires_grad=True)
    unused = ag.zeros(2, dtype=ag.float64, requires_grad=True)
    opt = optim.LBFGS([w, unused], line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = ((w - 1) ** 2).sum()
        loss.backward()
        return loss
    opt.step(closure)
    np.testing.assert_allclose(w.item(), 1.0, atol=1e-7)
    assert unused.grad is None and (unused.detach().numpy() == 0).all()
    calls = opt.state[w]["func_evals"]
    opt.step(closure)                          # already optimal: one evaluation, no move
    assert opt.state[w]["func_evals"] == calls + 1


def test_errors():
    x = ag.zeros(2, requires_grad=True)
    with pytest.raises(ValueError, match="LBFGS: Invalid learning rate: -1"):
        optim.LBFGS([x], lr=-1)
    with pytest.raises(ValueError, match="doesn't support per-parameter options"):
        optim.LBFGS([{"params": [x]}, {"params": [ag.zeros(1, requires_grad=True)]}])
    with pytest.raises(ValueError, match="line_search_fn must be None or 'strong_wolfe'"):
        optim.LBFGS([x], line_search_fn="backtracking")
    with pytest.raises(RuntimeError, match="needs a closure"):
        optim.LBFGS([x]).step(None)
