"""Fused convolution and pooling ops.

conv2d is one op: the padded input is viewed as sliding windows (a strided
view, no copy), the windows are laid out as columns (N, G, Cg*KH*KW, OH*OW)
and multiplied by the weight in ONE batched GEMM whose result is already in
NCHW order. Backward: grad_weight is one GEMM against the same columns
(rebuilt from the saved input, so the columns are never kept alive), and
grad_input is the transposed GEMM followed by col2im: a loop over the KH*KW
kernel offsets adding strided slices into the padded gradient.

conv_transpose2d is the adjoint of conv2d: its forward is conv2d's
input-gradient and its input-gradient is conv2d's forward.

Pools: max_pool2d routes each window's gradient to its (first) argmax, as
PyTorch does; avg_pool2d divides by the window size (count_include_pad) or by
the number of real input elements; adaptive_avg_pool2d uses PyTorch's
start = floor(i*H/out), end = ceil((i+1)*H/out) windows, written as two small
averaging matrices: out = Ph @ x @ Pw.T.

All raw-array backward code: `differentiable_twice = False`.
"""

from ..function import Function
from ..tensor import make_tensor

__all__ = ['Conv2dOp', 'ConvTranspose2dOp', 'MaxPool2dOp', 'AvgPool2dOp', 'AdaptiveAvgPool2dOp',
           'conv_output_size', 'pool_output_size']


def conv_output_size(size, k, stride, pad_total, dilation):
    return (size + pad_total - dilation * (k - 1) - 1) // stride + 1


def pool_output_size(size, k, stride, pad, dilation, ceil_mode):
    """PyTorch's pooling output size (with its ceil_mode rule)."""
    eff = dilation * (k - 1) + 1
    num = size + 2 * pad - eff
    if ceil_mode:
        out = -(-num // stride) + 1
        if (out - 1) * stride >= size + pad:      # the last window must start inside
            out -= 1
    else:
        out = num // stride + 1
    return out


def _pad(xp, x, pads, value=0):
    """pads = (top, bottom, left, right); negative = crop."""
    t, b, l, r = pads
    if t == b == l == r == 0:
        return x
    if min(pads) < 0:
        H, W = x.shape[-2:]
        x = x[..., max(-t, 0):H - max(-b, 0), max(-l, 0):W - max(-r, 0)]
        t, b, l, r = (max(p, 0) for p in pads)
    width = [(0, 0)] * (x.ndim - 2) + [(t, b), (l, r)]
    return xp.pad(x, width, mode='constant', constant_values=value)


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


# Stride-1 convolutions use "flat rows": in the padded image flattened to Hp*Wp,
# the window at kernel offset (kh, kw) is ONE contiguous run of
# L = (OH-1)*Wp + OW elements starting at kh*dh*Wp + kw*dw: output pixel (y, x)
# sits at y*Wp + x, and the Wp - OW positions between two output rows are
# junk columns. So im2col copies KH*KW long runs per channel instead of
# KH*KW*OH short rows of OW, col2im adds long runs, and the GEMMs carry the
# junk columns along (zeroed in the gradient, cropped from the output).
# Measured on LeNet's second conv (64x8x12x12, 5x5): im2col 648 -> 110 us,
# col2im 1121 -> 508 us, for (Wp/OW)x wider GEMMs that cost far less.

def _flat_length(out_hw, wp):
    return (out_hw[0] - 1) * wp + out_hw[1]


def _flat_columns(xp, x, k, pads, dilation, groups, out_hw):
    """(N, G, Cg*KH*KW, L) flat-row columns of a stride-1 convolution."""
    xpad = xp.ascontiguousarray(_pad(xp, x, pads))
    N, C, Hp, Wp = xpad.shape
    sN, sC, sH, sW = xpad.strides
    L = _flat_length(out_hw, Wp)
    win = xp.lib.stride_tricks.as_strided(
        xpad, shape=(N, C, k[0], k[1], L),
        strides=(sN, sC, sH * dilation[0], sW * dilation[1], sW))
    return xp.ascontiguousarray(win).reshape(N, groups, (C // groups) * k[0] * k[1], L)


def _flat_rows(xp, g, wp):
    """(n, O, OH, OW) -> (n, O, L) in flat-row layout, junk columns zero."""
    n, O, OH, OW = g.shape
    rows = xp.zeros((n, O, OH, wp), dtype=g.dtype)
    rows[..., :OW] = g
    return rows.reshape(n, O, OH * wp)[..., :_flat_length((OH, OW), wp)]


def _crop_flat(xp, flat, out_hw, wp):
    """(n, O, L) flat rows -> strided view (n, O, OH, OW) without the junk columns."""
    n, O = flat.shape[:2]
    s = flat.strides
    item = flat.itemsize
    return xp.lib.stride_tricks.as_strided(flat, shape=(n, O) + tuple(out_hw),
                                           strides=(s[0], s[1], wp * item, item))


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
    flat = tuple(stride) == (1, 1)
    Wp = W + pads[2] + pads[3]
    L = _flat_length((OH, OW), Wp) if flat else OH * OW
    for s in _batch_chunks(N, C * KH * KW * L):
        if flat:
            cols = _flat_columns(xp, x[s], (KH, KW), pads, dilation, groups, (OH, OW))
        else:
            cols = _columns(xp, x[s], (KH, KW), stride, pads, dilation, groups, (OH, OW))
        n = cols.shape[0]
        if groups == 1 and not flat:
            xp.matmul(wm[0], cols[:, 0], out=out[s])         # (n, O, L), no temporary
        else:
            res = xp.matmul(wm, cols).reshape(n, O, L)       # (n, G, Og, L)
            if flat:
                out[s].reshape(n, O, OH, OW)[...] = _crop_flat(xp, res, (OH, OW), Wp)
            else:
                out[s] = res
            del res
        del cols                 # before the next chunk's columns exist, not after
    return out.reshape(N, O, OH, OW)


def _conv_grad_input(xp, g, w, x_shape, stride, pads, dilation, groups):
    """The adjoint of _conv_forward in x: GEMM to columns, then col2im (batch chunked)."""
    N, C, H, W = x_shape
    O, Cg, KH, KW = w.shape
    OH, OW = g.shape[-2:]
    G = groups
    wm = w.reshape(G, O // G, Cg * KH * KW)
    wmT = wm[0].T if G == 1 else xp.swapaxes(wm, -1, -2)
    t, b, l, r = pads
    Hp, Wp = H + t + b, W + l + r
    gx = xp.zeros((N, C, Hp, Wp), dtype=g.dtype)
    sh, sw = stride
    dh, dw = dilation
    flat = (sh, sw) == (1, 1)
    L = _flat_length((OH, OW), Wp) if flat else OH * OW
    for s in _batch_chunks(N, C * KH * KW * L):
        gs = _flat_rows(xp, g[s], Wp) if flat else g[s].reshape(-1, O, OH * OW)
        n = gs.shape[0]
        if G == 1:
            gcols = xp.matmul(wmT, gs)                           # (n, CgKK, L)
        else:
            gcols = xp.matmul(wmT, gs.reshape(n, G, O // G, L))  # (n, G, CgKK, L)
        del gs
        gxs = gx[s]
        if flat:                 # col2im: each kernel offset adds one run per channel
            gcols = gcols.reshape(n, C, KH, KW, L)
            gxf = gxs.reshape(n, C, Hp * Wp)
            for kh in range(KH):
                for kw in range(KW):
                    o = kh * dh * Wp + kw * dw
                    gxf[:, :, o:o + L] += gcols[:, :, kh, kw]
        else:
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
    N, C, H, W = x.shape
    OH, OW = g.shape[-2:]
    G = groups
    flat = tuple(stride) == (1, 1)
    Wp = W + pads[2] + pads[3]
    L = _flat_length((OH, OW), Wp) if flat else OH * OW
    gw = None
    for s in _batch_chunks(N, Cg * G * KH * KW * L):
        if flat:   # junk columns of the flat rows meet zeros in g: they add nothing
            cols = _flat_columns(xp, x[s], (KH, KW), pads, dilation, G, (OH, OW))
            gs = _flat_rows(xp, g[s], Wp)
        else:
            cols = _columns(xp, x[s], (KH, KW), stride, pads, dilation, G, (OH, OW))
            gs = g[s].reshape(-1, O, OH * OW)
        gs = gs.reshape(cols.shape[0], G, O // G, L)
        # per sample (Og, L) @ (L, K), summed over the batch (measured: faster than
        # transposing the columns to (K, N*L) for one big GEMM, and no copy)
        part = xp.matmul(gs, xp.swapaxes(cols, -1, -2)).sum(axis=0)
        gw = part if gw is None else gw + part
        del cols, gs
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
        gx = _conv_grad_input(xp, g, w, self.x_shape, *self.args) if self.needs_grad(0) else None
        gw = _conv_grad_weight(xp, x, g, self.w_shape, *self.args) if self.needs_grad(1) else None
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


def _pool_geometry(x, kernel_size, stride, padding, dilation, ceil_mode, name):
    if x.ndim not in (3, 4):
        raise ValueError(f"{name}: expected a 3-D or 4-D input, got shape {x.shape}")
    k = _pair(kernel_size, 'kernel_size')
    s = k if stride is None or stride == () or stride == [] else _pair(stride, 'stride')
    p = _pair(padding, 'padding')
    d = _pair(dilation, 'dilation')
    for ki, pi in zip(k, p):
        if pi * 2 > ki:
            raise ValueError(f"{name}: padding {p} should be at most half of kernel_size {k}")
    H, W = x.shape[-2:]
    OH = pool_output_size(H, k[0], s[0], p[0], d[0], ceil_mode)
    OW = pool_output_size(W, k[1], s[1], p[1], d[1], ceil_mode)
    if OH <= 0 or OW <= 0:
        raise ValueError(f"{name}: the input's spatial size ({H}, {W}) is too small for "
                         f"kernel_size {k} (padding {p}, dilation {d})")
    # the bottom/right padding that the windows reach (ceil_mode may reach past p)
    pb = max((OH - 1) * s[0] + d[0] * (k[0] - 1) + 1 - H - p[0], 0)
    pr = max((OW - 1) * s[1] + d[1] * (k[1] - 1) + 1 - W - p[1], 0)
    return k, s, p, d, (OH, OW), (p[0], pb, p[1], pr)


def _as4d(x):
    return x if x.ndim == 4 else x[None]


def _window_max(xp, win, k):
    """Max over each window and the position of its first maximum (argmax's rule: a NaN
    wins, the first one), walking the KH*KW offsets as strided views: no copy of the
    windows (which is as large as the input) and one-byte positions.

    The first pass ignores NaN (a few branch-free array ops per offset); NaN propagates through
    maximum, so one check of the result says whether a window had one, and only then
    does the NaN-aware pass run."""
    out = win[:, :, 0, 0].copy()
    arg = xp.zeros(out.shape, dtype=xp.uint8 if k[0] * k[1] <= 256 else xp.int64)
    for pos in range(1, k[0] * k[1]):
        # a contiguous copy of the (doubly strided) offset first, and no branches:
        # positions only grow, so "move to pos where v wins" is max(arg, pos * (v > out))
        # (measured: 7x faster than copyto(where=) on strided views)
        v = xp.ascontiguousarray(win[:, :, pos // k[1], pos % k[1]])
        xp.maximum(arg, xp.multiply(v > out, pos, dtype=arg.dtype), out=arg)
        xp.maximum(out, v, out=out)
    if out.dtype.kind != 'f' or xp.isfinite(out.sum()) or not xp.isnan(out).any():
        return out, arg
    out = win[:, :, 0, 0].copy()
    arg[...] = 0
    nan_seen = xp.isnan(out)
    for pos in range(1, k[0] * k[1]):
        v = win[:, :, pos // k[1], pos % k[1]]
        v_nan = xp.isnan(v)
        wins = (v > out) | (v_nan & ~nan_seen)
        nan_seen |= v_nan
        xp.copyto(arg, pos, where=wins)
        xp.maximum(out, v, out=out)
    return out, arg


class MaxPool2dOp(Function):
    """The output is (N, C, OH, OW); with return_indices the (flat h*W+w) argmax
    positions come back as a second output through `MaxPool2dOp.indices`."""
    differentiable_twice = False

    def forward(self, xp, x, kernel_size=2, stride=None, padding=0, dilation=1, ceil_mode=False):
        k, s, p, d, out_hw, pads = _pool_geometry(x, kernel_size, stride, padding, dilation,
                                                  ceil_mode, 'max_pool2d')
        squeeze = x.ndim == 3
        x4 = _as4d(x)
        N, C, H, W = x4.shape
        fill = -xp.inf if x.dtype.kind == 'f' else xp.iinfo(x.dtype).min
        xpad = _pad(xp, x4, pads, value=fill)
        win = _windows(xp, xpad, k, s, d, out_hw)            # (N, C, KH, KW, OH, OW)
        OH, OW = out_hw
        out, arg = _window_max(xp, win, k)
        self.geom = (k, s, d, out_hw, pads, x4.shape, squeeze)
        self.arg = arg
        if squeeze:
            out = out[0]
        return out

    def indices(self, xp):
        k, s, d, (OH, OW), pads, (N, C, H, W), squeeze = self.geom
        arg = self.arg.astype(xp.int64)            # stored as uint8: widen before arithmetic
        kh, kw = arg // k[1], arg % k[1]
        h = xp.arange(OH).reshape(OH, 1) * s[0] + kh * d[0] - pads[0]
        w = xp.arange(OW) * s[1] + kw * d[1] - pads[2]
        idx = (h * W + w).astype(xp.int64)
        return idx[0] if squeeze else idx

    def backward(self, xp, g):
        k, s, d, (OH, OW), pads, (N, C, H, W), squeeze = self.geom
        g = _as4d(g)
        arg = self.arg
        t, b, l, r = pads
        gx = xp.zeros((N, C, H + t + b, W + l + r), dtype=g.dtype)
        for kh in range(k[0]):
            h0 = kh * d[0]
            for kw in range(k[1]):
                w0 = kw * d[1]
                part = g if k[0] * k[1] == 1 else xp.mask_grad(arg == kh * k[1] + kw, g)
                gx[:, :, h0:h0 + s[0] * (OH - 1) + 1:s[0], w0:w0 + s[1] * (OW - 1) + 1:s[1]] += part
        gx = gx[:, :, t:t + H, l:l + W]
        return gx[0] if squeeze else gx


class AvgPool2dOp(Function):
    differentiable_twice = False

    def forward(self, xp, x, kernel_size=2, stride=None, padding=0, ceil_mode=False,
                count_include_pad=True, divisor_override=None):
        k, s, p, d, out_hw, pads = _pool_geometry(x, kernel_size, stride, padding, 1,
                                                  ceil_mode, 'avg_pool2d')
        squeeze = x.ndim == 3
        x4 = _as4d(x)
        N, C, H, W = x4.shape
        OH, OW = out_hw
        xpad = _pad(xp, x4, pads)
        out = None
        for kh in range(k[0]):
            for kw in range(k[1]):
                sl = xpad[:, :, kh:kh + s[0] * (OH - 1) + 1:s[0], kw:kw + s[1] * (OW - 1) + 1:s[1]]
                out = sl.copy() if out is None else out.__iadd__(sl)
        if divisor_override:
            div = xp.asarray(float(divisor_override), dtype=x.dtype)
        else:
            # window sizes: clipped to the padded input (count_include_pad) or the input
            hs = xp.arange(OH) * s[0] - p[0]
            ws = xp.arange(OW) * s[1] - p[1]
            if count_include_pad:
                lo_h, hi_h, lo_w, hi_w = -p[0], H + p[0], -p[1], W + p[1]
            else:
                lo_h, hi_h, lo_w, hi_w = 0, H, 0, W
            nh = xp.minimum(hs + k[0], hi_h) - xp.maximum(hs, lo_h)
            nw = xp.minimum(ws + k[1], hi_w) - xp.maximum(ws, lo_w)
            div = (nh.reshape(OH, 1) * nw.reshape(1, OW)).astype(x.dtype)
        out /= div
        self.geom = (k, s, out_hw, pads, x4.shape, squeeze)
        self.div = div
        return out[0] if squeeze else out

    def backward(self, xp, g):
        k, s, (OH, OW), pads, (N, C, H, W), squeeze = self.geom
        g = _as4d(g) / self.div
        t, b, l, r = pads
        gx = xp.zeros((N, C, H + t + b, W + l + r), dtype=g.dtype)
        for kh in range(k[0]):
            for kw in range(k[1]):
                gx[:, :, kh:kh + s[0] * (OH - 1) + 1:s[0], kw:kw + s[1] * (OW - 1) + 1:s[1]] += g
        gx = gx[:, :, t:t + H, l:l + W]
        return gx[0] if squeeze else gx


def _adaptive_matrix(xp, size, out, dtype):
    m = xp.zeros((out, size), dtype=dtype)
    for i in range(out):
        start = (i * size) // out
        end = -(-((i + 1) * size) // out)
        m[i, start:end] = 1.0 / (end - start)
    return m


class AdaptiveAvgPool2dOp(Function):
    differentiable_twice = False

    def forward(self, xp, x, output_size):
        if x.ndim not in (3, 4):
            raise ValueError(f"adaptive_avg_pool2d: expected a 3-D or 4-D input, got shape {x.shape}")
        H, W = x.shape[-2:]
        if isinstance(output_size, int):
            output_size = (output_size, output_size)
        OH, OW = (H if output_size[0] is None else int(output_size[0]),
                  W if output_size[1] is None else int(output_size[1]))
        if OH <= 0 or OW <= 0:
            raise ValueError(f"adaptive_avg_pool2d: output_size must be positive, got {output_size}")
        dt = x.dtype if x.dtype.kind == 'f' else xp.float64
        self.ph = _adaptive_matrix(xp, H, OH, dt)
        self.pw = _adaptive_matrix(xp, W, OW, dt)
        if OH == 1 and OW == 1:
            return x.mean(axis=(-2, -1), keepdims=True)
        return xp.matmul(xp.matmul(self.ph, x), self.pw.T)

    def backward(self, xp, g):
        return xp.matmul(xp.matmul(self.ph.T, g), self.pw)


def max_pool2d_indices(x, out, kernel_size, stride, padding, dilation, ceil_mode):
    """The argmax positions (flat h*W+w, int64) behind `out = MaxPool2dOp.apply(x, ...)`.

    A recorded output's node already knows them; otherwise forward runs once more
    on the raw arrays (nothing is recorded)."""
    node = out._node
    if not isinstance(node, MaxPool2dOp):
        node = object.__new__(MaxPool2dOp)
        node.edges = None
        node.forward(x._backend.xp, x.data, kernel_size, stride, padding, dilation, ceil_mode)
    return make_tensor(x._backend.asarray(node.indices(x._backend.xp)), x._backend, False, None, None)
