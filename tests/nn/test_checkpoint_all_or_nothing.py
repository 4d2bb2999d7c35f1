"""load_checkpoint checks model, optimizer and scheduler states before applying any:
a checkpoint that doesn't fit raises, naming load_checkpoint and the file, and every
object (weights, optimizer state and groups, scheduler, random generator) is unchanged."""
import copy

import numpy as np
import pytest

import autograd as ag
import nn
import nn.functional as F
from nn import optim
from nn.optim import lr_scheduler
from nn.training import get_rng_state, load_checkpoint, save_checkpoint


def make(opt_cls=optim.Adam, sched_cls=lr_scheduler.StepLR, hidden=5):
    ag.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, hidden), nn.ReLU(), nn.Linear(hidden, 2))
    opt = opt_cls(model.parameters(), lr=0.1)
    sched = sched_cls(opt, step_size=2) if sched_cls is lr_scheduler.StepLR else sched_cls(opt, 0.9)
    loss = F.cross_entropy(model(ag.randn(4, 3)), ag.tensor([0, 1, 1, 0]))
    loss.backward()
    opt.step()
    sched.step()
    return model, opt, sched


def snapshot(model, opt, sched):
    return ({k: v.numpy().copy() for k, v in model.state_dict().items()},
            copy.deepcopy(opt.state_dict()), dict(vars(sched)), get_rng_state(), opt.state, opt.param_groups)


def assert_unchanged(before, model, opt, sched):
    weights, opt_sd, sched_vars, rng, state_obj, groups_obj = before
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), weights[k])
    assert opt.state is state_obj and opt.param_groups is groups_obj
    after = opt.state_dict()
    assert after["param_groups"] == opt_sd["param_groups"]
    assert after["state"].keys() == opt_sd["state"].keys()
    assert vars(sched) == sched_vars and get_rng_state() == rng


def edit(ckpt, path, value):
    """Set ckpt[path[0]][path[1]]... = value (None deletes)."""
    *head, last = path
    for k in head:
        ckpt = ckpt[k]
    if value is None:
        del ckpt[last]
    else:
        ckpt[last] = value


def fresh_objects(**kw):
    model, opt, sched = make(**kw)
    ag.manual_seed(123)          # a generator state the checkpoint's would overwrite
    return model, opt, sched


CASES = [  # (case, edit path, new value, exception, words)
    ("weight shape", ("model", "0.weight"), ag.zeros(4, 3), RuntimeError, "0.weight: shape (4, 3)"),
    ("missing weight", ("model", "2.bias"), None, RuntimeError, "missing key(s) ['2.bias']"),
    ("unexpected weight", ("model", "9.weight"), ag.zeros(1), RuntimeError, "unexpected key(s) ['9.weight']"),
    ("string weight", ("model", "2.bias"), np.array(["a", "b"]), RuntimeError, "dtype <U1"),
    ("model not a dict", ("model",), [1, 2], RuntimeError, "not a state dict"),
    ("state shape", ("optimizer", "state", 0, "exp_avg"), ag.zeros(2, 2), nn.CheckpointError,
     "'exp_avg' of parameter 0 has shape (2, 2)"),
    ("state dtype", ("optimizer", "state", 1, "exp_avg_sq"), np.array(["x"] * 5), nn.CheckpointError,
     "dtype <U1"),
    ("group count", ("optimizer", "param_groups", 1), {"params": []}, nn.CheckpointError,
     "2 parameter groups saved, 1"),
    ("group size", ("optimizer", "param_groups", 0, "params"), [0, 1], nn.CheckpointError,
     "group 0 holds 2 parameters saved, 4"),
    ("another optimizer", ("optimizer", "param_groups", 0, "betas"), None, nn.CheckpointError,
     "lacks ['betas']"),
    ("optimizer not a dict", ("optimizer",), 3, nn.CheckpointError, "needs 'state'"),
    ("another scheduler", ("scheduler", "step_size"), None, nn.CheckpointError, "missing ['step_size']"),
    ("extra scheduler field", ("scheduler", "T_max"), 10, nn.CheckpointError, "unexpected ['T_max']"),
    ("scheduler not a dict", ("scheduler",), "x", nn.CheckpointError, "not a dict"),
]


@pytest.mark.parametrize("case,path,value,exc,words", CASES, ids=[c[0] for c in CASES])
def test_a_checkpoint_that_does_not_fit_changes_nothing(tmp_path, case, path, value, exc, words):
    save_checkpoint(tmp_path / "good", *make(), epoch=4)
    ckpt = nn.load(tmp_path / "good")
    if path == ("optimizer", "param_groups", 1):
        ckpt["optimizer"]["param_groups"].append(value)
    else:
        edit(ckpt, path, value)
    nn.save(ckpt, tmp_path / "bad")
    model, opt, sched = fresh_objects(hidden=5)
    before = snapshot(model, opt, sched)
    with pytest.raises(exc) as err:
        load_checkpoint(tmp_path / "bad", model, opt, sched)
    message = str(err.value)
    assert message.startswith("load_checkpoint: ") and str(tmp_path / "bad") in message, message
    assert words in message, message
    assert_unchanged(before, model, opt, sched)


def test_a_failure_while_applying_undoes_what_was_applied(tmp_path, monkeypatch):
    save_checkpoint(tmp_path / "c", *make(), epoch=1)
    model, opt, sched = fresh_objects()
    before = snapshot(model, opt, sched)

    def broken(*args, **kwargs):
        raise MemoryError("out of memory while copying")
    monkeypatch.setattr(model, "load_state_dict", broken)
    with pytest.raises(MemoryError):
        load_checkpoint(tmp_path / "c", model, opt, sched)
    assert_unchanged(before, model, opt, sched)


def test_a_fitting_checkpoint_still_loads_everything(tmp_path):
    model, opt, sched = make()
    save_checkpoint(tmp_path / "c", model, opt, sched, epoch=7)
    model2, opt2, sched2 = fresh_objects()
    assert load_checkpoint(tmp_path / "c", model2, opt2, sched2)["epoch"] == 7
    for a, b in zip(model.parameters(), model2.parameters()):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    assert sched2.last_epoch == sched.last_epoch and opt2.state_dict()["param_groups"] == opt.state_dict()["param_groups"]


def test_strict_false_accepts_missing_keys_but_not_wrong_shapes(tmp_path):
    model, opt, sched = make()
    sd = model.state_dict()
    del sd["2.bias"]
    nn.save({"format": "tapegrad-training-checkpoint-1", "epoch": 0, "model": sd, "extra": {}}, tmp_path / "c")
    load_checkpoint(tmp_path / "c", fresh_objects()[0], strict=False)
    with pytest.raises(RuntimeError, match="shape"):
        load_checkpoint(tmp_path / "c", fresh_objects(hidden=6)[0], strict=False)
