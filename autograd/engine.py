"""backward() and grad(): the tape replayed in reverse.

Every node carries the sequence number it was recorded with, and a node is
always recorded after its inputs, so larger numbers are later on the tape.
Popping nodes from a heap keyed by -seq visits them in reverse tape order,
which is a reverse topological order: when a node is popped, every node that
feeds it a gradient has already run (each of those has a larger number and
was reachable from a node still in the heap). So one pass does it: no
dependency counting, no recursion, no re-sorting.

Gradients wait in a table (node or leaf tensor -> gradient) until their node
is popped; only leaves and retain_grad tensors ever see `.grad`.
"""
import heapq

from . import errors
from .function import FREED
from .grad_mode import anomaly_enabled, grad_enabled
from .hooks import post_accumulate_hooks
from .tensor import Tensor, make_tensor

_callbacks = []          # queue_callback's: run once, when the backward under way ends


def _target(t):
    return t._node if t._node is not None else t


def _root_gradients(tensors, grad_tensors, graph, op):
    if grad_tensors is not None and len(grad_tensors) != len(tensors):
        raise RuntimeError(f"{op}: got {len(grad_tensors)} gradients for {len(tensors)} "
                           "outputs; pass one per output (None for a scalar output)")
    roots = []
    for i, t in enumerate(tensors):
        g = None if grad_tensors is None else grad_tensors[i]
        if not t.requires_grad:
            raise RuntimeError(
                f"backward: element {i} of the tensors does not require grad and has no "
                "grad_fn (was it computed under no_grad, or from tensors without "
                "requires_grad=True?)")
        if g is None:
            if t.array.size != 1:
                raise RuntimeError(
                    f"backward: grad can be implicitly created only for scalar outputs; this "
                    f"output has shape {t.shape}. Pass gradient= a tensor of that shape.")
            g = t._backend.xp.ones_like(t.array)
        elif isinstance(g, Tensor):
            errors.same_device(op, t, g, f'the gradient of output {i}', 'the output')
            g = g if graph else g.array
        else:
            g = t._backend.asarray(g, dtype=t.dtype)
        if g.shape != t.shape:
            raise errors.ShapeError(f"{op}: the gradient of output {i} has shape "
                                    f"{tuple(g.shape)} but the output has shape {t.shape}; "
                                    "they must match")
        if graph and not isinstance(g, Tensor):
            g = make_tensor(g, t._backend, False, None, None)
        roots.append((t, g))
    return roots


def _buffer(array):
    """The array that owns the memory `array` looks at."""
    while array.base is not None and hasattr(array.base, 'base'):
        array = array.base
    return array


def _as_tensor(g, backend):
    return g if isinstance(g, Tensor) else make_tensor(g, backend, False, None, None)


def _run_hooks(hooks, g, backend, graph):
    for hook in hooks:
        result = hook(_as_tensor(g, backend))
        if result is not None:
            g = result if graph else result.array
    return g


def queue_callback(callback):
    """Run `callback()` when the backward now running ends (DDP waits for its all-reduces
    there, before any optimizer step); call it from a hook during backward."""
    _callbacks.append(callback)


class _AccumulateGrad:
    """A heap entry, ordered just after the last node that gives these leaves a gradient.

    Leaves are otherwise given their `.grad` when backward ends; a leaf with a post-
    accumulate hook gets it (and runs the hook) as soon as its gradient is final, as
    PyTorch's AccumulateGrad node does, so DDP can start an all-reduce mid-backward.
    Popped like a node: no saved tensors, no edges; its `backward` accumulates.
    """
    name = 'AccumulateGrad'
    hooks = saved = None
    edges = meta = ()
    differentiable_twice = True

    def __init__(self, leaves, backend, accumulate):
        self.leaves, self.backend, self.accumulate = leaves, backend, accumulate

    def backward(self, xp, _):
        for leaf in self.leaves:
            self.accumulate(leaf)
        return ()


def _last_consumers(roots):
    """{node: [leaves]}: for each leaf with a post-accumulate hook, the reachable node of
    smallest seq with an edge to it (popped last, so the leaf's gradient is final after it)."""
    last, seen = {}, set()
    stack = [r._node for r, _ in roots if r._node is not None]
    while stack:
        n = stack.pop()
        if id(n) in seen:
            continue
        seen.add(id(n))
        for e in n.edges:
            if e is None:
                continue
            if e._is_node:
                stack.append(e)
            elif id(e) in post_accumulate_hooks and (id(e) not in last or n.seq < last[id(e)][1].seq):
                last[id(e)] = (e, n)
    by_node = {}
    for leaf, n in last.values():
        by_node.setdefault(n, []).append(leaf)
    return by_node


def _run_post_hooks(leaf):
    for hook in tuple(post_accumulate_hooks[id(leaf)][1]):
        result = hook(leaf)
        if result is not None:
            raise TypeError("register_post_accumulate_grad_hook: a hook returned "
                            f"{type(result).__name__}; post-accumulate hooks must return None")


def _needed(roots, targets):
    """Ids of the nodes from which one of `targets` (ids) can be reached: ag.grad runs
    only those."""
    found, stack, nodes = set(), [r._node for r, _ in roots if r._node is not None], []
    while stack:
        n = stack.pop()
        if id(n) in found:
            continue
        found.add(id(n))
        nodes.append(n)
        stack.extend(e for e in n.edges if e is not None and e._is_node)
    needed = set(targets)
    for n in sorted(nodes, key=lambda n: n.seq):        # inputs before their consumers
        if any(e is not None and id(e) in needed for e in n.edges):
            needed.add(id(n))
    return needed


def run(tensors, grad_tensors, retain_graph, create_graph, inputs=None, op='backward'):
    """The engine. Returns {target: gradient} for `inputs` when given, else fills `.grad`."""
    graph = bool(create_graph)
    if retain_graph is None:
        retain_graph = graph
    roots = _root_gradients(tensors, grad_tensors, graph, op)
    capture = {id(_target(t)) for t in inputs} if inputs is not None else None
    needed = _needed(roots, capture) if inputs is not None else None
    captured = {}
    table = {}
    heap = []
    for t, g in roots:
        key = _target(t)
        if key in table:
            table[key] = table[key] + g
        else:
            table[key] = g
            if key._is_node:
                heapq.heappush(heap, (-key.seq, key))
    # buffers handed to leaves must not be shared with another leaf or with the
    # caller (an in-place change to one .grad, as clip_grad_norm_ makes, must not
    # reach another). Views of fresh buffers are fine: W.T's gradient is one.
    given = {id(_buffer(g)) for _, g in roots if not isinstance(g, Tensor)}
    post = capture is None and bool(post_accumulate_hooks)      # any post-accumulate hooks?

    def accumulate(leaf):
        g = table.pop(leaf, None)
        if g is None:
            return
        if leaf._hooks:
            g = _run_hooks(leaf._hooks, g, leaf._backend, graph)
        if capture is not None:
            if id(leaf) in capture:
                captured[id(leaf)] = g
            return
        if not graph:
            buffer = _buffer(g)
            if id(buffer) in given:
                g = g.copy()
                buffer = g
            given.add(id(buffer))
        g = _as_tensor(g, leaf._backend)
        leaf.grad = g if leaf.grad is None else leaf.grad + g
        if post and id(leaf) in post_accumulate_hooks:
            _run_post_hooks(leaf)

    if post:
        for node, leaves in _last_consumers(roots).items():
            acc = _AccumulateGrad(leaves, node.backend, accumulate)
            table[acc] = None
            heapq.heappush(heap, (0.5 - node.seq, acc))     # right after `node`
    anomaly = anomaly_enabled.get()
    tensor_xp = _tensor_namespace() if graph else None
    token = grad_enabled.set(graph)
    pop, push = heapq.heappop, heapq.heappush
    try:
        while heap:
            node = pop(heap)[1]
            g = table.pop(node)
            backend = node.backend
            if node.hooks:
                g = _run_hooks(node.hooks, g, backend, graph)
            if capture is not None and id(node) in capture:
                captured[id(node)] = g
            if graph and not node.differentiable_twice:
                raise RuntimeError(
                    f"{node.name}: its backward is implemented once-differentiable (raw-array "
                    "code), so create_graph=True cannot differentiate through it again")
            xp = tensor_xp or backend.xp
            grads = node.backward(xp, g, *node.unpack_saved(graph)) if node.saved \
                else node.backward(xp, g)
            if type(grads) is not tuple:
                grads = (grads,)
            if anomaly:
                errors.check_backward_finite(node.name, grads, backend)
            if not retain_graph and node.saved:
                node.saved = FREED
            for edge, gi, meta in zip(node.edges, grads, node.meta):
                if edge is None or gi is None:
                    continue
                if needed is not None and id(edge) not in needed:
                    continue
                shape, dtype = meta
                if gi.shape != shape:
                    gi = xp.sum_to(gi, shape)
                if gi.dtype is not dtype and gi.dtype != dtype:
                    gi = xp.astype(gi, dtype)
                previous = table.get(edge)
                if previous is None:
                    table[edge] = gi
                    if edge._is_node:
                        push(heap, (-edge.seq, edge))
                else:
                    table[edge] = previous + gi
        # what is left in the table are leaves
        for leaf in list(table):
            accumulate(leaf)
        while _callbacks:
            _callbacks.pop(0)()
    finally:
        grad_enabled.reset(token)
        _callbacks.clear()
    return captured


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate d(tensors)/d(leaf) into every leaf's `.grad` (or only `inputs`' when given)."""
    tensors = (tensors,) if isinstance(tensors, Tensor) else tuple(tensors)
    if grad_tensors is not None:
        grad_tensors = _per_output(grad_tensors)
    if inputs is None:
        run(tensors, grad_tensors, retain_graph, create_graph)
        return
    inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    found = run(tensors, grad_tensors, retain_graph, create_graph, inputs)
    for t in inputs:
        g = found.get(id(_target(t)))
        if g is not None:
            g = _as_tensor(g, t._backend)
            t.grad = g if t.grad is None else t.grad + g
            if id(t) in post_accumulate_hooks:
                _run_post_hooks(t)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         allow_unused=False):
    """The gradients of `outputs` with respect to `inputs`, as a tuple; `.grad` is untouched."""
    outputs = (outputs,) if isinstance(outputs, Tensor) else tuple(outputs)
    single = isinstance(inputs, Tensor)
    inputs = (inputs,) if single else tuple(inputs)
    if grad_outputs is not None:
        grad_outputs = _per_output(grad_outputs)
    for i, t in enumerate(inputs):
        if not t.requires_grad:
            raise RuntimeError(f"grad: input {i} (shape {t.shape}) does not require grad")
    found = run(outputs, grad_outputs, retain_graph, create_graph, inputs, 'grad')
    result = []
    for i, t in enumerate(inputs):
        g = found.get(id(_target(t)))
        if g is None and not allow_unused:
            raise RuntimeError(
                f"grad: input {i} (shape {t.shape}) was not used in the graph of the outputs. "
                "Pass allow_unused=True to get None for it.")
        result.append(None if g is None else _as_tensor(g, t._backend))
    return tuple(result)


def _per_output(gradients):
    """One gradient (a Tensor or an array) or a list of them -> a tuple, one per output
    (a NumPy array is one gradient, not a sequence of rows)."""
    return tuple(gradients) if isinstance(gradients, (list, tuple)) else (gradients,)


def _tensor_namespace():
    from .ops import tensor_namespace
    return tensor_namespace
