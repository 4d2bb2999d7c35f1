"""Optimizer base class: param_groups, per-parameter state, state_dict by position.

Optimizers update the raw arrays in place (``p.array`` and ``p.grad.array``)
under ``ag.no_grad()``; their per-parameter state holds raw arrays too
(``optimizer.state[p]["exp_avg"]`` is an ndarray), and ``state_dict()``
wraps them as Tensors. State is keyed by parameter identity internally and by
parameter position in ``state_dict()``, exactly like PyTorch.
"""
import copy
from collections.abc import MutableMapping

import numpy as np

import autograd as ag

from .. import _compat

__all__ = ["Optimizer", "required"]


class _RequiredParameter:
    def __repr__(self):
        return "<required parameter>"


required = _RequiredParameter()


class _ParamState(MutableMapping):
    """A dict keyed by parameter identity (Tensors need not be hashable); missing -> {}."""

    def __init__(self):
        self._d = {}

    def __getitem__(self, p):
        entry = self._d.get(id(p))
        if entry is None:
            entry = self._d[id(p)] = (p, {})
        return entry[1]

    def __setitem__(self, p, value):
        self._d[id(p)] = (p, value)

    def __delitem__(self, p):
        del self._d[id(p)]

    def __contains__(self, p):
        return id(p) in self._d

    def __iter__(self):
        return (p for p, _ in list(self._d.values()))

    def __len__(self):
        return len(self._d)

    def get(self, p, default=None):
        entry = self._d.get(id(p))
        return default if entry is None else entry[1]

    def __repr__(self):
        return f"<optimizer state for {len(self)} parameters>"


def _to_state_value(v):
    """Internal state value -> what state_dict() shows (arrays become Tensors, copied)."""
    if isinstance(v, np.ndarray) or type(v).__module__.split(".")[0] == "cupy":
        return ag.tensor(_compat.to_numpy(v).copy())
    return copy.deepcopy(v)


def _from_state_value(p, key, v):
    """A loaded state value -> internal form: a raw array on p's device (floats in p's dtype)."""
    if isinstance(v, ag.Tensor) or isinstance(v, np.ndarray):
        arr = _compat.to_numpy(v)
        if key == "step":
            return arr.item()
        if arr.dtype.kind == "f" and np.dtype(p.dtype).kind == "f":
            arr = arr.astype(p.dtype)
        arr = np.array(arr, copy=True)
        if isinstance(p.array, np.ndarray):
            return arr
        return ag.tensor(arr, device=p.device).array
    return copy.deepcopy(v)


def _check_state_shapes(owner, index, p, values):
    """Per-element state (momentum, averages) must have its parameter's shape: a state
    saved for other parameters fails here, naming the key, not later inside step()."""
    for name, val in values.items():
        shape = getattr(val, "shape", ())
        if len(shape) and tuple(shape) != tuple(p.shape):
            raise ValueError(
                f"{owner}.load_state_dict: state {name!r} of parameter {index} has shape "
                f"{tuple(shape)} but the parameter has shape {tuple(p.shape)}; the state dict "
                "was saved for other parameters (load it into an optimizer over the same model)")


class Optimizer:
    """Base class: ``Optimizer(params, defaults)``; subclasses implement ``step``."""

    def __init__(self, params, defaults):
        self.defaults = defaults
        self.state = _ParamState()
        self.param_groups = []
        if isinstance(params, ag.Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of Tensors "
                            f"or dicts, but got {type(params).__name__}")
        groups = list(params)
        if len(groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for g in groups:
            self.add_param_group(g)

    def __getstate__(self):
        return self.__dict__

    def __repr__(self):
        s = type(self).__name__ + " ("
        for i, group in enumerate(self.param_groups):
            s += f"\nParameter Group {i}"
            for key in sorted(group):
                if key != "params":
                    s += f"\n    {key}: {group[key]}"
        return s + "\n)"

    def add_param_group(self, param_group):
        """Add a group (a dict with 'params' and optional per-group options)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        param_group = dict(param_group)
        params = param_group["params"]
        if isinstance(params, ag.Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, but the "
                            "ordering of tensors in sets will change between runs. Please use a list instead.")
        else:
            params = list(params)
        for p in params:
            if not isinstance(p, ag.Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, but one of the params is {type(p).__name__}")
            if not p.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor")
        param_group["params"] = params
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(f"parameter group didn't specify a value of required optimization parameter {name}")
            param_group.setdefault(name, default)
        ids = {id(p) for p in params}
        if len(ids) != len(params):
            raise ValueError("optimizer contains a parameter group with duplicate parameters")
        for g in self.param_groups:
            if ids & {id(p) for p in g["params"]}:
                raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    def zero_grad(self, set_to_none=True):
        """Reset the gradients of all optimized parameters (to None by default)."""
        from .._module_helpers import _zero_grad
        for group in self.param_groups:
            for p in group["params"]:
                _zero_grad(p, set_to_none)

    def step(self, closure=None):
        raise NotImplementedError

    def _closure_loss(self, closure):
        if closure is None:
            return None
        with ag.enable_grad():
            return closure()

    def _params_with_grad(self, group):
        for p in group["params"]:
            if p.grad is not None:
                yield p

    def _step_state(self, p, buffers):
        """p's state for the step being taken: on its first step, ``step`` 0 and a zero
        array like p for each name in `buffers`; then ``step`` counts this step."""
        state = self.state[p]
        if not state:
            state["step"] = 0
            zeros_like = _compat.xp_of(p.array).zeros_like
            for name in buffers:
                state[name] = zeros_like(p.array)
        state["step"] += 1
        return state

    # ------------------------------------------------------------ state dict
    def state_dict(self):
        """``{"state": {index: {...}}, "param_groups": [{..., "params": [indices]}]}``."""
        index, groups = {}, []
        for group in self.param_groups:
            packed = {k: copy.deepcopy(v) for k, v in group.items() if k != "params"}
            for p in group["params"]:
                if id(p) not in index:
                    index[id(p)] = len(index)
            packed["params"] = [index[id(p)] for p in group["params"]]
            groups.append(packed)
        state = {}
        for p in self.state:
            if id(p) in index:
                state[index[id(p)]] = {k: _to_state_value(v) for k, v in self.state[p].items()}
        state = dict(sorted(state.items()))
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Load a ``state_dict()``; parameters are matched by position."""
        saved_groups = state_dict["param_groups"]
        groups = self.param_groups
        if len(groups) != len(saved_groups):
            raise ValueError(f"loaded state dict has {len(saved_groups)} parameter groups, but the "
                             f"optimizer has {len(groups)}")
        for i, (g, sg) in enumerate(zip(groups, saved_groups)):
            if len(g["params"]) != len(sg["params"]):
                raise ValueError(f"loaded state dict contains a parameter group ({i}) with "
                                 f"{len(sg['params'])} parameters that doesn't match the size of "
                                 f"optimizer's group ({len(g['params'])} parameters)")
        id_map = {}
        for g, sg in zip(groups, saved_groups):
            for saved_idx, p in zip(sg["params"], g["params"]):
                id_map[int(saved_idx)] = p
        state = _ParamState()        # built and checked in full before anything changes
        for k, v in state_dict["state"].items():
            try:
                k = int(k)
            except (TypeError, ValueError):
                pass
            if k in id_map:
                p = id_map[k]
                state[p] = {name: _from_state_value(p, name, val) for name, val in v.items()}
                _check_state_shapes(type(self).__name__, k, p, state[p])
        self.state = state
        new_groups = []
        for g, sg in zip(groups, saved_groups):
            ng = {k: copy.deepcopy(v) for k, v in sg.items() if k != "params"}
            for key, val in ng.items():
                if isinstance(val, list) and isinstance(g.get(key), tuple):
                    ng[key] = tuple(val)  # e.g. betas after a JSON round trip
            ng["params"] = g["params"]
            new_groups.append(ng)
        self.param_groups = new_groups


def _grad_array(p, group):
    """p's gradient as a raw array, negated under ``maximize`` (never modified in place)."""
    g = p.grad.array
    if group.get("maximize", False):
        g = -g
    return g


def _with_weight_decay(g, p, weight_decay):
    """g + weight_decay * p (L2 regularisation as a gradient term); g itself when 0."""
    return g + weight_decay * p.array if weight_decay != 0 else g


def _check_lr(optimizer, lr):
    if lr is not required and not 0.0 <= lr:
        raise ValueError(f"{type(optimizer).__name__}: Invalid learning rate: {lr}")


def _check_nonnegative(optimizer, **values):
    """PyTorch's constructor checks: ``Invalid <name> value: <value>`` for any below 0
    (after the optimizer's name)."""
    for name, value in values.items():
        if not 0.0 <= value:
            raise ValueError(f"{type(optimizer).__name__}: Invalid {name} value: {value}")


def _lerp_(a, b, w):
    """In place ``a = lerp(a, b, w)`` with torch.lerp's two-branch formula."""
    if w < 0.5:
        a += w * (b - a)
    else:
        a[...] = b - (b - a) * (1 - w)
