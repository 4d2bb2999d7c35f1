"""draw() and save(): the recorded graph as DOT text, in a graphviz.Digraph.

The forward graph (default) has a vertex per tensor and per op, in data-flow
order: leaves (parameters in blue, other inputs in yellow), each op, and the
tensor it produced. The backward graph (`show_backward=True`) has a vertex
per node the engine will replay, numbered in replay order (#1 first), with
arrows along the gradient's path down to the leaves it accumulates into.

Module calls become nested clusters; `depth=d` draws every call at nesting
depth d (0 = the outermost modules) as one box, hiding what ran inside it,
so a deep model fits on a page. The DOT lines are written here directly
(the graphviz package's per-node calls would dominate on 100,000-node graphs).
"""
import gc

from . import graph as recorded, health, output, timing

_FONT = 'Helvetica,Arial,sans-serif'
_FILL = {'param': '#cfe2f3', 'input': '#fff2cc', 'root': '#d9ead3', 'tensor': '#ffffff',
         'op': '#eeeeee', 'box': '#dde4ee', 'vanishing': '#b4a7d6', 'exploding': '#ea9999',
         'dead': '#666666'}
_CLUSTER_FILLS = ('#f7f9fc', '#edf1f7', '#e3e9f2')
# ColorBrewer OrRd, light to dark: the profile's colour scale
_SCALE = ('#fff7ec', '#fee8c8', '#fdd49e', '#fdbb84', '#fc8d59', '#ef6548', '#d7301f',
          '#b30000', '#7f0000')


def draw(root, *, show_backward=False, show_shapes=True, params=None, model=None, depth=None,
         clusters=True, show_grads=False, vanishing=1e-6, exploding=1e3, profile=False,
         rankdir='TB'):
    """The graph recorded for `root` (a Tensor, or a list of Tensors) as a graphviz.Digraph
    (a built-in DotGraph with the same .source/.pipe/.save when graphviz is not installed).

    show_backward  draw the nodes backward replays, in replay order, instead of the forward graph
    show_shapes    shapes and dtypes on tensors (and the device, when not the CPU)
    params         {name: tensor} (e.g. dict(model.named_parameters())) to name tensors; the
                   parameters of the nn modules that ran the ops are named without it
    model          the nn.Module whose names label the clusters and parameters
    depth          draw module calls at this nesting depth (0 = outermost) as single boxes
    clusters       group ops by the module call that ran them (default True)
    show_grads     gradient norms on tensors (leaves' .grad; others after ag.viz.record_grads),
                   coloured when below `vanishing` or above `exploding` (or not finite), and
                   ReLUs whose outputs are all zero marked dead
    profile        times and output bytes on ops, recorded under `with ag.viz.profile():`,
                   coloured by time ('memory': by output bytes)
    rankdir        'TB' (inputs at the top, the default), 'LR', 'BT' or 'RL'

    Drawing only reads the graph: it computes no gradient and frees nothing."""
    if depth is not None and (not isinstance(depth, int) or depth < 0):
        raise ValueError(f"ag.viz.draw: depth must be a non-negative int or None, got {depth!r}")
    if rankdir not in ('TB', 'LR', 'BT', 'RL'):
        raise ValueError(f"ag.viz.draw: rankdir must be 'TB', 'LR', 'BT' or 'RL', got {rankdir!r}")
    if profile not in (False, True, 'time', 'memory'):
        raise ValueError(f"ag.viz.draw: profile must be True, False, 'time' or 'memory', "
                         f"got {profile!r}")
    paused = gc.isenabled()
    if paused:
        # a big graph is hundreds of thousands of objects that every collection the drawing's
        # allocations trigger would scan again (about a third of the time at 100,000 nodes);
        # nothing made here forms a cycle, so reference counting frees it all anyway
        gc.disable()
    try:
        return _draw(root, show_backward, show_shapes, params, model, depth, clusters,
                     show_grads, vanishing, exploding, profile, rankdir)
    finally:
        if paused:
            gc.enable()


def _draw(root, show_backward, show_shapes, params, model, depth, clusters, show_grads,
          vanishing, exploding, profile, rankdir):
    rec = recorded.walk(root)
    spans, owner = recorded.module_calls(rec.nodes) if clusters else ([], {})
    tops = recorded.name_modules(spans, model)
    names = recorded.parameter_names(params, ([model] if model is not None else []) + tops)
    for k, span in enumerate(spans):
        span.box = span if span.level == depth else (
            span.parent.box if span.parent is not None else None)
    opts = _Options(show_shapes, show_grads, vanishing, exploding,
                    'memory' if profile == 'memory' else ('time' if profile else None), rankdir)
    if opts.profile and not any(timing.record_of(n) for n in rec.nodes):
        raise ValueError("ag.viz.draw(profile=True): no timings were recorded for this graph. "
                         "Run its forward (and backward) inside `with ag.viz.profile():` first.")
    builder = _Builder(rec, spans, owner, names, opts)
    if show_backward:
        builder.backward()
    else:
        builder.forward()
    return output.make_graph('backward' if show_backward else 'forward', builder.lines())


def save(root, path, **options):
    """Draw `root` (or take an already drawn graph) and write it to `path`: .dot always;
    .svg with Graphviz's `dot` or else the pip-installable WebAssembly Graphviz;
    .png, .pdf (and other `dot -T` formats) with `dot`. Returns the path."""
    source = root.source if hasattr(root, 'source') else draw(root, **options).source
    return output.write(source, path)


_OP_ATTRS = {'shape': 'ellipse', 'style': 'filled', 'fillcolor': _FILL['op']}
_BACKWARD_ATTRS = {'shape': 'box', 'style': 'filled', 'fillcolor': _FILL['op']}
_TENSOR_ATTRS = {kind: {'shape': 'box', 'style': 'rounded,filled', 'fillcolor': _FILL[kind]}
                 for kind in ('param', 'input', 'root', 'tensor')}


class _Options:
    def __init__(self, show_shapes, show_grads, vanishing, exploding, profile, rankdir='TB'):
        self.rankdir = rankdir
        self.show_shapes = show_shapes
        self.show_grads = show_grads
        self.vanishing = vanishing
        self.exploding = exploding
        self.profile = profile


# --- text ------------------------------------------------------------------------
def quote(text):
    return '"' + str(text).replace('\\', '\\\\').replace('"', '\\"').replace('\n', '\\n') + '"'


def _attrs(attrs):
    return ', '.join(f'{k}={quote(v)}' for k, v in attrs.items() if v is not None)


_shape_texts = {}       # (shape, dtype, device) -> text: str(dtype) alone costs ~2 us


def _shape_text(shape, dtype, device):
    key = (shape, dtype, device)
    text = _shape_texts.get(key)
    if text is None:
        text = f"{tuple(shape)} {dtype}"
        if device != 'cpu':
            text = f"{text} {device}"
        if len(_shape_texts) < 4096:
            _shape_texts[key] = text
    return text


def _number(value):
    return f"{value:.3g}" if value == value else 'nan'


def _seconds(s):
    us = s * 1e6
    return f"{us:.3g} us" if us < 1000 else f"{us / 1000:.3g} ms"


def _bytes(n):
    for unit in ('B', 'KiB', 'MiB', 'GiB'):
        if n < 1024 or unit == 'GiB':
            return f"{n:.0f} {unit}" if unit == 'B' else f"{n:.3g} {unit}"
        n /= 1024


def _op_name(node):
    return getattr(type(node), 'label', None) or node.name


class _Vertex:
    __slots__ = ('id', 'cluster', 'lines', 'attrs', 'metric')

    def __init__(self, vid, cluster, lines, attrs):
        self.id, self.cluster, self.lines, self.attrs = vid, cluster, lines, attrs
        self.metric = None          # profile: seconds or bytes, for the colour scale


class _Box(_Vertex):
    """A collapsed module call; `lines` holds its Span until the label is written."""
    __slots__ = ('ops', 'dead', 'totals')

    def __init__(self, vid, cluster, span, attrs):
        super().__init__(vid, cluster, span, attrs)
        self.ops = 0                # how many ops it stands for
        self.dead = 0               # dead ReLUs inside
        self.totals = None          # profiled: [fwd s, bwd s, bytes]


class _Builder:
    def __init__(self, rec, spans, owner, names, opts):
        self.rec, self.spans, self.owner, self.names, self.opts = rec, spans, owner, names, opts
        self.vertices = {}
        self.edges = []
        self.edge_set = set()
        self.boxes = {}
        self.owned = {}
        self.kind = ''
        self.notes = []
        self.root_ids = {id(t._node) if t._node is not None else id(t) for t in rec.roots}

    # --- placement ------------------------------------------------------------
    def span_of(self, node):
        return self.owner.get(id(node))

    def box_vertex(self, box):
        v = self.boxes.get(id(box))
        if v is None:
            v = _Box(f"m{len(self.boxes)}", box.parent, box,
                     {'shape': 'box3d', 'style': 'filled', 'fillcolor': _FILL['box']})
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

    def add(self, vid, cluster, lines, attrs):
        v = _Vertex(vid, cluster, lines, attrs)
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
            lines.append(_shape_text(shape, dtype, device))
        return lines

    def grad_mark(self, lines, attrs, value):
        """Add a gradient norm to a label and colour it when vanishing or exploding;
        returns the attributes (a copy when changed: the base ones are shared)."""
        if not self.opts.show_grads or value is None:
            return attrs
        lines.append(f"grad {_number(value)}")
        state = health.classify(value, self.opts.vanishing, self.opts.exploding)
        if state is not None:
            lines.append(state.upper())
            attrs = dict(attrs, fillcolor=_FILL[state], penwidth='2')
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
            return dict(attrs, fillcolor=_FILL['dead'], fontcolor='white', penwidth='2'), 1
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
        if isinstance(vertex, _Box):                    # a collapsed module sums its ops
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
        vertex.lines.append(f"bwd {_seconds(bwd)}" if backward
                            else f"fwd {_seconds(fwd)} | bwd {_seconds(bwd)}")
        vertex.lines.append(f"out {_bytes(nbytes)}")

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
            name = self.names.get(id(leaf))
            lines = self.tensor_lines(name, leaf.shape, leaf.dtype, leaf.device)
            kind = 'root' if id(leaf) in self.root_ids else ('param' if name else 'input')
            grad = leaf.grad
            attrs = self.grad_mark(lines, _TENSOR_ATTRS[kind],
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
            box = span.box if span is not None else None
            if box is not None:
                v = self.box_vertex(box)
                v.ops += 1
                if grads:
                    v.dead += self.relu_mark(node, [], _OP_ATTRS)[1]
            else:
                lines = [_op_name(node)]
                attrs = self.relu_mark(node, lines, _OP_ATTRS)[0] if grads else _OP_ATTRS
                v = add(f"f{node.seq}", span, lines, attrs)
            if profiled:
                self.profile_mark(node, v, False)
            op = v.id
            for e in node.edges:
                if e is None:
                    continue
                src = tensor_vertex[id(e)] if e._is_node else leaf_vertex[id(e)]
                if src != op:
                    if box is not None or src[0] == 'm':
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
            attrs = _TENSOR_ATTRS['root' if is_root else 'tensor']
            if grads:
                attrs = self.grad_mark(lines, attrs, health.grad_norm_of(node))
            t = add(f"t{node.seq}", box.parent if box is not None else span, lines or [' '], attrs)
            edges.append((op, t.id))
            tensor_vertex[id(node)] = t.id

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
            box = span.box if span is not None else None
            if box is not None:
                v = self.box_vertex(box)
                v.ops += 1
                if grads:
                    v.dead += self.relu_mark(node, [], _BACKWARD_ATTRS)[1]
            else:
                lines = [f"{_op_name(node)}Backward", f"#{order}"]
                attrs = _BACKWARD_ATTRS
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
                if dst != src:
                    if boxed or dst[0] == 'm':
                        self.edge(src, dst, dedupe=True)
                    else:
                        edges.append((src, dst))

    # --- DOT text ------------------------------------------------------------------
    def box_lines(self, v):
        span = v.lines
        lines = [span.title + (f" (call {span.index})" if span.index else ''),
                 f"{v.ops} op{'s' if v.ops != 1 else ''}"]
        if span.module is not None and hasattr(span.module, 'parameters'):
            count = sum(int(p.data.size) for p in span.module.parameters())
            if count:
                lines[-1] += f", {count:,} weights"
        if v.dead:
            lines.append(f"{v.dead} dead ReLU{'s' if v.dead != 1 else ''}")
            v.attrs['penwidth'] = '2'
        acc = v.totals
        if acc is not None:
            lines.append(f"fwd {_seconds(acc[0])} | bwd {_seconds(acc[1])}"
                         if self.kind == 'forward' else f"bwd {_seconds(acc[1])}")
            lines.append(f"out {_bytes(acc[2])}")
        return lines

    def colour_scale(self):
        metrics = [v.metric for v in self.vertices.values() if v.metric is not None]
        top = max(metrics) if metrics else 0
        if top <= 0:
            return top
        for v in self.vertices.values():
            if v.metric is not None and v.attrs.get('fillcolor') not in (
                    _FILL['dead'], _FILL['vanishing'], _FILL['exploding']):
                step = min(len(_SCALE) - 1, int(v.metric / top * len(_SCALE)))
                v.attrs = dict(v.attrs, fillcolor=_SCALE[step])
                if step >= 6:
                    v.attrs['fontcolor'] = 'white'
        return top

    def legend(self, top):
        rec, opts = self.rec, self.opts
        parts = [f"{self.kind} graph: {len(rec.nodes)} ops, {len(rec.leaves)} leaves"]
        if self.kind == 'backward':
            parts[0] += "; #n = replay order"
        if opts.show_grads:
            parts.append(f"grad norm < {opts.vanishing:g}: vanishing (purple); "
                         f"> {opts.exploding:g} or not finite: exploding (red); "
                         "dark grey: ReLU with all outputs 0")
            if not any(health.grad_norm_of(n) is not None for n in rec.nodes):
                parts.append("intermediate gradients not recorded: call "
                             "ag.viz.record_grads(root) before backward")
        if opts.profile:
            what = 'output bytes' if opts.profile == 'memory' else 'forward + backward time'
            most = _bytes(top) if opts.profile == 'memory' else _seconds(top)
            totals = [timing.record_of(n) for n in rec.nodes]
            totals = [r for r in totals if r is not None]
            parts.append(f"colour: {what}, darkest = {most}; total fwd "
                         f"{_seconds(sum(r[0] for r in totals))}, bwd "
                         f"{_seconds(sum(r[1] for r in totals))}, out "
                         f"{_bytes(sum(r[2] for r in totals))}")
        return '\n'.join(parts)

    def lines(self):
        top = self.colour_scale() if self.opts.profile else 0
        out = [f"\tgraph [{_attrs(dict(rankdir=self.opts.rankdir, ranksep='0.3', nodesep='0.25', fontname=_FONT, fontsize='10', labelloc='b', labeljust='l', label=self.legend(top)))}]\n",
               f"\tnode [{_attrs(dict(fontname=_FONT, fontsize='10', height='0.3', margin='0.08,0.04'))}]\n",
               f"\tedge [{_attrs(dict(arrowsize='0.6', color='#555555'))}]\n"]
        members = {}
        for v in self.vertices.values():
            members.setdefault(id(v.cluster) if v.cluster is not None else None, []).append(v)
        visible = [s for s in self.spans if s.box is None]
        children = {}
        for span in visible:
            children.setdefault(id(span.parent) if span.parent is not None else None,
                                []).append(span)

        rendered = {}                                 # attribute sets repeat: format each once

        def vertex_line(v, indent):
            lines = self.box_lines(v) if v.id.startswith('m') else v.lines
            key = tuple(v.attrs.items())
            text = rendered.get(key)
            if text is None:
                text = rendered[key] = _attrs(v.attrs)
            return f"{indent}{v.id} [{text}, label={quote(chr(10).join(lines))}]\n"

        out.extend(vertex_line(v, '\t') for v in members.get(None, ()))
        stack = [(span, False, 1) for span in reversed(children.get(None, ()))]
        number = {id(s): k for k, s in enumerate(visible)}
        while stack:                                  # clusters, nested without recursion
            span, closing, level = stack.pop()
            indent = '\t' * level
            if closing:
                out.append(f"{indent}}}\n")
                continue
            title = span.title + (f" (call {span.index})" if span.index else '')
            out.append(f"{indent}subgraph cluster_{number[id(span)]} {{\n")
            out.append(f"{indent}\tgraph [{_attrs(dict(label=title, style='rounded,filled', color='#8899aa', fillcolor=_CLUSTER_FILLS[span.level % len(_CLUSTER_FILLS)], labeljust='l', labelloc='t', fontsize='10'))}]\n")
            out.extend(vertex_line(v, indent + '\t') for v in members.get(id(span), ()))
            stack.append((span, True, level))
            stack.extend((c, False, level + 1) for c in reversed(children.get(id(span), ())))
        out.extend(f"\t{src} -> {dst}\n" for src, dst in self.edges)
        return out
