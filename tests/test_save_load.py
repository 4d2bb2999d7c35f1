"""ag.save / ag.load (torch.save / torch.load): paths and file objects, what round-trips,
devices and map_location, what is refused on save, file modes, temporary files."""
import io
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections import OrderedDict

import numpy as np
import pytest

import autograd as ag
import nn
from autograd import _checkpoint_io, backends
from autograd.backends.numpy_backend import NumpyBackend
from nn import optim

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FAKE = backends.register(NumpyBackend('fake:9'))     # a second device that runs anywhere


def assert_same(a, b):
    assert type(a) is type(b), (a, b)
    if isinstance(a, ag.Tensor):
        assert a.dtype == b.dtype and a.shape == b.shape and a.device == b.device
        assert a.requires_grad == b.requires_grad
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    elif isinstance(a, np.ndarray):
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)
    elif isinstance(a, dict):
        assert list(a) == list(b)
        for k in a:
            assert_same(a[k], b[k])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            assert_same(x, y)
    else:
        assert a == b or (a != a and b != b)


def rich_object():
    sd = OrderedDict([("z.weight", ag.randn(3, 2)), ("a.bias", ag.zeros(3, dtype=ag.float64)),
                      ("m.steps", ag.tensor(5)), ("mask", ag.tensor([True, False])),
                      ("half", ag.ones(2, dtype=ag.float16)), ("c", ag.tensor(np.array([1 + 2j], np.complex64)))])
    return {"model": sd, "epoch": 3, "lr": 1e-3, "inf": float("-inf"), "name": "run", "none": None,
            "flags": [True, False], "shape": (2, (3, 4)), "empty": {}, "arr": np.arange(4, dtype=np.uint8),
            "words": np.array(["ab", "c"]), "np": np.float64(0.25), 7: "int key", 2.5: "float key"}


@pytest.mark.parametrize("target", ["path", "pathlike", "bytesio", "open_file"])
def test_round_trip_on_paths_and_file_objects(tmp_path, target):
    obj = rich_object()
    path = tmp_path / "ck.pt"
    if target == "bytesio":
        buf = io.BytesIO()
        ag.save(obj, buf)
        buf.seek(0)
        out = ag.load(buf)
    elif target == "open_file":
        with open(path, "wb") as f:
            ag.save(obj, f)
        with open(path, "rb") as f:
            out = ag.load(f)
    else:
        ag.save(obj, str(path) if target == "path" else path)
        assert os.listdir(tmp_path) == ["ck.pt"]            # exactly that name, nothing left over
        out = ag.load(str(path) if target == "path" else path, weights_only=True)
    assert_same(out, obj)
    assert type(out["model"]) is OrderedDict and list(out["model"]) == list(obj["model"])


def test_pytorch_idiom_after_import_autograd_as_torch(tmp_path):
    import autograd as torch
    ag.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    opt = optim.Adam(model.parameters(), lr=0.01)
    model(ag.randn(5, 3)).sum().backward()
    opt.step()
    torch.save(model.state_dict(), tmp_path / "model.pt")
    torch.save({"optimizer": opt.state_dict(), "epoch": 1}, tmp_path / "opt.pt")
    model2 = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    opt2 = optim.Adam(model2.parameters(), lr=0.5)
    model2.load_state_dict(torch.load(tmp_path / "model.pt", map_location="cpu"))
    opt2.load_state_dict(torch.load(tmp_path / "opt.pt", weights_only=True)["optimizer"])
    for a, b in zip(model.parameters(), model2.parameters()):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    assert opt2.param_groups[0]["lr"] == 0.01
    assert_same(opt2.state_dict()["state"], opt.state_dict()["state"])


def test_parameters_come_back_as_plain_tensors(tmp_path):
    p = nn.Parameter(np.ones((2, 2), np.float32))
    ag.save({"p": p, "sd": nn.Linear(2, 1).state_dict()}, tmp_path / "p")
    out = ag.load(tmp_path / "p")
    assert type(out["p"]) is ag.Tensor and out["p"].requires_grad and out["p"].is_leaf
    assert all(type(v) is ag.Tensor and not v.requires_grad for v in out["sd"].values())


def test_nn_save_and_ag_save_are_one_format(tmp_path):
    obj = rich_object()
    nn.save(obj, tmp_path / "a")
    ag.save(obj, tmp_path / "b")
    assert_same(ag.load(tmp_path / "a"), nn.load(tmp_path / "b"))


# ------------------------------------------------------------------- devices
def test_tensors_return_to_their_device_or_where_map_location_says(tmp_path):
    obj = {"on_fake": ag.ones(2, device="fake:9"), "on_cpu": ag.zeros(2)}
    ag.save(obj, tmp_path / "d")
    out = ag.load(tmp_path / "d")
    assert out["on_fake"].device == "fake:9" and out["on_cpu"].device == "cpu"
    for loc in ("cpu", {"fake:9": "cpu"}, lambda t, saved: t, lambda t, saved: "cpu"):
        out = ag.load(tmp_path / "d", map_location=loc)
        assert out["on_fake"].device == "cpu" and out["on_cpu"].device == "cpu", loc
    assert ag.load(tmp_path / "d", map_location="fake:9")["on_cpu"].device == "fake:9"
    seen = []
    out = ag.load(tmp_path / "d", map_location=lambda t, saved: seen.append((t.device, saved)))
    assert sorted(seen) == [("cpu", "cpu"), ("cpu", "fake:9")] and out["on_fake"].device == "fake:9"


def test_a_device_missing_here_says_to_use_map_location(tmp_path):
    ghost = backends.register(NumpyBackend("ghost:3"))
    ag.save({"w": ag.ones(2, device=ghost.name)}, tmp_path / "g")
    del backends._registry["ghost:3"]
    with pytest.raises(RuntimeError, match=r"ag.load: .*ghost:3.*map_location='cpu'"):
        ag.load(tmp_path / "g")
    assert ag.load(tmp_path / "g", map_location="cpu")["w"].device == "cpu"
    with pytest.raises(RuntimeError, match=r"ag.load: map_location='cude'"):
        ag.load(tmp_path / "g", map_location="cude")


# ------------------------------------------------------------ refused on save
class Holder:
    def state_dict(self):
        return {}


def deep(n):
    x = []
    for _ in range(n):
        x = [x]
    return x


loop = []
loop.append(loop)

SAVE_ERRORS = [
    ("module", nn.Linear(2, 2), TypeError, r"Linear object itself.*state_dict\(\)"),
    ("optimizer", optim.SGD(nn.Linear(2, 2).parameters(), lr=0.1), TypeError, r"SGD.*state_dict\(\)"),
    ("any stateful object", Holder(), TypeError, r"Holder.*state_dict\(\)"),
    ("plain object", {"x": object()}, TypeError, r"type object \(at 'x'\)"),
    ("object array", {"a": np.array([{}], dtype=object)}, TypeError, r"dtype object.*'a'"),
    ("datetime array", np.array(["2020-01-01"], dtype="datetime64[D]"), TypeError, "datetime64"),
    ("bad key", {(1, 2): 3}, TypeError, r"dict key \(1, 2\)"),
    ("nested too deep", deep(150), ValueError, "deeper than 100 levels"),
    ("contains itself", loop, ValueError, "contain itself"),
]


@pytest.mark.parametrize("case,obj,exc,match", SAVE_ERRORS, ids=[c[0] for c in SAVE_ERRORS])
@pytest.mark.parametrize("who", ["ag", "nn"])
def test_save_refuses_what_it_cannot_store_safely(tmp_path, who, case, obj, exc, match):
    with pytest.raises(exc, match=match) as err:
        (ag.save if who == "ag" else nn.save)(obj, tmp_path / "x")
    assert str(err.value).startswith(f"{who}.save: ")
    assert os.listdir(tmp_path) == []                    # nothing written, no temporary left


# ------------------------------------------------------------------ file modes
@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_new_files_follow_the_umask_and_overwrites_keep_the_mode(tmp_path):
    old = os.umask(0o022)
    try:
        ag.save({"a": 1}, tmp_path / "new")
        assert os.stat(tmp_path / "new").st_mode & 0o777 == 0o644
        os.umask(0o077)
        ag.save({"a": 1}, tmp_path / "private")
        assert os.stat(tmp_path / "private").st_mode & 0o777 == 0o600
        os.chmod(tmp_path / "new", 0o640)
        ag.save({"a": 2}, tmp_path / "new")              # overwritten under umask 077: keeps 0640
        assert os.stat(tmp_path / "new").st_mode & 0o777 == 0o640
        assert ag.load(tmp_path / "new") == {"a": 2}
    finally:
        os.umask(old)


# ------------------------------------------------------------ temporary files
def dead_pid():
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


@pytest.mark.skipif(os.name != "posix", reason="process liveness is checked on POSIX")
def test_next_save_cleans_only_stale_temporaries_of_its_own_naming(tmp_path):
    host = _checkpoint_io._host()
    files = {
        f".ck.tapegrad-{host}-{dead_pid()}-0123abcd.tmp": False,       # writer killed: removed
        f".other.tapegrad-{host}-{dead_pid()}-00000000.tmp": False,    # another target's: removed too
        f".ck.tapegrad-{host}-{os.getpid()}-89abcdef.tmp": True,       # writer alive: kept
        f".ck.tapegrad-elsewhere-{dead_pid()}-11111111.tmp": True,     # another host's, fresh: kept
        ".ck.tapegrad-x-1-2.tmp": True,                                  # not our pattern: kept
        ".ck.123.tmp": True, "notes.tmp": True,
    }
    for name in files:
        (tmp_path / name).write_bytes(b"x" * 10)
    aged = tmp_path / f".ck.tapegrad-{host}-{os.getpid()}-22222222.tmp"   # alive but a day old: removed
    aged.write_bytes(b"x")
    os.utime(aged, (time.time() - 2 * 24 * 3600,) * 2)
    ag.save({"v": 1}, tmp_path / "ck")
    left = set(os.listdir(tmp_path))
    assert left == {n for n, kept in files.items() if kept} | {"ck"}


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_sigkill_mid_save_keeps_the_old_file_and_the_next_save_cleans_up(tmp_path):
    path = tmp_path / "ck"
    ag.save({"epoch": 1}, path)
    child = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import sys, time
        import numpy as np
        import autograd as ag
        def stuck(f, **arrays):
            f.write(b"PK" + bytes(1 << 20))
            f.flush()
            print("writing", flush=True)
            time.sleep(60)
        np.savez = stuck
        ag.save({{"epoch": 2}}, {str(path)!r})
        """)], env=dict(os.environ, PYTHONPATH=ROOT), stdout=subprocess.PIPE)
    assert child.stdout.readline().strip() == b"writing"
    child.send_signal(signal.SIGKILL)
    child.wait()
    temps = [n for n in os.listdir(tmp_path) if n != "ck"]
    assert len(temps) == 1 and os.path.getsize(tmp_path / temps[0]) > 1 << 20
    assert ag.load(path) == {"epoch": 1}                # the old checkpoint survived
    ag.save({"epoch": 3}, path)
    assert os.listdir(tmp_path) == ["ck"] and ag.load(path) == {"epoch": 3}


# -------------------------------------------------------------------- memory
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc for the resident size")
def test_loading_needs_about_the_files_size_in_memory(tmp_path):
    """Members are read straight into their arrays: peak ~1x the file (was 3x)."""
    path = tmp_path / "big"
    ag.save({f"w{i}": ag.zeros(1024, 4096) for i in range(8)}, path)     # 128 MiB
    script = textwrap.dedent(f"""
        import autograd as ag
        def resident(field):       # this process's own counters (ru_maxrss keeps the parent's across exec)
            line = next(l for l in open("/proc/self/status") if l.startswith(field))
            return int(line.split()[1]) * 1024
        base = resident("VmRSS:")
        out = ag.load({str(path)!r})
        print((resident("VmHWM:") - base) / {os.path.getsize(path)})
        """)
    ratio = float(subprocess.run([sys.executable, "-c", script], env=dict(os.environ, PYTHONPATH=ROOT),
                                 check=True, capture_output=True, text=True).stdout)
    assert ratio < 1.15, ratio
