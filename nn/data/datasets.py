"""Datasets that need no network: generated toy sets, scikit-learn's digits, MNIST, a text corpus."""
import collections
import gzip
import hashlib
import os
import re

import numpy as np

from .dataset import TensorDataset

__all__ = ["spiral", "xor", "moons", "digits", "mnist", "text_corpus", "tokenize", "build_vocab"]


def _dataset(X, y):
    return TensorDataset(np.ascontiguousarray(X, dtype=np.float32), np.ascontiguousarray(y, dtype=np.int64))


def spiral(n_per_class=100, classes=3, noise=0.2, seed=0):
    """Interleaved 2-D spirals (CS231n style): X float32 (n_per_class*classes, 2), y int64."""
    rng = np.random.default_rng(seed)
    X = np.zeros((n_per_class * classes, 2))
    y = np.zeros(n_per_class * classes, dtype=np.int64)
    for j in range(classes):
        ix = slice(n_per_class * j, n_per_class * (j + 1))
        r = np.linspace(0.0, 1.0, n_per_class)
        t = np.linspace(j * 4.0, (j + 1) * 4.0, n_per_class) + rng.standard_normal(n_per_class) * noise
        X[ix] = np.c_[r * np.sin(t), r * np.cos(t)]
        y[ix] = j
    return _dataset(X, y)


def xor(n=200, noise=0.1, seed=0):
    """Points in [-1, 1]^2, label 1 where x*y < 0 (XOR of the signs), plus Gaussian noise."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1.0, 1.0, size=(n, 2))
    y = ((X[:, 0] > 0) ^ (X[:, 1] > 0)).astype(np.int64)
    X = X + rng.normal(0.0, noise, size=X.shape)
    return _dataset(X, y)


def moons(n=200, noise=0.1, seed=0):
    """Two interleaving half circles (as scikit-learn's make_moons)."""
    rng = np.random.default_rng(seed)
    n_out = n // 2
    n_in = n - n_out
    outer = np.c_[np.cos(np.linspace(0, np.pi, n_out)), np.sin(np.linspace(0, np.pi, n_out))]
    inner = np.c_[1 - np.cos(np.linspace(0, np.pi, n_in)), 1 - np.sin(np.linspace(0, np.pi, n_in)) - 0.5]
    X = np.vstack([outer, inner])
    y = np.r_[np.zeros(n_out, dtype=np.int64), np.ones(n_in, dtype=np.int64)]
    if noise:
        X = X + rng.normal(0.0, noise, size=X.shape)
    return _dataset(X, y)


def digits():
    """scikit-learn's 8x8 digits: float32 images (1797, 1, 8, 8) in [0, 1] and int64 labels."""
    try:
        from sklearn.datasets import load_digits
    except ImportError as e:
        raise ImportError("nn.data.datasets.digits() needs scikit-learn, which ships the data: "
                          "pip install scikit-learn") from e
    d = load_digits()
    X = d.images.reshape(-1, 1, 8, 8) / 16.0
    return _dataset(X, d.target)


# ------------------------------------------------------------------ MNIST
MNIST_FILES = {
    ("train", "images"): ("train-images-idx3-ubyte", "6bbc9ace898e44ae57da46a324031adb"),
    ("train", "labels"): ("train-labels-idx1-ubyte", "a25bea736e30d166cdddb491f175f624"),
    ("test", "images"): ("t10k-images-idx3-ubyte", "2646ac647ad5339dbf082846283269ea"),
    ("test", "labels"): ("t10k-labels-idx1-ubyte", "27ae3e4e09519cfbb04c329615203637"),
}
MNIST_MIRRORS = [
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
]


def _read_mnist_file(folder, name, md5):
    for candidate in (name, name + ".gz"):
        path = os.path.join(folder, candidate)
        if os.path.exists(path):
            with open(path, "rb") as f:
                raw = f.read()
            if candidate.endswith(".gz"):
                try:
                    raw = gzip.decompress(raw)
                except (OSError, EOFError) as e:
                    raise ValueError(f"MNIST file {path} is not valid gzip data: {e}") from e
            digest = hashlib.md5(raw).hexdigest()
            if digest != md5:
                raise ValueError(f"MNIST file {path} has md5 {digest} (uncompressed), expected {md5}: "
                                 "corrupt or not the standard file")
            return _parse_idx(raw, path)
    return None


def _parse_idx(raw, path):
    magic = int.from_bytes(raw[:4], "big")
    ndim = magic & 0xFF
    if magic >> 8 != 0x08:
        raise ValueError(f"{path} is not an unsigned-byte IDX file")
    dims = [int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def _download_mnist(folder):
    import urllib.error                 # here, not at import: urllib costs ~18 ms to load
    import urllib.request
    os.makedirs(folder, exist_ok=True)
    errors = []
    for name, _ in MNIST_FILES.values():
        target = os.path.join(folder, name + ".gz")
        if os.path.exists(target) or os.path.exists(os.path.join(folder, name)):
            continue
        for mirror in MNIST_MIRRORS:
            try:
                with urllib.request.urlopen(mirror + name + ".gz", timeout=30) as r:
                    data = r.read()
                tmp = target + ".part"
                with open(tmp, "wb") as f:
                    f.write(data)
                os.replace(tmp, target)
                break
            except (urllib.error.URLError, OSError, ValueError) as e:
                errors.append(f"{mirror}{name}.gz: {e}")
        else:
            raise RuntimeError("could not download MNIST (no network?). Tried:\n  " + "\n  ".join(errors)
                               + "\nPut the four IDX files (.gz or not) in a folder and pass root= or set MNIST_DIR.")


def mnist(root=None, train=True, download=False):
    """MNIST from the standard IDX files (.gz or not) in ``root``, else ``$MNIST_DIR``.

    Returns a TensorDataset of float32 images (N, 1, 28, 28) in [0, 1] and
    int64 labels (N,). The md5 of each uncompressed file is checked.
    With ``download=True`` missing files are fetched from a public mirror.
    """
    folder = root if root is not None else os.environ.get("MNIST_DIR")
    if folder is None:
        folder = os.path.join(os.path.expanduser("~"), ".cache", "tapegrad", "mnist")
    folder = os.fspath(folder)
    split = "train" if train else "test"
    (img_name, img_md5), (lbl_name, lbl_md5) = MNIST_FILES[(split, "images")], MNIST_FILES[(split, "labels")]
    if download:
        _download_mnist(folder)
    images = _read_mnist_file(folder, img_name, img_md5)
    labels = _read_mnist_file(folder, lbl_name, lbl_md5)
    if images is None or labels is None:
        missing = img_name if images is None else lbl_name
        raise FileNotFoundError(f"MNIST file {missing}(.gz) not found in {os.path.abspath(folder)} "
                                f"(looked at root=, else $MNIST_DIR, else ~/.cache/tapegrad/mnist). "
                                "Set MNIST_DIR to a folder with the IDX files, or pass download=True.")
    X = images.reshape(-1, 1, 28, 28).astype(np.float32) / np.float32(255.0)
    return _dataset(X, labels.astype(np.int64))


# -------------------------------------------------------------- text corpus
def text_corpus():
    """Python's own documentation topics (``pydoc_data.topics``) as one string: ships with Python."""
    from pydoc_data.topics import topics
    return "\n\n".join(topics[k] for k in sorted(topics))


_TOKEN = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)?|[0-9]+|[^\sA-Za-z0-9]")


def tokenize(text, lower=True):
    """Words, numbers and single punctuation marks: ``"Hi, you2!" -> ['hi', ',', 'you', '2', '!']``."""
    if lower:
        text = text.lower()
    return _TOKEN.findall(text)


def build_vocab(tokens, min_freq=1, max_size=None, specials=("<unk>",)):
    """``(stoi, itos)``: specials first, then tokens by falling frequency (ties: first seen)."""
    counts = collections.Counter(tokens)
    itos = list(specials)
    seen = set(itos)
    for tok, c in sorted(counts.items(), key=lambda kv: -kv[1]):
        if c < min_freq or tok in seen:
            continue
        if max_size is not None and len(itos) >= max_size:
            break
        itos.append(tok)
        seen.add(tok)
    return {t: i for i, t in enumerate(itos)}, itos
