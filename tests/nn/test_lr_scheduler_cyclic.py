"""OneCycleLR, CosineAnnealingWarmRestarts, PolynomialLR: sequences from the papers' closed forms."""
import math

import pytest

import autograd as ag
import nn
from nn.optim import lr_scheduler as L


def params():
    return [nn.Parameter(ag.zeros(1))]


def steps(opt, sched, n, *epochs):
    out = []
    for i in range(n):
        opt.step()
        sched.step(*([epochs[0][i]] if epochs else []))
        g = opt.param_groups[0]
        out.append((g["lr"], g.get("momentum", g.get("betas", (None,))[0])))
    return out


def cos_anneal(start, end, pct):
    return end + (start - end) / 2 * (math.cos(math.pi * pct) + 1)


def test_one_cycle_two_phases_with_momentum():
    opt = nn.optim.SGD(params(), lr=0.1, momentum=0.9)
    s = L.OneCycleLR(opt, max_lr=1.0, total_steps=20)      # warm-up ends at step 0.3 * 20 - 1 = 5
    assert opt.param_groups[0]["lr"] == pytest.approx(1.0 / 25) and opt.param_groups[0]["momentum"] == 0.95
    got = steps(opt, s, 19)
    want = []
    for t in range(1, 20):
        pct, a, b, ma, mb = ((t / 5, 0.04, 1.0, 0.95, 0.85) if t <= 5 else
                             ((t - 5) / 14, 1.0, 0.04 / 1e4, 0.85, 0.95))
        want.append((cos_anneal(a, b, pct), cos_anneal(ma, mb, pct)))
    assert [v for pair in got for v in pair] == pytest.approx([v for pair in want for v in pair])
    with pytest.raises(ValueError, match="OneCycleLR: tried to step 21 times; .* total steps is 20"):
        steps(opt, s, 2)


def test_one_cycle_epochs_linear_three_phase_and_adam_betas():
    opt = nn.optim.AdamW(params(), lr=0.1)
    s = L.OneCycleLR(opt, 0.01, epochs=2, steps_per_epoch=5, anneal_strategy="linear", three_phase=True)
    got = steps(opt, s, 9)
    # phases end at steps 2, 4 and 9: 0.0004 -> 0.01 -> 0.0004 -> 4e-8
    assert [lr for lr, _ in got][:4] == pytest.approx([0.0052, 0.01, 0.0052, 0.0004])
    assert got[-1][0] == pytest.approx(0.0004 / 1e4)
    assert got[1][1] == pytest.approx(0.85) and opt.param_groups[0]["betas"][1] == 0.999
    with pytest.raises(ValueError, match="OneCycleLR: you must define either total_steps"):
        L.OneCycleLR(opt, 0.01)
    with pytest.raises(ValueError, match="must support momentum or beta1"):
        L.OneCycleLR(nn.optim.Adagrad(params()), 0.1, total_steps=5)


def test_warm_restarts_per_epoch_and_fractional():
    opt = nn.optim.SGD(params(), lr=0.1)
    s = L.CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=2, eta_min=0.0)
    # cycles of 2, 4, 8 epochs
    want_tcur = [(1, 2), (0, 4), (1, 4), (2, 4), (3, 4), (0, 8)]
    got = [lr for lr, _ in steps(opt, s, 6)]
    assert got == pytest.approx([0.05 * (1 + math.cos(math.pi * c / t)) for c, t in want_tcur])
    opt = nn.optim.SGD(params(), lr=0.1)
    s = L.CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=2)
    got = [lr for lr, _ in steps(opt, s, 3, [0.5, 2.5, 7.0])]
    assert got == pytest.approx([0.05 * (1 + math.cos(math.pi * c / t)) for c, t in [(0.5, 2), (0.5, 4), (1, 8)]])
    assert s.last_epoch == 7


def test_polynomial_lr():
    opt = nn.optim.SGD(params(), lr=0.1)
    s = L.PolynomialLR(opt, total_iters=4, power=2.0)
    got = [lr for lr, _ in steps(opt, s, 6)]
    assert got == pytest.approx([0.1 * (1 - min(t, 4) / 4) ** 2 for t in range(1, 7)])
