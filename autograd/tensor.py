"""Tensor: an array, the node that produced it, and its gradient.

The operations (`+`, `exp`, `sum`, indexing, ...) are declared once each in
the op table, class `TensorOps` in `ops/__init__.py`, which binds them onto
Tensor; this file holds only what a tensor *is*.
"""
import weakref
from typing import TYPE_CHECKING

from . import backends, errors
from .dtypes import _default as _default_float
from .grad_mode import grad_enabled
from .hooks import add_post_accumulate_hook

if TYPE_CHECKING:       # editors and type checkers find `x.sum` etc. in the op table
    from .ops import TensorOps as _OpMethods
else:                   # at run time the table binds them (ops/__init__ imports this file)
    _OpMethods = object

_FLOAT_KINDS = 'fc'


def _is_cupy(obj):
    return type(obj).__module__.startswith('cupy')


def as_array(data, dtype=None, device=None):
    """Data of any kind -> (array, backend), with PyTorch's dtype defaults.

    Python floats become float32 and ints int64; an existing array keeps its
    dtype unless `dtype` says otherwise.
    """
    if isinstance(data, Tensor):
        backend = data._backend if device is None else backends.get(device)
        array = data.array
        if backend is not data._backend:
            array = backend.from_numpy(data._backend.to_numpy(array))
        return (array if dtype is None else array.astype(dtype)), backend
    if device is None and _is_cupy(data):
        backend = backends.get(f'cuda:{data.device.id}')
    else:
        backend = backends.get(device)
    if dtype is None and not hasattr(data, 'dtype'):
        probe = backends.get('cpu').asarray(data)
        if probe.dtype.kind == 'f':
            dtype = _default_float[0]   # Python floats -> float32, as PyTorch
        elif probe.dtype.kind == 'c':
            dtype = 'complex64'
        data = probe
    if _is_cupy(data) and not backend.is_gpu:
        data = data.get()
    return backend.asarray(data, dtype=dtype), backend


# dtype name -> PyTorch's legacy type name (Tensor.type() with no argument)
_TYPE_NAMES = {'float32': 'FloatTensor', 'float64': 'DoubleTensor', 'float16': 'HalfTensor',
               'int64': 'LongTensor', 'int32': 'IntTensor', 'int16': 'ShortTensor',
               'int8': 'CharTensor', 'uint8': 'ByteTensor', 'bool': 'BoolTensor',
               'complex64': 'ComplexFloatTensor', 'complex128': 'ComplexDoubleTensor'}
_TYPE_DTYPES = {v: k for k, v in _TYPE_NAMES.items()}


class Tensor(_OpMethods):
    """A multi-dimensional array that records the operations applied to it."""
    __slots__ = ('array', '_grad', 'requires_grad', '_node', '_backend', '_vc', '_hooks',
                 '__weakref__')
    _is_node = False
    __array_ufunc__ = None           # NumPy defers to our reflected operators
    __hash__ = object.__hash__       # __eq__ is elementwise; identity hashing for dicts

    def __init__(self, data, dtype=None, device=None, requires_grad=False):
        self.array, self._backend = as_array(data, dtype, device)
        self._grad = None
        self._node = None
        self._vc = None                 # the version counter, created on first need
        self._hooks = None
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    @property
    def grad(self):
        """The accumulated gradient (a Tensor) or None; assignable, shape-checked."""
        return self._grad

    @grad.setter
    def grad(self, value):
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"grad: assigned a {type(value).__name__}; assign a Tensor or None")
            if value.shape != self.array.shape:
                raise errors.ShapeError(f"grad: assigned a gradient of shape {value.shape} to a "
                                        f"tensor of shape {self.shape}; they must match")
            if value._backend is not self._backend:
                raise errors.DeviceError(f"grad: assigned a gradient on {value.device} to a tensor "
                                         f"on {self.device}")
        self._grad = value

    @property
    def data(self):
        """PyTorch's `.data`: a tensor sharing this one's memory, outside the graph.

        Changes made through it are invisible to autograd (no version bump), as in
        PyTorch; prefer `detach()` or `no_grad()`. The raw NumPy/CuPy array is `.array`.
        """
        return make_tensor(self.array, self._backend, False, None, None)

    @data.setter
    def data(self, value):
        if not isinstance(value, Tensor):
            raise TypeError(f"data: assigned a {type(value).__name__}; assign a Tensor "
                            "(wrap an array with ag.tensor(...) first)")
        self.array, self._backend = value.array, value._backend

    # --- what it is ---------------------------------------------------------
    @property
    def shape(self):
        return self.array.shape

    @property
    def ndim(self):
        return self.array.ndim

    def dim(self):
        return self.array.ndim

    @property
    def dtype(self):
        return self.array.dtype

    @property
    def device(self):
        return self._backend.name

    @property
    def is_cuda(self):
        return self._backend.is_gpu

    @property
    def is_leaf(self):
        return self._node is None

    @property
    def grad_fn(self):
        return self._node

    @property
    def _version(self):
        return 0 if self._vc is None else self._vc[0]

    def _version_counter(self):
        """The counter shared with views; made lazily so most tensors never pay for one."""
        if self._vc is None:
            self._vc = [0]
        return self._vc

    def _bump_version(self):
        self._version_counter()[0] += 1

    def size(self, dim=None):
        return self.array.shape if dim is None else self.array.shape[dim]

    def numel(self):
        return self.array.size

    def element_size(self):
        return self.array.itemsize

    def __len__(self):
        if self.array.ndim == 0:
            raise TypeError('len() of a 0-d tensor')
        return self.array.shape[0]

    # --- conversion ---------------------------------------------------------
    def numpy(self):
        if self.requires_grad:
            raise RuntimeError(
                "numpy(): can't call numpy() on a tensor that requires grad. "
                "Use tensor.detach().numpy() instead.")
        return self._backend.to_numpy(self.array)

    def __array__(self, dtype=None, copy=None):
        if self._backend.is_gpu:
            raise TypeError(f"can't convert a tensor on {self.device} to a NumPy array "
                            "implicitly: call .cpu() (or .numpy()) first")
        return self.array if dtype is None else self.array.astype(dtype)

    def item(self):
        if self.array.size != 1:
            raise errors.ShapeError(f"item(): only one-element tensors can be converted to a "
                                    f"Python scalar; this one has shape {self.shape} "
                                    f"({self.array.size} elements)")
        return self.array.item()

    def tolist(self):
        return self._backend.to_numpy(self.array).tolist()

    def __bool__(self):
        if self.array.size != 1:
            raise RuntimeError(f"the truth value of a tensor of shape {self.shape} is "
                               "ambiguous: use .any() or .all()")
        return bool(self.array)

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __index__(self):
        if self.array.dtype.kind not in 'iub' or self.array.size != 1:
            raise TypeError('only integer tensors of a single element can be used as an index')
        return int(self.array)

    def detach(self):
        """The same data (shared memory), cut from the graph."""
        return make_tensor(self.array, self._backend, False, None, self._version_counter())

    def detach_(self):
        self._node = None
        self.requires_grad = False
        return self

    def requires_grad_(self, requires_grad=True):
        if requires_grad and self.array.dtype.kind not in _FLOAT_KINDS:
            raise errors.DtypeError(
                f"requires_grad: only floating point tensors can require gradients; this one "
                f"is {self.array.dtype} with shape {self.shape}. Convert it first with .float() "
                "or .double().")
        if not requires_grad and self._node is not None:
            raise RuntimeError("requires_grad_(False): only leaf tensors can stop requiring "
                               "grad; use .detach() for a non-leaf")
        self.requires_grad = bool(requires_grad)
        return self

    # --- gradients ----------------------------------------------------------
    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        from .engine import backward
        backward((self,), None if gradient is None else (gradient,), retain_graph,
                 create_graph, inputs)

    def register_hook(self, hook):
        """`hook(grad)` runs when this tensor's gradient is computed; it may return a new one."""
        if not self.requires_grad:
            raise RuntimeError("register_hook: cannot register a hook on a tensor that "
                               "doesn't require gradient")
        if self._node is None:
            if self._hooks is None:
                self._hooks = []
            hooks = self._hooks
        else:
            if self._node.hooks is None:
                self._node.hooks = []
            hooks = self._node.hooks
        # user hooks run before retain_grad's, so .grad sees what they returned
        position = next((i for i, h in enumerate(hooks) if isinstance(h, _RetainGrad)), len(hooks))
        hooks.insert(position, hook)
        return _HookHandle(hooks, hook)

    def register_post_accumulate_grad_hook(self, hook):
        """`hook(tensor)` runs once this leaf's `.grad` has been accumulated (it returns None).

        Run as soon as backward has finished this leaf's gradient, before the rest of
        backward (DistributedDataParallel starts its all-reduces from here)."""
        if not self.requires_grad:
            raise RuntimeError("register_post_accumulate_grad_hook: cannot register a hook on a "
                               "tensor that doesn't require gradient")
        if self._node is not None:
            raise RuntimeError("register_post_accumulate_grad_hook: post accumulate grad hooks "
                               f"cannot be registered on non-leaf tensors (this one comes from "
                               f"{self._node.name})")
        return add_post_accumulate_hook(self, hook)

    def retain_grad(self):
        """Keep `.grad` on this non-leaf tensor after backward."""
        if not self.requires_grad:
            raise RuntimeError(f"retain_grad: can't retain the gradient of a tensor with "
                               f"requires_grad=False (shape {self.shape})")
        if self._node is None:
            return                      # leaves keep their grad anyway
        if self._node.hooks is None:
            self._node.hooks = []
        if not any(isinstance(h, _RetainGrad) for h in self._node.hooks):
            self._node.hooks.append(_RetainGrad(self))

    @property
    def retains_grad(self):
        node = self._node
        return node is not None and bool(node.hooks) and any(
            isinstance(h, _RetainGrad) for h in node.hooks)

    # --- devices and dtypes ---------------------------------------------------
    def to(self, *args, dtype=None, device=None, copy=False, non_blocking=False,
           memory_format=None):
        # non_blocking and memory_format are accepted for PyTorch's signature: copies here
        # are synchronous, and every tensor is contiguous in the one layout there is
        for a in args:
            if isinstance(a, Tensor):
                device, dtype = a.device, a.dtype
            elif isinstance(a, str) or hasattr(a, 'is_gpu'):
                device = a
            else:
                dtype = a
        out = self
        if device is not None and backends.get(device) is not self._backend:
            from .ops.movement import ToDevice
            out = ToDevice.apply(out, backend=backends.get(device))
        if dtype is not None:
            out = out.type(dtype)
        if copy and out is self:
            out = self.clone()
        return out

    def cpu(self):
        return self.to('cpu')

    def cuda(self, device=None):
        return self.to('cuda' if device is None else f'cuda:{device}' if isinstance(device, int) else device)

    def float(self):
        return self.type('float32')

    def double(self):
        return self.type('float64')

    def half(self):
        return self.type('float16')

    def long(self):
        return self.type('int64')

    def int(self):
        return self.type('int32')

    def bool(self):
        return self.type('bool')

    def type(self, dtype=None, non_blocking=False):
        """No argument: PyTorch's type name ('torch.FloatTensor', 'torch.cuda.LongTensor').
        Otherwise the tensor in `dtype` (a dtype, a type name or a legacy typed class)."""
        from .ops.elementwise import Cast
        if isinstance(dtype, str):
            if dtype.startswith('torch.'):                      # 'torch.FloatTensor'
                dtype = _TYPE_DTYPES.get(dtype.rpartition('.')[2], dtype)
        elif dtype is None:
            place = 'torch.cuda.' if self._backend.is_gpu else 'torch.'
            return place + _TYPE_NAMES.get(self.array.dtype.name, self.array.dtype.name)
        elif isinstance(getattr(dtype, 'dtype', None), str):   # ag.FloatTensor and friends
            dtype = dtype.dtype
        dtype = self._backend.xp.dtype(dtype)
        if dtype == self.array.dtype:
            return self
        return Cast.apply(self, dtype=dtype)

    # --- copying and pickling: leaves only, as PyTorch ----------------------------
    def __deepcopy__(self, memo):
        if self._node is not None:
            raise RuntimeError("deepcopy: only leaf tensors (created by the user, not by an op) "
                               "support deepcopy; use .detach().clone() for a non-leaf")
        new = make_tensor(self.array.copy(), self._backend, self.requires_grad, None, None)
        if self.grad is not None:
            new.grad = self.grad.__deepcopy__(memo)
        memo[id(self)] = new
        return new

    def __reduce_ex__(self, protocol):
        return (_rebuild, (self._backend.to_numpy(self.array), self.device, self.requires_grad))

    # --- display --------------------------------------------------------------
    def __format__(self, spec):
        """f"{loss:.4f}" formats a 0-d tensor as its Python number, as PyTorch does."""
        if self.array.ndim == 0:
            return self.item().__format__(spec)
        if spec:
            raise TypeError(f"unsupported format string {spec!r} passed to Tensor.__format__: "
                            f"only 0-d tensors take one, this one has shape {self.shape}; "
                            "format t.item() or t.tolist() instead")
        return str(self)

    def __repr__(self):
        import numpy as np              # display only: the data may live on a GPU
        from .printing import array2string_kwargs
        values = self._backend.to_numpy(self.array)
        body = np.array2string(values, separator=', ', prefix='tensor(', **array2string_kwargs(values))
        extras = []
        if self.array.dtype not in (np.float32, np.int64, np.bool_):
            extras.append(f'dtype={self.array.dtype}')
        if self._backend.name != 'cpu':
            extras.append(f"device='{self._backend.name}'")
        if self._node is not None:
            extras.append(f'grad_fn=<{self._node.name}Backward>')
        elif self.requires_grad:
            extras.append('requires_grad=True')
        return 'tensor(' + ', '.join([body] + extras) + ')'


def make_tensor(data, backend, requires_grad, node, vc, _new=object.__new__):
    """The fast constructor ops use: no conversion, no checks (a plain function: no binding)."""
    t = _new(Tensor)
    t.array = data
    t._grad = None
    t.requires_grad = requires_grad
    t._node = node
    t._backend = backend
    t._vc = vc
    t._hooks = None
    return t


class _RetainGrad:
    """The hook retain_grad() adds: store the gradient on the tensor (held weakly)."""
    __slots__ = ('ref',)

    def __init__(self, tensor):
        self.ref = weakref.ref(tensor)

    def __call__(self, grad):
        t = self.ref()
        if t is not None:
            t.grad = grad if t.grad is None else t.grad + grad
        return None


class _HookHandle:
    __slots__ = ('hooks', 'hook')

    def __init__(self, hooks, hook):
        self.hooks, self.hook = hooks, hook

    def remove(self):
        if self.hook in self.hooks:
            self.hooks.remove(self.hook)


def _rebuild(array, device, requires_grad):
    return Tensor(array, device=device, requires_grad=requires_grad)


def is_tensor(obj):
    return isinstance(obj, Tensor)


__all__ = ['Tensor', 'is_tensor', 'as_array', 'grad_enabled']
