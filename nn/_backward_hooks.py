"""Module.register_full_backward_hook / register_full_backward_pre_hook.

As in PyTorch, the module's call is bracketed by two identity Functions: one on the tensor
inputs that require grad, one on the tensor outputs. Each is one node, so its backward sees
all its gradients at once: the output node's backward runs the pre-hooks on grad_output
(which may replace it) and keeps it; the input node's backward then runs the hooks with
grad_input and that grad_output (they may replace grad_input). Only modules with such hooks
pay for this."""
from autograd.custom_function import Function
from autograd.tensor import Tensor


class _BackwardHookIdentity(Function):
    """Passes tensors through; backward hands their gradients to `on_grads`, returns its result."""

    @staticmethod
    def forward(ctx, on_grads, *tensors):
        ctx.on_grads = on_grads
        ctx.set_materialize_grads(False)        # an unused output's gradient is None, as in PyTorch
        outs = tuple(t.view(t.shape) for t in tensors)
        return outs if len(outs) > 1 else outs[0]

    @staticmethod
    def backward(ctx, *grads):
        return (None,) + tuple(ctx.on_grads(grads))


def _wrap(values, on_grads):
    """`values` with its tensors that require grad passed through one identity node whose
    backward calls `on_grads(full)`: `full` has a gradient (or None) per entry of `values`;
    on_grads returns the new `full`."""
    idx = [i for i, v in enumerate(values) if isinstance(v, Tensor) and v.requires_grad]

    def scatter(grads):
        full = [None] * len(values)
        for i, g in zip(idx, grads):
            full[i] = g
        full = on_grads(tuple(full))
        return tuple(full[i] for i in idx)

    if not idx:
        return values, idx
    wrapped = _BackwardHookIdentity.apply(scatter, *(values[i] for i in idx))
    values = list(values)
    for i, w in zip(idx, wrapped if len(idx) > 1 else (wrapped,)):
        values[i] = w
    return tuple(values), idx


def _checked(name, res, like):
    res = res if isinstance(res, tuple) else (res,)
    if len(res) != len(like):
        raise RuntimeError(f"{name}: a backward hook returned {len(res)} gradients, expected "
                           f"{len(like)} (one per entry it was given) or None")
    return res


def call_with_backward_hooks(module, args, kwargs, forward):
    """Run `forward(*args, **kwargs)` so that module's full backward (pre-)hooks fire."""
    grad_output = [None]

    def run_hooks(grad_input):
        for hook in list(module._backward_hooks.values()):
            res = hook(module, grad_input, grad_output[0])
            if res is not None:
                grad_input = _checked("register_full_backward_hook", res, grad_input)
        return grad_input

    def on_output_grads(grads):
        for hook in list(module._backward_pre_hooks.values()):
            res = hook(module, grads)
            if res is not None:
                grads = _checked("register_full_backward_pre_hook", res, grads)
        grad_output[0] = grads
        if not in_idx:                  # no input needs a gradient: PyTorch calls hooks now
            run_hooks((None,) * len(args))
        return grads

    args, in_idx = _wrap(args, run_hooks)
    out = forward(*args, **kwargs)
    outs, _ = _wrap(out if isinstance(out, tuple) else (out,), on_output_grads)
    return outs if isinstance(out, tuple) else outs[0]
