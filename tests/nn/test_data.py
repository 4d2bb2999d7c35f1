"""nn.data: Dataset, TensorDataset, DataLoader, random_split, KFold and the built-in datasets."""
import os
import sys

import numpy as np
import pytest

import autograd as ag
from nn import data
from nn.data import DataLoader, KFold, Subset, TensorDataset, datasets, random_split

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def make_ds(n=10):
    X = np.arange(n * 3, dtype=np.float32).reshape(n, 3)
    y = np.arange(n, dtype=np.int64)
    return TensorDataset(ag.tensor(X), ag.tensor(y))


def test_tensor_dataset():
    ds = make_ds()
    assert len(ds) == 10
    x, y = ds[2]
    assert isinstance(x, ag.Tensor) and tuple(x.shape) == (3,) and int(y.item()) == 2
    with pytest.raises(ValueError, match=r"first dimension.*\(4, 3\).*\(5,\)"):
        TensorDataset(ag.tensor(np.zeros((4, 3), np.float32)), ag.tensor(np.zeros(5, np.int64)))


def epoch_labels(loader):
    return np.concatenate([np.asarray(y.array) for _, y in loader])


def test_loader_covers_every_sample_once_and_len():
    ds = make_ds(10)
    loader = DataLoader(ds, batch_size=3, shuffle=True, generator=0)
    assert len(loader) == 4 and loader.dataset is ds
    sizes = [len(y) for _, y in loader]
    assert sizes == [3, 3, 3, 1]
    for _ in range(2):
        labels = epoch_labels(loader)
        assert sorted(labels.tolist()) == list(range(10))
    batch = next(iter(loader))
    assert isinstance(batch, tuple) and len(batch) == 2
    x, y = batch
    assert x.dtype == np.float32 and y.dtype == np.int64 and tuple(x.shape) == (3, 3)
    np.testing.assert_array_equal(np.asarray(x.array)[:, 0], np.asarray(y.array) * 3)  # rows stay paired


def test_no_shuffle_is_in_order_and_drop_last():
    loader = DataLoader(make_ds(10), batch_size=4, drop_last=True)
    assert len(loader) == 2
    assert epoch_labels(loader).tolist() == list(range(8))
    assert len(DataLoader(make_ds(10), batch_size=4)) == 3
    assert len(DataLoader(make_ds(8), batch_size=4, drop_last=True)) == 2


def test_shuffle_reproducible():
    ds = make_ds(50)
    a = DataLoader(ds, batch_size=7, shuffle=True, generator=123)
    b = DataLoader(ds, batch_size=7, shuffle=True, generator=123)
    a1, a2 = epoch_labels(a), epoch_labels(a)
    assert not np.array_equal(a1, a2)  # a new permutation each epoch
    np.testing.assert_array_equal(a1, epoch_labels(b))
    np.testing.assert_array_equal(a2, epoch_labels(b))
    g1 = DataLoader(ds, batch_size=7, shuffle=True, generator=np.random.default_rng(5))
    g2 = DataLoader(ds, batch_size=7, shuffle=True, generator=np.random.default_rng(5))
    np.testing.assert_array_equal(epoch_labels(g1), epoch_labels(g2))
    plain = DataLoader(ds, batch_size=7, shuffle=True)
    ag.manual_seed(9)
    s1 = epoch_labels(plain)
    ag.manual_seed(9)
    np.testing.assert_array_equal(s1, epoch_labels(plain))
    assert not np.array_equal(s1, np.arange(50))


class PairDataset(data.Dataset):
    def __len__(self):
        return 5

    def __getitem__(self, i):
        return np.full((2, 2), i, np.float32), i, float(i) / 2


def test_default_collate_for_generic_datasets():
    x, y, z = next(iter(DataLoader(PairDataset(), batch_size=3)))
    assert tuple(x.shape) == (3, 2, 2) and x.dtype == np.float32
    assert y.dtype == np.int64 and np.asarray(y.array).tolist() == [0, 1, 2]
    assert z.dtype == np.float32 and np.asarray(z.array).tolist() == [0.0, 0.5, 1.0]
    batch = data.default_collate([{"a": ag.tensor([1.0]), "b": 1}, {"a": ag.tensor([2.0]), "b": 2}])
    assert tuple(batch["a"].shape) == (2, 1) and np.asarray(batch["b"].array).tolist() == [1, 2]
    custom = DataLoader(PairDataset(), batch_size=2, collate_fn=lambda samples: len(samples))
    assert list(custom) == [2, 2, 1]


def test_loader_over_subset_of_tensor_dataset():
    ds = make_ds(10)
    sub = Subset(ds, [9, 1, 4])
    assert len(sub) == 3 and int(sub[0][1].item()) == 9
    labels = epoch_labels(DataLoader(sub, batch_size=2))
    assert labels.tolist() == [9, 1, 4]


def test_random_split():
    ds = make_ds(10)
    parts = random_split(ds, [6, 4], generator=0)
    assert [len(p) for p in parts] == [6, 4]
    idx = np.concatenate([p.indices for p in parts])
    assert sorted(idx.tolist()) == list(range(10))
    again = random_split(ds, [6, 4], generator=0)
    np.testing.assert_array_equal(parts[0].indices, again[0].indices)
    fr = random_split(ds, [0.33, 0.33, 0.34], generator=1)
    assert [len(p) for p in fr] == [4, 3, 3]  # floor 3,3,3 then the remainder round-robin
    with pytest.raises(ValueError, match="Sum of input lengths"):
        random_split(ds, [3, 3])


def test_kfold_partitions():
    kf = KFold(3)
    folds = list(kf.split(10))
    assert kf.get_n_splits() == 3 and len(folds) == 3
    assert [len(v) for _, v in folds] == [4, 3, 3]
    assert folds[0][1].tolist() == [0, 1, 2, 3] and folds[2][1].tolist() == [7, 8, 9]
    allval = np.concatenate([v for _, v in folds])
    assert sorted(allval.tolist()) == list(range(10))
    for tr, va in folds:
        assert len(np.intersect1d(tr, va)) == 0 and len(tr) + len(va) == 10
        assert tr.dtype.kind == "i" and np.all(np.diff(tr) > 0)
    shuffled = list(KFold(3, shuffle=True, random_state=0).split(make_ds(10)))
    perm = np.arange(10)
    np.random.RandomState(0).shuffle(perm)  # scikit-learn's procedure
    assert shuffled[0][1].tolist() == sorted(perm[:4].tolist())
    again = list(KFold(3, shuffle=True, random_state=0).split(10))
    assert all(np.array_equal(a[1], b[1]) for a, b in zip(shuffled, again))
    with pytest.raises(ValueError):
        KFold(1)
    with pytest.raises(ValueError):
        list(KFold(11).split(10))
    with pytest.raises(ValueError):
        KFold(3, random_state=0)


@pytest.mark.parametrize("fn,n", [(lambda: datasets.spiral(50, 3), 150), (lambda: datasets.xor(100), 100),
                                  (lambda: datasets.moons(101), 101)])
def test_generated_datasets(fn, n):
    ds = fn()
    X, y = ds.tensors
    assert tuple(X.shape) == (n, 2) and X.dtype == np.float32 and y.dtype == np.int64
    np.testing.assert_array_equal(fn().tensors[0].array, X.array)  # deterministic for a seed
    assert set(np.asarray(y.array).tolist()) == set(range(int(np.asarray(y.array).max()) + 1))


def test_digits_or_clear_import_error(monkeypatch):
    try:
        import sklearn  # noqa: F401
        ds = datasets.digits()
        X, y = ds.tensors
        assert tuple(X.shape) == (1797, 1, 8, 8) and X.dtype == np.float32 and float(X.array.max()) <= 1.0
        assert y.dtype == np.int64
    except ImportError:
        pass
    monkeypatch.setitem(sys.modules, "sklearn", None)
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    with pytest.raises(ImportError, match="pip install scikit-learn"):
        datasets.digits()


def test_text_corpus_and_tokenizer():
    text = datasets.text_corpus()
    assert isinstance(text, str) and len(text) > 100_000
    assert datasets.tokenize("Hi, you2! Don't") == ["hi", ",", "you", "2", "!", "don't"]
    stoi, itos = datasets.build_vocab(["b", "a", "b", "c", "b", "a"], min_freq=2)
    assert itos == ["<unk>", "b", "a"] and stoi["a"] == 2


def mnist_dir():
    for cand in (os.environ.get("MNIST_DIR"), os.path.join(REPO, "..", "shared", "data", "mnist")):
        if cand and os.path.exists(os.path.join(cand, "t10k-labels-idx1-ubyte.gz")) or \
                cand and os.path.exists(os.path.join(cand, "t10k-labels-idx1-ubyte")):
            return cand
    return None


@pytest.mark.skipif(mnist_dir() is None, reason="MNIST files not found (set MNIST_DIR)")
def test_mnist_from_files(monkeypatch):
    ds = datasets.mnist(root=mnist_dir(), train=False)
    X, y = ds.tensors
    assert tuple(X.shape) == (10000, 1, 28, 28) and X.dtype == np.float32
    assert float(X.array.min()) == 0.0 and float(X.array.max()) == 1.0
    assert y.dtype == np.int64 and tuple(y.shape) == (10000,) and int(y.array[0]) == 7
    monkeypatch.setenv("MNIST_DIR", mnist_dir())
    assert len(datasets.mnist(train=True)) == 60000


def test_mnist_missing_and_corrupt(tmp_path, monkeypatch):
    monkeypatch.delenv("MNIST_DIR", raising=False)
    with pytest.raises(FileNotFoundError) as e:
        datasets.mnist(root=tmp_path)
    assert str(tmp_path) in str(e.value) and "MNIST_DIR" in str(e.value) and "download=True" in str(e.value)
    (tmp_path / "t10k-images-idx3-ubyte").write_bytes(b"\x00\x00\x08\x03" + b"\x00" * 12)
    (tmp_path / "t10k-labels-idx1-ubyte").write_bytes(b"\x00\x00\x08\x01" + b"\x00" * 4)
    with pytest.raises(ValueError, match="md5"):
        datasets.mnist(root=tmp_path, train=False)


def test_mnist_download_without_network_is_clear(tmp_path, monkeypatch):
    monkeypatch.setattr(datasets, "MNIST_MIRRORS", ["http://127.0.0.1:9/"])
    with pytest.raises(RuntimeError, match="could not download MNIST"):
        datasets.mnist(root=tmp_path / "m", download=True)
