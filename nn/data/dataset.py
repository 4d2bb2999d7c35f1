"""Datasets: Dataset, TensorDataset, Subset, ConcatDataset; random_split; KFold."""
import bisect
import math

import numpy as np

import autograd as ag

from .. import _compat

__all__ = ["Dataset", "IterableDataset", "ChainDataset", "TensorDataset", "Subset", "ConcatDataset", "random_split", "KFold"]


class Dataset:
    """Map-style dataset: subclasses define ``__getitem__`` and ``__len__``."""

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__")

    def __add__(self, other):
        return ConcatDataset([self, other])


class IterableDataset(Dataset):
    """A stream of samples: subclasses define ``__iter__``; DataLoader batches it in order
    (no sampler, no shuffle: the stream decides)."""

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__} must implement __iter__")

    def __add__(self, other):
        return ChainDataset([self, other])


class ChainDataset(IterableDataset):
    """Several iterable datasets one after another."""

    def __init__(self, datasets):
        self.datasets = datasets

    def __iter__(self):
        for d in self.datasets:
            yield from d

    def __len__(self):
        return sum(len(d) for d in self.datasets)


class TensorDataset(Dataset):
    """Samples are the i-th rows of each tensor: ``ds[i] == (t0[i], t1[i], ...)``.

    Accepts Tensors or arrays (arrays are wrapped with ``ag.tensor``); every
    tensor must have the same first dimension.
    """

    def __init__(self, *tensors):
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor")
        tensors = tuple(t if isinstance(t, ag.Tensor) else ag.tensor(np.asarray(t)) for t in tensors)
        sizes = [t.shape[0] if t.ndim else None for t in tensors]
        if None in sizes or len(set(sizes)) != 1:
            shapes = ", ".join(str(tuple(t.shape)) for t in tensors)
            raise ValueError(f"Size mismatch between tensors: every tensor needs the same first "
                             f"dimension, got shapes {shapes}")
        self.tensors = tensors

    def __getitem__(self, index):
        return tuple(_compat.wrap(t.array[index], like=t) for t in self.tensors)

    def __len__(self):
        return self.tensors[0].shape[0]

    def _fetch_batch(self, indices):
        """A whole batch by fancy indexing (no per-sample stacking)."""
        out = []
        for t in self.tensors:
            data = t.array
            idx = indices if isinstance(data, np.ndarray) else _compat.xp_of(data).asarray(indices)
            out.append(_compat.wrap(data[idx], like=t))
        return tuple(out)


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``."""

    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = np.asarray(indices, dtype=np.int64).reshape(-1)

    def __getitem__(self, idx):
        if isinstance(idx, (list, np.ndarray)):
            return self.dataset[self.indices[np.asarray(idx)]]
        return self.dataset[int(self.indices[idx])]

    def __len__(self):
        return len(self.indices)

    @property
    def _fetch_batch(self):
        inner = getattr(self.dataset, "_fetch_batch", None)
        if inner is None:
            raise AttributeError("_fetch_batch")
        return lambda indices: inner(self.indices[np.asarray(indices)])


class ConcatDataset(Dataset):
    """Several datasets one after another."""

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("datasets should not be an empty iterable")
        self.cumulative_sizes = list(np.cumsum([len(d) for d in self.datasets]))

    def __len__(self):
        return int(self.cumulative_sizes[-1]) if self.cumulative_sizes else 0

    def __getitem__(self, idx):
        if idx < 0:
            if -idx > len(self):
                raise ValueError("absolute value of index should not exceed dataset length")
            idx = len(self) + idx
        d = bisect.bisect_right(self.cumulative_sizes, idx)
        start = 0 if d == 0 else int(self.cumulative_sizes[d - 1])
        return self.datasets[d][idx - start]


def random_split(dataset, lengths, generator=None):
    """Split into non-overlapping random Subsets of the given lengths (or fractions summing to 1)."""
    n = len(dataset)
    lengths = list(lengths)
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1 and any(isinstance(x, float) for x in lengths):
        sizes = []
        for i, frac in enumerate(lengths):
            if frac < 0 or frac > 1:
                raise ValueError(f"Fraction at index {i} is not between 0 and 1")
            sizes.append(int(math.floor(n * frac)))
        for i in range(n - sum(sizes)):
            sizes[i % len(sizes)] += 1
        lengths = sizes
    if sum(lengths) != n:
        raise ValueError("Sum of input lengths does not equal the length of the input dataset!")
    perm = _compat.resolve_generator(generator).permutation(n)
    out, offset = [], 0
    for length in lengths:
        out.append(Subset(dataset, perm[offset:offset + length]))
        offset += length
    return out


class KFold:
    """K-fold cross-validation indices, as scikit-learn's ``KFold``.

    ``split(n_or_dataset)`` yields ``(train_idx, val_idx)`` int arrays (both
    sorted); the first ``n % n_splits`` folds have one extra sample. With
    ``shuffle=True`` and an int ``random_state`` the folds equal scikit-learn's.
    """

    def __init__(self, n_splits=5, shuffle=False, random_state=None):
        if not isinstance(n_splits, (int, np.integer)) or isinstance(n_splits, bool):
            raise ValueError(f"The number of folds must be of Integral type. {n_splits!r} was passed.")
        if n_splits <= 1:
            raise ValueError(f"k-fold cross-validation requires at least one train/test split by setting "
                             f"n_splits=2 or more, got n_splits={n_splits}.")
        if not shuffle and random_state is not None:
            raise ValueError("Setting a random_state has no effect since shuffle is False. You should leave "
                             "random_state to its default (None), or set shuffle=True.")
        self.n_splits, self.shuffle, self.random_state = int(n_splits), shuffle, random_state

    def get_n_splits(self, X=None, y=None, groups=None):
        return self.n_splits

    def split(self, X, y=None, groups=None):
        n = int(X) if isinstance(X, (int, np.integer)) else len(X)
        if self.n_splits > n:
            raise ValueError(f"Cannot have number of splits n_splits={self.n_splits} greater than the "
                             f"number of samples: n_samples={n}.")
        indices = np.arange(n)
        if self.shuffle:
            rs = self.random_state
            if rs is None:
                indices = _compat.generator().permutation(n)
            elif isinstance(rs, np.random.RandomState):
                rs.shuffle(indices)
            else:
                np.random.RandomState(rs).shuffle(indices)
        sizes = np.full(self.n_splits, n // self.n_splits, dtype=np.int64)
        sizes[: n % self.n_splits] += 1
        current = 0
        for size in sizes:
            mask = np.zeros(n, dtype=bool)
            mask[indices[current:current + size]] = True
            yield np.flatnonzero(~mask), np.flatnonzero(mask)
            current += size
