"""DataLoader and default_collate."""
import math
from collections.abc import Mapping

import numpy as np

import autograd as ag

from .. import _compat

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
    engine's generator seeded by ``ag.manual_seed``. A TensorDataset (or a
    Subset of one) is batched by fancy indexing its arrays, not per sample.
    """

    def __init__(self, dataset, batch_size=1, shuffle=False, sampler=None, drop_last=False, collate_fn=None,
                 generator=None, num_workers=0, pin_memory=False, seed=None):
        if batch_size is not None and (not isinstance(batch_size, (int, np.integer)) or batch_size <= 0):
            raise ValueError(f"DataLoader: batch_size should be a positive integer value, but got batch_size={batch_size}")
        if generator is None and seed is not None:
            generator = seed
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = bool(shuffle)
        self.sampler = sampler
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
        n = len(self.sampler) if self.sampler is not None else len(self.dataset)
        if self.batch_size is None:
            return n
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def __iter__(self):
        indices = self._indices()
        if self.batch_size is None:
            for i in indices:
                sample = self.dataset[int(i)]
                yield self.collate_fn(sample) if self.collate_fn is not None else sample
            return
        bs = self.batch_size
        stop = (len(indices) // bs) * bs if self.drop_last else len(indices)
        fetch = getattr(self.dataset, "_fetch_batch", None) if self.collate_fn is None else None
        collate = self.collate_fn or default_collate
        for start in range(0, stop, bs):
            idx = indices[start:start + bs]
            if fetch is not None:
                yield fetch(idx)
            else:
                yield collate([self.dataset[int(i)] for i in idx])

    def __repr__(self):
        return (f"DataLoader(dataset={type(self.dataset).__name__}(n={len(self.dataset)}), "
                f"batch_size={self.batch_size}, shuffle={self.shuffle}, drop_last={self.drop_last})")
