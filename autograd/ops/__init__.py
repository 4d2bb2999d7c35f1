"""The op table: every public op declared once, as one line of `TensorOps` below.

Each line names the op and says which forms it has:

    exp = both(E.Exp)           ag.exp and Tensor.exp, built from the op class
    sum = both(m.sum)           ag.sum and Tensor.sum: one function serves both
    einsum = function(m.einsum) ag.einsum only
    view = method(s.view)       Tensor.view only (in-place ops, operators, aliases)
    multiply = method(mul)      an alias: the forms of an earlier line

`both(OpClass)` is the whole declaration of a plain elementwise op. For one
input, ag.<name> wraps `OpClass.apply` (arrays and lists become constants)
and Tensor.<name> is the fast path (`apply_fast`, no wrapper); for two inputs
both forms accept Python numbers and arrays on either side (`math_api.binary`).
An op with options (`dim`, `alpha`, ...) or several ops composed gets a
function in math_api.py or shape_api.py, and its line names that function.

From the table come FUNCTIONS (exported as ag.<name> by autograd/__init__),
METHODS (bound onto Tensor, operators and properties included) and OPERATORS
(the dunder methods); tests/test_op_gradients.py requires a row in ROWS (or
NOT_DIFFERENTIABLE) for every one of them, so nothing is exported untested.

Adding an elementwise op, `log1p` say:
  1. its class in ops/elementwise.py, forward and backward side by side, both
     written against `xp` (a backward may use only names ops/tensor_namespace.py
     has, so it differentiates again: tests/test_tensor_namespace.py checks);
  2. one line here, in its group:  `log1p = both(E.Log1p)`;
  3. one row in tests/test_op_gradients.py ROWS (gradcheck and gradgradcheck).
"""
from typing import Any

from ..function import Function, apply_fast
from ..tensor import Tensor
from . import cumulative as C
from . import elementwise as E
from . import linalg as L
from . import math_api as m
from . import pointwise_api as pw
from . import shape_api as s
from . import sorting as so
from . import inplace_api as IP
from . import scatter_api as SC
from . import torch_api as P
from . import torch_more as TM
from . import trig as TR
from . import triangular as tri


class _Line:
    """One line of the table: what it was given, and which forms it exports."""
    __slots__ = ('source', 'exports_function', 'exports_method', 'method_form', 'function',
                 'method')

    def __init__(self, source, exports_function, exports_method, method_form=None):
        self.source = source
        self.exports_function, self.exports_method = exports_function, exports_method
        self.method_form = method_form

    def build(self, name):
        """Both forms, whether exported or not (an alias line may want the other one)."""
        src = self.source
        if isinstance(src, _Line):                  # an alias of an earlier line
            fn, meth = src.function, src.method
        elif isinstance(src, type) and issubclass(src, Function):
            forward = src.forward              # inputs: after self and xp, before defaults
            inputs = forward.__code__.co_argcount - 2 - len(forward.__defaults__ or ())
            if inputs == 1:
                fn, meth = m.unary(src, name), fast(src, unary=True)
                meth.__name__, meth.__qualname__ = name, f'Tensor.{name}'
                meth.__doc__ = fn.__doc__
            elif inputs == 2:
                fn = meth = m.binary(src, name)
            else:
                raise TypeError(f"op table: {name} = both({src.__name__}): a class stands for "
                                "an op of one or two inputs; write a function in math_api.py")
        else:
            fn = meth = src
        self.function = fn
        self.method = self.method_form or meth


# `-> Any`: type checkers then take each line for the method it becomes
def both(source, method=None) -> Any:
    """ag.<name> and Tensor.<name>; `method` overrides the method form."""
    return _Line(source, True, True, method)


def function(source) -> Any:
    """ag.<name> only."""
    return _Line(source, True, False)


def method(source) -> Any:
    """Tensor.<name> only."""
    return _Line(source, False, True)


def fast(op, unary=False):
    """The op's fast apply as a plain function, so Python passes the tensor as `self`."""
    apply = apply_fast          # a closure cell: no global lookup per call
    if unary:
        return lambda a: apply(op, a)
    return lambda a, b: apply(op, a, b)


def _matmul_operator(a, b):
    # `x @ w` on tensors of 2+ dims goes straight to the op's fast apply (0.55 us of
    # wrapper saved per product); anything else (1-D, arrays, lists) takes matmul()
    if type(b) is Tensor and len(a.shape) >= 2 and len(b.shape) >= 2:
        return apply_fast(L.MatMul, a, b)
    return m.matmul(a, b)


class TensorOps:
    """Tensor's op methods, and ag's functions: the table (see the module docstring).

    After import each method line holds the method itself, and Tensor has it too."""
    # --- arithmetic --------------------------------------------------------------------
    add = both(m.add)
    sub = both(m.sub)
    mul = both(m.mul)
    div = both(m.div)
    pow = both(m.pow)
    neg = both(E.Neg)
    floor_divide = both(m.floor_divide)
    remainder = both(m.remainder)
    fmod = both(m.fmod)
    subtract = method(sub)
    multiply = method(mul)
    divide = method(div)
    true_divide = method(div)
    negative = method(neg)
    # --- unary math --------------------------------------------------------------------
    exp = both(E.Exp)
    log = both(E.Log)
    log1p = both(E.Log1p)
    expm1 = both(E.Expm1)
    sqrt = both(E.Sqrt)
    rsqrt = both(m.rsqrt)
    square = both(E.Square)
    reciprocal = both(E.Reciprocal)
    sin = both(E.Sin)
    cos = both(E.Cos)
    tan = both(E.Tan)
    tanh = both(E.Tanh)
    sigmoid = both(E.Sigmoid)
    erf = both(E.Erf)
    abs = both(E.Abs)
    absolute = method(abs)
    sign = both(E.Sign)
    floor = both(E.Floor)
    ceil = both(E.Ceil)
    round = both(m.round)
    trunc = both(E.Trunc)
    clone = both(E.Clone)
    # --- activations and clamping ------------------------------------------------------
    relu = both(E.Relu)
    leaky_relu = both(m.leaky_relu)
    elu = both(m.elu)
    gelu = both(m.gelu)
    softplus = both(m.softplus)
    clamp = both(m.clamp)
    clip = both(clamp)
    maximum = both(m.maximum)
    minimum = both(m.minimum)
    where = both(m.where, method=lambda self, condition, other: m.where(condition, self, other))
    # --- comparisons and tests: no gradient --------------------------------------------
    eq = both(m.eq)
    ne = both(m.ne)
    lt = both(m.lt)
    le = both(m.le)
    gt = both(m.gt)
    ge = both(m.ge)
    isnan = both(m.isnan)
    isinf = both(m.isinf)
    isfinite = both(m.isfinite)
    allclose = both(m.allclose)
    equal = both(m.equal)
    any = both(m.any)
    all = both(m.all)
    argmax = both(m.argmax)
    argmin = both(m.argmin)
    # --- reductions ----------------------------------------------------------------------
    sum = both(m.sum)
    mean = both(m.mean)
    var = both(m.var)
    std = both(m.std)
    prod = both(m.prod)
    max = both(m.max)
    min = both(m.min)
    amax = both(m.amax)
    amin = both(m.amin)
    logsumexp = both(m.logsumexp)
    norm = both(m.norm)
    # --- softmax family and linear algebra ---------------------------------------------
    softmax = both(m.softmax)
    log_softmax = both(m.log_softmax)
    matmul = both(m.matmul)
    einsum = function(m.einsum)
    outer = both(m.outer)
    dot = both(m.dot)
    # --- shape -------------------------------------------------------------------------
    reshape = both(s.reshape)
    view = method(s.view)
    view_as = method(s.view_as)
    reshape_as = method(s.reshape_as)
    flatten = both(s.flatten)
    permute = both(s.permute)
    transpose = both(s.transpose)
    swapaxes = both(s.swapaxes)
    T = method(property(s.T))
    mT = method(property(s.mT))
    squeeze = both(s.squeeze)
    unsqueeze = both(s.unsqueeze)
    expand = method(s.expand)
    expand_as = method(s.expand_as)
    broadcast_to = both(s.broadcast_to)
    repeat = both(s.repeat)
    tile = both(s.tile)
    flip = both(s.flip)
    roll = both(s.roll)
    cat = function(s.cat)
    concatenate = function(cat)
    stack = function(s.stack)
    split = both(s.split)
    chunk = both(s.chunk)
    pad = function(s.pad)
    # --- indexing ------------------------------------------------------------------------
    gather = both(s.gather)
    index_select = both(s.index_select)
    masked_fill = both(s.masked_fill)
    scatter_add = both(s.scatter_add)
    take_along_dim = both(s.take_along_dim)
    __getitem__ = method(s.getitem)
    __setitem__ = method(s.setitem)
    __iter__ = method(lambda self: (self[i] for i in range(len(self))))
    # --- sorting, selecting, counting and sampling ---------------------------------------
    sort = both(so.sort)
    argsort = both(so.argsort)
    topk = both(so.topk)
    masked_select = both(so.masked_select)
    multinomial = both(so.multinomial)
    unique = both(so.unique)
    bincount = both(so.bincount)
    # --- scans, triangles and diagonals ---------------------------------------------------
    cumsum = both(C.cumsum)
    cumprod = both(C.cumprod)
    tril = both(tri.tril)
    triu = both(tri.triu)
    diagonal = both(tri.diagonal)
    diag = both(tri.diag)
    trace = both(tri.trace)
    # --- logical and small compositions -----------------------------------------------------
    logical_and = both(pw.logical_and)
    logical_or = both(pw.logical_or)
    logical_xor = both(pw.logical_xor)
    logical_not = both(pw.logical_not)
    clamp_min = both(pw.clamp_min)
    clamp_max = both(pw.clamp_max)
    lerp = both(pw.lerp)
    # --- in place ----------------------------------------------------------------------
    add_ = method(s.add_)
    sub_ = method(s.sub_)
    mul_ = method(s.mul_)
    div_ = method(s.div_)
    zero_ = method(s.zero_)
    fill_ = method(s.fill_)
    copy_ = method(s.copy_)
    clamp_ = method(s.clamp_)
    # --- operators: the hot ones call the op's fast apply directly (no wrapper); Python
    # scalars, lists and NumPy arrays reach forward as constants -------------------------
    __add__ = method(fast(E.Add))
    __radd__ = method(fast(E.Add))          # b + a: the same IEEE result as a + b
    __sub__ = method(fast(E.Sub))
    __rsub__ = method(lambda a, b: E.Sub.apply(b, a))
    __mul__ = method(fast(E.Mul))
    __rmul__ = method(fast(E.Mul))
    __truediv__ = method(fast(E.Div))
    __rtruediv__ = method(lambda a, b: E.Div.apply(b, a))
    __pow__ = method(fast(E.Pow))
    __rpow__ = method(lambda a, b: E.Pow.apply(b, a))
    __mod__ = method(remainder)
    __rmod__ = method(lambda a, b: m.remainder(b, a))
    __floordiv__ = method(floor_divide)
    __rfloordiv__ = method(lambda a, b: m.floor_divide(b, a))
    __matmul__ = method(_matmul_operator)
    __rmatmul__ = method(lambda a, b: m.matmul(b, a))
    __neg__ = method(neg)
    __pos__ = method(lambda a: a)
    __abs__ = method(abs)
    __eq__ = method(eq)
    __ne__ = method(ne)
    __lt__ = method(lt)
    __le__ = method(le)
    __gt__ = method(gt)
    __ge__ = method(ge)
    # `w -= lr * w.grad` updates w itself, as in PyTorch
    __iadd__ = method(add_)
    __isub__ = method(sub_)
    __imul__ = method(mul_)
    __itruediv__ = method(div_)
    # --- PyTorch porting names (ops/torch_api.py): compositions of the ops above --------
    t = both(P.t)
    mm = both(P.mm)
    bmm = both(P.bmm)
    addmm = both(P.addmm)
    narrow = both(P.narrow)
    log2 = both(P.log2)
    log10 = both(P.log10)
    masked_fill_ = method(P.masked_fill_)
    nonzero = both(P.nonzero)
    argwhere = both(P.argwhere)
    count_nonzero = both(P.count_nonzero)
    numel = function(P.numel)
    nelement = method(P.nelement)
    detach = function(P.detach)
    is_floating_point = both(P.is_floating_point)
    type_as = method(P.type_as)
    contiguous = method(P.contiguous)
    is_contiguous = method(P.is_contiguous)
    new_zeros = method(P.new_zeros)
    new_ones = method(P.new_ones)
    new_empty = method(P.new_empty)
    new_full = method(P.new_full)
    new_tensor = method(P.new_tensor)
    uniform_ = method(P.uniform_)
    normal_ = method(P.normal_)
    bernoulli = both(P.bernoulli)
    bernoulli_ = method(P.bernoulli_)
    # --- more PyTorch names: trig.py, scatter_api.py, torch_more.py, inplace_api.py ------
    sinh = both(TR.Sinh)
    cosh = both(TR.Cosh)
    asin = both(TR.Asin)
    acos = both(TR.Acos)
    atan = both(TR.Atan)
    asinh = both(TR.Asinh)
    acosh = both(TR.Acosh)
    atanh = both(TR.Atanh)
    arcsin, arccos, arctan = both(asin), both(acos), both(atan)
    arcsinh, arccosh, arctanh = both(asinh), both(acosh), both(atanh)
    erfinv = both(TR.Erfinv)
    atan2 = both(TR.Atan2)
    arctan2 = both(atan2)
    hypot = both(TR.Hypot)
    scatter = both(SC.scatter)
    index_add = both(SC.index_add)
    index_copy = both(SC.index_copy)
    index_fill = both(SC.index_fill)
    index_put = both(SC.index_put)
    scatter_ = method(SC.scatter_)
    scatter_add_ = method(SC.scatter_add_)
    index_add_ = method(SC.index_add_)
    index_copy_ = method(SC.index_copy_)
    index_fill_ = method(SC.index_fill_)
    index_put_ = both(SC.index_put_)
    movedim = both(TM.movedim)
    moveaxis = both(movedim)
    atleast_1d = function(TM.atleast_1d)
    atleast_2d = function(TM.atleast_2d)
    atleast_3d = function(TM.atleast_3d)
    vstack = function(TM.vstack)
    row_stack = function(vstack)
    hstack = function(TM.hstack)
    dstack = function(TM.dstack)
    column_stack = function(TM.column_stack)
    var_mean = function(TM.var_mean)
    std_mean = function(TM.std_mean)
    nan_to_num = both(TM.nan_to_num)
    nan_to_num_ = both(TM.nan_to_num_)
    isclose = both(TM.isclose)
    diff = both(TM.diff)
    meshgrid = function(TM.meshgrid)
    cdist = function(TM.cdist)
    unfold = method(TM.unfold)
    searchsorted = function(TM.searchsorted)
    bucketize = function(TM.bucketize)
    histc = both(TM.histc)
    stride = method(TM.stride)
    data_ptr = method(TM.data_ptr)
    squeeze_ = method(IP.squeeze_)
    unsqueeze_ = method(IP.unsqueeze_)
    t_ = method(IP.t_)
    transpose_ = method(IP.transpose_)
    random_ = method(IP.random_)
    exponential_ = method(IP.exponential_)
    pow_ = method(IP.pow_)
    atan2_ = method(IP.atan2_)
    hypot_ = method(IP.hypot_)
    # x.exp_(), torch.exp_(x), ...: every unary op in place (inplace_api.UNARY)
    locals().update({name: both(fn) for name, fn in IP.UNARY.items()})


def _derive():
    """FUNCTIONS and METHODS from the table; each method line becomes the method itself."""
    functions, methods = {}, {}
    for name, line in list(vars(TensorOps).items()):
        if not isinstance(line, _Line):
            continue
        line.build(name)
        if line.exports_function:
            functions[name] = line.function
        if line.exports_method:
            methods[name] = line.method
            setattr(TensorOps, name, line.method)
        else:
            delattr(TensorOps, name)
    return functions, methods


FUNCTIONS, METHODS = _derive()
OPERATORS = {name: fn for name, fn in METHODS.items() if name.startswith('__')}

for _name, _method in METHODS.items():
    if _name in vars(Tensor):
        raise TypeError(f"op table: Tensor already defines {_name!r} (tensor.py); one of the "
                        "two must go")
    setattr(Tensor, _name, _method)
del _name, _method
