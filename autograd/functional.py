"""Higher-level derivatives, with torch.autograd.functional's conventions.

    vjp(f, x, v)      -> (f(x), v^T J)
    jvp(f, x, v)      -> (f(x), J v)          (by the double-vjp trick)
    jacobian(f, x)    -> J, shaped output.shape + input.shape
    hessian(f, x)     -> H, shaped input.shape + input.shape
    hvp(f, x, v)      -> (f(x), H v)
    vhp(f, x, v)      -> (f(x), v^T H)

Tuples of inputs give tuples of results (nested for jacobian/hessian); a single
tensor gives a single result, as in PyTorch.
"""
from . import creation, engine
from .ops import shape_api
from .tensor import Tensor


def _tuple(x):
    return (tuple(x), True) if isinstance(x, (tuple, list)) else ((x,), False)


def _prepare(inputs):
    inputs, is_tuple = _tuple(inputs)
    return tuple(x.detach().requires_grad_() for x in inputs), is_tuple


def _grads(outputs, inputs, grad_outputs, create_graph):
    grads = engine.grad(outputs, inputs, grad_outputs, retain_graph=True,
                        create_graph=create_graph, allow_unused=True)
    return tuple(creation.zeros_like(x) if g is None else g for g, x in zip(grads, inputs))


def _finish(values, is_tuple, create_graph):
    values = tuple(v if create_graph else v.detach() for v in values)
    return values if is_tuple else values[0]


def vjp(func, inputs, v=None, create_graph=False, strict=False):
    xs, in_tuple = _prepare(inputs)
    outs, out_tuple = _tuple(func(*xs))
    if v is None:
        if len(outs) != 1 or outs[0].numel() != 1:
            raise RuntimeError("vjp: v can be omitted only when the function returns a single "
                               "element; pass v shaped like the output")
        v = (creation.ones_like(outs[0]),)
    else:
        v, _ = _tuple(v)
    grads = _grads(outs, xs, v, create_graph)
    return _finish(outs, out_tuple, create_graph), _finish(grads, in_tuple, create_graph)


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    xs, in_tuple = _prepare(inputs)
    outs, out_tuple = _tuple(func(*xs))
    v = tuple(creation.ones_like(x) for x in xs) if v is None else _tuple(v)[0]
    dummies = tuple(creation.zeros_like(o).requires_grad_() for o in outs)
    g = _grads(outs, xs, dummies, True)                      # u -> u^T J, linear in u
    jv = _grads(g, dummies, v, create_graph)                 # its vjp with v is J v
    return _finish(outs, out_tuple, create_graph), _finish(jv, out_tuple, create_graph)


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False):
    xs, in_tuple = _prepare(inputs)
    outs, out_tuple = _tuple(func(*xs))
    rows = []
    for out in outs:
        flat = out.reshape(-1)
        per_input = [[] for _ in xs]
        for k in range(flat.shape[0]):
            grads = _grads((flat[k],), xs, None, create_graph)
            for lst, g in zip(per_input, grads):
                lst.append(g)
        blocks = []
        for x, lst in zip(xs, per_input):
            if lst:
                block = shape_api.stack(lst).reshape(out.shape + x.shape)
            else:
                block = creation.zeros(out.shape + x.shape, dtype=x.dtype, device=x.device)
            blocks.append(block if create_graph else block.detach())
        rows.append(tuple(blocks) if in_tuple else blocks[0])
    return tuple(rows) if out_tuple else rows[0]


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False):
    xs, in_tuple = _prepare(inputs)

    def gradient(*args):
        out = func(*args)
        if not isinstance(out, Tensor) or out.numel() != 1:
            raise RuntimeError("hessian: the function must return a single-element tensor")
        grads = _grads((out.reshape(()),), args, None, True)
        return grads if in_tuple else grads[0]

    return jacobian(gradient, xs if in_tuple else xs[0], create_graph=create_graph)


def hvp(func, inputs, v, create_graph=False, strict=False):
    """(func(inputs), H v), with H the Hessian of the scalar func."""
    xs, in_tuple = _prepare(inputs)
    v, _ = _tuple(v)
    out = func(*xs)
    grads = _grads((out,), xs, None, True)
    hv = _grads(grads, xs, v, create_graph)
    return (out if create_graph else out.detach()), _finish(hv, in_tuple, create_graph)


def vhp(func, inputs, v, create_graph=False, strict=False):
    """(func(inputs), v^T H); the Hessian is symmetric, so equal to hvp."""
    return hvp(func, inputs, v, create_graph, strict)
