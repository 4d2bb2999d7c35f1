"""DataLoader and default_collate."""
import math
from collections.abc import Mapping

import numpy as np

import autograd as ag

from .. import _compat
from .dataset import IterableDataset

__all__ = ["DataLoader", "default_collate"]


def default_collate(batch):
    """Stack a list of samples: Tensors/arrays/numbers -> Tensors; tuples, lists, dicts recurse."""
    elem = batch[0]
    if isinstance(elem, ag.Tensor):
        xp = _compat.xp_of(elem.array)
        return _compat.wrap(xp.stack([b.array for b in batch]), like=elem)
    if isinstance(elem, (np.ndarray, np.generic)):
        return ag.tensor(np.stack([np.asarray(b) for b in batch]))
    if isinstance(elem, bool):
        return ag.tensor(np.asarray(batch, dtype=np.bool_))
    if isinstance(elem, int):
        return ag.tensor(np.asarray(batch, dtype=np.int64))
    if isinstance(elem, float):
        return ag.tensor(np.asarray(batch, dtype=np.float32))
    if isinstance(elem, (str, bytes)):
        return list(batch)
    if isinstance(elem, Mapping):
        return {k: default_collate([b[k] for b in batch]) for k in elem}
    if isinstance(elem, (tuple, list)):
        n = len(elem)
        if any(len(b) != n for b in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        cols = [default_collate(list(samples)) for samples in zip(*batch)]
        if isinstance(elem, tuple):
            return type(elem)(*cols) if hasattr(elem, "_fields") else tuple(cols)
        return cols
    raise TypeError(f"default_collate: batch must contain Tensors, numpy arrays, numbers, dicts or lists; "
                    f"found {type(elem).__name__}")


class DataLoader:
    """Iterate over a dataset in batches.

    ``len(loader)`` is the number of batches. Shuffling uses ``generator``
    (a numpy Generator, or an int seed giving a loader-owned Generator whose
    permutations differ between epochs but repeat between runs), or else the
    engine's generator seeded by ``ag.manual_seed``. ``sampler`` (indices) and
    ``batch_sampler`` (lists of indices) replace shuffle/batching as in PyTorch,
    with its mutual-exclusion errors. A TensorDataset (or a Subset of one) is
    batched by fancy indexing its arrays, not per sample. An IterableDataset is
    read in its own order and batched as it streams.
    """

    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None,
                 num_workers=0, collate_fn=None, pin_memory=False, drop_last=False,
                 generator=None, seed=None):
        if batch_size is not None and (isinstance(batch_size, bool) or
                                       not isinstance(batch_size, (int, np.integer)) or batch_size <= 0):
            raise ValueError("DataLoader: batch_size should be a positive integer value, but got "
                             f"batch_size={batch_size}")
        if isinstance(dataset, IterableDataset):
            for name, value in (("shuffle", shuffle), ("sampler", sampler), ("batch_sampler", batch_sampler)):
                if value not in (None, False):
                    raise ValueError(f"DataLoader with IterableDataset: expected unspecified {name} "
                                     f"option, but got {name}={value}")
        if sampler is not None and shuffle:
            raise ValueError("DataLoader: sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("DataLoader: batch_sampler option is mutually exclusive with "
                                 "batch_size, shuffle, sampler, and drop_last")
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError("DataLoader: batch_size=None option disables auto-batching and is "
                             "mutually exclusive with drop_last")
        if generator is None and seed is not None:
            generator = seed
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = bool(shuffle)
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.drop_last = bool(drop_last)
        self.collate_fn = collate_fn
        self.num_workers = num_workers  # accepted for compatibility; loading is in-process
        self.generator = generator if generator is None or isinstance(generator, np.random.Generator) \
            else _compat.resolve_generator(generator)

    def _indices(self):
        n = len(self.dataset)
        if self.sampler is not None:
            return np.asarray(list(iter(self.sampler)), dtype=np.int64)
        if self.shuffle:
            return _compat.resolve_generator(self.generator).permutation(n)
        return np.arange(n)

    def __len__(self):
        if self.batch_sampler is not None:
            return len(self.batch_sampler)
        n = len(self.sampler) if self.sampler is not None else len(self.dataset)
        if self.batch_size is None:
            return n
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def __iter__(self):
        if isinstance(self.dataset, IterableDataset):
            return self._stream()
        if self.batch_sampler is not None:
            return (self._batch(np.asarray(idx, dtype=np.int64)) for idx in self.batch_sampler)
        return self._batches()

    def _batches(self):
        indices = self._indices()
        if self.batch_size is None:
            for i in indices:
                sample = self.dataset[int(i)]
                yield self.collate_fn(sample) if self.collate_fn is not None else sample
            return
        bs = self.batch_size
        stop = (len(indices) // bs) * bs if self.drop_last else len(indices)
        for start in range(0, stop, bs):
            yield self._batch(indices[start:start + bs])

    def _batch(self, idx):
        fetch = getattr(self.dataset, "_fetch_batch", None) if self.collate_fn is None else None
        if fetch is not None:
            return fetch(idx)
        return (self.collate_fn or default_collate)([self.dataset[int(i)] for i in idx])

    def _stream(self):
        if self.batch_size is None:
            for sample in self.dataset:
                yield self.collate_fn(sample) if self.collate_fn is not None else sample
            return
        collate, batch = self.collate_fn or default_collate, []
        for sample in self.dataset:
            batch.append(sample)
            if len(batch) == self.batch_size:
                yield collate(batch)
                batch = []
        if batch and not self.drop_last:
            yield collate(batch)

    def __repr__(self):
        n = len(self.dataset) if hasattr(self.dataset, "__len__") else "?"
        return (f"DataLoader(dataset={type(self.dataset).__name__}(n={n}), "
                f"batch_size={self.batch_size}, shuffle={self.shuffle}, drop_last={self.drop_last})")
