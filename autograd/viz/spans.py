"""Which module ran which op: module-call spans on the tape, at no per-op cost.

`nn.Module.__call__` (in grad mode) draws one number from the tape's sequence
counter before `forward` and one after. Every op the call records gets a
sequence number strictly between the two, so the pair (start, end) names the
call's ops without touching `Function.apply`: the per-op cost stays zero, and
the cost per module call is two counter draws and one dictionary entry.
Calls nest like a stack, so spans nest (or are disjoint): the innermost span
around an op is the module that ran it.

The span is kept on the output tensors' nodes, in a weak table: a graph keeps
its spans exactly as long as it lives, and a training loop leaves nothing
behind. The module is held weakly as well (a module that keeps its last output
would otherwise keep its own entry alive), with its class for the label.
"""
import weakref

from ..function import _sequence
from ..tensor import Tensor

# weakref(node) -> list of (start, end, weakref to module, its class); a node can end several nested
# calls (Sequential's output is its last layer's output). A plain dict keyed by weak
# references whose callback removes the entry: WeakKeyDictionary does the same in
# Python-level methods and was measured at about twice the cost per module call.
_spans = {}
_ref = weakref.ref


def _forget(ref):
    _spans.pop(ref, None)


next_mark = _sequence.__next__      # one draw from the tape's counter (gaps are harmless)


def record(output, start, end, module):
    """Remember that `module` ran between marks `start` and `end`, on `output`'s nodes."""
    span = (start, end, _ref(module), type(module))   # the class names a call whose module is gone
    if type(output) is Tensor:                   # the common case, kept short
        node = output._node
        if node is not None:
            _tag(node, span)
        return
    pending = [output]                           # tuples, lists, dicts: LSTM returns (out, (h, c))
    while pending:
        value = pending.pop()
        if isinstance(value, Tensor):
            if value._node is not None:
                _tag(value._node, span)
        elif isinstance(value, (tuple, list)):
            pending.extend(value)
        elif isinstance(value, dict):
            pending.extend(value.values())


def _tag(node, span):
    # a live weak reference hashes and compares as its node (nodes compare by identity)
    spans = _spans.get(_ref(node))
    if spans is None:
        _spans[_ref(node, _forget)] = [span]
    else:
        spans.append(span)


def spans_of(node):
    """The spans recorded on `node` (empty when no module call ended with it)."""
    return _spans.get(_ref(node), ())
