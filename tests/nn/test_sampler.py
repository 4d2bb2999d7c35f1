"""nn.data samplers, IterableDataset and DataLoader's sampler/batch_sampler (PyTorch's semantics;
the expected lists below are what torch.utils.data gives for the same arguments)."""
import collections

import numpy as np
import pytest

import autograd as ag
from nn.data import (BatchSampler, ChainDataset, DataLoader, DistributedSampler, IterableDataset,
                     RandomSampler, Sampler, SequentialSampler, SubsetRandomSampler, TensorDataset,
                     WeightedRandomSampler)


def test_sequential_and_batch_sampler():
    assert list(SequentialSampler(range(4))) == [0, 1, 2, 3]
    assert list(BatchSampler(SequentialSampler(range(7)), 3, False)) == [[0, 1, 2], [3, 4, 5], [6]]
    assert list(BatchSampler(SequentialSampler(range(7)), 3, True)) == [[0, 1, 2], [3, 4, 5]]
    assert len(BatchSampler(range(7), 3, False)) == 3 and len(BatchSampler(range(7), 3, True)) == 2
    with pytest.raises(ValueError, match="batch_size should be a positive integer value, but got batch_size=0"):
        BatchSampler(range(3), 0, False)
    with pytest.raises(ValueError, match="drop_last should be a boolean value"):
        BatchSampler(range(3), 2, 1)


def test_random_sampler_permutes_repeats_and_draws_with_replacement():
    s = RandomSampler(range(10), generator=0)
    first, second = list(s), list(s)
    assert sorted(first) == list(range(10)) and first != second          # a new order each epoch
    assert list(RandomSampler(range(10), generator=0)) == first           # but runs repeat
    long = list(RandomSampler(range(4), num_samples=10, generator=1))
    assert sorted(long[:4]) == sorted(long[4:8]) == [0, 1, 2, 3] and len(set(long[8:])) == 2
    draws = list(RandomSampler(range(3), replacement=True, num_samples=300, generator=2))
    assert len(draws) == 300 and set(draws) == {0, 1, 2}
    ag.manual_seed(3)
    a = list(RandomSampler(range(8)))
    ag.manual_seed(3)
    assert list(RandomSampler(range(8))) == a                             # the engine's generator
    with pytest.raises(ValueError, match="num_samples should be a positive integer value"):
        RandomSampler(range(3), num_samples=0)
    with pytest.raises(ValueError, match="replacement should be a boolean value"):
        RandomSampler(range(3), replacement=None)


def test_subset_and_weighted_samplers():
    s = list(SubsetRandomSampler([5, 7, 9], generator=0))
    assert sorted(s) == [5, 7, 9]
    counts = collections.Counter(WeightedRandomSampler([0., 1., 3.], 4000, generator=0))
    assert counts[0] == 0 and 2.6 < counts[2] / counts[1] < 3.4
    no_repeat = list(WeightedRandomSampler([1., 1., 1., 0.], 3, replacement=False, generator=0))
    assert sorted(no_repeat) == [0, 1, 2]
    with pytest.raises(ValueError, match="weights should be a 1d sequence"):
        WeightedRandomSampler([[1., 2.]], 3)
    with pytest.raises(RuntimeError, match="without replacement"):
        WeightedRandomSampler([1., 0.], 2, replacement=False)


def test_distributed_sampler_pads_by_repetition_and_interleaves():
    # PyTorch: total_size = ceil(n / R) * R, indices padded from the start, rank r takes r::R
    assert list(DistributedSampler(range(5), 2, 0, shuffle=False)) == [0, 2, 4]
    assert list(DistributedSampler(range(5), 2, 1, shuffle=False)) == [1, 3, 0]
    assert list(DistributedSampler(range(2), 4, 3, shuffle=False)) == [1]
    assert [list(DistributedSampler(range(5), 2, r, shuffle=False, drop_last=True)) for r in (0, 1)] \
        == [[0, 2], [1, 3]]
    s = DistributedSampler(range(7), 3, 2, shuffle=False)
    assert (len(s), s.num_samples, s.total_size) == (3, 3, 9)


def test_distributed_sampler_shuffles_alike_on_every_rank_and_per_epoch():
    shares = [DistributedSampler(range(12), 3, r, seed=4) for r in range(3)]
    parts = [list(s) for s in shares]
    assert sorted(sum(parts, [])) == list(range(12))                     # disjoint, complete
    assert parts != [list(range(12))[r::3] for r in range(3)]            # shuffled
    for s in shares:
        s.set_epoch(1)
    again = [list(s) for s in shares]
    assert sorted(sum(again, [])) == list(range(12)) and again != parts
    assert list(DistributedSampler(range(12), 3, 0, seed=4)) == parts[0]  # seed + epoch decide
    with pytest.raises(ValueError, match=r"Invalid rank 3, rank should be in the interval \[0, 2\]"):
        DistributedSampler(range(5), 3, 3)
    with pytest.raises(ValueError, match="init_process_group"):
        DistributedSampler(range(5))                                      # no process group


def _ds(n=10):
    return TensorDataset(np.arange(n, dtype=np.float32).reshape(n, 1), np.arange(n))


def test_dataloader_sampler_and_batch_sampler():
    got = [y.tolist() for _, y in DataLoader(_ds(), batch_size=2, sampler=[9, 1, 4])]
    assert got == [[9, 1], [4]]
    batches = [y.tolist() for _, y in DataLoader(_ds(), batch_sampler=[[3, 2], [7]])]
    assert batches == [[3, 2], [7]]
    dl = DataLoader(_ds(), batch_sampler=BatchSampler(SequentialSampler(range(10)), 4, True))
    assert len(dl) == 2 and [y.tolist() for _, y in dl] == [[0, 1, 2, 3], [4, 5, 6, 7]]
    shard = DataLoader(_ds(), batch_size=3, sampler=DistributedSampler(_ds(), 2, 1, shuffle=False))
    assert [y.tolist() for _, y in shard] == [[1, 3, 5], [7, 9]] and len(shard) == 2


@pytest.mark.parametrize("kwargs, message", [
    (dict(sampler=[0], shuffle=True), "sampler option is mutually exclusive with shuffle"),
    (dict(batch_sampler=[[0]], batch_size=2), "batch_sampler option is mutually exclusive"),
    (dict(batch_sampler=[[0]], sampler=[0]), "batch_sampler option is mutually exclusive"),
    (dict(batch_sampler=[[0]], drop_last=True), "batch_sampler option is mutually exclusive"),
    (dict(batch_size=None, drop_last=True), "batch_size=None option disables auto-batching"),
])
def test_dataloader_mutual_exclusion_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        DataLoader(_ds(), **kwargs)


class Stream(IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return iter(np.float32(i) for i in range(self.n))


def test_iterable_dataset_streams_in_order():
    assert [b.tolist() for b in DataLoader(Stream(5), batch_size=2)] == [[0., 1.], [2., 3.], [4.]]
    assert [b.tolist() for b in DataLoader(Stream(5), batch_size=2, drop_last=True)] == [[0., 1.], [2., 3.]]
    assert [float(b) for b in DataLoader(Stream(3), batch_size=None)] == [0., 1., 2.]
    assert [float(x) for x in Stream(2) + Stream(1)] == [0., 1., 0.] and isinstance(Stream(1) + Stream(1), ChainDataset)
    for kw in (dict(shuffle=True), dict(sampler=[0]), dict(batch_sampler=[[0]])):
        with pytest.raises(ValueError, match="DataLoader with IterableDataset: expected unspecified"):
            DataLoader(Stream(3), **kw)


def test_sampler_base_needs_iter():
    with pytest.raises(NotImplementedError):
        iter(Sampler())
