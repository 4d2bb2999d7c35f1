"""The vertices and edges of a drawing: which tensors, ops and collapsed modules are
shown, in which cluster, with which marks (gradient health, profile), and how
they connect. Forward: leaf -> op -> output tensor -> next op. Backward: node ->
the nodes (or leaves) its gradient flows to. The loops are flat and lean: a
100,000-node graph passes through them once.
"""
from typing import NamedTuple

from . import graph as recorded, health, style, timing
from .style import BACKWARD_ATTRS, FILL, OP_ATTRS, TENSOR_ATTRS


class Options(NamedTuple):
    """draw()'s display options."""
    show_shapes: bool
    show_grads: bool
    vanishing: float
    exploding: float
    profile: object             # None, 'time' or 'memory'
    rankdir: str = 'TB'


class Vertex:
    """One vertex: its DOT id, the cluster (module call) it sits in, label lines, attributes."""
    __slots__ = ('id', 'cluster', 'lines', 'attrs', 'metric')

    def __init__(self, vid, cluster, lines, attrs):
        self.id, self.cluster, self.lines, self.attrs = vid, cluster, lines, attrs
        self.metric = None          # profile: seconds or bytes, for the colour scale


class Box(Vertex):
    """A collapsed module call; `lines` holds its Span until the label is written."""
    __slots__ = ('ops', 'dead', 'totals')

    def __init__(self, vid, cluster, span, attrs):
        super().__init__(vid, cluster, span, attrs)
        self.ops = 0                # how many ops it stands for
        self.dead = 0               # dead ReLUs inside
        self.totals = None          # profiled: [fwd s, bwd s, bytes]


class Builder:
    """Collects the vertices and edges of one drawing (`forward()` or `backward()`)."""

    def __init__(self, rec, spans, owner, names, opts):
        self.rec, self.spans, self.owner, self.names, self.opts = rec, spans, owner, names, opts
        self.vertices = {}
        self.edges = []
        self.edge_set = set()
        self.boxes = {}
        self.owned = {}
        self.kind = ''
        self.root_ids = {id(t._node) if t._node is not None else id(t) for t in rec.roots}

    # --- placement ------------------------------------------------------------
    def box_vertex(self, box):
        v = self.boxes.get(id(box))
        if v is None:
            v = Box(f"m{len(self.boxes)}", box.parent, box,
                    {'shape': 'box3d', 'style': 'filled', 'fillcolor': FILL['box']})
            self.boxes[id(box)] = v
            self.vertices[v.id] = v
        return v

    def leaf_place(self, leaf):
        """The innermost module call that used `leaf` everywhere it was used and owns it as a
        parameter (so a layer's weights sit inside the layer); None for inputs."""
        owners = [self.owner.get(id(u)) for u in self.rec.consumers.get(id(leaf), ())]
        if not owners or any(o is None for o in owners):
            return None
        chain = []
        s = owners[0]
        while s is not None:
            chain.append(s)
            s = s.parent
        for other in owners[1:]:
            ancestors = set()
            while other is not None:
                ancestors.add(id(other))
                other = other.parent
            chain = [s for s in chain if id(s) in ancestors]
        for span in chain:
            if span.module is not None and \
                    id(leaf) in recorded.owned_parameters(span.module, self.owned):
                return span
        return None

    def inside_boxes(self, leaf):
        """Whether `leaf` is a parameter used only inside collapsed module calls that own it
        (an RNN cell's weights, shared by its calls): drawn, it would tie every box to one
        vertex, which is unreadable and slow to lay out, and the boxes count their weights."""
        users = self.rec.consumers.get(id(leaf), ())
        if not users:
            return False
        for user in users:
            box = self.box_of(user)
            if box is None or box.module is None or \
                    id(leaf) not in recorded.owned_parameters(box.module, self.owned):
                return False
        return True

    def add(self, vid, cluster, lines, attrs):
        v = Vertex(vid, cluster, lines, attrs)
        self.vertices[vid] = v
        return v

    def edge(self, src, dst, dedupe=False):
        if dedupe:
            if (src, dst) in self.edge_set:
                return
            self.edge_set.add((src, dst))
        self.edges.append((src, dst))

    # --- labels ------------------------------------------------------------------
    def tensor_lines(self, name, shape, dtype, device):
        lines = [name] if name else []
        if self.opts.show_shapes:
            lines.append(style.shape_text(shape, dtype, device))
        return lines

    def grad_mark(self, lines, attrs, value):
        """Add a gradient norm to a label and colour it when vanishing or exploding;
        returns the attributes (a copy when changed: the base ones are shared)."""
        if not self.opts.show_grads or value is None:
            return attrs
        lines.append(f"grad {style.number(value)}")
        state = health.classify(value, self.opts.vanishing, self.opts.exploding)
        if state is not None:
            lines.append(state.upper())
            attrs = dict(attrs, fillcolor=FILL[state], penwidth='2')
        return attrs

    def relu_mark(self, node, lines, attrs):
        """Mark a ReLU whose outputs are all zero (and count dead units); returns
        (attributes, 1 if dead else 0)."""
        if not (self.opts.show_grads and health.is_relu(node)):
            return attrs, 0
        found = health.relu_health(node)
        if found is None:
            return attrs, 0
        dead, units = found
        if units and dead == units:
            lines.append("DEAD: all outputs 0")
            return dict(attrs, fillcolor=FILL['dead'], fontcolor='white', penwidth='2'), 1
        if dead:
            lines.append(f"dead units {dead}/{units}")
        return attrs, 0

    def profile_mark(self, node, vertex, backward):
        if not self.opts.profile:
            return
        record = timing.record_of(node)
        if record is None:
            return
        fwd, bwd, nbytes = record
        if isinstance(vertex, Box):                    # a collapsed module sums its ops
            vertex.metric = (vertex.metric or 0) + (nbytes if self.opts.profile == 'memory'
                                                    else fwd + bwd)
            if vertex.totals is None:
                vertex.totals = [0.0, 0.0, 0]
            acc = vertex.totals
            acc[0] += fwd
            acc[1] += bwd
            acc[2] += nbytes
            return
        vertex.metric = nbytes if self.opts.profile == 'memory' else fwd + bwd
        vertex.lines.append(f"bwd {style.seconds(bwd)}" if backward
                            else f"fwd {style.seconds(fwd)} | bwd {style.seconds(bwd)}")
        vertex.lines.append(f"out {style.size(nbytes)}")

    # --- the two graphs --------------------------------------------------------------
    def leaf_vertices(self, prefix):
        for node in self.rec.nodes:                    # collapsed modules in data-flow order
            box = self.box_of(node)
            if box is not None:
                self.box_vertex(box)
        leaf_vertex = {}
        for k, leaf in enumerate(self.rec.leaves):
            place = self.leaf_place(leaf)
            if place is not None and place.box is not None:
                leaf_vertex[id(leaf)] = self.box_vertex(place.box).id     # hidden in its box
                continue
            if self.inside_boxes(leaf):
                leaf_vertex[id(leaf)] = None        # a shared weight of collapsed calls
                continue
            name = self.names.get(id(leaf))
            lines = self.tensor_lines(name, leaf.shape, leaf.dtype, leaf.device)
            kind = 'root' if id(leaf) in self.root_ids else ('param' if name else 'input')
            grad = leaf.grad
            attrs = self.grad_mark(lines, TENSOR_ATTRS[kind],
                                   None if grad is None else health.norm(grad, leaf._backend))
            v = self.add(f"{prefix}{k}", place, lines or ['leaf'], attrs)
            leaf_vertex[id(leaf)] = v.id
        return leaf_vertex

    def forward(self):
        self.kind = 'forward'
        rec = self.rec
        leaf_vertex = self.leaf_vertices('L')
        tensor_vertex = {}
        owner, names, consumers = self.owner, self.names, rec.consumers
        grads, profiled, root_ids = self.opts.show_grads, self.opts.profile, self.root_ids
        edges, add = self.edges, self.add          # a 100,000-node graph: keep the loop lean
        for node in rec.nodes:
            span = owner.get(id(node))
            box, v = self.count_in_box(node, span, OP_ATTRS)
            if box is None:
                lines = [style.op_name(node)]
                attrs = self.relu_mark(node, lines, OP_ATTRS)[0] if grads else OP_ATTRS
                v = add(f"f{node.seq}", span, lines, attrs)
            if profiled:
                self.profile_mark(node, v, False)
            op = v.id
            for e in node.edges:
                if e is None:
                    continue
                src = tensor_vertex[id(e)] if e._is_node else leaf_vertex[id(e)]
                if src is not None and src != op:
                    if box is not None or src[0] == 'm':
                        if box is not None and e._is_node and self.box_of(e) is box:
                            continue        # made and used inside the box (and also exported)
                        self.edge(src, op, dedupe=True)
                    else:
                        edges.append((src, op))
            is_root = id(node) in root_ids
            if box is not None and not is_root and all(
                    self.box_of(c) is box for c in consumers.get(id(node), ())):
                tensor_vertex[id(node)] = op            # stays inside the collapsed module
                continue
            shape, dtype = rec.shape_of[id(node)]
            lines = self.tensor_lines(names.get(id(node)), shape, dtype, node.backend.name)
            attrs = TENSOR_ATTRS['root' if is_root else 'tensor']
            if grads:
                attrs = self.grad_mark(lines, attrs, health.grad_norm_of(node))
            t = add(f"t{node.seq}", box.parent if box is not None else span, lines or [' '], attrs)
            edges.append((op, t.id))
            tensor_vertex[id(node)] = t.id

    def count_in_box(self, node, span, attrs):
        """(box, its vertex) when `node` ran inside a collapsed module call: the node is
        counted on the box (with its dead ReLU units); (None, None) otherwise."""
        box = span.box if span is not None else None
        if box is None:
            return None, None
        v = self.box_vertex(box)
        v.ops += 1
        if self.opts.show_grads:
            v.dead += self.relu_mark(node, [], attrs)[1]
        return box, v

    def box_of(self, node):
        span = self.owner.get(id(node))
        return span.box if span is not None else None

    def backward(self):
        self.kind = 'backward'
        rec = self.rec
        node_vertex = {}
        owner, grads, profiled = self.owner, self.opts.show_grads, self.opts.profile
        for order, node in enumerate(reversed(rec.nodes), 1):      # the engine's replay order
            span = owner.get(id(node))
            box, v = self.count_in_box(node, span, BACKWARD_ATTRS)
            if box is None:
                lines = [f"{style.op_name(node)}Backward", f"#{order}"]
                attrs = BACKWARD_ATTRS
                if grads:
                    attrs = self.grad_mark(lines, attrs, health.grad_norm_of(node))
                    attrs = self.relu_mark(node, lines, attrs)[0]
                v = self.add(f"b{node.seq}", span, lines, attrs)
            if profiled:
                self.profile_mark(node, v, True)
            node_vertex[id(node)] = v.id
        leaf_vertex = self.leaf_vertices('a')
        edges = self.edges
        for node in reversed(rec.nodes):
            src = node_vertex[id(node)]
            boxed = src[0] == 'm'
            for e in node.edges:
                if e is None:
                    continue
                dst = node_vertex[id(e)] if e._is_node else leaf_vertex[id(e)]
                if dst is not None and dst != src:
                    if boxed or dst[0] == 'm':
                        self.edge(src, dst, dedupe=True)
                    else:
                        edges.append((src, dst))
