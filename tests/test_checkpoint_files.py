"""Every way a file can fail to be a checkpoint: each raises CheckpointError (a ValueError)
naming the function called and the file, says what is wrong, and allocates nothing big."""
import io
import json
import pickle
import zipfile

import numpy as np
import numpy.lib.format as fmt
import pytest

import autograd as ag
import nn
from autograd.serialization import CheckpointError

FORMAT = "tapegrad-checkpoint-1"


def npy(arr):
    buf = io.BytesIO()
    fmt.write_array(buf, arr, allow_pickle=True)
    return buf.getvalue()


def fake_header(shape, descr="<f4"):
    """A .npy header claiming `shape` of `descr`, followed by 16 bytes of data."""
    buf = io.BytesIO()
    fmt.write_array_header_2_0(buf, {"descr": descr, "fortran_order": False, "shape": shape})
    return buf.getvalue() + bytes(16)


def structure(root, fmt_name=FORMAT):
    return np.frombuffer(json.dumps({"format": fmt_name, "root": root}).encode(), np.uint8)


def zip_of(members, compression=zipfile.ZIP_STORED):
    """A zip of {name: bytes or array}; arrays become .npy members."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as z:
        for name, data in members.items():
            z.writestr(name if not isinstance(data, np.ndarray) else name + ".npy",
                       data if isinstance(data, bytes) else npy(data))
    return buf.getvalue()


def with_root(root, **arrays):
    return zip_of({"__structure__": structure(root), **arrays})


def tensor_node(key):
    return {"t": "tensor", "k": key, "rg": False, "dev": "cpu"}


def good_file():
    buf = io.BytesIO()
    ag.save({"w": ag.arange(64, dtype=ag.float32), "b": ag.ones(3)}, buf)
    return buf.getvalue()


def deep_file(levels):
    """A structure of `levels` nested lists, as JSON text (json.dumps itself would recurse)."""
    text = f'{{"format": "{FORMAT}", "root": ' + '{"t": "list", "items": [' * levels + "1" + "]}" * levels + "}"
    return zip_of({"__structure__": np.frombuffer(text.encode(), np.uint8)})


def corrupt_crc():
    data = bytearray(good_file())
    at = data.index(np.arange(64, dtype=np.float32).tobytes())
    data[at + 10] ^= 0xFF                           # one flipped byte inside w's data
    return bytes(data)


def deflate_bomb():
    """A deflated member whose central directory claims a size zlib can't reach."""
    data = bytearray(zip_of({"__structure__": structure(1)}, zipfile.ZIP_DEFLATED))
    cd = data.rindex(b"PK\x01\x02")
    data[cd + 24:cd + 28] = (2 ** 32 - 2).to_bytes(4, "little")    # uncompressed size
    return bytes(data)


class Evil:
    def __reduce__(self):
        return (print, ("pwned",))


CASES = [  # (case, file bytes, words the message must hold)
    ("empty file", b"", "empty"),
    ("random bytes", bytes(range(7, 250, 3)) * 4, "another format"),
    ("text", b"this is not a checkpoint at all", "another format"),
    ("wrong magic", b"PQ\x03\x04" + good_file()[4:], "another format"),
    ("truncated", good_file()[:len(good_file()) // 2], "truncated or corrupt"),
    ("truncated to the header", good_file()[:40], "truncated or corrupt"),
    ("pickle", pickle.dumps(Evil()), "pickle"),
    ("single .npy", npy(np.arange(3)), ".npy"),
    ("object .npy", npy(np.array([{}], dtype=object)), "never unpickled"),
    ("plain npz", zip_of({"w": np.ones(2)}), "without a __structure__"),
    ("PyTorch zip", zip_of({"archive/data.pkl": b"\x80\x02.", "archive/version": b"3"}), "PyTorch"),
    ("object array member", with_root(1, evil=np.array([Evil()], dtype=object)), "Python objects"),
    ("structured dtype", with_root(1, s=np.zeros(2, [("a", "<i4")])), "dtype"),
    ("3.6 TiB header", with_root(tensor_node("w"), w=fake_header((1 << 40,))), "claims shape"),
    ("header beyond data", with_root(tensor_node("w"), w=fake_header((5,))), "claims shape"),
    ("not a .npy member", with_root(tensor_node("w"), **{"w.npy": b"hello world, no header"}),
     "no valid .npy header"),
    ("corrupt data (CRC)", corrupt_crc(), "truncated or corrupt"),
    ("zip bomb-ish size", deflate_bomb(), "more than zlib can expand"),
    ("missing array", with_root({"t": "dict", "items": [["w", tensor_node("gone")]]}), "'gone'"),
    ("array used twice", with_root({"t": "list", "items": [tensor_node("w"), tensor_node("w")]},
                                   w=np.ones(2)), "more than once"),
    ("string array as tensor", with_root(tensor_node("s"), s=np.array(["a", "b"])), "a Tensor can't hold"),
    ("array as a NumPy scalar", with_root({"t": "npscalar", "k": "a"}, a=np.ones(3)), "shape (3,)"),
    ("nested too deep", deep_file(400), "deeper than 100"),
    ("nested past the recursion limit", deep_file(100_000), "deeper than 100"),
    ("unknown node", with_root({"t": "lambda", "code": "rm -rf"}), "unknown entry"),
    ("malformed node", with_root({"t": "dict", "items": [["a", 1, 2]]}), "corrupt structure"),
    ("bad float", with_root({"t": "float", "v": "one"}), "corrupt structure"),
    ("structure not JSON", zip_of({"__structure__": np.frombuffer(b"{nope", np.uint8)}), "not valid JSON"),
    ("structure not UTF-8", zip_of({"__structure__": np.frombuffer(b"\xff\xfe", np.uint8)}), "not valid JSON"),
    ("structure of floats", zip_of({"__structure__": np.ones(3)}), "dtype"),
    ("another format", zip_of({"__structure__": structure(1, "other-2")}), "unknown format"),
]


@pytest.mark.parametrize("case,data,words", CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("who", ["ag.load", "nn.load"])
def test_loader_failure_modes(tmp_path, who, case, data, words):
    path = tmp_path / "bad.ckpt"
    path.write_bytes(data)
    load = ag.load if who == "ag.load" else nn.load
    with pytest.raises(CheckpointError) as err:
        load(path)
    message = str(err.value)
    assert message.startswith(f"{who}: ") and str(path) in message, message
    assert words in message, message
    assert "pickled data" not in message or case == "pickle"
    with pytest.raises(CheckpointError, match=f"^{who}: '<file object>'"):
        load(io.BytesIO(data))                            # file objects say so instead of a path


def test_checkpoint_error_is_a_value_error_and_missing_files_stay_file_not_found(tmp_path):
    assert issubclass(CheckpointError, ValueError) and nn.CheckpointError is CheckpointError
    with pytest.raises(FileNotFoundError):
        ag.load(tmp_path / "missing")


def test_the_good_file_used_above_loads():
    out = ag.load(io.BytesIO(good_file()))
    np.testing.assert_array_equal(out["w"].numpy(), np.arange(64, dtype=np.float32))


def test_compressed_npz_and_fortran_order_and_byte_order_are_read():
    arrays = {"f": np.asfortranarray(np.arange(6.0).reshape(2, 3)), "big": np.arange(3, dtype=">i4")}
    root = {"t": "dict", "items": [["f", tensor_node("f")], ["big", {"t": "ndarray", "k": "big"}]]}
    out = ag.load(io.BytesIO(zip_of({"__structure__": structure(root), **arrays}, zipfile.ZIP_DEFLATED)))
    np.testing.assert_array_equal(out["f"].numpy(), arrays["f"])
    assert out["big"].dtype == np.int32 and out["big"].tolist() == [0, 1, 2]
