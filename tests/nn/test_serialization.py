"""nn.save / nn.load: exact path, round trips, refusal of pickles, errors, atomic writes."""
import os
import pickle
from collections import OrderedDict

import numpy as np
import pytest

import autograd as ag
import nn
from nn import optim


def model_sd():
    return OrderedDict([
        ("fc.weight", ag.tensor(np.arange(6, dtype=np.float32).reshape(2, 3))),
        ("fc.bias", ag.tensor(np.array([0.5, -1.5], np.float32))),
        ("bn.num_batches_tracked", ag.tensor(np.array(7, dtype=np.int64))),
        ("emb.weight", ag.tensor(np.ones((2, 2), np.float64))),
    ])


def test_state_dict_round_trip_to_exact_path(tmp_path):
    path = tmp_path / "model.ckpt"  # no .npz suffix: the file is exactly this name
    nn.save(model_sd(), path)
    assert os.listdir(tmp_path) == ["model.ckpt"]
    out = nn.load(str(path))
    assert isinstance(out, OrderedDict) and list(out) == list(model_sd())
    for k, v in model_sd().items():
        assert isinstance(out[k], ag.Tensor)
        assert out[k].dtype == v.dtype and out[k].shape == v.shape
        np.testing.assert_array_equal(out[k].array, v.array)
    assert np.load(path, allow_pickle=False)["fc.weight"].shape == (2, 3)  # plain npz inside


def test_nested_checkpoint_with_python_values(tmp_path):
    p = nn.Parameter(np.ones((2, 2), np.float32))
    opt = optim.Adam([p], lr=0.01)
    p.grad = ag.tensor(np.ones((2, 2), np.float32))
    opt.step()
    obj = {"model": model_sd(), "optim": opt.state_dict(), "epoch": 3, "best": 0.125, "name": "run-1",
           "done": False, "note": None, "hist": [1.5, float("inf"), 2], "shape": (2, 3),
           "arr": np.arange(4, dtype=np.int32), "np_scalar": np.float32(2.5), 7: "int key"}
    nn.save(obj, tmp_path / "all.npz")
    out = nn.load(tmp_path / "all.npz")
    assert out["epoch"] == 3 and type(out["epoch"]) is int
    assert out["best"] == 0.125 and type(out["best"]) is float
    assert out["name"] == "run-1" and out["done"] is False and out["note"] is None
    assert out["hist"] == [1.5, float("inf"), 2] and out["shape"] == (2, 3)
    assert isinstance(out["arr"], np.ndarray) and out["arr"].dtype == np.int32
    assert out["np_scalar"] == np.float32(2.5)
    assert out[7] == "int key"
    st = out["optim"]["state"]
    assert list(st) == [0] and st[0]["step"] == 1
    assert isinstance(st[0]["exp_avg"], ag.Tensor) and st[0]["exp_avg"].dtype == np.float32
    assert out["optim"]["param_groups"][0]["betas"] == (0.9, 0.999)
    assert out["optim"]["param_groups"][0]["params"] == [0]


def test_truncated_file_is_a_clear_error(tmp_path):
    path = tmp_path / "ck"
    nn.save(model_sd(), path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError) as e:
        nn.load(path)
    assert str(path) in str(e.value)
    path.write_bytes(b"")
    with pytest.raises(ValueError, match="ck"):
        nn.load(path)
    path.write_bytes(b"this is not a checkpoint at all")
    with pytest.raises(ValueError, match="ck"):
        nn.load(path)
    with pytest.raises(FileNotFoundError):
        nn.load(tmp_path / "missing")


def test_pickle_bearing_files_are_refused(tmp_path):
    npy = tmp_path / "obj.npy"
    np.save(npy, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(ValueError) as e:
        nn.load(npy)
    assert "unpickle" in str(e.value) and str(npy) in str(e.value)

    npz = tmp_path / "obj.npz"
    with open(npz, "wb") as f:
        np.savez(f, __structure__=np.zeros(1, np.uint8), evil=np.array([object()], dtype=object))
    with pytest.raises(ValueError, match="unpickle"):
        nn.load(npz)

    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            return (open, (str(marker), "w"))
    raw = tmp_path / "raw.pkl"
    raw.write_bytes(pickle.dumps(Evil()))
    with pytest.raises(ValueError):
        nn.load(raw)
    assert not marker.exists()


def test_unsupported_object_leaves_no_file(tmp_path):
    path = tmp_path / "ck"
    with pytest.raises(TypeError, match="object"):
        nn.save({"a": ag.tensor(np.ones(2, np.float32)), "bad": object()}, path)
    assert os.listdir(tmp_path) == []


def test_write_is_atomic(tmp_path, monkeypatch):
    path = tmp_path / "ck"
    nn.save({"v": ag.tensor(np.ones(3, np.float32))}, path)
    before = path.read_bytes()
    real_savez = np.savez

    def failing_savez(f, **arrays):
        f.write(b"PK\x03\x04 half a zip")
        raise OSError("disk full")
    monkeypatch.setattr(np, "savez", failing_savez)
    with pytest.raises(OSError, match="disk full"):
        nn.save({"v": ag.tensor(np.zeros(3, np.float32))}, path)
    monkeypatch.setattr(np, "savez", real_savez)
    assert path.read_bytes() == before  # the old checkpoint is untouched
    assert os.listdir(tmp_path) == ["ck"]  # and no temporary file is left
    np.testing.assert_array_equal(nn.load(path)["v"].array, np.ones(3))

    fresh = tmp_path / "new"
    monkeypatch.setattr(np, "savez", failing_savez)
    with pytest.raises(OSError):
        nn.save({"v": 1}, fresh)
    assert not fresh.exists()


def test_module_state_dict_through_file(tmp_path):
    class M(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(np.random.default_rng(0).standard_normal((3, 2)).astype(np.float32))
            self.register_buffer("steps", ag.tensor(np.array(4, dtype=np.int64)))
    a, b = M(), M()
    b.w.array[...] = 0
    nn.save(a.state_dict(), tmp_path / "m")
    b.load_state_dict(nn.load(tmp_path / "m"))
    np.testing.assert_array_equal(a.w.array, b.w.array)
    assert b.w.dtype == np.float32 and int(b.steps.item()) == 4
