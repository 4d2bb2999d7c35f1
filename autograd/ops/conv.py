"""Fused convolution ops (pooling is in pool.py).

conv2d is one op: the padded input is viewed as sliding windows (a strided
view, no copy), the windows are laid out as columns (N, G, Cg*KH*KW, OH*OW)
and multiplied by the weight in ONE batched GEMM whose result is already in
NCHW order. Backward: grad_weight is one GEMM against the same columns
(rebuilt from the saved input, so the columns are never kept alive), and
grad_input is the transposed GEMM followed by col2im: a loop over the KH*KW
kernel offsets adding strided slices into the padded gradient.

conv_transpose2d is the adjoint of conv2d: its forward is conv2d's
input-gradient and its input-gradient is conv2d's forward.

All raw-array backward code: `differentiable_twice = False`.
"""

from ..function import Function

__all__ = ['Conv2dOp', 'ConvTranspose2dOp', 'conv_output_size']


def conv_output_size(size, k, stride, pad_total, dilation):
    return (size + pad_total - dilation * (k - 1) - 1) // stride + 1


def _pad(xp, x, pads, value=0):
    """pads = (top, bottom, left, right); negative = crop."""
    t, b, l, r = pads
    if t == b == l == r == 0:
        return x
    if min(pads) < 0:
        H, W = x.shape[-2:]
        x = x[..., max(-t, 0):H - max(-b, 0), max(-l, 0):W - max(-r, 0)]
        t, b, l, r = (max(p, 0) for p in pads)
    # a filled buffer and one assignment: xp.pad costs ~50 us of Python per call
    H, W = x.shape[-2:]
    shape = x.shape[:-2] + (H + t + b, W + l + r)
    out = xp.zeros(shape, dtype=x.dtype) if value == 0 else xp.full(shape, value, dtype=x.dtype)
    out[..., t:t + H, l:l + W] = x
    return out


def _windows(xp, xp_, k, stride, dilation, out_hw):
    """(N, C, Hp, Wp) -> view (N, C, KH, KW, OH, OW), no copy."""
    N, C = xp_.shape[:2]
    sN, sC, sH, sW = xp_.strides
    KH, KW = k
    OH, OW = out_hw
    return xp.lib.stride_tricks.as_strided(
        xp_, shape=(N, C, KH, KW, OH, OW),
        strides=(sN, sC, sH * dilation[0], sW * dilation[1], sH * stride[0], sW * stride[1]))


def _columns(xp, x, k, stride, pads, dilation, groups, out_hw):
    """im2col: (N, G, Cg*KH*KW, OH*OW), the one unavoidable copy."""
    xpad = _pad(xp, x, pads)
    win = _windows(xp, xpad, k, stride, dilation, out_hw)
    N, C = x.shape[:2]
    return xp.ascontiguousarray(win).reshape(N, groups, (C // groups) * k[0] * k[1],
                                            out_hw[0] * out_hw[1])


# Stride-1 convolutions use "flat rows" and batch-wide GEMMs. In the padded image
# flattened to (Hp+1)*Wp (one spare zero row at the bottom), the window at kernel
# offset (kh, kw) is ONE contiguous run of L = OH*Wp elements starting at
# kh*dh*Wp + kw*dw: output pixel (y, x) sits at y*Wp + x, and the Wp - OW
# positions at the end of each output row are junk columns (the spare row keeps
# the last run inside the buffer). The columns are laid out (Cg*KH*KW, n*L), the
# samples side by side, so the forward, the weight gradient and the input
# gradient are each ONE GEMM over the whole chunk instead of n small ones; junk
# columns are cropped from the output and meet zeros in the gradient.
# Measured on LeNet's second conv (64x8x12x12, 5x5): im2col 648 -> 110 us and
# col2im 1121 -> 508 us against the (n, K, OH*OW) window copy it replaced.

def _flat_columns(xp, x, k, pads, dilation, groups, out_hw):
    """(G, Cg*KH*KW, n*L) columns of a stride-1 convolution over the samples of x."""
    t, b, l, r = pads
    xpad = xp.ascontiguousarray(_pad(xp, x, (t, b + 1, l, r)))    # + the spare row
    n, C, _, Wp = xpad.shape
    sN, sC, sH, sW = xpad.strides
    Cg = C // groups
    L = out_hw[0] * Wp
    win = xp.lib.stride_tricks.as_strided(
        xpad, shape=(groups, Cg, k[0], k[1], n, L),
        strides=(Cg * sC, sC, sH * dilation[0], sW * dilation[1], sN, sW))
    return xp.ascontiguousarray(win).reshape(groups, Cg * k[0] * k[1], n * L)


def _flat_rows(xp, g, wp, groups):
    """g (n, O, OH, OW) -> (G, Og, n*L): flat rows, samples side by side, junk zero."""
    n, O, OH, OW = g.shape
    rows = xp.zeros((O, n, OH, wp), dtype=g.dtype)
    rows[..., :OW] = xp.swapaxes(g, 0, 1)
    return rows.reshape(groups, O // groups, n * OH * wp)


def _flat_conv_forward(xp, x, wm, out, pads, dilation, groups, k, out_hw):
    N, O = out.shape[:2]
    OH, OW = out_hw
    Wp = x.shape[-1] + pads[2] + pads[3]
    L = OH * Wp
    for s in _batch_chunks(N, x.shape[1] * k[0] * k[1] * L):
        cols = _flat_columns(xp, x[s], k, pads, dilation, groups, out_hw)
        res = xp.matmul(wm, cols)                                    # (G, Og, n*L)
        del cols
        n = res.shape[-1] // L
        out[s].reshape(n, O, OH, OW)[...] = xp.swapaxes(
            res.reshape(O, n, OH, Wp)[..., :OW], 0, 1)               # crop, to (n, O, OH, OW)
        del res


def _flat_conv_backward(xp, g, w, x, x_shape, w_shape, pads, dilation, groups):
    """(grad_input, grad_weight) of a stride-1 convolution in one pass over the batch,
    g's flat rows built once per chunk for both. w None: no grad_input; x None: no
    grad_weight. grad_input is col2im: each kernel offset adds one contiguous run per
    (sample, channel) into the padded gradient (with its spare row), cropped at the end."""
    N, C, H, W = x_shape
    O, Cg, KH, KW = w_shape
    t, b, l, r = pads
    Wp = W + l + r
    out_hw = tuple(g.shape[-2:])
    L = out_hw[0] * Wp
    gx = gw = None
    if w is not None:
        wmT = xp.swapaxes(w.reshape(groups, O // groups, Cg * KH * KW), -1, -2)   # (G, Kg, Og)
        gx = xp.zeros((N, C, H + t + b + 1, Wp), dtype=g.dtype)
        gxf = gx.reshape(N, C, -1)
    for s in _batch_chunks(N, C * KH * KW * L):
        rows = _flat_rows(xp, g[s], Wp, groups)                      # (G, Og, n*L)
        n = rows.shape[-1] // L
        if x is not None:
            cols = _flat_columns(xp, x[s], (KH, KW), pads, dilation, groups, out_hw)
            part = xp.matmul(rows, xp.swapaxes(cols, -1, -2))        # (G, Og, Kg)
            gw = part if gw is None else gw + part
            del cols
        if w is not None:
            gcols = xp.matmul(wmT, rows).reshape(C, KH, KW, n, L)
            for kh in range(KH):
                for kw in range(KW):
                    o = kh * dilation[0] * Wp + kw * dilation[1]
                    gxf[s, :, o:o + L] += xp.swapaxes(gcols[:, kh, kw], 0, 1)
            del gcols
        del rows
    return (gx[:, :, t:t + H, l:l + W] if gx is not None else None,
            gw.reshape(w_shape) if gw is not None else None)


_COLUMN_BUDGET = 1 << 18      # elements of im2col columns alive at once (1 MiB in float32)


def _batch_chunks(n, per_sample):
    """Slices of the batch whose columns fit the budget: im2col grows the input by
    KH*KW (25x for LeNet's first conv), which set the step's peak memory; a chunk of
    samples still makes full-size GEMMs."""
    step = max(1, _COLUMN_BUDGET // max(per_sample, 1))
    return [slice(i, i + step) for i in range(0, n, step)]


def _conv_forward(xp, x, w, stride, pads, dilation, groups):
    N, C, H, W = x.shape
    O, Cg, KH, KW = w.shape
    OH = conv_output_size(H, KH, stride[0], pads[0] + pads[1], dilation[0])
    OW = conv_output_size(W, KW, stride[1], pads[2] + pads[3], dilation[1])
    if OH <= 0 or OW <= 0:
        raise ValueError(f"conv2d: the input's spatial size ({H}, {W}) (padded by {pads}) is "
                         f"smaller than the kernel's ({KH}, {KW}) with dilation {dilation}")
    wm = w.reshape(groups, O // groups, Cg * KH * KW)
    out = xp.empty((N, O, OH * OW), dtype=xp.result_type(x, w))
    if tuple(stride) == (1, 1):
        _flat_conv_forward(xp, x, wm, out, pads, dilation, groups, (KH, KW), (OH, OW))
        return out.reshape(N, O, OH, OW)
    for s in _batch_chunks(N, C * KH * KW * OH * OW):
        cols = _columns(xp, x[s], (KH, KW), stride, pads, dilation, groups, (OH, OW))
        n = cols.shape[0]
        if groups == 1:
            xp.matmul(wm[0], cols[:, 0], out=out[s])         # (n, O, L), no temporary
        else:
            out[s] = xp.matmul(wm, cols).reshape(n, O, OH * OW)   # (n, G, Og, L)
        del cols                 # before the next chunk's columns exist, not after
    return out.reshape(N, O, OH, OW)


def _conv_grad_input(xp, g, w, x_shape, stride, pads, dilation, groups):
    """The adjoint of _conv_forward in x: GEMM to columns, then col2im (batch chunked)."""
    N, C, H, W = x_shape
    O, Cg, KH, KW = w.shape
    OH, OW = g.shape[-2:]
    G = groups
    wm = w.reshape(G, O // G, Cg * KH * KW)
    t, b, l, r = pads
    Hp, Wp = H + t + b, W + l + r
    sh, sw = stride
    dh, dw = dilation
    if (sh, sw) == (1, 1):
        return _flat_conv_backward(xp, g, w, None, x_shape, w.shape, pads, dilation, G)[0]
    wmT = wm[0].T if G == 1 else xp.swapaxes(wm, -1, -2)
    gx = xp.zeros((N, C, Hp, Wp), dtype=g.dtype)
    for s in _batch_chunks(N, C * KH * KW * OH * OW):
        gs = g[s].reshape(-1, O, OH * OW)
        n = gs.shape[0]
        if G == 1:
            gcols = xp.matmul(wmT, gs)                           # (n, CgKK, L)
        else:
            gcols = xp.matmul(wmT, gs.reshape(n, G, O // G, OH * OW))  # (n, G, CgKK, L)
        del gs
        gxs = gx[s]
        gcols = gcols.reshape(n, C, KH, KW, OH, OW)
        for kh in range(KH):
            h0 = kh * dh
            for kw in range(KW):
                w0 = kw * dw
                gxs[:, :, h0:h0 + sh * (OH - 1) + 1:sh, w0:w0 + sw * (OW - 1) + 1:sw] += \
                    gcols[:, :, kh, kw]
        del gcols
    if t or b or l or r:
        gx = gx[:, :, t:t + H, l:l + W]
    return gx


def _conv_grad_weight(xp, x, g, w_shape, stride, pads, dilation, groups):
    O, Cg, KH, KW = w_shape
    N = x.shape[0]
    OH, OW = g.shape[-2:]
    G = groups
    if tuple(stride) == (1, 1):
        return _flat_conv_backward(xp, g, None, x, x.shape, w_shape, pads, dilation, G)[1]
    gm = g.reshape(N, G, O // G, OH * OW)
    gw = None
    for s in _batch_chunks(N, Cg * G * KH * KW * OH * OW):
        cols = _columns(xp, x[s], (KH, KW), stride, pads, dilation, G, (OH, OW))  # (n, G, K, L)
        # per sample (Og, L) @ (L, K), summed over the batch (measured: faster than
        # transposing the columns to (K, N*L) for one big GEMM, and no copy)
        part = xp.matmul(gm[s], xp.swapaxes(cols, -1, -2)).sum(axis=0)
        gw = part if gw is None else gw + part
        del cols
    return gw.reshape(w_shape)


def _pair(v, name='value'):
    if isinstance(v, int):
        return (v, v)
    v = tuple(int(a) for a in v)
    if len(v) == 1:
        return (v[0], v[0])
    if len(v) != 2:
        raise ValueError(f"expected an int or a pair for {name}, got {v}")
    return v


def _pads(padding):
    """int | (ph, pw) | (top, bottom, left, right) -> (top, bottom, left, right)."""
    if isinstance(padding, int):
        return (padding,) * 4
    padding = tuple(int(p) for p in padding)
    if len(padding) == 1:
        return padding * 4
    if len(padding) == 2:
        return (padding[0], padding[0], padding[1], padding[1])
    if len(padding) == 4:
        return padding
    raise ValueError(f"padding must be an int, a pair or a 4-tuple, got {padding}")


def _check_conv(x, w, groups, name):
    if x.ndim != 4:
        raise ValueError(f"{name}: expected a 4-D input (N, C, H, W), got shape {x.shape}")
    if w.ndim != 4:
        raise ValueError(f"{name}: expected a 4-D weight, got shape {w.shape}")
    if groups < 1:
        raise ValueError(f"{name}: groups must be positive, got {groups}")


class Conv2dOp(Function):
    """conv2d(x (N,C,H,W), w (O,C/g,KH,KW), b (O,) or None)."""
    differentiable_twice = False

    def forward(self, xp, x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
        _check_conv(x, w, groups, 'conv2d')
        stride, dilation, pads = _pair(stride, 'stride'), _pair(dilation, 'dilation'), _pads(padding)
        C, O = x.shape[1], w.shape[0]
        if C != w.shape[1] * groups:
            raise ValueError(
                f"conv2d: the input has {C} channels (shape {x.shape}) but the weight "
                f"{w.shape} with groups={groups} expects in_channels={w.shape[1] * groups}")
        if O % groups:
            raise ValueError(f"conv2d: out_channels={O} is not divisible by groups={groups}")
        self.args = (stride, pads, dilation, groups)
        self.x_shape, self.w_shape = x.shape, w.shape
        self.save_for_backward(x if self.needs_grad(1) else None,
                               w if self.needs_grad(0) else None)
        out = _conv_forward(xp, x, w, stride, pads, dilation, groups)
        if b is not None:
            out += b.reshape(1, -1, 1, 1)
        return out

    def backward(self, xp, g, x, w):
        stride, pads, dilation, groups = self.args
        need_x, need_w = self.needs_grad(0), self.needs_grad(1)
        if tuple(stride) == (1, 1):         # both gradients in one pass over the batch
            gx, gw = _flat_conv_backward(xp, g, w if need_x else None, x if need_w else None,
                                         self.x_shape, self.w_shape, pads, dilation, groups)
        else:
            gx = _conv_grad_input(xp, g, w, self.x_shape, *self.args) if need_x else None
            gw = _conv_grad_weight(xp, x, g, self.w_shape, *self.args) if need_w else None
        gb = g.sum(axis=(0, 2, 3)) if self.needs_grad(2) else None
        return gx, gw, gb


class ConvTranspose2dOp(Function):
    """conv_transpose2d(x (N,Cin,H,W), w (Cin,Cout/g,KH,KW), b (Cout,) or None)."""
    differentiable_twice = False

    def forward(self, xp, x, w, b=None, stride=1, padding=0, output_padding=0, groups=1,
                dilation=1):
        _check_conv(x, w, groups, 'conv_transpose2d')
        stride, dilation, pads = _pair(stride, 'stride'), _pair(dilation, 'dilation'), _pads(padding)
        op = _pair(output_padding, 'output_padding')
        N, Cin, H, W = x.shape
        if Cin != w.shape[0]:
            raise ValueError(
                f"conv_transpose2d: the input has {Cin} channels (shape {x.shape}) but the "
                f"weight {w.shape} expects in_channels={w.shape[0]}")
        if Cin % groups:
            raise ValueError(f"conv_transpose2d: in_channels={Cin} is not divisible by groups={groups}")
        for o, s, d in zip(op, stride, dilation):
            if o >= s and o >= d:
                raise ValueError(f"conv_transpose2d: output_padding {op} must be smaller than "
                                 f"either stride {stride} or dilation {dilation}")
        KH, KW = w.shape[2:]
        Cout = w.shape[1] * groups
        Ho = (H - 1) * stride[0] - pads[0] - pads[1] + dilation[0] * (KH - 1) + op[0] + 1
        Wo = (W - 1) * stride[1] - pads[2] - pads[3] + dilation[1] * (KW - 1) + op[1] + 1
        if Ho <= 0 or Wo <= 0:
            raise ValueError(f"conv_transpose2d: the output size ({Ho}, {Wo}) is not positive")
        self.args = (stride, pads, dilation, groups)
        self.x_shape, self.w_shape = x.shape, w.shape
        self.out_shape = (N, Cout, Ho, Wo)
        self.save_for_backward(x if self.needs_grad(1) else None,
                               w if self.needs_grad(0) else None)
        out = _conv_grad_input(xp, x, w, self.out_shape, *self.args)
        if b is not None:
            out = out + b.reshape(1, -1, 1, 1)
        return out

    def backward(self, xp, g, x, w):
        gx = _conv_forward(xp, g, w, *self.args) if self.needs_grad(0) else None
        gw = _conv_grad_weight(xp, g, x, self.w_shape, *self.args) if self.needs_grad(1) else None
        gb = g.sum(axis=(0, 2, 3)) if self.needs_grad(2) else None
        return gx, gw, gb
