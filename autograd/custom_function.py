"""PyTorch's user-facing Function (`torch.autograd.Function`), as an adapter onto the tape.

    class Exp(Function):
        @staticmethod
        def forward(ctx, x):
            y = x.exp()
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, grad):
            (y,) = ctx.saved_tensors
            return grad * y

    y = Exp.apply(x)

The user's forward runs on Tensors under no_grad; then one engine node is recorded
for the whole call, an instance of a small op class made once per user class (its
name is the user's class name, so `y.grad_fn` and error messages say `Exp`). The
engine treats it like any op: saved tensors go through the same version checks,
and backward receives raw arrays, wrapped here into Tensors for the user's code.
Under `create_graph=True` it receives Tensors and grad mode is on, so a backward
written with Tensor ops is itself recorded: double backward works.

A node has one output. Several differentiable outputs are packed into one flat
array, and each output the caller gets is a slice of it (ordinary indexing and
reshape ops), so their gradients meet in the packed gradient the node unpacks.
"""
from . import errors
from .function import Function as _Op
from .grad_mode import grad_enabled, no_grad
from .tensor import Tensor, make_tensor

_FLOAT_KINDS = 'fc'


class FunctionCtx:
    """The `ctx` that forward, setup_context and backward share; any attribute may be set."""

    def __init__(self):
        self.to_save = ()
        self.non_differentiable = ()
        self.dirty = ()
        self.materialize_grads = True
        self.needs_input_grad = ()
        self._saved = None

    def save_for_backward(self, *tensors):
        """Keep inputs or outputs (or None) for backward; read them back as ctx.saved_tensors."""
        for i, t in enumerate(tensors):
            if t is not None and not isinstance(t, Tensor):
                raise TypeError(f"save_for_backward can only save tensors (or None), but "
                                f"argument {i} is a {type(t).__name__}; keep other values as "
                                "attributes of ctx (ctx.value = ...)")
        self.to_save = tensors

    @property
    def saved_tensors(self):
        if self._saved is None:
            raise RuntimeError("saved_tensors: only available inside backward (save them in "
                               "forward with ctx.save_for_backward)")
        return self._saved

    def mark_non_differentiable(self, *tensors):
        """These outputs get requires_grad=False; backward receives zeros for them."""
        self.non_differentiable = tensors

    def mark_dirty(self, *tensors):
        """These inputs were modified in place by forward and are returned as outputs."""
        self.dirty = tensors

    def set_materialize_grads(self, value):
        """False: backward receives None (not zeros) for outputs that got no gradient."""
        self.materialize_grads = bool(value)


def once_differentiable(backward):
    """Mark a backward as raw code that create_graph=True cannot differentiate again."""
    backward.once_differentiable = True
    return backward


def _has(tensors, t):
    return any(t is u for u in tensors)


class Function:
    """Subclass with `@staticmethod forward(ctx, *args)` and `backward(ctx, *grads)`
    (or forward(*args) plus setup_context(ctx, inputs, output)); call `Fn.apply(*args)`."""

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("a Function subclass must define forward as a staticmethod")

    @staticmethod
    def setup_context(ctx, inputs, output):
        raise NotImplementedError("setup_context is optional; define it with a forward "
                                  "that takes no ctx")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("a Function subclass must define backward as a staticmethod "
                                  "to be differentiated")

    def __init__(self, *args, **kwargs):
        raise RuntimeError(f"{type(self).__name__}: Functions are not instantiated; call "
                           f"{type(self).__name__}.apply(...) (forward and backward are "
                           "staticmethods taking ctx)")

    @classmethod
    def apply(cls, *args, **kwargs):
        ctx = FunctionCtx()
        record = grad_enabled.get() and any(
            isinstance(a, Tensor) and a.requires_grad for a in args)
        ctx.needs_input_grad = tuple(record and isinstance(a, Tensor) and a.requires_grad
                                     for a in args)
        with no_grad():
            if cls.setup_context is not Function.setup_context:
                outputs = cls.forward(*args, **kwargs)
                cls.setup_context(ctx, args, outputs)
            else:
                outputs = cls.forward(ctx, *args, **kwargs)
        if not record:
            return outputs
        return _record(cls, ctx, args, outputs)


def _record(cls, ctx, args, outputs):
    single = isinstance(outputs, Tensor)
    outs = (outputs,) if single else tuple(outputs) if isinstance(outputs, (tuple, list)) else ()
    diff = [i for i, o in enumerate(outs) if isinstance(o, Tensor)
            and o.dtype.kind in _FLOAT_KINDS and not _has(ctx.non_differentiable, o)]
    if not diff:
        return outputs
    if ctx.dirty and len(diff) > 1:
        raise NotImplementedError(f"{cls.__name__}: mark_dirty is supported for a Function "
                                  "with one differentiable output only")
    inputs = [a for a in args if isinstance(a, Tensor)]
    packed = _node_class(cls).apply(*inputs, ctx=ctx, outs=[outs[i] for i in diff],
                                    positions=[i for i, a in enumerate(args) if isinstance(a, Tensor)],
                                    n_args=len(args), all_outs=outs)
    node = packed._node
    if len(diff) == 1:
        results = {diff[0]: _adopt_dirty(ctx, outs[diff[0]], packed, node)}
    else:
        results = {i: _piece(packed, node.layout[k]) for k, i in enumerate(diff)}
        if not ctx.materialize_grads:                  # note which outputs get a gradient
            for k, i in enumerate(diff):
                results[i].register_hook(_Flag(node.arrived, k))
    if single:
        return results[0]
    new = [results.get(i, o) for i, o in enumerate(outs)]
    return type(outputs)(new) if isinstance(outputs, list) else tuple(new)


def _adopt_dirty(ctx, out, packed, node):
    """The output as the caller sees it: a dirty (modified in place) input becomes it,
    now produced by this node, as PyTorch does; any other output is `packed` itself."""
    if not _has(ctx.dirty, out):
        return packed
    if out.is_leaf and out.requires_grad:
        raise RuntimeError(f"{node.name}: a leaf tensor that requires grad was modified in "
                           "place (mark_dirty); clone() it before passing it in")
    out._node, out.requires_grad = node, True
    if getattr(node, 'out_vc', None) is not None:   # a saved output: check the input's counter
        node.out_vc = (out._version_counter(), out._version)
    return out


def _piece(packed, layout):
    """Output k of a packed array or Tensor: a slice, reshaped, in its own dtype."""
    start, shape, dtype = layout
    size = 1
    for n in shape:
        size *= n
    part = packed[start:start + size].reshape(shape)
    if isinstance(part, Tensor):
        return part.type(dtype)
    return part.astype(dtype, copy=False)


class _Flag:
    """A hook that records that output k received a gradient (set_materialize_grads(False))."""
    __slots__ = ('arrived', 'k')

    def __init__(self, arrived, k):
        self.arrived, self.k = arrived, k

    def __call__(self, grad):
        self.arrived[self.k] = True


def _node_class(cls):
    """The engine op standing for `cls`, made once; named after it (`y.grad_fn` says so)."""
    op = cls.__dict__.get('_op_class')
    if op is None:
        once = getattr(cls.backward, 'once_differentiable', False)
        op = type(cls.__name__, (_UserNode,), {'function': cls, 'differentiable_twice': not once,
                                                '__module__': cls.__module__})
        cls._op_class = op
    return op


class _UserNode(_Op):
    """The engine's view of one call of a user Function: forward already ran (the
    result comes in packed); backward calls the user's backward on Tensors."""
    function = None

    def forward(self, xp, *arrays, ctx, outs, positions, n_args, all_outs):
        self.ctx, self.positions, self.n_args = ctx, positions, n_args
        self.out_meta = [(o.shape, o.dtype) if isinstance(o, Tensor) else (None, None)
                         for o in all_outs]
        self.diff = [k for k, o in enumerate(all_outs) if any(o is d for d in outs)]
        if len(outs) == 1:
            packed = outs[0].array
            if any(packed is a for a in arrays) and not ctx.dirty:
                packed = packed.view()          # an input returned as is: an alias, not itself
            self.layout = None
        else:
            dtype = xp.result_type(*[o.array for o in outs])
            packed = xp.concatenate([o.array.reshape(-1).astype(dtype) for o in outs])
            self.layout, start = [], 0
            for o in outs:
                self.layout.append((start, o.shape, o.dtype))
                start += o.array.size
        self.arrived = [False] * len(outs)
        # a saved output is kept as the packed array, so the engine version-checks it as
        # the output (and, under create_graph, gives it back connected to this node); a
        # packed call slices it again in backward (saved_outputs says which piece)
        single = outs[0] if self.layout is None else None
        self.saved_outputs = [None if single is not None else
                              next((k for k, o in enumerate(outs) if t is o), None)
                              for t in ctx.to_save]
        self.save_for_backward(*[
            None if t is None else packed if k is not None or t is single else t.array
            for t, k in zip(ctx.to_save, self.saved_outputs)])
        ctx.to_save = ()
        return packed

    def backward(self, xp, g, *saved):
        ctx, backend = self.ctx, self.backend
        graph = isinstance(g, Tensor)
        wrap = (lambda a: a if a is None or isinstance(a, Tensor)
                else make_tensor(a, backend, False, None, None))
        ctx._saved = tuple(wrap(s if k is None else _piece(s, self.layout[k]))
                           for s, k in zip(saved, self.saved_outputs))
        grads = self._output_grads(wrap(g), backend)
        try:
            result = self.function.backward(ctx, *grads)
        finally:
            ctx._saved = None
            self.arrived[:] = [False] * len(self.arrived)     # in place: the hooks hold it
        return self._input_grads(result, graph)

    def _output_grads(self, g, backend):
        """One gradient per output the user's forward returned, in its order."""
        pieces = [g] if self.layout is None else [_piece(g, lay) for lay in self.layout]
        grads = []
        for k, (shape, dtype) in enumerate(self.out_meta):
            if k in self.diff:
                j = self.diff.index(k)
                arrived = self.layout is None or self.arrived[j]
                grads.append(pieces[j] if arrived or self.ctx.materialize_grads else None)
            elif self.ctx.materialize_grads and shape is not None:
                grads.append(make_tensor(backend.xp.zeros(shape, dtype=dtype), backend,
                                         False, None, None))
            else:
                grads.append(None)
        return grads

    def _input_grads(self, result, graph):
        name = self.name
        result = result if isinstance(result, tuple) else (result,)
        if len(result) < self.n_args or any(r is not None for r in result[self.n_args:]):
            raise RuntimeError(f"{name}.backward returned an incorrect number of gradients "
                               f"(expected {self.n_args}, one per forward argument, got "
                               f"{len(result)}); return None for arguments without one")
        out = []
        for position, edge, (shape, _) in zip(self.positions, self.edges, self._input_meta()):
            gi = result[position]
            if gi is None or edge is None:
                out.append(None)
                continue
            if not isinstance(gi, Tensor):
                raise TypeError(f"{name}.backward returned a {type(gi).__name__} as the gradient "
                                f"of argument {position}; return a Tensor (or None)")
            if not _expandable(shape, gi.shape):
                raise errors.ShapeError(
                    f"{name}.backward returned a gradient of shape {gi.shape} for argument "
                    f"{position}, of shape {shape}; it must have the argument's shape")
            out.append(gi if graph else gi.array)
        for position, gi in enumerate(result[:self.n_args]):
            if gi is not None and position not in self.positions:
                raise RuntimeError(f"{name}.backward returned a gradient for argument {position}, "
                                   "which is not a Tensor; return None for it")
        return tuple(out)

    def _input_meta(self):
        return [m if m is not None else (None, None) for m in self.meta[:len(self.edges)]]


def _expandable(shape, grad_shape):
    """Whether a tensor of `shape` broadcasts to `grad_shape` (the engine sums it back)."""
    if len(grad_shape) < len(shape):
        return False
    return all(a == b or a == 1 for a, b in zip(shape[::-1], grad_shape[::-1]))
