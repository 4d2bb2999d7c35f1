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

__all__ = ['LSTMCellOp', 'GRUCellOp', 'LSTMSeqOp', 'LSTMProjSeqOp', 'GRUSeqOp', 'RNNSeqOp']


def _sigmoid(xp, x):
    """sigmoid(x) = (1 + tanh(x/2)) / 2: one transcendental, no overflow, no branches
    (exp-and-where forms cost ~4x more per step)."""
    y = xp.tanh(x * 0.5)
    y += 1
    y *= 0.5
    return y


def _lstm_gate_maps(xp, H, dtype):
    """Per-column constants for the four gates i, f, g, o.

    scale: the pre-activations are multiplied by it (0.5 for the sigmoid gates, 1 for
      g) so that one tanh serves all four: sigmoid(z) = tanh(z/2)/2 + 1/2. Scaling by a
      power of two is exact, so it is folded into W_hh and the input projection once
      per sequence instead of once per step.
    shift: act = tanh(scale * z) * scale + shift.
    slope, lift: d act / d z = act * (slope - act) + lift, that is act(1 - act) for a
      sigmoid and 1 - act^2 for tanh, computed from the saved activations alone."""
    scale = xp.full(4 * H, 0.5, dtype=dtype)
    scale[2 * H:3 * H] = 1
    shift = scale.copy()
    shift[2 * H:3 * H] = 0
    slope = xp.ones(4 * H, dtype=dtype)
    slope[2 * H:3 * H] = 0
    lift = 1 - slope
    return scale, shift, slope, lift


class _LSTMScratch:
    """Per-sequence work buffers, reused by every step (no per-step allocations)."""
    def __init__(self, xp, B, H, dtype):
        self.th = xp.empty((B, 4 * H), dtype=dtype)     # tanh of the scaled pre-activations
        self.gates = xp.empty((B, 4 * H), dtype=dtype)  # backward: d loss / d pre-activation
        self.deriv = xp.empty((B, 4 * H), dtype=dtype)
        self.tmp = xp.empty((B, H), dtype=dtype)
        self.gh = xp.empty((B, H), dtype=dtype)
        self.dh = xp.empty((B, H), dtype=dtype)


def _lstm_step(xp, xg_scaled, h, c, w_scaled_t, maps, work, act, c_out, tc, h_out):
    """One step into preallocated outputs: act (B,4H) = [i, f, g, o], c_out, tc = tanh(c_out)
    and h_out (B,H). `xg_scaled` holds both biases, and it and `w_scaled_t` (W_hh^T with
    its columns scaled) carry the gate scale already."""
    scale, shift = maps[0], maps[1]
    H = c.shape[-1]                    # h may be projected (smaller)
    th = work.th
    xp.matmul(h, w_scaled_t, out=th)
    th += xg_scaled
    xp.tanh(th, out=th)
    xp.multiply(th, scale, out=act)
    act += shift
    i, f, g, o = act[:, :H], act[:, H:2 * H], act[:, 2 * H:3 * H], act[:, 3 * H:]
    xp.multiply(f, c, out=c_out)
    xp.multiply(i, g, out=work.tmp)
    c_out += work.tmp
    xp.tanh(c_out, out=tc)
    xp.multiply(o, tc, out=h_out)


def _lstm_step_back(xp, gh, dc, c, act, tc, maps, work, dgates):
    """Gradients of one step: d pre-activations written into `dgates` (B,4H); `dc` (the
    gradient of the step's c output) is overwritten with d c_prev. gh: the gradient of
    the step's h output."""
    slope, lift = maps[2], maps[3]
    H = c.shape[-1]
    i, f, g, o = act[:, :H], act[:, H:2 * H], act[:, 2 * H:3 * H], act[:, 3 * H:]
    t = work.tmp                                   # dc += gh * o * (1 - tc^2)
    xp.multiply(tc, tc, out=t)
    t -= 1
    t *= o
    t *= gh
    dc -= t
    xp.multiply(dc, g, out=dgates[:, :H])
    xp.multiply(dc, c, out=dgates[:, H:2 * H])
    xp.multiply(dc, i, out=dgates[:, 2 * H:3 * H])
    xp.multiply(gh, tc, out=dgates[:, 3 * H:])
    d = work.deriv                                 # d act / d z = act (slope - act) + lift
    xp.subtract(slope, act, out=d)
    d *= act
    d += lift
    dgates *= d
    dc *= f


def _lstm_buffers(xp, T, B, H, P, h0, c0, dtype):
    """A sequence's saved buffers, in processing order: hs (T+1, B, P) and cs (T+1, B, H)
    with the initial states at [0], acts (T, B, 4H), tcs (T, B, H); and the scratch."""
    hs = xp.empty((T + 1, B, P), dtype=dtype)
    cs = xp.empty((T + 1, B, H), dtype=dtype)
    hs[0], cs[0] = h0, c0
    return (hs, cs, xp.empty((T, B, 4 * H), dtype=dtype), xp.empty((T, B, H), dtype=dtype),
            _LSTMScratch(xp, B, H, dtype))


def _lstm_scaled(xp, w_hh, xg, b_hh, scale):
    """W_hh^T and the input projection (plus b_hh) with the gate scale applied."""
    w_scaled_t = (w_hh * scale[:, None]).T
    xg_scaled = xg * scale if b_hh is None else (xg + b_hh) * scale
    return w_scaled_t, xg_scaled


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
        B, H = h.shape
        self.maps = maps = _lstm_gate_maps(xp, H, xg.dtype)
        w_scaled_t, xg_scaled = _lstm_scaled(xp, w_hh, xg, b_hh, maps[0])
        out = xp.empty((2, B, H), dtype=xg.dtype)           # [h', c']
        act = xp.empty((B, 4 * H), dtype=xg.dtype)
        tc = xp.empty((B, H), dtype=xg.dtype)
        _lstm_step(xp, xg_scaled, h, c, w_scaled_t, maps, _LSTMScratch(xp, B, H, xg.dtype),
                   act, out[1], tc, out[0])
        self.save_for_backward(h, c, w_hh, act, tc)
        return out

    def backward(self, xp, g, h, c, w_hh, act, tc):
        B, H = h.shape
        dgates = xp.empty_like(act)
        dc = g[1].copy()
        _lstm_step_back(xp, g[0], dc, c, act, tc, self.maps, _LSTMScratch(xp, B, H, act.dtype),
                        dgates)
        dh = xp.matmul(dgates, w_hh) if self.needs_grad(1) else None
        dw = xp.matmul(dgates.T, h) if self.needs_grad(3) else None
        db = dgates.sum(axis=0) if self.needs_grad(4) else None
        return dgates, dh, dc, dw, db


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
    """h and c are kept in processing order, hs[p] / cs[p] entering step p, so the
    previous state is a slice (no per-step copies) and W_hh's gradient is one GEMM
    over hs[:T]; the time-ordered output is assembled once at the end. Each step
    runs in preallocated buffers: ten array calls and one GEMM forward, fifteen and
    one GEMM backward."""
    differentiable_twice = False

    def forward(self, xp, xg, h0, c0, w_hh, b_hh=None, reverse=False):
        T, B = xg.shape[:2]
        H = h0.shape[-1]
        self.reverse = reverse
        self.maps = maps = _lstm_gate_maps(xp, H, xg.dtype)
        w_scaled_t, xg_scaled = _lstm_scaled(xp, w_hh, xg, b_hh, maps[0])
        hs, cs, acts, tcs, work = _lstm_buffers(xp, T, B, H, H, h0, c0, xg.dtype)
        for p, t in enumerate(_order(T, reverse)):
            _lstm_step(xp, xg_scaled[t], hs[p], cs[p], w_scaled_t, maps, work,
                       acts[p], cs[p + 1], tcs[p], hs[p + 1])
        out = xp.empty((T + 1, B, H), dtype=xg.dtype)      # h of every step by time, then c_T
        out[:T] = hs[:0:-1] if reverse else hs[1:]
        out[T] = cs[T]
        self.save_for_backward(w_hh, hs, cs, acts, tcs)
        return out

    def backward(self, xp, g, w_hh, hs, cs, acts, tcs):
        T, B, H = tcs.shape
        maps = self.maps
        work = _LSTMScratch(xp, B, H, acts.dtype)
        dgates = xp.empty_like(acts)
        dh = xp.zeros((B, H), dtype=g.dtype)
        dc = g[T].copy()
        gh = work.gh
        times = list(_order(T, self.reverse))
        for p in range(T - 1, -1, -1):
            xp.add(g[times[p]], dh, out=gh)
            _lstm_step_back(xp, gh, dc, cs[p], acts[p], tcs[p], maps, work, dgates[p])
            xp.matmul(dgates[p], w_hh, out=dh)
        flat = dgates.reshape(T * B, 4 * H)
        dw = xp.matmul(flat.T, hs[:T].reshape(T * B, H)) if self.needs_grad(3) else None
        db = flat.sum(axis=0) if self.needs_grad(4) else None
        return (dgates[::-1] if self.reverse else dgates), dh, dc, dw, db


class LSTMProjSeqOp(Function):
    """LSTM with a projected hidden state (PyTorch's proj_size): each step's
    h = (o * tanh(c)) @ W_hr^T has P < H entries and is what the next step's W_hh
    (4H, P) sees. The output is flat, (T*B*P + B*H,): the projected h of every step
    by time, then c_T, since h and c differ in size (callers slice and reshape).
    W_hr's gradient is one GEMM over all steps, as W_hh's."""
    differentiable_twice = False

    def forward(self, xp, xg, h0, c0, w_hh, b_hh=None, w_hr=None, reverse=False):
        T, B = xg.shape[:2]
        P, H = w_hr.shape
        self.reverse = reverse
        self.maps = maps = _lstm_gate_maps(xp, H, xg.dtype)
        w_scaled_t, xg_scaled = _lstm_scaled(xp, w_hh, xg, b_hh, maps[0])
        w_hr_t = w_hr.T
        hs, cs, acts, tcs, work = _lstm_buffers(xp, T, B, H, P, h0, c0, xg.dtype)
        hfull = xp.empty((T, B, H), dtype=xg.dtype)       # o * tanh(c) before the projection
        for p, t in enumerate(_order(T, reverse)):
            _lstm_step(xp, xg_scaled[t], hs[p], cs[p], w_scaled_t, maps, work,
                       acts[p], cs[p + 1], tcs[p], hfull[p])
            xp.matmul(hfull[p], w_hr_t, out=hs[p + 1])
        out = xp.empty(T * B * P + B * H, dtype=xg.dtype)
        out[:T * B * P].reshape(T, B, P)[...] = hs[:0:-1] if reverse else hs[1:]
        out[T * B * P:].reshape(B, H)[...] = cs[T]
        self.save_for_backward(w_hh, w_hr, hs, hfull, cs, acts, tcs)
        return out

    def backward(self, xp, g, w_hh, w_hr, hs, hfull, cs, acts, tcs):
        T, B, H = tcs.shape
        P = w_hr.shape[0]
        maps = self.maps
        work = _LSTMScratch(xp, B, H, acts.dtype)
        g_h = g[:T * B * P].reshape(T, B, P)
        dgates = xp.empty_like(acts)
        dproj = xp.empty((T, B, P), dtype=g.dtype)       # d loss / d projected h, per step
        dh = xp.zeros((B, P), dtype=g.dtype)
        dc = g[T * B * P:].reshape(B, H).copy()
        gh = work.gh
        times = list(_order(T, self.reverse))
        for p in range(T - 1, -1, -1):
            xp.add(g_h[times[p]], dh, out=dproj[p])
            xp.matmul(dproj[p], w_hr, out=gh)
            _lstm_step_back(xp, gh, dc, cs[p], acts[p], tcs[p], maps, work, dgates[p])
            xp.matmul(dgates[p], w_hh, out=dh)
        flat = dgates.reshape(T * B, 4 * H)
        dw = xp.matmul(flat.T, hs[:T].reshape(T * B, P)) if self.needs_grad(3) else None
        db = flat.sum(axis=0) if self.needs_grad(4) else None
        dw_hr = (xp.matmul(dproj.reshape(T * B, P).T, hfull.reshape(T * B, H))
                 if self.needs_grad(5) else None)
        return (dgates[::-1] if self.reverse else dgates), dh, dc, dw, db, dw_hr


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
