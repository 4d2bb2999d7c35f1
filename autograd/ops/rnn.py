"""Fused recurrent cells (PyTorch gate orders) and whole-sequence recurrences.

Every op takes the input projection already computed (`xg = x @ W_ih.T + b_ih`,
for a whole sequence one GEMM outside), the hidden state(s), `W_hh` and `b_hh`.

* LSTMCellOp(xg (B,4H), h, c, w_hh (4H,H), b_hh) -> (2, B, H): [h', c'];
  gates i, f, g, o; c' = f*c + i*g, h' = o*tanh(c').
* GRUCellOp(xg (B,3H), h, w_hh (3H,H), b_hh) -> (B, H); gates r, z, n;
  n = tanh(xn + r*(W_hn h + b_hn)), h' = (1-z)*n + z*h.
* LSTMSeqOp(xg (T,B,4H), h0, c0, w_hh, b_hh, reverse) -> (T+1, B, H): the hidden
  state of every step in time order, then the last cell state c_T;
  GRUSeqOp(xg (T,B,3H), h0, w_hh, b_hh, reverse) -> (T, B, H), and
  RNNSeqOp(xg (T,B,H), h0, w_hh, b_hh, reverse, nonlinearity) -> (T, B, H)
  (h' = tanh|relu(xg + h W_hh^T + b_hh)). One op for the
  whole recurrence: the per-step Python work is one GEMM and a few array
  expressions, and backward (BPTT) does W_hh's and b_hh's gradients as one
  GEMM over all steps.

Engine ops have one output, so an LSTM returns h and c stacked; callers index.
Backward is raw-array code: `differentiable_twice = False`.
"""
from ..function import Function

__all__ = ['LSTMCellOp', 'GRUCellOp', 'LSTMSeqOp', 'GRUSeqOp', 'RNNSeqOp']


def _sigmoid(xp, x):
    # numerically safe: exp of a non-positive number only
    e = xp.exp(-xp.abs(x))
    return xp.where(x >= 0, 1 / (1 + e), e / (1 + e))


def _lstm_step(xp, xg, h, c, w_hh, b_hh):
    gates = xg + xp.matmul(h, w_hh.T)
    if b_hh is not None:
        gates += b_hh
    H = h.shape[-1]
    act = xp.empty_like(gates)
    act[:, :2 * H] = _sigmoid(xp, gates[:, :2 * H])
    act[:, 2 * H:3 * H] = xp.tanh(gates[:, 2 * H:3 * H])
    act[:, 3 * H:] = _sigmoid(xp, gates[:, 3 * H:])
    i, f, g, o = act[:, :H], act[:, H:2 * H], act[:, 2 * H:3 * H], act[:, 3 * H:]
    c2 = f * c + i * g
    tc = xp.tanh(c2)
    return o * tc, c2, act, tc


def _lstm_step_back(xp, gh, gc, c, act, tc):
    """-> (d gates (B,4H), d c_prev)."""
    H = c.shape[-1]
    i, f, g, o = act[:, :H], act[:, H:2 * H], act[:, 2 * H:3 * H], act[:, 3 * H:]
    dc = gh * o * (1 - tc * tc)
    if gc is not None:
        dc += gc
    dgates = xp.empty_like(act)
    dgates[:, :H] = dc * g * i * (1 - i)
    dgates[:, H:2 * H] = dc * c * f * (1 - f)
    dgates[:, 2 * H:3 * H] = dc * i * (1 - g * g)
    dgates[:, 3 * H:] = gh * tc * o * (1 - o)
    return dgates, dc * f


def _gru_step(xp, xg, h, w_hh, b_hh):
    hg = xp.matmul(h, w_hh.T)
    if b_hh is not None:
        hg += b_hh
    H = h.shape[-1]
    rz = _sigmoid(xp, xg[:, :2 * H] + hg[:, :2 * H])
    r, z = rz[:, :H], rz[:, H:]
    hn = hg[:, 2 * H:]
    n = xp.tanh(xg[:, 2 * H:] + r * hn)
    return (1 - z) * n + z * h, rz, n, hn


def _gru_step_back(xp, gout, h, rz, n, hn):
    """-> (d xg (B,3H), d hg (B,3H), the direct part of d h)."""
    H = h.shape[-1]
    r, z = rz[:, :H], rz[:, H:]
    dn = gout * (1 - z) * (1 - n * n)
    dx = xp.empty((h.shape[0], 3 * H), dtype=gout.dtype)
    dx[:, :H] = dn * hn * r * (1 - r)
    dx[:, H:2 * H] = gout * (h - n) * z * (1 - z)
    dx[:, 2 * H:] = dn
    dhg = dx.copy()
    dhg[:, 2 * H:] = dn * r
    return dx, dhg, gout * z


class LSTMCellOp(Function):
    differentiable_twice = False

    def forward(self, xp, xg, h, c, w_hh, b_hh=None):
        h2, c2, act, tc = _lstm_step(xp, xg, h, c, w_hh, b_hh)
        self.save_for_backward(h, c, w_hh, act, tc)
        return xp.stack([h2, c2])

    def backward(self, xp, g, h, c, w_hh, act, tc):
        dgates, dc_prev = _lstm_step_back(xp, g[0], g[1], c, act, tc)
        dh = xp.matmul(dgates, w_hh) if self.needs_grad(1) else None
        dw = xp.matmul(dgates.T, h) if self.needs_grad(3) else None
        db = dgates.sum(axis=0) if self.needs_grad(4) else None
        return dgates, dh, dc_prev, dw, db


class GRUCellOp(Function):
    differentiable_twice = False

    def forward(self, xp, xg, h, w_hh, b_hh=None):
        h2, rz, n, hn = _gru_step(xp, xg, h, w_hh, b_hh)
        self.save_for_backward(h, w_hh, rz, n, hn)
        return h2

    def backward(self, xp, g, h, w_hh, rz, n, hn):
        dx, dhg, dh = _gru_step_back(xp, g, h, rz, n, hn)
        if self.needs_grad(1):
            dh = dh + xp.matmul(dhg, w_hh)
        dw = xp.matmul(dhg.T, h) if self.needs_grad(2) else None
        db = dhg.sum(axis=0) if self.needs_grad(3) else None
        return dx, dh, dw, db


def _order(T, reverse):
    return range(T - 1, -1, -1) if reverse else range(T)


class LSTMSeqOp(Function):
    differentiable_twice = False

    def forward(self, xp, xg, h0, c0, w_hh, b_hh=None, reverse=False):
        T, B = xg.shape[:2]
        H = h0.shape[-1]
        self.reverse = reverse
        out = xp.empty((T + 1, B, H), dtype=xg.dtype)
        hs_prev = xp.empty((T, B, H), dtype=xg.dtype)       # h entering each step
        cs_prev = xp.empty((T, B, H), dtype=xg.dtype)
        acts = xp.empty((T, B, 4 * H), dtype=xg.dtype)
        tcs = xp.empty((T, B, H), dtype=xg.dtype)
        h, c = h0, c0
        for t in _order(T, reverse):
            hs_prev[t] = h
            cs_prev[t] = c
            h, c, acts[t], tcs[t] = _lstm_step(xp, xg[t], h, c, w_hh, b_hh)
            out[t] = h
        out[T] = c
        self.save_for_backward(w_hh, hs_prev, cs_prev, acts, tcs)
        return out

    def backward(self, xp, g, w_hh, hs_prev, cs_prev, acts, tcs):
        T, B, H = hs_prev.shape
        dgates = xp.empty_like(acts)
        dh = xp.zeros((B, H), dtype=g.dtype)
        dc = g[T]
        for t in _order(T, not self.reverse):
            dgates[t], dc = _lstm_step_back(xp, g[t] + dh, dc, cs_prev[t], acts[t], tcs[t])
            dh = xp.matmul(dgates[t], w_hh)
        flat = dgates.reshape(T * B, 4 * H)
        dw = xp.matmul(flat.T, hs_prev.reshape(T * B, H)) if self.needs_grad(3) else None
        db = flat.sum(axis=0) if self.needs_grad(4) else None
        return dgates, dh, dc, dw, db


class GRUSeqOp(Function):
    differentiable_twice = False

    def forward(self, xp, xg, h0, w_hh, b_hh=None, reverse=False):
        T, B = xg.shape[:2]
        H = h0.shape[-1]
        self.reverse = reverse
        out = xp.empty((T, B, H), dtype=xg.dtype)
        hs_prev = xp.empty((T, B, H), dtype=xg.dtype)
        rzs = xp.empty((T, B, 2 * H), dtype=xg.dtype)
        ns = xp.empty((T, B, H), dtype=xg.dtype)
        hns = xp.empty((T, B, H), dtype=xg.dtype)
        h = h0
        for t in _order(T, reverse):
            hs_prev[t] = h
            h, rzs[t], ns[t], hns[t] = _gru_step(xp, xg[t], h, w_hh, b_hh)
            out[t] = h
        self.save_for_backward(w_hh, hs_prev, rzs, ns, hns)
        return out

    def backward(self, xp, g, w_hh, hs_prev, rzs, ns, hns):
        T, B, H = hs_prev.shape
        dxg = xp.empty((T, B, 3 * H), dtype=g.dtype)
        dhg = xp.empty((T, B, 3 * H), dtype=g.dtype)
        dh = xp.zeros((B, H), dtype=g.dtype)
        for t in _order(T, not self.reverse):
            dxg[t], dhg[t], direct = _gru_step_back(xp, g[t] + dh, hs_prev[t], rzs[t], ns[t], hns[t])
            dh = direct + xp.matmul(dhg[t], w_hh)
        flat = dhg.reshape(T * B, 3 * H)
        dw = xp.matmul(flat.T, hs_prev.reshape(T * B, H)) if self.needs_grad(2) else None
        db = flat.sum(axis=0) if self.needs_grad(3) else None
        return dxg, dh, dw, db


class RNNSeqOp(Function):
    differentiable_twice = False

    def forward(self, xp, xg, h0, w_hh, b_hh=None, reverse=False, nonlinearity='tanh'):
        if nonlinearity not in ('tanh', 'relu'):
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.")
        T, B = xg.shape[:2]
        H = h0.shape[-1]
        self.reverse, self.relu = reverse, nonlinearity == 'relu'
        out = xp.empty((T, B, H), dtype=xg.dtype)
        hs_prev = xp.empty((T, B, H), dtype=xg.dtype)
        h = h0
        for t in _order(T, reverse):
            hs_prev[t] = h
            pre = xg[t] + xp.matmul(h, w_hh.T)
            if b_hh is not None:
                pre += b_hh
            h = xp.maximum(pre, 0) if self.relu else xp.tanh(pre)
            out[t] = h
        self.save_for_backward(w_hh, hs_prev, out)
        return out

    def backward(self, xp, g, w_hh, hs_prev, out):
        T, B, H = hs_prev.shape
        dpre = xp.empty_like(out)
        dh = xp.zeros((B, H), dtype=g.dtype)
        for t in _order(T, not self.reverse):
            h = out[t]
            d = g[t] + dh
            dpre[t] = d * (h > 0) if self.relu else d * (1 - h * h)
            dh = xp.matmul(dpre[t], w_hh)
        flat = dpre.reshape(T * B, H)
        dw = xp.matmul(flat.T, hs_prev.reshape(T * B, H)) if self.needs_grad(2) else None
        db = flat.sum(axis=0) if self.needs_grad(3) else None
        return dpre, dh, dw, db
