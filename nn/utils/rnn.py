"""nn.utils.rnn: padded and packed batches of variable-length sequences (PyTorch's).

A PackedSequence holds the sequences sorted by decreasing length, interleaved
by time: `data` has the step-0 rows of every sequence, then the step-1 rows of
those still running, and so on; `batch_sizes[t]` counts the sequences longer
than t. So the sequences active at any step are a prefix of the batch, which
is what lets nn.RNN / LSTM / GRU run a packed batch as a few fused recurrences
over runs of steps with the same batch size (nn/layers/rnn.py).

Packing and unpacking are one gather / one scatter through the indexing ops,
so gradients flow through them. `batch_sizes` and the lengths are int64 CPU
tensors, as in PyTorch.
"""
import collections

import numpy as np

import autograd as ag
from autograd.ops.indexing import IndexAdd

__all__ = ["PackedSequence", "pad_sequence", "pack_padded_sequence", "pad_packed_sequence",
           "pack_sequence", "unpad_sequence", "unpack_sequence"]


def _invert_permutation(permutation):
    if permutation is None:
        return None
    inverse = ag.zeros_like(permutation)
    inverse.array[permutation.array] = permutation._backend.xp.arange(permutation.shape[0])
    return inverse


class PackedSequence(collections.namedtuple("PackedSequence_",
                                            ["data", "batch_sizes", "sorted_indices",
                                             "unsorted_indices"])):
    """(data, batch_sizes, sorted_indices, unsorted_indices); build it with
    pack_padded_sequence or pack_sequence rather than by hand."""

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None:
            unsorted_indices = _invert_permutation(sorted_indices)
        if batch_sizes is None:                  # PackedSequence((data, batch_sizes))
            data, batch_sizes = data
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args, **kwargs):
        """The data moved or cast (Tensor.to's arguments); the indices follow its device."""
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self
        move = lambda t: None if t is None else t.to(data.device)   # noqa: E731
        return type(self)(data, self.batch_sizes, move(self.sorted_indices),
                          move(self.unsorted_indices))

    def cpu(self):
        return self.to('cpu')

    def cuda(self, device=None):
        return self.to('cuda' if device is None else device)

    def double(self):
        return self.to(ag.float64)

    def float(self):
        return self.to(ag.float32)

    @property
    def is_cuda(self):
        return self.data.device.startswith('cuda')


def _host_ints(values, what):
    if isinstance(values, ag.Tensor):
        values = values.cpu().array
    a = np.asarray(values)
    if a.ndim != 1 or (a.size and a.dtype.kind not in 'iu'):
        raise ValueError(f"{what}: lengths must be a 1-D list or tensor of integers, got "
                         f"{values!r}")
    return a.astype(np.int64)


def _layout(batch_sizes):
    """Per packed row, its (step, position in the batch); and each sequence's length."""
    steps = np.repeat(np.arange(len(batch_sizes)), batch_sizes)
    starts = np.cumsum(batch_sizes) - batch_sizes
    positions = np.arange(len(steps)) - np.repeat(starts, batch_sizes)
    lengths = (batch_sizes[None, :] > np.arange(batch_sizes[0])[:, None]).sum(1)
    return steps, positions, lengths


def runs(batch_sizes):
    """(first packed row, steps, batch size) of each run of steps with the same batch
    size, in time order: the pieces a packed RNN runs as whole sequences."""
    batch_sizes = _host_ints(batch_sizes, "PackedSequence.batch_sizes")
    out, row, t, T = [], 0, 0, len(batch_sizes)
    while t < T:
        end = t
        while end < T and batch_sizes[end] == batch_sizes[t]:
            end += 1
        out.append((row, end - t, int(batch_sizes[t])))
        row += (end - t) * int(batch_sizes[t])
        t = end
    return out


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side='right'):
    """Stack tensors of shapes (L_i, *) into (max L, B, *) (or (B, max L, *) with
    batch_first), padding each to the longest on the `padding_side`."""
    if padding_side not in ('right', 'left'):
        raise ValueError(f"pad_sequence: padding_side must be 'left' or 'right', got "
                         f"{padding_side!r}")
    sequences = list(sequences)
    if not sequences:
        raise ValueError("pad_sequence: received an empty list of sequences")
    longest = max(s.shape[0] for s in sequences)
    padded = []
    for s in sequences:
        gap = longest - s.shape[0]
        if gap:
            widths = (0, 0) * (s.ndim - 1) + ((gap, 0) if padding_side == 'left' else (0, gap))
            s = ag.pad(s, widths, value=padding_value)
        padded.append(s)
    return ag.stack(padded, dim=0 if batch_first else 1)


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    """Pack a padded batch (T, B, *) (or (B, T, *)) of sequences of the given lengths."""
    lengths = _host_ints(lengths, "pack_padded_sequence")
    B = input.shape[0 if batch_first else 1]
    T = input.shape[1 if batch_first else 0]
    if len(lengths) != B:
        raise ValueError(f"pack_padded_sequence: got {len(lengths)} lengths for a batch of {B} "
                         f"(input shape {tuple(input.shape)}, batch_first={batch_first})")
    if lengths.size and lengths.min() <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an element "
                           f"in 'lengths' that is <= 0 (lengths {lengths.tolist()})")
    if lengths.size and lengths.max() > T:
        raise ValueError(f"pack_padded_sequence: a length of {lengths.max()} is longer than the "
                         f"{T} steps of the input (shape {tuple(input.shape)}, "
                         f"batch_first={batch_first})")
    sorted_indices = None
    if enforce_sorted:
        if np.any(np.diff(lengths) > 0):
            raise RuntimeError(
                "`lengths` array must be sorted in decreasing order when `enforce_sorted` is "
                f"True (got {lengths.tolist()}). You can pass `enforce_sorted=False` to "
                "pack_padded_sequence and/or pack_sequence to sidestep this requirement.")
    else:
        order = np.argsort(-lengths, kind='stable')
        lengths = lengths[order]
        sorted_indices = ag.tensor(order, device=input.device)
        input = input.index_select(0 if batch_first else 1, sorted_indices)
    if batch_first:
        input = input.transpose(0, 1)
    batch_sizes = (lengths[None, :] > np.arange(lengths[0])[:, None]).sum(1)
    steps, positions, _ = _layout(batch_sizes)
    rows = ag.tensor(steps * B + positions, device=input.device)
    data = input.reshape((T * B,) + tuple(input.shape[2:])).index_select(0, rows)
    return PackedSequence(data, ag.tensor(batch_sizes), sorted_indices)


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """Unpack to (padded, lengths): padded is (T, B, *) (or (B, T, *)) in the original
    batch order, lengths an int64 CPU tensor."""
    data = sequence.data
    batch_sizes = _host_ints(sequence.batch_sizes, "pad_packed_sequence")
    T, B = len(batch_sizes), int(batch_sizes[0])
    if total_length is not None:
        if total_length < T:
            raise ValueError("Expected total_length to be at least the length of the longest "
                             f"sequence in input, but got total_length={total_length} and max "
                             f"sequence length being {T}")
        T = total_length
    steps, positions, lengths = _layout(batch_sizes)
    rows = data._backend.asarray(steps * B + positions)
    trailing = tuple(data.shape[1:])
    out = IndexAdd.apply(data, shape=(T * B,) + trailing, key=(rows,))
    if padding_value != 0:
        filled = np.zeros((T * B,) + (1,) * len(trailing), dtype=bool)
        filled[steps * B + positions] = True
        out = ag.where(ag.tensor(filled, device=data.device), out, padding_value)
    out = out.reshape((T, B) + trailing)
    if sequence.unsorted_indices is not None:
        out = out.index_select(1, sequence.unsorted_indices)
        lengths = lengths[sequence.unsorted_indices.cpu().array]
    if batch_first:
        out = out.transpose(0, 1)
    return out, ag.tensor(lengths.astype(np.int64))


def pack_sequence(sequences, enforce_sorted=True):
    """Pack a list of tensors (L_i, *); with enforce_sorted they must come longest first."""
    sequences = list(sequences)
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    """The list of sequences, each cut to its length, from a padded batch."""
    if batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    return [padded_sequences[:int(n), i] for i, n in enumerate(_host_ints(lengths, "unpad_sequence"))]


def unpack_sequence(packed_sequences):
    """The list of sequences, in the original order, from a PackedSequence."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
