"""Which module ran which op: module-call spans on the tape, at no per-op cost.

`nn.Module.__call__` (in grad mode) draws one number from the tape's sequence
counter before `forward` and one after. Every op the call records gets a
sequence number strictly between the two, so the pair (start, end) names the
call's ops without touching `Function.apply`: the per-op cost stays zero.
Calls nest like a stack, so spans nest (or are disjoint): the innermost span
around an op is the module that ran it.

The span is kept on the node of each output tensor, appended to the node's
`meta` list after its per-input (shape, dtype) entries. The engine reads
`meta` only as `zip(node.edges, grads, node.meta)`, which stops at the last
input, so the extra entry is never seen by backward; and the span lives and
dies with the graph, with nothing to clean up. (A weak table keyed by node was
measured at about 1 us per module call, mostly weak-reference bookkeeping;
this costs a list append.) The module is held weakly, with its class for
the label, so a graph never keeps a model alive or forms a cycle with it.
"""
import weakref

from ..function import _sequence
from ..tensor import Tensor

_ref = weakref.ref
next_mark = _sequence.__next__      # one draw from the tape's counter (gaps are harmless)


class Spans(list):
    """The module calls that ended with a node, as (start, end, weakref to module, class);
    several when calls nest (Sequential's output is its last layer's output)."""
    __slots__ = ()


def record(output, start, end, module):
    """Remember that `module` ran between marks `start` and `end`, on `output`'s nodes."""
    span = (start, end, _ref(module), type(module))
    if type(output) is Tensor:                   # the common case, kept short
        if output._node is not None:
            _tag(output._node.meta, span)
        return
    pending = [output]                           # tuples, lists, dicts: LSTM returns (out, (h, c))
    while pending:
        value = pending.pop()
        if isinstance(value, Tensor):
            if value._node is not None:
                _tag(value._node.meta, span)
        elif isinstance(value, (tuple, list)):
            pending.extend(value)
        elif isinstance(value, dict):
            pending.extend(value.values())


def _tag(meta, span):
    last = meta[-1]                              # a recorded node has at least one input
    if type(last) is Spans:
        last.append(span)
    else:
        meta.append(Spans((span,)))


def spans_of(node):
    """The spans recorded on `node` (empty when no module call ended with it)."""
    meta = node.meta
    last = meta[-1] if meta else None
    return last if type(last) is Spans else ()
