"""nn.save / nn.load: checkpoints as a single NumPy .npz that never needs pickle.

Layout of the file written to exactly ``path``:

* every array (a Tensor's data, an ndarray, a NumPy scalar) is one .npz member,
  named by its position in the nested object (``model/fc.weight``,
  ``optim/state/0/exp_avg``, ...);
* the member ``__structure__`` is a uint8 array holding UTF-8 JSON that
  describes the nesting: dicts (any JSON-able keys, ints kept as ints), lists,
  tuples, Python scalars, strings and None, with references to the arrays.

The file is written to a temporary file in the same folder and renamed over
``path`` (``os.replace``), so a crash never leaves a half-written checkpoint.
``nn.load`` reads with ``allow_pickle=False``: it never executes code from a file.
"""
import io
import json
import os
import tempfile
import zipfile
from collections import OrderedDict

import numpy as np

import autograd as ag

from . import _compat

__all__ = ["save", "load", "CheckpointError"]

_STRUCT = "__structure__"
_FORMAT = "tapegrad-checkpoint-1"


class CheckpointError(ValueError):
    """A file that is not a readable checkpoint (truncated, corrupt, or pickle-bearing)."""


def _encode(obj, path, arrays):
    def add(arr):
        key = "/".join(path) or "_"
        key = key.replace("\\", "_")
        base, n = key, 1
        while key in arrays or key == _STRUCT:
            key, n = f"{base}#{n}", n + 1
        arrays[key] = arr
        return key

    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, int) and not isinstance(obj, bool):
        return obj
    if isinstance(obj, float):
        return {"t": "float", "v": repr(obj)}  # exact, and inf/nan survive strict JSON readers
    if isinstance(obj, ag.Tensor):
        arr = _compat.to_numpy(obj.detach() if obj.requires_grad else obj)
        return {"t": "tensor", "k": add(arr), "rg": bool(obj.requires_grad)}
    if isinstance(obj, np.generic):
        return {"t": "npscalar", "k": add(np.asarray(obj))}
    if isinstance(obj, np.ndarray) or type(obj).__module__.split(".")[0] == "cupy":
        arr = _compat.to_numpy(obj)
        if arr.dtype.hasobject:
            raise TypeError(f"nn.save: object arrays can't be saved safely (at {'/'.join(path)!r})")
        return {"t": "ndarray", "k": add(arr)}
    if isinstance(obj, dict):
        items = []
        for k, v in obj.items():
            if not (k is None or isinstance(k, (str, int, float, bool))):
                raise TypeError(f"nn.save: dict key {k!r} of type {type(k).__name__} is not supported "
                                "(use str, int, float, bool or None)")
            items.append([k, _encode(v, path + [str(k)], arrays)])
        return {"t": "odict" if isinstance(obj, OrderedDict) else "dict", "items": items}
    if isinstance(obj, (list, tuple)):
        return {"t": "tuple" if isinstance(obj, tuple) else "list",
                "items": [_encode(v, path + [str(i)], arrays) for i, v in enumerate(obj)]}
    raise TypeError(f"nn.save: can't save an object of type {type(obj).__name__} "
                    f"(at {'/'.join(path) or 'top level'!r}); a checkpoint holds Tensors, arrays, "
                    "numbers, strings, None and dicts/lists/tuples of them")


def _decode(node, arrays):
    if node is None or isinstance(node, (bool, int, str)):
        return node
    if isinstance(node, float):
        return node
    t = node["t"]
    if t == "float":
        return float(node["v"])
    if t == "tensor":
        return ag.tensor(arrays[node["k"]], requires_grad=bool(node.get("rg", False)))
    if t == "ndarray":
        return arrays[node["k"]]
    if t == "npscalar":
        return arrays[node["k"]][()]
    if t in ("dict", "odict"):
        d = OrderedDict() if t == "odict" else {}
        for k, v in node["items"]:
            d[k] = _decode(v, arrays)
        return d
    if t == "list":
        return [_decode(v, arrays) for v in node["items"]]
    if t == "tuple":
        return tuple(_decode(v, arrays) for v in node["items"])
    raise ValueError(f"unknown node type {t!r}")


def save(obj, path):
    """Write ``obj`` (a state dict, an optimizer state dict, or a dict of them) to ``path``.

    The file is exactly ``path`` (no suffix is added) and appears atomically.
    """
    path = os.fspath(path)
    arrays = {}
    structure = {"format": _FORMAT, "root": _encode(obj, [], arrays)}
    text = json.dumps(structure, allow_nan=False)
    arrays[_STRUCT] = np.frombuffer(text.encode("utf-8"), dtype=np.uint8)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix="." + os.path.basename(path) + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def load(path):
    """Read a checkpoint written by ``nn.save``; Tensors come back as ``ag.Tensor``.

    Never unpickles: a file holding object arrays or pickles raises
    ``CheckpointError`` (a ValueError), as does a truncated or corrupt file.
    """
    path = os.fspath(path)
    with open(path, "rb") as f:
        raw = f.read()
    try:
        with np.load(io.BytesIO(raw), allow_pickle=False) as npz:
            if not hasattr(npz, "files"):
                raise CheckpointError(f"nn.load: {path!r} is a single .npy array, not an nn.save checkpoint")
            arrays = {k: npz[k] for k in npz.files}
    except CheckpointError:
        raise
    except ValueError as e:
        if "pickle" in str(e).lower():
            raise CheckpointError(f"nn.load: {path!r} contains pickled data or object arrays; nn.load "
                                  "won't unpickle (it never executes code from a file)") from e
        raise CheckpointError(f"nn.load: {path!r} is not a valid checkpoint (corrupt or truncated?): {e}") from e
    except (zipfile.BadZipFile, EOFError, OSError, KeyError, NotImplementedError) as e:
        raise CheckpointError(f"nn.load: {path!r} is not a valid checkpoint (truncated or corrupt): "
                              f"{type(e).__name__}: {e}") from e
    if _STRUCT not in arrays:
        raise CheckpointError(f"nn.load: {path!r} has no {_STRUCT} entry: not written by nn.save")
    try:
        structure = json.loads(arrays.pop(_STRUCT).tobytes().decode("utf-8"))
        if structure.get("format") != _FORMAT:
            raise ValueError(f"unknown format {structure.get('format')!r}")
        return _decode(structure["root"], arrays)
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as e:
        raise CheckpointError(f"nn.load: {path!r} has a corrupt structure entry: {e}") from e
