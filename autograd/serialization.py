"""ag.save / ag.load (torch.save / torch.load): checkpoints as one NumPy .npz, never pickle.

``nn.save`` / ``nn.load`` are these same functions. Layout of the file:

* every array (a Tensor's data, an ndarray, a NumPy scalar) is one .npz member,
  named by its position in the nested object (``model/fc.weight``,
  ``optim/state/0/exp_avg``, ...);
* the member ``__structure__`` is a uint8 array holding UTF-8 JSON that
  describes the nesting: dicts (any JSON-able keys, ints kept as ints; an
  OrderedDict stays one), lists, tuples, Python scalars, strings and None, with
  references to the arrays and each Tensor's device and requires_grad.

A path is written atomically (``_checkpoint_io.write_atomic``); a file object
is written in place. Loading reads with pickle off and checks every header
before allocating: it never executes code from a file, and any file it can't
read raises ``CheckpointError`` (a ValueError) naming the function and the file.
"""
import json
import os
from collections import OrderedDict

import numpy as np

from . import backends
from ._checkpoint_io import (ARRAY_KINDS, TENSOR_KINDS, CheckpointError, check_member, read_member,
                             write_atomic)
from .creation import as_tensor
from .tensor import Tensor

__all__ = ["save", "load", "CheckpointError"]

_STRUCT = "__structure__"
_FORMAT = "tapegrad-checkpoint-1"
MAX_DEPTH = 100                 # nesting levels; deeper is refused on save and on load


def save(obj, f):
    """Write ``obj`` to ``f`` (a path, written atomically to exactly that name, or a
    binary file object): Tensors, arrays, state dicts, optimizer states, and nested
    dicts/lists/tuples of them with numbers, strings and None."""
    _save(obj, f, "ag.save")


def load(f, map_location=None, weights_only=True):
    """Read what ``save`` wrote. Tensors come back on the device they were saved from,
    or where ``map_location`` says: a device ('cpu', 'cuda:0'), a dict mapping saved
    devices to new ones, or ``fn(tensor, saved_device)`` returning a Tensor, a device
    or None (keep). ``weights_only`` is accepted for PyTorch's sake: the format only
    ever holds data, so there is nothing else to allow or refuse."""
    return _load(f, map_location, "ag.load")


# ----------------------------------------------------------------------- encoding
def _encode(obj, path, arrays, who):
    def where():
        return "/".join(path) or "top level"

    def add(arr):
        key = ("/".join(path) or "_").replace("\\", "_")
        base, n = key, 1
        while key in arrays or key == _STRUCT:
            key, n = f"{base}#{n}", n + 1
        arrays[key] = arr
        return key

    def check_kind(arr, kinds):
        if arr.dtype.hasobject or arr.dtype.kind not in kinds or arr.dtype.names is not None:
            raise TypeError(f"{who}: an array of dtype {arr.dtype} can't be saved safely (at {where()!r}); "
                            "save numbers, booleans or fixed-width strings")
        return arr

    if len(path) > MAX_DEPTH:
        raise ValueError(f"{who}: the object is nested deeper than {MAX_DEPTH} levels (at {where()[:200]!r}); "
                         "does it contain itself?")
    if isinstance(obj, np.generic):    # first: np.float64 is also a float
        return {"t": "npscalar", "k": add(check_kind(np.asarray(obj), ARRAY_KINDS))}
    if obj is None or isinstance(obj, (bool, str, int)):
        return obj
    if isinstance(obj, float):
        return {"t": "float", "v": repr(obj)}  # exact, and inf/nan survive strict JSON readers
    if isinstance(obj, Tensor):
        arr = check_kind(obj._backend.to_numpy(obj.array), TENSOR_KINDS)
        return {"t": "tensor", "k": add(arr), "rg": bool(obj.requires_grad), "dev": obj.device}
    if isinstance(obj, np.ndarray) or type(obj).__module__.split(".")[0] == "cupy":
        return {"t": "ndarray", "k": add(check_kind(backends.of_array(obj).to_numpy(obj), ARRAY_KINDS))}
    if isinstance(obj, dict):
        items = []
        for k, v in obj.items():
            if not (k is None or isinstance(k, (str, int, float, bool))):
                raise TypeError(f"{who}: dict key {k!r} of type {type(k).__name__} is not supported "
                                f"(at {where()!r}); use str, int, float, bool or None")
            items.append([k, _encode(v, path + [str(k)], arrays, who)])
        return {"t": "odict" if isinstance(obj, OrderedDict) else "dict", "items": items}
    if isinstance(obj, (list, tuple)):
        return {"t": "tuple" if isinstance(obj, tuple) else "list",
                "items": [_encode(v, path + [str(i)], arrays, who) for i, v in enumerate(obj)]}
    if callable(getattr(obj, "state_dict", None)):
        raise TypeError(f"{who}: can't save a {type(obj).__name__} object itself (that would need pickle); "
                        f"save its state: {who}(obj.state_dict(), f), and restore it with "
                        "obj.load_state_dict(...) after building the object in code")
    raise TypeError(f"{who}: can't save an object of type {type(obj).__name__} (at {where()!r}); a checkpoint "
                    "holds Tensors, arrays, numbers, strings, None and dicts/lists/tuples of them")


def _save(obj, f, who):
    arrays = {}
    structure = {"format": _FORMAT, "root": _encode(obj, [], arrays, who)}
    arrays[_STRUCT] = np.frombuffer(json.dumps(structure, allow_nan=False).encode("utf-8"), np.uint8)

    def write(fileobj):
        np.savez(fileobj, **arrays)
    if hasattr(f, "write"):
        write(f)
    else:
        write_atomic(os.fspath(f), write)


# ----------------------------------------------------------------------- decoding
class _Reader:
    """Reads one checkpoint's members on demand and rebuilds the nested object."""

    def __init__(self, zf, total_size, fail, place):
        self.zf, self.total_size, self.fail, self.place = zf, total_size, fail, place
        self.members = {n[:-4]: i for i, n in enumerate(zf.namelist()) if n.endswith(".npy")}
        self.infos = zf.infolist()
        self.used = set()
        for info in self.infos:     # every header first: an object array is refused up front
            check_member(zf, info, total_size, fail)[0].close()

    def array(self, key, kinds=ARRAY_KINDS):
        if not isinstance(key, str) or key not in self.members:
            raise self.fail(f"the structure refers to an array {key!r} that the file doesn't hold")
        if key in self.used:        # one member read many times would multiply its memory
            raise self.fail(f"the structure refers to the array {key!r} more than once")
        self.used.add(key)
        return read_member(self.zf, self.infos[self.members[key]], self.total_size, self.fail, kinds)

    def decode(self, node, depth=0):
        if depth > 3 * MAX_DEPTH:   # 3 JSON levels per dict level ({"items": [[k, v]]})
            raise self.fail(f"the structure is nested deeper than {MAX_DEPTH} levels")
        if node is None or isinstance(node, (bool, int, float, str)):
            return node
        t = node.get("t") if isinstance(node, dict) else None
        if t == "float":
            return float(node["v"])
        if t == "tensor":
            return self.place(self.array(node["k"], TENSOR_KINDS), node.get("dev", "cpu"),
                              bool(node.get("rg", False)))
        if t == "ndarray":
            return self.array(node["k"])
        if t == "npscalar":
            arr = self.array(node["k"])
            if arr.ndim:
                raise self.fail(f"the NumPy scalar {node['k']!r} has shape {arr.shape}")
            return arr[()]
        if t in ("dict", "odict"):
            d = OrderedDict() if t == "odict" else {}
            for k, v in node["items"]:
                d[k] = self.decode(v, depth + 1)
            return d
        if t in ("list", "tuple"):
            items = [self.decode(v, depth + 1) for v in node["items"]]
            return tuple(items) if t == "tuple" else items
        raise self.fail(f"the structure holds an unknown entry {str(node)[:80]!r}")


def _placer(map_location, who):
    """map_location -> place(array, saved_device, requires_grad) -> Tensor."""
    def device(dev, what):
        try:
            return backends.get(str(dev)).name
        except (RuntimeError, ValueError) as e:    # PyTorch's type for both, not a corrupt file
            hint = "; pass map_location='cpu' to load onto the CPU" if map_location is None else ""
            raise RuntimeError(f"{who}: {what}: {e}{hint}") from e
    if map_location is not None and not (isinstance(map_location, dict) or callable(map_location)):
        device(map_location, f"map_location={map_location!r}")   # a bad device fails before any reading
    if isinstance(map_location, dict):
        mapping = {backends._normalize(k): v for k, v in map_location.items()}

    def place(arr, saved, requires_grad):
        target = saved
        if isinstance(map_location, dict):
            target = mapping.get(backends._normalize(saved), saved)
        elif callable(map_location):
            out = map_location(as_tensor(arr), saved)
            if isinstance(out, Tensor):
                return out.requires_grad_() if requires_grad else out
            target = saved if out is None else out
        elif map_location is not None:
            target = map_location
        t = as_tensor(arr, device=device(target, f"a tensor saved on {saved!r}"))
        return t.requires_grad_() if requires_grad else t
    return place


def _open_zip(f, who, where):
    """(ZipFile, size or None, the file to close or None); a clear error for other formats."""
    import io
    import zipfile
    own = None
    if not hasattr(f, "read"):
        f = own = open(f, "rb")
    try:
        if not (hasattr(f, "seekable") and f.seekable()):
            f = io.BytesIO(f.read())   # zip needs seeking: a pipe is read whole first
        start = f.tell()
        head = f.read(8)
        size = f.seek(0, io.SEEK_END) - start
        f.seek(start)
        problem = _not_a_zip(head)
        if problem:
            raise CheckpointError(f"{who}: {where} is not a tapegrad checkpoint: {problem}")
        try:
            zf = zipfile.ZipFile(f)
        except (zipfile.BadZipFile, EOFError, OSError, ValueError) as e:
            raise CheckpointError(f"{who}: {where} is not a readable checkpoint (truncated or corrupt zip: "
                                  f"{e})") from e
        names = zf.namelist()
        if _STRUCT + ".npy" not in names:
            pt = any(n == "data.pkl" or n.endswith("/data.pkl") for n in names)
            raise CheckpointError(
                f"{who}: {where} is " + ("a PyTorch checkpoint (pickles inside a zip); tapegrad never unpickles: "
                                         "in PyTorch, save {k: v.numpy() for k, v in sd.items()} with numpy.savez "
                                         "and load that with numpy.load" if pt else
                                         f"a zip/.npz file without a {_STRUCT} entry: not written by ag.save/nn.save"))
        return zf, size, own
    except BaseException:
        if own is not None:
            own.close()
        raise


def _not_a_zip(head):
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return None
    if not head:
        return "the file is empty"
    if head.startswith(b"\x93NUMPY"):
        return "it is a single .npy array (numpy.save), never unpickled or read as a checkpoint"
    if head[:1] == b"\x80" and head[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05"):
        return "it is a Python pickle (never unpickled: loading never executes code from a file)"
    return f"it doesn't start like a zip/.npz file (first bytes {head[:8]!r}): corrupt, or another format"


def _load(f, map_location, who):
    import zipfile
    where = repr(os.fspath(f)) if not hasattr(f, "read") else repr(getattr(f, "name", "<file object>"))

    def fail(msg):
        return CheckpointError(f"{who}: {where}: {msg}")
    place = _placer(map_location, who)
    zf, size, own = _open_zip(f, who, where)
    try:
        with zf:
            reader = _Reader(zf, size, fail, place)
            try:
                text = reader.array(_STRUCT, "u").tobytes().decode("utf-8")
                structure = json.loads(text)
            except RecursionError as e:
                raise fail(f"the structure is nested deeper than {MAX_DEPTH} levels") from e
            except (UnicodeDecodeError, ValueError) as e:
                if isinstance(e, CheckpointError):
                    raise
                raise fail(f"the structure entry is not valid JSON ({e})") from e
            if not isinstance(structure, dict) or structure.get("format") != _FORMAT:
                raise fail(f"unknown format {structure.get('format') if isinstance(structure, dict) else None!r}"
                           f" (expected {_FORMAT!r})")
            try:
                return reader.decode(structure.get("root"))
            except (KeyError, TypeError, AttributeError, ValueError) as e:
                if isinstance(e, CheckpointError):
                    raise
                raise fail(f"corrupt structure entry ({type(e).__name__}: {e})") from e
    except (zipfile.BadZipFile, EOFError, OSError) as e:
        raise fail(f"truncated or corrupt ({type(e).__name__}: {e})") from e
    finally:
        if own is not None:
            own.close()
