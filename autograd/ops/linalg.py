"""Matrix products: matmul (batched, broadcasting) and einsum.

MatMul works on operands of 2+ dims; `ops.math_api.matmul` lifts 1-D
operands to 2-D and drops the added dim again, as NumPy and PyTorch do. The
engine sums the gradient over broadcast batch dims.
"""
from ..backends import _offload
from ..function import Function

# Offload (ag.backends.offload): `_offload[0]` is None unless a policy is active, so the
# normal path pays one list lookup and one `is None` test per product, nothing more.


class MatMul(Function):
    __slots__ = ()

    def forward(self, xp, a, b):
        if a.shape[-1] != b.shape[-2]:
            raise ValueError(
                f"shapes {a.shape} and {b.shape} cannot be multiplied: the last dim of the "
                f"first ({a.shape[-1]}) must equal the second-to-last dim of the second "
                f"({b.shape[-2]})")
        self.save_for_backward(b if self.needs_grad(0) else None,
                               a if self.needs_grad(1) else None)
        policy = _offload[0]
        return xp.matmul(a, b) if policy is None else policy.matmul(xp, a, b)

    def backward(self, xp, g, b, a):
        mm = xp.matmul if _offload[0] is None else _offload[0].bind(xp)
        ga = mm(g, xp.swapaxes(b, -1, -2)) if b is not None else None
        gb = mm(xp.swapaxes(a, -1, -2), g) if a is not None else None
        return ga, gb


def parse_einsum(equation, ndims):
    """'ij,jk->ik' with implicit outputs and '...' -> (input subscripts, output subscripts)."""
    equation = equation.replace(' ', '')
    lhs, arrow, rhs = equation.partition('->')
    terms = lhs.split(',')
    if len(terms) != len(ndims):
        raise ValueError(f"einsum: the equation has {len(terms)} operands but "
                         f"{len(ndims)} tensors were given")
    used = set(equation) - set('.,->')
    spare = [c for c in 'ABCDEFGHIJKLMNOPQRSTUVWXYZ' if c not in used]
    ell = ''
    for t, n in zip(terms, ndims):
        if '...' in t:
            k = n - (len(t) - 3)
            ell = ''.join(spare[:k]) if k > len(ell) else ell
    ins = []
    for t, n in zip(terms, ndims):
        if '...' in t:
            k = n - (len(t) - 3)
            t = t.replace('...', ell[len(ell) - k:] if k else '')
        if len(t) != n:
            raise ValueError(f"einsum: subscripts '{t}' name {len(t)} dims but the operand "
                             f"has {n}")
        ins.append(t)
    if arrow:
        out = rhs.replace('...', ell)
    else:
        counts = {c: sum(t.count(c) for t in ins) for c in set(''.join(ins))}
        out = ell + ''.join(sorted(c for c, k in counts.items() if k == 1 and c not in ell))
    return ins, out


class Einsum(Function):
    """The gradient of each operand is another einsum: the output's gradient
    contracted with the other operands, broadcast over dims only it had."""
    def forward(self, xp, *arrays, equation):
        self.ins, self.out = parse_einsum(equation, [a.ndim for a in arrays])
        for t in self.ins:
            if len(set(t)) != len(t):
                raise ValueError(f"einsum: repeated subscripts within one operand ('{t}', a "
                                 "diagonal) are not supported")
        self.save_for_backward(*arrays)
        return xp.einsum(','.join(self.ins) + '->' + self.out, *arrays, optimize=len(arrays) > 2)

    def backward(self, xp, g, *arrays):
        grads = []
        for k, a in enumerate(arrays):
            if not self.needs_grad(k):
                grads.append(None)
                continue
            others = [t for i, t in enumerate(self.ins) if i != k]
            known = set(self.out).union(*others)
            target = ''.join(c for c in self.ins[k] if c in known)
            operands = [g] + [x for i, x in enumerate(arrays) if i != k]
            gk = xp.einsum(','.join([self.out] + others) + '->' + target, *operands)
            if target != self.ins[k]:              # dims summed away inside operand k alone
                missing = tuple(i for i, c in enumerate(self.ins[k]) if c not in known)
                gk = xp.broadcast_to(xp.expand_dims(gk, missing), a.shape)
            grads.append(gk)
        return tuple(grads)


class Linear(Function):
    """x @ W.T + b as one op (nn.Linear's layout: W is (out, in)).

    Fused because the composition goes through a transposed view of W, whose
    gradient then comes back transposed (F-ordered): every optimizer update on it
    ran ~10x slower. Here dW = g^T @ x is computed directly, C-contiguous like W.
    Backward stays in `xp` terms, so it differentiates again.
    """
    def forward(self, xp, x, w, b=None):
        self.save_for_backward(w if self.needs_grad(0) else None,
                               x if self.needs_grad(1) else None)
        policy = _offload[0]
        y = xp.matmul(x, w.T) if policy is None else policy.matmul(xp, x, w.T)
        if b is None:
            return y
        if b.dtype == y.dtype and y.ndim:
            y += b                      # the matmul's result is ours: no second temporary
            return y
        return y + b

    def backward(self, xp, g, w, x):
        mm = xp.matmul if _offload[0] is None else _offload[0].bind(xp)
        gx = mm(g, w) if w is not None else None
        g2 = xp.reshape(g, (-1, g.shape[-1]))                 # batch dims flattened
        gw = None
        if x is not None:
            gw = mm(xp.swapaxes(g2, 0, 1), xp.reshape(x, (-1, x.shape[-1])))
        gb = xp.sum(g2, axis=0) if self.needs_grad(2) else None
        return gx, gw, gb
