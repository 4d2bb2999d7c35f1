"""RNN, LSTM, GRU (multi-layer, bidirectional, batch_first, dropout) and their cells.

Parameter names, shapes, gate orders (LSTM i,f,g,o; GRU r,z,n), initialisation
U(-1/sqrt(hidden), 1/sqrt(hidden)) and return values are PyTorch's. Per layer
and direction the input projection of the whole sequence is ONE GEMM
(x @ W_ih^T + b_ih over all T*B rows), then one fused op runs the recurrence
(autograd/ops/rnn.py: LSTMSeqOp / GRUSeqOp / RNNSeqOp, BPTT hand-written).
"""
import math

import autograd as ag
from autograd.ops.rnn import GRUCellOp, GRUSeqOp, LSTMCellOp, LSTMProjSeqOp, LSTMSeqOp, RNNSeqOp

from .. import init
from .._module_helpers import check_sizes
from ..module import Module
from ..parameter import Parameter
from ..utils.rnn import PackedSequence
from ..utils.rnn import runs as _runs

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]

_GATES = {'LSTM': 4, 'GRU': 3, 'RNN_TANH': 1, 'RNN_RELU': 1}


def _project(x, w_ih, b_ih):
    """x (T, B, I) -> x @ w_ih.T + b_ih as (T, B, G): one fused linear (one GEMM) over T*B rows."""
    from .. import functional as F
    T, B, I = x.shape
    return F.linear(x.reshape(T * B, I), w_ih, b_ih).reshape(T, B, w_ih.shape[0])


def _linear(x, w, b):
    from .. import functional as F
    return F.linear(x, w, b)


def _dropout(x, p):
    from .. import functional as F
    return F.dropout(x, p, True)


def _recurrent_init_(module):
    """PyTorch's init for recurrent layers and cells: every parameter U(-k, k), k = 1/sqrt(hidden)."""
    stdv = 1.0 / math.sqrt(module.hidden_size) if module.hidden_size > 0 else 0
    for p in module.parameters():
        init.uniform_(p, -stdv, stdv)


class RNNBase(Module):
    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__()
        check_sizes(mode, input_size=input_size)
        if not isinstance(proj_size, int) or proj_size < 0:
            raise ValueError(f"proj_size should be a non-negative integer, got {proj_size!r}")
        if proj_size and mode != 'LSTM':
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if proj_size and proj_size >= hidden_size:
            raise ValueError(f"proj_size has to be smaller than hidden_size (got {proj_size} "
                             f">= {hidden_size})")
        if not isinstance(hidden_size, int) or hidden_size <= 0:
            raise ValueError(f"{mode}: hidden_size must be a positive int, got {hidden_size}")
        if not isinstance(num_layers, int) or num_layers <= 0:
            raise ValueError(f"{mode}: num_layers must be a positive int, got {num_layers}")
        if not 0 <= dropout <= 1 or isinstance(dropout, bool):
            raise ValueError(f"{mode}: dropout should be a number in range [0, 1], got {dropout}")
        self.mode = mode
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first = bias, batch_first
        self.dropout, self.bidirectional = float(dropout), bidirectional
        self.proj_size = proj_size
        real_hidden = proj_size or hidden_size          # what h holds (and the next layer sees)
        gate = _GATES[mode] * hidden_size
        dirs = 2 if bidirectional else 1
        names = []
        for layer in range(num_layers):
            layer_in = input_size if layer == 0 else real_hidden * dirs
            for d in range(dirs):
                sfx = f"_l{layer}" + ("_reverse" if d else "")
                params = [("weight_ih" + sfx, (gate, layer_in)), ("weight_hh" + sfx, (gate, real_hidden))]
                if bias:
                    params += [("bias_ih" + sfx, (gate,)), ("bias_hh" + sfx, (gate,))]
                if proj_size:
                    params.append(("weight_hr" + sfx, (proj_size, hidden_size)))
                for name, shape in params:
                    setattr(self, name, Parameter(ag.empty(*shape, dtype=dtype, device=device)))
                    names.append(name)
        self._flat_weights_names = names
        self.reset_parameters()

    def reset_parameters(self):
        _recurrent_init_(self)

    def _layer_params(self, layer, d):
        sfx = f"_l{layer}" + ("_reverse" if d else "")
        get = lambda n: getattr(self, n + sfx) if self.bias else None   # noqa: E731
        w_hr = getattr(self, "weight_hr" + sfx) if self.proj_size else None
        return (getattr(self, "weight_ih" + sfx), getattr(self, "weight_hh" + sfx), get("bias_ih"),
                get("bias_hh"), w_hr)

    def _check_input(self, input, packed=False):
        name = type(self).__name__
        if not isinstance(input, ag.Tensor):
            raise TypeError(f"{name}: input must be a Tensor or a PackedSequence, got "
                            f"{type(input).__name__}")
        if packed and input.ndim != 2:
            raise ValueError(f"{name}: a PackedSequence's data must be 2-D (rows, features), "
                             f"got shape {tuple(input.shape)}")
        if input.ndim not in (2, 3):
            raise ValueError(f"{name}: expected a 2-D (unbatched) or 3-D input, got shape "
                             f"{tuple(input.shape)}")
        if input.shape[-1] != self.input_size:
            raise ValueError(f"{name}: input.size(-1) must be equal to input_size. Expected "
                             f"{self.input_size}, got {input.shape[-1]} (input shape {tuple(input.shape)})")

    def _check_hidden(self, h, B, unbatched, what, size=None):
        dirs = 2 if self.bidirectional else 1
        expected = (self.num_layers * dirs, B, size or self.hidden_size)
        if unbatched:
            expected = (expected[0], expected[2])
        if tuple(h.shape) != expected:
            raise ValueError(f"{type(self).__name__}: expected {what} size {expected}, got "
                             f"{tuple(h.shape)}")

    def forward(self, input, hx=None):
        packed = isinstance(input, PackedSequence)
        if packed:
            x = input.data
            self._check_input(x, packed)
            runs = _runs(input.batch_sizes)
            B, unbatched = runs[0][2], False
        else:
            self._check_input(input)
            unbatched = input.ndim == 2
            x = input.unsqueeze(1) if unbatched else (input.transpose(0, 1) if self.batch_first else input)
            T, B = x.shape[0], x.shape[1]
        dirs = 2 if self.bidirectional else 1
        H = self.hidden_size
        P = self.proj_size or H                          # the size of h (proj_size when set)
        lstm = self.mode == 'LSTM'
        h0 = c0 = None
        if hx is not None:
            if lstm:
                if not isinstance(hx, (tuple, list)) or len(hx) != 2:
                    raise ValueError("LSTM: hx must be a tuple (h_0, c_0)")
                h0, c0 = hx
                self._check_hidden(h0, B, unbatched, "hidden[0]", P)
                self._check_hidden(c0, B, unbatched, "hidden[1]")
                if unbatched:
                    h0, c0 = h0.unsqueeze(1), c0.unsqueeze(1)
            else:
                h0 = hx
                self._check_hidden(h0, B, unbatched, "hidden")
                if unbatched:
                    h0 = h0.unsqueeze(1)
            if packed and input.sorted_indices is not None:      # hx is in the caller's order
                h0 = h0.index_select(1, input.sorted_indices)
                c0 = c0.index_select(1, input.sorted_indices) if lstm else None
        h_zeros = ag.zeros(B, P, dtype=x.dtype, device=x.device) if h0 is None else None
        c_zeros = ag.zeros(B, H, dtype=x.dtype, device=x.device) if lstm and c0 is None else None
        h_n, c_n = [], []
        for layer in range(self.num_layers):
            outs = []
            for d in range(dirs):
                k = layer * dirs + d
                w_ih, w_hh, b_ih, b_hh, w_hr = self._layer_params(layer, d)
                if self.mode != 'GRU' and b_ih is not None:
                    # LSTM and RNN add both biases to the same pre-activation: fold b_hh
                    # into the projection's bias (a vector add, not a pass over T*B*G)
                    b_ih, b_hh = b_ih + b_hh, None
                hk = h_zeros if h0 is None else h0[k]
                ck = (c_zeros if c0 is None else c0[k]) if lstm else None
                weights = (w_hh, b_hh, w_hr)
                if packed:
                    hs, h_last, c_last = self._packed(_linear(x, w_ih, b_ih), runs, hk, ck, weights,
                                                      bool(d))
                else:
                    hs, h_last, c_last = self._recurrence(_project(x, w_ih, b_ih), hk, ck, weights,
                                                          bool(d))
                outs.append(hs)
                h_n.append(h_last)
                c_n.append(c_last)
            x = outs[0] if dirs == 1 else ag.cat(outs, dim=-1)
            if self.dropout and self.training and layer < self.num_layers - 1:
                x = _dropout(x, self.dropout)
        h_n = ag.stack(h_n, dim=0)
        c_n = ag.stack(c_n, dim=0) if lstm else None
        if packed:
            out = PackedSequence(x, input.batch_sizes, input.sorted_indices, input.unsorted_indices)
            if input.unsorted_indices is not None:               # back to the caller's order
                h_n = h_n.index_select(1, input.unsorted_indices)
                c_n = c_n.index_select(1, input.unsorted_indices) if lstm else None
        elif unbatched:
            out = x.squeeze(1)
            h_n = h_n.squeeze(1)
            c_n = c_n.squeeze(1) if lstm else c_n
        else:
            out = x.transpose(0, 1) if self.batch_first else x
        return (out, (h_n, c_n)) if lstm else (out, h_n)

    def _recurrence(self, xg, h, c, weights, reverse):
        """One layer and direction over a whole (T, B, G) projection: one fused op.
        Returns (h of every step (T, B, P), the last h, the last c (LSTM) or None)."""
        w_hh, b_hh, w_hr = weights
        T, B = xg.shape[0], xg.shape[1]
        last = 0 if reverse else T - 1
        if self.mode == 'LSTM':
            if w_hr is None:
                res = LSTMSeqOp.apply(xg, h, c, w_hh, b_hh, reverse=reverse)
                hs, c_last = res[:T], res[T]
            else:
                P, H = w_hr.shape
                res = LSTMProjSeqOp.apply(xg, h, c, w_hh, b_hh, w_hr, reverse=reverse)
                hs = res[:T * B * P].reshape(T, B, P)
                c_last = res[T * B * P:].reshape(B, H)
            return hs, hs[last], c_last
        if self.mode == 'GRU':
            hs = GRUSeqOp.apply(xg, h, w_hh, b_hh, reverse=reverse)
        else:
            hs = RNNSeqOp.apply(xg, h, w_hh, b_hh, reverse=reverse,
                                nonlinearity='tanh' if self.mode == 'RNN_TANH' else 'relu')
        return hs, hs[last], None

    def _packed(self, xg, runs, h0, c0, weights, reverse):
        """One layer and direction over packed rows (N, G): one fused recurrence per run
        of steps with the same batch size. The active sequences are a prefix of the
        batch, so going forward the state is cut as sequences end (their last h and c
        kept), and going backward a sequence joins, from h0, at its own last step.
        Returns (packed h (N, P), each sequence's last h (B, P), last c or None)."""
        lstm = self.mode == 'LSTM'
        h, c = (h0[:runs[-1][2]], c0[:runs[-1][2]] if lstm else None) if reverse else (h0, c0)
        outs, ended_h, ended_c = [], [], []
        for row, steps, batch in (reversed(runs) if reverse else runs):
            if batch < h.shape[0]:                  # forward: sequences that just ended
                ended_h.append(h[batch:])
                ended_c.append(c[batch:] if lstm else None)
                h, c = h[:batch], c[:batch] if lstm else None
            elif batch > h.shape[0]:                # backward: sequences that start here
                h = ag.cat([h, h0[h.shape[0]:batch]])
                c = ag.cat([c, c0[c.shape[0]:batch]]) if lstm else None
            xs = xg[row:row + steps * batch].reshape(steps, batch, xg.shape[-1])
            hs, h, c = self._recurrence(xs, h, c, weights, reverse)
            outs.append(hs.reshape(steps * batch, hs.shape[-1]))
        if reverse:
            outs.reverse()
        ended_h.append(h)
        ended_c.append(c)
        out = outs[0] if len(outs) == 1 else ag.cat(outs)
        h_last = ag.cat(ended_h[::-1]) if len(ended_h) > 1 else h
        c_last = (ag.cat(ended_c[::-1]) if len(ended_c) > 1 else c) if lstm else None
        return out, h_last, c_last

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if not self.bias:
            s += ", bias=False"
        if self.batch_first:
            s += ", batch_first=True"
        if self.dropout:
            s += f", dropout={self.dropout}"
        if self.bidirectional:
            s += ", bidirectional=True"
        if self.proj_size:
            s += f", proj_size={self.proj_size}"
        return s


class RNN(RNNBase):
    """Elman RNN: h' = tanh|relu(x W_ih^T + b_ih + h W_hh^T + b_hh)."""

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity='tanh', bias=True,
                 batch_first=False, dropout=0.0, bidirectional=False, device=None, dtype=None):
        if nonlinearity not in ('tanh', 'relu'):
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.")
        self.nonlinearity = nonlinearity
        super().__init__('RNN_TANH' if nonlinearity == 'tanh' else 'RNN_RELU', input_size,
                         hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         device=device, dtype=dtype)


class LSTM(RNNBase):
    """Returns (output, (h_n, c_n)); gates i, f, g, o."""

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__('LSTM', input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, proj_size, device=device, dtype=dtype)


class GRU(RNNBase):
    """Returns (output, h_n); gates r, z, n."""

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, device=None, dtype=None):
        super().__init__('GRU', input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, device=device, dtype=dtype)


class RNNCellBase(Module):
    _gates = 1

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__()
        check_sizes(type(self).__name__, input_size=input_size, hidden_size=hidden_size)
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        G = self._gates * hidden_size
        self.weight_ih = Parameter(ag.empty(G, input_size, dtype=dtype, device=device))
        self.weight_hh = Parameter(ag.empty(G, hidden_size, dtype=dtype, device=device))
        if bias:
            self.bias_ih = Parameter(ag.empty(G, dtype=dtype, device=device))
            self.bias_hh = Parameter(ag.empty(G, dtype=dtype, device=device))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self):
        _recurrent_init_(self)

    def _prepare(self, input, hx):
        name = type(self).__name__
        if input.ndim not in (1, 2):
            raise ValueError(f"{name}: expected a 1-D (unbatched) or 2-D input, got shape "
                             f"{tuple(input.shape)}")
        if input.shape[-1] != self.input_size:
            raise ValueError(f"{name}: input has inconsistent input_size: got {input.shape[-1]}, "
                             f"expected {self.input_size} (input shape {tuple(input.shape)})")
        unbatched = input.ndim == 1
        x = input.unsqueeze(0) if unbatched else input
        xg = x @ self.weight_ih.T
        if self.bias_ih is not None:
            xg = xg + self.bias_ih
        states = hx if isinstance(hx, (tuple, list)) else (hx,)
        out = []
        for s in states:
            if s is None:
                s = ag.zeros(x.shape[0], self.hidden_size, dtype=x.dtype, device=x.device)
            else:
                s = s.unsqueeze(0) if unbatched else s
                if tuple(s.shape) != (x.shape[0], self.hidden_size):
                    raise ValueError(f"{name}: expected hidden state of shape "
                                     f"{(x.shape[0], self.hidden_size)}, got {tuple(s.shape)}")
            out.append(s)
        return unbatched, xg, out

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if not self.bias:
            s += ", bias=False"
        return s


class RNNCell(RNNCellBase):
    def __init__(self, input_size, hidden_size, bias=True, nonlinearity='tanh', device=None,
                 dtype=None):
        if nonlinearity not in ('tanh', 'relu'):
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.")
        self.nonlinearity = nonlinearity
        super().__init__(input_size, hidden_size, bias, device, dtype)

    def forward(self, input, hx=None):
        unbatched, xg, (h,) = self._prepare(input, hx)
        pre = xg + h @ self.weight_hh.T
        if self.bias_hh is not None:
            pre = pre + self.bias_hh
        h2 = pre.tanh() if self.nonlinearity == 'tanh' else pre.relu()
        return h2.squeeze(0) if unbatched else h2


class LSTMCell(RNNCellBase):
    _gates = 4

    def forward(self, input, hx=None):
        unbatched, xg, states = self._prepare(input, (None, None) if hx is None else hx)
        res = LSTMCellOp.apply(xg, states[0], states[1], self.weight_hh, self.bias_hh)
        h, c = res[0], res[1]
        return (h.squeeze(0), c.squeeze(0)) if unbatched else (h, c)


class GRUCell(RNNCellBase):
    _gates = 3

    def forward(self, input, hx=None):
        unbatched, xg, (h,) = self._prepare(input, hx)
        h2 = GRUCellOp.apply(xg, h, self.weight_hh, self.bias_hh)
        return h2.squeeze(0) if unbatched else h2
