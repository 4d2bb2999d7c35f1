"""nn.training: checkpoint/resume, early stopping, accuracy, progress (with and without tqdm)."""
import io
import sys

import numpy as np
import pytest

import autograd as ag
import nn
import nn.functional as F
from nn import optim
from nn.optim import lr_scheduler
from nn.training import EarlyStopping, accuracy, load_checkpoint, progress, save_checkpoint


# ------------------------------------------------------------------ checkpoints
def _make(seed):
    ag.manual_seed(seed)
    model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Dropout(0.3), nn.Linear(16, 3))
    opt = optim.Adam(model.parameters(), lr=1e-2, weight_decay=1e-3)
    sched = lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    return model, opt, sched


def _train_step(model, opt, sched, X, y):
    model.train()
    loss = F.cross_entropy(model(X), y)
    opt.zero_grad()
    loss.backward()
    opt.step()
    sched.step()
    return loss.item()


def _data():
    rng = np.random.default_rng(0)
    X = ag.tensor(rng.standard_normal((32, 4)).astype(np.float32))
    y = ag.tensor(rng.integers(0, 3, 32))
    return X, y


def test_resume_reproduces_the_uninterrupted_run_exactly(tmp_path):
    X, y = _data()
    model, opt, sched = _make(0)
    for _ in range(3):
        _train_step(model, opt, sched, X, y)
    path = tmp_path / "ckpt.npz"
    save_checkpoint(path, model, opt, sched, epoch=2, history=[1.0, 0.5, 0.25], note="mid-run")
    straight = [_train_step(model, opt, sched, X, y) for _ in range(3)]   # dropout draws from the engine RNG
    expected = {k: v.numpy().copy() for k, v in model.state_dict().items()}

    model2, opt2, sched2 = _make(123)                   # different weights and RNG state
    ag.manual_seed(999)
    ckpt = load_checkpoint(path, model2, opt2, sched2)
    assert ckpt["epoch"] == 2
    assert ckpt["extra"] == {"history": [1.0, 0.5, 0.25], "note": "mid-run"}
    assert sched2.last_epoch == 3 and sched2.get_last_lr() == [5e-3] and opt2.param_groups[0]["lr"] == 5e-3
    resumed = [_train_step(model2, opt2, sched2, X, y) for _ in range(3)]
    assert resumed == straight                          # bit-identical losses
    for k, v in model2.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), expected[k])
    assert opt2.param_groups[0]["lr"] == opt.param_groups[0]["lr"]


def test_resume_without_rng_state_differs_under_dropout(tmp_path):
    # the rng=False path really skips the generator (so the test above would fail without it)
    X, y = _data()
    model, opt, sched = _make(0)
    _train_step(model, opt, sched, X, y)
    save_checkpoint(tmp_path / "c", model, opt, sched, epoch=0, rng=False)
    straight = [_train_step(model, opt, sched, X, y) for _ in range(2)]
    model2, opt2, sched2 = _make(5)
    load_checkpoint(tmp_path / "c", model2, opt2, sched2)
    assert [_train_step(model2, opt2, sched2, X, y) for _ in range(2)] != straight


@pytest.mark.parametrize("make_sched", [
    lambda o: lr_scheduler.MultiStepLR(o, milestones=[1, 3], gamma=0.3),
    lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=5, eta_min=1e-4),
    lambda o: lr_scheduler.ExponentialLR(o, gamma=0.9),
    lambda o: lr_scheduler.LinearLR(o, start_factor=0.1, total_iters=4),
    lambda o: lr_scheduler.LambdaLR(o, lambda e: 0.5 ** e),
    lambda o: lr_scheduler.SequentialLR(o, [lr_scheduler.LinearLR(o, 0.1, total_iters=2),
                                            lr_scheduler.ExponentialLR(o, 0.8)], milestones=[2]),
])
def test_every_scheduler_round_trips_through_a_checkpoint(tmp_path, make_sched):
    model = nn.Linear(3, 2)
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    sched = make_sched(opt)
    for _ in range(3):
        opt.step()
        sched.step()
    save_checkpoint(tmp_path / "s.npz", model, opt, sched, epoch=2)
    opt2 = optim.SGD(nn.Linear(3, 2).parameters(), lr=0.1, momentum=0.9)
    sched2 = make_sched(opt2)
    load_checkpoint(tmp_path / "s.npz", None, opt2, sched2)
    for _ in range(4):
        opt.step(), sched.step()
        opt2.step(), sched2.step()
        assert sched2.get_last_lr() == pytest.approx(sched.get_last_lr(), rel=1e-12)


def test_reduce_on_plateau_round_trips(tmp_path):
    model = nn.Linear(3, 2)
    opt = optim.SGD(model.parameters(), lr=0.1)
    sched = lr_scheduler.ReduceLROnPlateau(opt, patience=1, factor=0.5)
    for v in (1.0, 1.0, 1.0):
        sched.step(v)
    save_checkpoint(tmp_path / "p", model, opt, sched, epoch=2)
    opt2 = optim.SGD(nn.Linear(3, 2).parameters(), lr=0.1)
    sched2 = lr_scheduler.ReduceLROnPlateau(opt2, patience=1, factor=0.5)
    load_checkpoint(tmp_path / "p", None, opt2, sched2)
    assert opt2.param_groups[0]["lr"] == 0.05 and sched2.best == 1.0 and sched2.num_bad_epochs == 0
    for v in (1.0, 1.0):
        sched.step(v), sched2.step(v)
    assert opt2.param_groups[0]["lr"] == opt.param_groups[0]["lr"] == 0.025


def test_load_checkpoint_rejects_plain_nn_save_files(tmp_path):
    nn.save({"a": 1}, tmp_path / "plain")
    with pytest.raises(nn.CheckpointError, match="save_checkpoint"):
        load_checkpoint(tmp_path / "plain", nn.Linear(2, 2))
    save_checkpoint(tmp_path / "m", nn.Linear(2, 2))
    with pytest.raises(KeyError, match="optimizer"):
        load_checkpoint(tmp_path / "m", nn.Linear(2, 2), optim.SGD(nn.Linear(2, 2).parameters(), 0.1))


# --------------------------------------------------------------- early stopping
def test_early_stopping_min_mode_patience_and_delta():
    es = EarlyStopping(patience=2, min_delta=0.1)
    assert es.step(1.0) is False and es.improved and es.best == 1.0
    assert es.step(0.95) is False and not es.improved        # 0.05 better: not by more than min_delta
    assert es.step(0.85) is False and es.improved and es.best == 0.85 and es.best_epoch == 2
    assert es.step(0.9) is False and es.num_bad_epochs == 1
    assert es.step(0.8) is True and es.should_stop and es.num_bad_epochs == 2   # 0.05 < min_delta
    assert es.best == 0.85


def test_early_stopping_max_mode_and_patience_zero():
    es = EarlyStopping(patience=3, mode="max")
    assert [es.step(v) for v in (0.5, 0.6, 0.6, 0.59, 0.7, 0.7, 0.7, 0.7)] == \
        [False, False, False, False, False, False, False, True]
    assert es.best == 0.7 and es.best_epoch == 4
    es0 = EarlyStopping(patience=0)
    assert es0.step(1.0) is False and es0.step(0.5) is False and es0.step(0.6) is True
    with pytest.raises(ValueError):
        EarlyStopping(mode="up")
    with pytest.raises(ValueError):
        EarlyStopping(min_delta=-1)


def test_early_stopping_nan_never_improves_and_restore_brings_back_best_weights():
    model = nn.Linear(2, 1)
    es = EarlyStopping(patience=5)
    assert es.step(float("nan")) is False and es.best is None
    es.step(ag.tensor(2.0), model)                             # a 0-d Tensor is accepted
    best_w = model.weight.detach().numpy().copy()
    with ag.no_grad():
        model.weight.mul_(0.0)
    es.step(3.0, model)                                        # worse: weights not saved
    es.restore(model)
    np.testing.assert_array_equal(model.weight.detach().numpy(), best_w)
    with pytest.raises(RuntimeError, match="pass the model"):
        EarlyStopping().restore(model)


def test_early_stopping_state_dict_round_trip(tmp_path):
    es = EarlyStopping(patience=3)
    for v in (1.0, 0.5, 0.7):
        es.step(v)
    save_checkpoint(tmp_path / "e", nn.Linear(1, 1), early_stopping=es.state_dict())
    es2 = EarlyStopping()
    es2.load_state_dict(load_checkpoint(tmp_path / "e")["extra"]["early_stopping"])
    assert (es2.best, es2.num_bad_epochs, es2.patience) == (0.5, 1, 3)
    assert es2.step(0.8) is False and es2.step(0.9) is True


# --------------------------------------------------------------------- accuracy
def test_accuracy_multiclass_binary_and_arrays():
    logits = ag.tensor([[2.0, 1.0, 0.0], [0.0, 3.0, 1.0], [0.1, 0.0, 0.2], [5.0, 0.0, 0.0]], requires_grad=True)
    assert accuracy(logits, ag.tensor([0, 1, 2, 1])) == 0.75
    assert accuracy(np.array([0.3, -1.0, 2.0, -0.5]), np.array([1, 0, 0, 0])) == 0.75   # binary logits
    assert accuracy(ag.tensor([[0.3], [-1.0]]), [1, 1]) == 0.5
    with pytest.raises(ValueError, match="targets"):
        accuracy(ag.randn(4, 3), ag.tensor([0, 1]))
    with pytest.raises(ValueError, match="shape"):
        accuracy(ag.randn(2, 3, 4), ag.tensor([0, 1]))


# --------------------------------------------------------------------- progress
def test_progress_plain_lines_without_tqdm(monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm", None)            # import tqdm -> ImportError
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    buf = io.StringIO()
    bar = progress(range(100), desc="train", file=buf, mininterval=0.0)
    assert isinstance(bar, nn.training.Progress)
    seen = []
    for i in bar:
        seen.append(i)
        bar.set_postfix(loss=0.123456)
    assert seen == list(range(100))
    lines = buf.getvalue().splitlines()
    assert 2 <= len(lines) <= 11                                # ~10 lines, not one per step
    assert lines[0].startswith("train: 10/100 (10%)")
    assert lines[-1].startswith("train: 100/100 (100%)") and "loss=0.1235" in lines[-1]
    with pytest.raises(ImportError, match="tqdm"):
        progress(range(3), use_tqdm=True)


def test_progress_plain_unknown_total_update_and_disable():
    buf = io.StringIO()
    with progress(total=None, desc="gen", use_tqdm=False, file=buf, mininterval=0.0) as bar:
        for _ in range(3):
            bar.update(2)
    lines = buf.getvalue().splitlines()
    assert len(lines) == 4 and lines[-1].startswith("gen: 6 ")
    quiet = io.StringIO()
    assert list(progress(iter([1, 2]), use_tqdm=False, disable=True, file=quiet)) == [1, 2]
    assert quiet.getvalue() == ""
    fast = io.StringIO()                                        # a loop shorter than mininterval stays silent
    assert list(progress(range(50), use_tqdm=False, file=fast, mininterval=60.0)) == list(range(50))
    assert fast.getvalue() == ""


def test_progress_uses_tqdm_when_installed():
    tqdm = pytest.importorskip("tqdm")
    bar = progress(range(3), desc="x", file=io.StringIO())
    assert isinstance(bar, tqdm.tqdm)
    assert list(bar) == [0, 1, 2]
