"""Samplers: which indices a DataLoader visits, and in what order (PyTorch's semantics).

Random draws use ``generator``: a numpy Generator, an int seed (a sampler-owned
Generator, so epochs differ but runs repeat), or None for the engine's generator
seeded by ``ag.manual_seed``.
"""
import math

import numpy as np

from .. import _compat

__all__ = ["Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler",
           "WeightedRandomSampler", "BatchSampler", "DistributedSampler"]


def _positive_int(value, name):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(f"{name} should be a positive integer value, but got {name}={value}")
    return int(value)


def _boolean(value, name):
    if not isinstance(value, bool):
        raise ValueError(f"{name} should be a boolean value, but got {name}={value}")
    return value


def _generator(generator):
    return generator if generator is None or isinstance(generator, np.random.Generator) \
        else _compat.resolve_generator(generator)


class Sampler:
    """Base class: subclasses define ``__iter__`` (indices) and usually ``__len__``."""

    def __init__(self, data_source=None):
        pass

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__} must implement __iter__")


class SequentialSampler(Sampler):
    """0, 1, ..., len(data_source) - 1."""

    def __init__(self, data_source):
        self.data_source = data_source

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self):
        return len(self.data_source)


class RandomSampler(Sampler):
    """A random permutation (repeated whole when ``num_samples`` exceeds the dataset), or
    ``num_samples`` draws with replacement."""

    def __init__(self, data_source, replacement=False, num_samples=None, generator=None):
        self.data_source = data_source
        self.replacement = _boolean(replacement, "replacement")
        self._num_samples = num_samples
        self.generator = _generator(generator)
        _positive_int(self.num_samples, "num_samples")

    @property
    def num_samples(self):
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self):
        n, k = len(self.data_source), self.num_samples
        rng = _compat.resolve_generator(self.generator)
        if self.replacement:
            return iter(rng.integers(0, n, size=k).tolist())
        perms = [rng.permutation(n) for _ in range(k // n)] + [rng.permutation(n)[:k % n]]
        return iter(np.concatenate(perms).tolist())

    def __len__(self):
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given ``indices``, in a random order."""

    def __init__(self, indices, generator=None):
        self.indices = indices
        self.generator = _generator(generator)

    def __iter__(self):
        order = _compat.resolve_generator(self.generator).permutation(len(self.indices))
        return (self.indices[i] for i in order.tolist())

    def __len__(self):
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """``num_samples`` indices drawn with probabilities proportional to ``weights``."""

    def __init__(self, weights, num_samples, replacement=True, generator=None):
        self.num_samples = _positive_int(num_samples, "num_samples")
        self.replacement = _boolean(replacement, "replacement")
        w = np.asarray(getattr(weights, "array", weights), dtype=np.float64)
        if w.ndim != 1:
            raise ValueError(f"weights should be a 1d sequence but given weights have shape {w.shape}")
        if (w < 0).any() or not np.isfinite(w).all() or w.sum() <= 0:
            raise RuntimeError("WeightedRandomSampler: weights must be finite, non-negative and not "
                               f"all zero, got {w.tolist()[:8]}")
        if not replacement and self.num_samples > np.count_nonzero(w):
            raise RuntimeError(f"WeightedRandomSampler: cannot sample n_sample={self.num_samples} > "
                               f"{np.count_nonzero(w)} (non-zero weights) samples without replacement")
        self.weights = w
        self.generator = _generator(generator)

    def __iter__(self):
        rng = _compat.resolve_generator(self.generator)
        p = self.weights / self.weights.sum()
        return iter(rng.choice(len(p), size=self.num_samples, replace=self.replacement, p=p).tolist())

    def __len__(self):
        return self.num_samples


class BatchSampler(Sampler):
    """Group another sampler's indices into lists of ``batch_size``."""

    def __init__(self, sampler, batch_size, drop_last):
        self.sampler = sampler
        self.batch_size = _positive_int(batch_size, "batch_size")
        self.drop_last = _boolean(drop_last, "drop_last")

    def __iter__(self):
        batch = []
        for idx in self.sampler:
            batch.append(idx)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self):
        n = len(self.sampler)
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)


class DistributedSampler(Sampler):
    """Rank ``rank``'s share of the dataset, as PyTorch's: the (shuffled) indices are padded
    by repeating them to ``num_replicas * num_samples`` (or cut, with ``drop_last``) and
    rank r takes every ``num_replicas``-th from r, so the shares are disjoint and equal.
    The shuffle depends on ``seed + epoch``: the same on every rank; call ``set_epoch``
    before each epoch for a new one."""

    def __init__(self, dataset, num_replicas=None, rank=None, shuffle=True, seed=0, drop_last=False):
        if num_replicas is None or rank is None:
            import autograd.distributed as dist
            num_replicas = dist.get_world_size() if num_replicas is None else num_replicas
            rank = dist.get_rank() if rank is None else rank
        if rank >= num_replicas or rank < 0:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval [0, {num_replicas - 1}]")
        self.dataset, self.num_replicas, self.rank = dataset, num_replicas, rank
        self.epoch, self.shuffle, self.seed, self.drop_last = 0, shuffle, seed, drop_last
        n = len(dataset)
        if drop_last and n % num_replicas != 0:
            self.num_samples = math.ceil((n - num_replicas) / num_replicas)
        else:
            self.num_samples = math.ceil(n / num_replicas)
        self.total_size = self.num_samples * num_replicas

    def __iter__(self):
        n = len(self.dataset)
        indices = np.random.default_rng(self.seed + self.epoch).permutation(n) if self.shuffle \
            else np.arange(n)
        if self.drop_last:
            indices = indices[:self.total_size]
        elif self.total_size > n:
            indices = np.resize(indices, self.total_size)      # repeats from the start, as PyTorch
        return iter(indices[self.rank:self.total_size:self.num_replicas].tolist())

    def __len__(self):
        return self.num_samples

    def set_epoch(self, epoch):
        """The shuffle of epoch ``epoch`` (the same on every rank)."""
        self.epoch = epoch
