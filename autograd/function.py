"""Function: the base of every op, and the node the tape records.

An op is one class with `forward` and `backward` side by side:

    class Mul(Function):
        def forward(self, xp, a, b):          # raw arrays in, raw array out
            self.save_for_backward(a, b)
            return a * b
        def backward(self, xp, g, a, b):      # the saved values follow g
            return g * b, g * a               # one gradient per input

Both are written against `xp`, a namespace with NumPy's names. In forward it
is the device's array namespace. In backward it is the same namespace
normally, so backward runs on raw arrays at NumPy speed; under
`create_graph=True` it is `ops.tensor_namespace`, whose functions are
differentiable ops on Tensors, so the very same formula records the backward
pass and derivatives of any order work.

`Op.apply(*inputs)` runs forward and, when an input requires grad and grad
mode is on, records the node: a global sequence number (the tape order),
one edge per input (the input's node, or the leaf tensor itself, or None),
the inputs' shapes and dtypes (the engine reduces broadcast gradients and
casts, so no op has to), and the saved values with their version numbers.

`meta` holds one (shape, dtype) entry per input, then possibly more: entries
past len(edges) belong to `ag.viz` (module-call spans, autograd/viz/spans.py).
Read it zipped against `edges`, as the engine does, never by its length.
"""
import itertools

from . import errors
from .grad_mode import anomaly_enabled, grad_enabled
from .tensor import Tensor, make_tensor

_sequence = itertools.count()
_new = object.__new__
_NO_INPUT = object()        # apply_fast's "no second input" (None can be a real argument)
FREED = ('freed',)          # what `saved` becomes once backward has released it
SAVED_OUTPUT = -1           # in `versions`: this saved value is the op's own output


class Function:
    __slots__ = ('seq', 'edges', 'meta', 'saved', 'versions', 'out_vc', 'backend',
                 'hooks', '__weakref__')
    _is_node = True
    is_view = False                 # output shares the first input's memory (and version counter)
    differentiable_twice = True     # False for fused ops whose backward is raw-array code

    # --- what ops write -----------------------------------------------------
    def forward(self, xp, *arrays, **kwargs):
        raise NotImplementedError

    def backward(self, xp, g, *saved):
        raise NotImplementedError

    def save_for_backward(self, *values):
        """Keep arrays for backward: inputs, the output, or anything computed."""
        self.saved = values

    def needs_grad(self, i):
        """Whether input `i` gets a gradient (forward can skip saving what no one needs)."""
        edges = self.edges
        return edges is not None and edges[i] is not None

    @property
    def name(self):
        return type(self).__name__

    # --- recording ----------------------------------------------------------
    @classmethod
    def apply(cls, *inputs, **kwargs):
        # the general path: one loop, no generators, no helpers
        node = object.__new__(cls)
        backend = None
        record = False
        arrays = []
        edges = []
        meta = []
        for x in inputs:
            if isinstance(x, Tensor):
                if backend is not x._backend:
                    if backend is not None:
                        raise errors.mixed_devices(cls.__name__, inputs)
                    backend = x._backend
                data = x.array
                arrays.append(data)
                if x.requires_grad:
                    record = True
                    edges.append(x._node or x)
                    meta.append((data.shape, data.dtype))
                    continue
            else:
                if type(x).__module__ == 'numpy' and not x.ndim:
                    x = x.item()        # NumPy scalars act as Python scalars (weak dtype)
                arrays.append(x)
            edges.append(None)
            meta.append(None)
        if backend is None:
            raise TypeError(f"{cls.__name__}: expected at least one Tensor input, "
                            f"got {[type(x).__name__ for x in inputs]}")
        if record and grad_enabled.get():
            node.edges = edges
        else:
            node.edges = None
            record = False
        node.saved = ()
        try:
            out = node.forward(backend.xp, *arrays, **kwargs)
        except errors.OpError:
            raise
        except (ValueError, IndexError, TypeError) as e:
            raise errors.op_failed(getattr(cls, 'label', cls.__name__), inputs, e) from None
        raw = out
        if type(out) is not backend.array_type:     # NumPy scalars -> 0-d arrays
            out = backend.asarray(out)
        if anomaly_enabled.get():
            errors.check_forward_finite(cls.__name__, inputs, out, backend)
        vc = inputs[0]._version_counter() if cls.is_view else None
        if not record:
            return make_tensor(out, backend, False, None, vc)
        node.seq = next(_sequence)
        node.backend = backend
        node.hooks = None
        node.meta = meta
        if node.saved:
            vc = node._resolve_saved(inputs, arrays, out, raw, vc)
        return make_tensor(out, backend, True, node, vc)

    @classmethod
    def apply_fast(cls, a, b=_NO_INPUT):
        """apply() for the hot cases: one or two inputs, no keywords; the second may be a
        Python scalar. Anything else (numpy operands, subclasses, mixed devices, keywords)
        takes the general apply, so behaviour is identical, only faster.

        Its tail repeats apply's on purpose: routing both through one shared helper was
        measured at +0.25 us/op on the overhead chain (4.16 vs 3.88 us fwd+bwd), about 7%
        of the whole per-op cost. A change to one tail must be made to the other;
        tests/test_apply_paths.py checks that both build the same node for every op."""
        if type(a) is not Tensor:
            return cls.apply(a) if b is _NO_INPUT else cls.apply(a, b)
        backend = a._backend
        if b is _NO_INPUT:
            two = False
        else:
            tb = type(b)
            if tb is Tensor:
                if b._backend is not backend:
                    return cls.apply(a, b)          # raises the device error
                two = True
            elif tb is float or tb is int:
                two = None                        # a scalar constant
            else:
                return cls.apply(a, b)
        node = _new(cls)
        ra = a.requires_grad
        rb = two and b.requires_grad
        record = (ra or rb) and grad_enabled.get()
        if not record:
            node.edges = None
        elif two is False:
            node.edges = [a._node or a]
        else:
            node.edges = [(a._node or a) if ra else None, (b._node or b) if rb else None]
        node.saved = ()
        da = a.array
        try:
            if two is False:
                out = node.forward(backend.xp, da)
            else:
                out = node.forward(backend.xp, da, b.array if two else b)
        except errors.OpError:
            raise
        except (ValueError, IndexError, TypeError) as e:
            inputs = (a,) if two is False else (a, b)
            raise errors.op_failed(getattr(cls, 'label', cls.__name__), inputs, e) from None
        raw = out
        if type(out) is not backend.array_type:
            out = backend.asarray(out)
        if anomaly_enabled.get():
            errors.check_forward_finite(cls.__name__, (a,) if two is False else (a, b), out, backend)
        vc = a._version_counter() if cls.is_view else None
        if not record:
            return make_tensor(out, backend, False, None, vc)
        node.seq = next(_sequence)
        node.backend = backend
        node.hooks = None
        if two is False:
            node.meta = [(da.shape, da.dtype)]
            if node.saved:
                vc = node._resolve_saved((a,), (da,), out, raw, vc)
        else:
            db = b.array if two else b
            node.meta = [(da.shape, da.dtype) if ra else None,
                         (db.shape, db.dtype) if rb else None]
            if node.saved:
                vc = node._resolve_saved((a, b), (da, db), out, raw, vc)
        return make_tensor(out, backend, True, node, vc)

    def _resolve_saved(self, inputs, arrays, out, raw_out, out_vc):
        """Replace saved input arrays by their Tensors (with versions), mark the output.

        Returns the output's version counter (created here if the output is saved)."""
        saved = list(self.saved)
        versions = [None] * len(saved)
        self.out_vc = None
        for k, s in enumerate(saved):
            if s is None:
                continue
            if s is out or s is raw_out:
                saved[k] = out
                versions[k] = SAVED_OUTPUT    # rebuilt as a Tensor under create_graph
                if out_vc is None:
                    out_vc = [0]
                self.out_vc = (out_vc, out_vc[0])
                continue
            i = 0
            for a in arrays:
                if s is a:
                    x = inputs[i]
                    if isinstance(x, Tensor):
                        saved[k] = x
                        versions[k] = x._version_counter()[0]
                    break
                i += 1
        self.saved = saved
        self.versions = versions
        return out_vc

    def unpack_saved(self, graph):
        """The saved values for backward: raw arrays, or Tensors when `graph`."""
        saved = self.saved
        if not graph and saved is not FREED:      # the common case, kept short
            values = []
            for s, v in zip(saved, self.versions):
                if v is not None:
                    if v == SAVED_OUTPUT:
                        vc, v = self.out_vc
                    else:
                        vc = s._vc
                        s = s.array
                    if vc[0] != v:
                        break                    # changed in place: the slow path says how
                values.append(s)
            else:
                return values
        if saved is FREED:
            raise errors.GraphFreedError(
                f"{self.name}: trying to backward through the graph a second time; its saved "
                "tensors were freed by the first backward. Pass retain_graph=True to the first "
                "backward() (or ag.grad) if you need to backward through it again.")
        if not saved:
            return saved
        values = []
        for s, v in zip(saved, self.versions):
            if v is None:                     # a computed constant, or a Python value
                if graph and type(s) is self.backend.array_type:
                    s = make_tensor(s, self.backend, False, None, None)
            elif v == SAVED_OUTPUT:
                vc, version = self.out_vc
                if vc[0] != version:
                    raise errors.modified_inplace(self.name, 'its output', version, vc[0])
                if graph:
                    s = make_tensor(s, self.backend, True, self, vc)
            else:                             # an input Tensor
                if s._vc[0] != v:
                    raise errors.modified_inplace(self.name, f'an input of shape {s.shape}', v, s._vc[0])
                if not graph:
                    s = s.array
            values.append(s)
        return values

    def __repr__(self):
        return f"<{self.name} #{getattr(self, 'seq', '?')}>"


# The fast path as a plain function, `apply_fast(Op, a, b)`: hot callers (operators,
# unary methods, matmul) skip the classmethod binding, about 50 ns a call.
apply_fast = Function.apply_fast.__func__
