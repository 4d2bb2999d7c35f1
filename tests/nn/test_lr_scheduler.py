"""lr schedulers: sequences computed by hand (PyTorch's formulas)."""
import math

import numpy as np
import pytest

import nn
from nn import optim
from nn.optim import lr_scheduler as L
from nn.optim.lr_scheduler import StepLR


def make_opt(lr=0.1, groups=1):
    ps = [nn.Parameter(np.zeros(2, np.float32)) for _ in range(groups)]
    return optim.SGD([{"params": [p], "lr": lr * (i + 1)} for i, p in enumerate(ps)], lr=lr)


def lrs(opt, sched, n, metrics=None):
    out = [opt.param_groups[0]["lr"]]
    for i in range(n):
        opt.step()
        sched.step(metrics[i]) if metrics is not None else sched.step()
        out.append(opt.param_groups[0]["lr"])
    return out


def test_step_lr():
    opt = make_opt()
    s = StepLR(opt, step_size=3, gamma=0.5)
    assert s.get_last_lr() == [0.1]
    assert lrs(opt, s, 9) == pytest.approx([0.1 * 0.5 ** (e // 3) for e in range(10)])
    assert s.last_epoch == 9


def test_multistep_lr_with_repeated_milestone():
    opt = make_opt()
    s = L.MultiStepLR(opt, milestones=[2, 5, 5, 9], gamma=0.5)
    expected = [0.1, 0.1, 0.05, 0.05, 0.05, 0.0125, 0.0125, 0.0125, 0.0125, 0.00625, 0.00625]
    assert lrs(opt, s, 10) == pytest.approx(expected)


def test_exponential_lr():
    opt = make_opt()
    assert lrs(opt, L.ExponentialLR(opt, 0.9), 6) == pytest.approx([0.1 * 0.9 ** e for e in range(7)])


def test_cosine_annealing_goes_down_and_back_up():
    opt = make_opt()
    s = L.CosineAnnealingLR(opt, T_max=4, eta_min=0.01)
    got = lrs(opt, s, 12)
    expected = [0.01 + 0.09 * (1 + math.cos(math.pi * e / 4)) / 2 for e in range(13)]
    assert got == pytest.approx(expected, abs=1e-12)
    assert got[4] == pytest.approx(0.01) and got[8] == pytest.approx(0.1)


def test_linear_lr_warmup():
    opt = make_opt()
    s = L.LinearLR(opt, start_factor=0.25, end_factor=1.0, total_iters=3)
    assert s.get_last_lr() == pytest.approx([0.025])
    assert lrs(opt, s, 6) == pytest.approx([0.025, 0.05, 0.075, 0.1, 0.1, 0.1, 0.1])


def test_lambda_lr_per_group():
    opt = make_opt(groups=2)
    s = L.LambdaLR(opt, [lambda e: 1.0 / (e + 1), lambda e: 0.5 ** e])
    for _ in range(3):
        opt.step()
        s.step()
    assert s.get_last_lr() == pytest.approx([0.1 / 4, 0.2 * 0.125])


def test_reduce_on_plateau_min_rel_with_cooldown_and_min_lr():
    opt = make_opt()
    s = L.ReduceLROnPlateau(opt, patience=2, cooldown=1, factor=0.5, min_lr=0.01)
    metrics = [1, 0.9, 0.95, 0.95, 0.95, 0.8, 0.85, 0.9, 0.9, 0.9, 0.9, 0.9] + [0.7] * 8
    # best=0.9 after step 2; steps 3-5 are bad (3 > patience 2) -> 0.05 at step 5, cooldown 1;
    # 0.8 at step 6 is the new best; 7-9 bad -> 0.025 at step 9; 12 (0.7) is best, 13-15 bad
    # -> 0.0125 at 16; 17 swallowed by cooldown, 18-20 bad -> max(0.00625, min_lr) = 0.01.
    expected = [0.1, 0.1, 0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.05, 0.025, 0.025, 0.025, 0.025, 0.025,
                0.025, 0.025, 0.0125, 0.0125, 0.0125, 0.0125, 0.01]
    assert lrs(opt, s, 20, metrics) == pytest.approx(expected)


def test_reduce_on_plateau_max_abs():
    opt = make_opt()
    s = L.ReduceLROnPlateau(opt, mode="max", threshold_mode="abs", threshold=0.05, patience=1)
    # 1.04 is not > 1 + 0.05 (bad 1), 1.1 is better, 1.1 bad 1, 1.1 bad 2 -> reduce, ...
    got = lrs(opt, s, 8, [1, 1.04, 1.1, 1.1, 1.1, 1.2, 1.0, 1.0])
    assert got == pytest.approx([0.1, 0.1, 0.1, 0.1, 0.1, 0.01, 0.01, 0.01, 0.001])
    with pytest.raises(ValueError):
        L.ReduceLROnPlateau(opt, factor=1.0)


def test_sequential_warmup_then_cosine():
    opt = make_opt()
    s = L.SequentialLR(opt, [L.LinearLR(opt, 0.1, 1.0, 4), L.CosineAnnealingLR(opt, 10)], milestones=[4])
    got = lrs(opt, s, 16)
    warm = [0.1 * (0.1 + 0.9 * e / 4) for e in range(4)]
    cos = [0.1 * (1 + math.cos(math.pi * e / 10)) / 2 for e in range(13)]
    assert got == pytest.approx(warm + cos, abs=1e-12)


def test_sequential_constant_then_exponential():
    opt = make_opt()
    s = L.SequentialLR(opt, [L.ConstantLR(opt, 0.5, 3), L.ExponentialLR(opt, 0.9)], milestones=[3])
    assert lrs(opt, s, 7) == pytest.approx([0.05, 0.05, 0.05, 0.1, 0.09, 0.081, 0.0729, 0.06561])


@pytest.mark.parametrize("make", [
    lambda o: L.StepLR(o, 2, 0.5),
    lambda o: L.CosineAnnealingLR(o, 5),
    lambda o: L.LinearLR(o, 0.2, 1.0, 4),
    lambda o: L.MultiStepLR(o, [1, 3]),
    lambda o: L.SequentialLR(o, [L.LinearLR(o, 0.5, 1.0, 2), L.ExponentialLR(o, 0.8)], [2]),
])
def test_scheduler_state_dict_resume(make, tmp_path):
    o1 = make_opt()
    s1 = make(o1)
    for _ in range(3):
        o1.step()
        s1.step()
    nn.save({"sched": s1.state_dict(), "opt": o1.state_dict()}, tmp_path / "ck")
    ck = nn.load(tmp_path / "ck")
    o2 = make_opt()
    s2 = make(o2)
    o2.load_state_dict(ck["opt"])
    s2.load_state_dict(ck["sched"])
    assert lrs(o1, s1, 5) == pytest.approx(lrs(o2, s2, 5))


def test_plateau_state_dict_round_trip(tmp_path):
    o1 = make_opt()
    s1 = L.ReduceLROnPlateau(o1, patience=1)
    for m in [1.0, 1.0, 1.0]:
        s1.step(m)
    nn.save(s1.state_dict(), tmp_path / "p")
    o2 = make_opt()
    s2 = L.ReduceLROnPlateau(o2, patience=1)
    s2.load_state_dict(nn.load(tmp_path / "p"))
    o2.load_state_dict(o1.state_dict())
    for m in [1.0, 0.5, 0.5, 0.5]:
        s1.step(m)
        s2.step(m)
        assert s1.get_last_lr() == s2.get_last_lr()


def test_type_errors():
    with pytest.raises(TypeError):
        StepLR(object(), 1)


def test_step_lr_accepts_a_float_step_size_as_pytorch_does():
    # pytorch/examples' word_language_model: StepLR(optimizer, 1.0, gamma=0.95)
    opt = make_opt()
    s = StepLR(opt, 1.0, gamma=0.5)
    assert lrs(opt, s, 3) == pytest.approx([0.1, 0.05, 0.025, 0.0125])
