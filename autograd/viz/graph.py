"""The recorded graph as plain data: nodes, leaves, shapes, and the module calls.

Everything here is read-only and iterative (an explicit stack, never
recursion), so a graph of any depth can be walked and drawing never changes
it: no gradients computed, no saved buffers touched.
"""
from ..tensor import Tensor
from .spans import spans_of


class Recorded:
    """What `walk` finds: `nodes` in tape order (inputs before their consumers),
    `leaves` (tensors with requires_grad and no node) in order of first use,
    `shape_of[id(node)]` = (shape, dtype) of the node's output, `consumers[id(x)]`
    = the nodes that take node or leaf `x` as an input, and the `roots`."""

    def __init__(self, roots, nodes, leaves, shape_of, consumers):
        self.roots = roots
        self.nodes = nodes
        self.leaves = leaves
        self.shape_of = shape_of
        self.consumers = consumers


def as_roots(root):
    """A Tensor, or a tuple/list of Tensors, as a list of Tensors."""
    if isinstance(root, Tensor):
        return [root]
    if isinstance(root, (tuple, list)) and root and all(isinstance(t, Tensor) for t in root):
        return list(root)
    raise TypeError(f"ag.viz: expected a Tensor (or a list of Tensors) to draw, got "
                    f"{type(root).__name__}")


def walk(root):
    roots = as_roots(root)
    nodes, leaves = [], []
    seen = set()
    shape_of, consumers = {}, {}
    stack = []
    for t in roots:
        if t._node is not None:
            shape_of.setdefault(id(t._node), (t.shape, t.dtype))
            if id(t._node) not in seen:
                seen.add(id(t._node))
                stack.append(t._node)
        elif id(t) not in seen:
            seen.add(id(t))
            leaves.append(t)
            consumers[id(t)] = []
    while stack:
        node = stack.pop()
        nodes.append(node)
        for edge, meta in zip(node.edges, node.meta):
            if edge is None:
                continue
            key = id(edge)
            users = consumers.get(key)
            if users is None:
                consumers[key] = [node]
            else:
                users.append(node)
            if key in seen:
                continue
            seen.add(key)
            if edge._is_node:
                shape_of[key] = meta
                stack.append(edge)
            else:
                leaves.append(edge)
    nodes.sort(key=_seq)
    for users in consumers.values():
        users.sort(key=_seq)
    first_use = {}                       # (first consumer, argument position): weight before bias
    for leaf in leaves:
        users = consumers[id(leaf)]
        first_use[id(leaf)] = (users[0].seq, _position(users[0], leaf)) if users else (-1, 0)
    leaves.sort(key=lambda leaf: first_use[id(leaf)])
    return Recorded(roots, nodes, leaves, shape_of, consumers)


def _seq(node):
    return node.seq


def _position(node, leaf):
    for k, e in enumerate(node.edges):
        if e is leaf:
            return k
    return 0


# --- module calls ------------------------------------------------------------------
class Span:
    """One module call: the ops recorded between its two marks on the tape."""
    __slots__ = ('start', 'end', 'module', 'cls', 'parent', 'children', 'level', 'count',
                 'name', 'index', 'box')

    def __init__(self, start, end, module_ref, cls):
        self.start, self.end = start, end
        self.module = module_ref()        # None if the module has been freed since
        self.cls = cls
        self.parent = None
        self.children = []
        self.level = 0
        self.count = 0                    # ops directly inside (not in a child call)
        self.name = ''
        self.index = 0
        self.box = None                   # the collapsed ancestor that stands for it, if any

    @property
    def class_name(self):
        return self.cls.__name__

    @property
    def title(self):
        return f"{self.name}: {self.class_name}" if self.name else self.class_name


def module_calls(nodes):
    """(spans, owner): the module calls that ran `nodes` (outermost first, nested via
    .parent/.children) and owner[id(node)] = the innermost call that ran the node
    (None for ops run outside any module). Calls that ran no node here are dropped."""
    found = {}
    for node in nodes:
        for start, end, ref, cls in spans_of(node):
            if (start, end) not in found:
                found[(start, end)] = Span(start, end, ref, cls)
    spans = sorted(found.values(), key=lambda s: (s.start, -s.end))
    owner = {}
    open_calls, i = [], 0
    for node in nodes:                               # one sweep: nodes and spans by seq
        seq = node.seq
        while i < len(spans) and spans[i].start < seq:
            span = spans[i]
            i += 1
            while open_calls and open_calls[-1].end < span.start:
                open_calls.pop()
            span.parent = open_calls[-1] if open_calls else None
            open_calls.append(span)
        while open_calls and open_calls[-1].end < seq:
            open_calls.pop()
        inner = open_calls[-1] if open_calls else None
        owner[id(node)] = inner
        if inner is not None:
            inner.count += 1
    # keep the calls that ran something (themselves or through a nested call)
    used = set()
    for span in spans:
        if span.count:
            s = span
            while s is not None and id(s) not in used:
                used.add(id(s))
                s = s.parent
    spans = [s for s in spans if id(s) in used]
    for span in spans:                               # parents come before children
        if span.parent is not None:
            span.level = span.parent.level + 1
            span.parent.children.append(span)
    return spans, owner


def name_modules(spans, model=None):
    """Give each call its module's dotted name (from `model`, or from the outermost
    modules found) and, for a module called more than once, a call number."""
    names = {}
    tops = [model] if model is not None else [s.module for s in spans
                                              if s.parent is None and s.module is not None]
    for top in tops:
        if hasattr(top, 'named_modules'):
            for name, module in top.named_modules():
                names.setdefault(id(module), name)
    calls = {}
    for span in spans:
        if span.module is None:          # freed since: only its class is known
            continue
        span.name = names.get(id(span.module), '')
        calls.setdefault(id(span.module), []).append(span)
    for same in calls.values():
        if len(same) > 1:
            for k, span in enumerate(same, 1):
                span.index = k
    return tops


def parameter_names(params=None, modules=()):
    """id(tensor) -> name, from `params` (a dict or (name, tensor) pairs, which win)
    and the named_parameters() of `modules`."""
    names = {}
    for module in modules:
        if hasattr(module, 'named_parameters'):
            for name, p in module.named_parameters():
                names.setdefault(id(p), name)
    if params is not None:
        items = params.items() if hasattr(params, 'items') else params
        for name, t in items:
            if not isinstance(t, Tensor):
                raise TypeError(f"ag.viz: params[{name!r}] is a {type(t).__name__}, not a Tensor")
            names[id(t)] = str(name)
            if t._node is not None:           # a named intermediate tensor
                names[id(t._node)] = str(name)
    return names


def owned_parameters(module, cache):
    """ids of `module`'s parameters (its submodules' included), cached per module."""
    key = id(module)
    ids = cache.get(key)
    if ids is None:
        ids = {id(p) for p in module.parameters()} if hasattr(module, 'parameters') else set()
        cache[key] = ids
    return ids
