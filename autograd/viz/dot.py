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

from . import graph as recorded, health, output, style, timing
from .vertices import Box, Builder, Options


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
    for span in spans:                               # parents come first
        span.box = span if span.level == depth else (
            span.parent.box if span.parent is not None else None)
    opts = Options(show_shapes, show_grads, vanishing, exploding,
                    'memory' if profile == 'memory' else ('time' if profile else None), rankdir)
    if opts.profile and not any(timing.record_of(n) for n in rec.nodes):
        raise ValueError("ag.viz.draw(profile=True): no timings were recorded for this graph. "
                         "Run its forward (and backward) inside `with ag.viz.profile():` first.")
    builder = Builder(rec, spans, owner, names, opts)
    if show_backward:
        builder.backward()
    else:
        builder.forward()
    return output.make_graph('backward' if show_backward else 'forward', dot_lines(builder))


def save(root, path, **options):
    """Draw `root` (or take an already drawn graph) and write it to `path`: .dot always;
    .svg with Graphviz's `dot` or else the pip-installable WebAssembly Graphviz;
    .png, .pdf (and other `dot -T` formats) with `dot`. Returns the path."""
    source = root.source if hasattr(root, 'source') else draw(root, **options).source
    return output.write(source, path)


# --- DOT text ---------------------------------------------------------------------
def dot_lines(b):
    """The body of the DOT text for a built drawing: settings, the vertices outside any
    cluster, the clusters (nested, without recursion), then the edges."""
    top = colour_scale(b) if b.opts.profile else 0
    attrs_text = style.attrs_text
    out = [f"\tgraph [{attrs_text(dict(rankdir=b.opts.rankdir, ranksep='0.3', nodesep='0.25', fontname=style.FONT, fontsize='10', labelloc='b', labeljust='l', label=legend(b, top)))}]\n",
           f"\tnode [{attrs_text(dict(fontname=style.FONT, fontsize='10', height='0.3', margin='0.08,0.04'))}]\n",
           f"\tedge [{attrs_text(dict(arrowsize='0.6', color='#555555'))}]\n"]
    members = {}
    for v in b.vertices.values():
        members.setdefault(id(v.cluster) if v.cluster is not None else None, []).append(v)
    visible = [s for s in b.spans if s.box is None]
    children = {}
    for span in visible:
        children.setdefault(id(span.parent) if span.parent is not None else None, []).append(span)
    rendered = {}                                 # attribute sets repeat: format each once

    def vertex_line(v, indent):
        lines = box_lines(b, v) if isinstance(v, Box) else v.lines
        key = tuple(v.attrs.items())
        text = rendered.get(key)
        if text is None:
            text = rendered[key] = attrs_text(v.attrs)
        return f"{indent}{v.id} [{text}, label={style.quote(chr(10).join(lines))}]\n"

    out.extend(vertex_line(v, '\t') for v in members.get(None, ()))
    stack = [(span, False, 1) for span in reversed(children.get(None, ()))]
    number = {id(s): k for k, s in enumerate(visible)}
    while stack:
        span, closing, level = stack.pop()
        indent = '\t' * level
        if closing:
            out.append(f"{indent}}}\n")
            continue
        fill = style.CLUSTER_FILLS[span.level % len(style.CLUSTER_FILLS)]
        out.append(f"{indent}subgraph cluster_{number[id(span)]} {{\n")
        out.append(f"{indent}\tgraph [{attrs_text(dict(label=call_title(span), style='rounded,filled', color='#8899aa', fillcolor=fill, labeljust='l', labelloc='t', fontsize='10'))}]\n")
        out.extend(vertex_line(v, indent + '\t') for v in members.get(id(span), ()))
        stack.append((span, True, level))
        stack.extend((c, False, level + 1) for c in reversed(children.get(id(span), ())))
    out.extend(f"\t{src} -> {dst}\n" for src, dst in b.edges)
    return out


def call_title(span):
    return span.title + (f" (call {span.index})" if span.index else '')


def box_lines(b, v):
    """The label of a collapsed module call: its name, what it holds, its totals."""
    span = v.lines
    lines = [call_title(span), f"{v.ops} op{'s' if v.ops != 1 else ''}"]
    if span.module is not None and hasattr(span.module, 'parameters'):
        count = sum(int(p.array.size) for p in span.module.parameters())
        if count:
            lines[-1] += f", {count:,} weights"
    if v.dead:
        lines.append(f"{v.dead} dead ReLU{'s' if v.dead != 1 else ''}")
        v.attrs = dict(v.attrs, penwidth='2')
    acc = v.totals
    if acc is not None:
        lines.append(f"fwd {style.seconds(acc[0])} | bwd {style.seconds(acc[1])}"
                     if b.kind == 'forward' else f"bwd {style.seconds(acc[1])}")
        lines.append(f"out {style.size(acc[2])}")
    return lines


def colour_scale(b):
    """Fill profiled vertices from white to dark red by their share of the largest
    time (or size); health colours win. Returns the largest value."""
    metrics = [v.metric for v in b.vertices.values() if v.metric is not None]
    top = max(metrics) if metrics else 0
    if top <= 0:
        return top
    keep = (style.FILL['dead'], style.FILL['vanishing'], style.FILL['exploding'])
    scale = style.SCALE
    for v in b.vertices.values():
        if v.metric is not None and v.attrs.get('fillcolor') not in keep:
            step = min(len(scale) - 1, int(v.metric / top * len(scale)))
            v.attrs = dict(v.attrs, fillcolor=scale[step])
            if step >= 6:
                v.attrs['fontcolor'] = 'white'
    return top


def legend(b, top):
    """The graph's caption: what is drawn and what the colours mean."""
    rec, opts = b.rec, b.opts
    parts = [f"{b.kind} graph: {len(rec.nodes)} ops, {len(rec.leaves)} leaves"]
    if b.kind == 'backward':
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
        most = style.size(top) if opts.profile == 'memory' else style.seconds(top)
        records = [r for r in map(timing.record_of, rec.nodes) if r is not None]
        parts.append(f"colour: {what}, darkest = {most}; total fwd "
                     f"{style.seconds(sum(r[0] for r in records))}, bwd "
                     f"{style.seconds(sum(r[1] for r in records))}, out "
                     f"{style.size(sum(r[2] for r in records))}")
    return '\n'.join(parts)
