"""nn.Module, nn.Parameter and the containers."""
import copy
from collections import OrderedDict

import numpy as np
import pytest

import autograd as ag
import nn


class Affine(nn.Module):
    def __init__(self, n_in, n_out):
        super().__init__()
        self.n_in, self.n_out = n_in, n_out
        self.weight = nn.Parameter(np.arange(n_in * n_out, dtype=np.float32).reshape(n_out, n_in))
        self.bias = nn.Parameter(np.zeros(n_out, np.float32))
        self.register_buffer("count", ag.tensor(np.array(0, dtype=np.int64)))
        self.register_buffer("cache", ag.tensor(np.zeros(2, np.float32)), persistent=False)

    def forward(self, x):
        return x * 2.0

    def extra_repr(self):
        return f"in_features={self.n_in}, out_features={self.n_out}"


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = Affine(3, 4)
        self.body = nn.Sequential(Affine(4, 4), nn.Identity())
        self.fc2 = Affine(4, 2)
        self.scale = nn.Parameter(np.ones(1, np.float32))

    def forward(self, x):
        return self.fc2(self.body(self.fc1(x)))


def test_parameter_basics():
    arr = np.ones((2, 3), np.float32)
    p = nn.Parameter(arr)
    assert isinstance(p, ag.Tensor) and isinstance(p, nn.Parameter)
    assert p.requires_grad and p.is_leaf and p.dtype == np.float32
    assert p.array is arr or np.shares_memory(p.array, arr)
    assert repr(p).startswith("Parameter containing:\n")
    q = nn.Parameter(ag.tensor([1.0, 2.0]), requires_grad=False)
    assert not q.requires_grad and q.dtype == np.float32


def test_registration_and_iteration():
    net = Net()
    names = [n for n, _ in net.named_parameters()]
    assert names == ["scale", "fc1.weight", "fc1.bias", "body.0.weight", "body.0.bias",
                     "fc2.weight", "fc2.bias"]
    assert len(list(net.parameters())) == 7
    assert [n for n, _ in net.named_parameters(recurse=False)] == ["scale"]
    assert [n for n, _ in net.named_buffers()] == ["fc1.count", "fc1.cache", "body.0.count", "body.0.cache",
                                                  "fc2.count", "fc2.cache"]
    assert len(list(net.buffers())) == 6
    assert [n for n, _ in net.named_children()] == ["fc1", "body", "fc2"]
    assert len(list(net.children())) == 3
    assert [n for n, _ in net.named_modules()] == ["", "fc1", "body", "body.0", "body.1", "fc2"]
    assert list(net.modules())[0] is net
    assert net.fc1.weight is net._modules["fc1"]._parameters["weight"]


def test_shared_parameters_are_listed_once():
    net = nn.Module()
    a = Affine(2, 2)
    net.a, net.b = a, a
    assert len(list(net.parameters())) == 2
    assert [n for n, _ in net.named_modules()] == ["", "a"]


def test_setattr_rules():
    m = Affine(2, 2)
    with pytest.raises(TypeError):
        m.weight = ag.tensor(np.ones((2, 2), np.float32))
    m.weight = None
    assert "weight" in m._parameters and m.weight is None
    m.count = ag.tensor(np.array(5))
    assert int(m.count.item()) == 5
    m.plain = 3
    assert m.plain == 3 and "plain" not in m._parameters
    del m.bias
    assert "bias" not in m._parameters
    with pytest.raises(AttributeError):
        m.nothing_here

    class Bad(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(np.ones(1, np.float32))
    with pytest.raises(AttributeError, match="__init__"):
        Bad()
    with pytest.raises(KeyError):
        m.register_buffer("a.b", None)
    with pytest.raises(TypeError):
        m.register_buffer("arr", np.ones(2))
    with pytest.raises(TypeError):
        m.add_module("x", 3)


def test_train_eval_apply_requires_grad():
    net = Net()
    assert net.training and net.body[0].training
    assert net.eval() is net
    assert not any(m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())
    seen = []
    assert net.apply(lambda m: seen.append(type(m).__name__)) is net
    assert seen[-1] == "Net" and seen[0] == "Affine"
    net.requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())


def test_zero_grad():
    net = Net()
    for p in net.parameters():
        p.grad = ag.tensor(np.ones(p.shape, np.float32))
    net.zero_grad(set_to_none=False)
    assert all(float(np.abs(p.grad.array).sum()) == 0 for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())


def test_to_dtype_keeps_identity_and_returns_self():
    net = Net()
    w = net.fc1.weight
    assert net.to(np.float64) is net
    assert net.fc1.weight is w and w.dtype == np.float64
    assert net.fc1.count.dtype == np.int64  # integer buffers keep their dtype
    assert net.double() is net and net.float().fc2.bias.dtype == np.float32
    assert net.to("cpu") is net and str(net.fc1.weight.device) == "cpu"


def test_state_dict_keys_and_detached():
    net = Net()
    sd = net.state_dict()
    assert isinstance(sd, OrderedDict)
    assert list(sd) == ["scale", "fc1.weight", "fc1.bias", "fc1.count", "body.0.weight", "body.0.bias",
                        "body.0.count", "fc2.weight", "fc2.bias", "fc2.count"]
    assert not any(k.endswith("cache") for k in sd)  # persistent=False
    assert all(isinstance(v, ag.Tensor) and not v.requires_grad for v in sd.values())
    assert not isinstance(sd["fc1.weight"], nn.Parameter)
    assert np.shares_memory(sd["fc1.weight"].array, net.fc1.weight.array)


def test_load_state_dict_round_trip_and_plain_arrays():
    src, dst = Net(), Net()
    for p in src.parameters():
        p.array[...] = np.random.default_rng(0).standard_normal(p.shape)
    w = dst.fc1.weight
    res = dst.load_state_dict(src.state_dict())
    assert res.missing_keys == [] and res.unexpected_keys == []
    assert dst.fc1.weight is w  # copied in place
    for (n, a), (_, b) in zip(src.state_dict().items(), dst.state_dict().items()):
        np.testing.assert_array_equal(a.array, b.array)
    arrays = {k: np.asarray(v.array, dtype=np.float64) * 0 + 7 for k, v in src.state_dict().items()}
    dst.load_state_dict(arrays)
    assert dst.fc2.weight.dtype == np.float32 and float(dst.fc2.weight.array[0, 0]) == 7.0
    assert int(dst.fc1.count.item()) == 7


def test_load_state_dict_strict_errors_name_every_key():
    net = Net()
    sd = net.state_dict()
    del sd["fc1.bias"]
    sd["extra.weight"] = ag.tensor(np.ones(1, np.float32))
    sd["fc2.weight"] = ag.tensor(np.ones((5, 5), np.float32))
    with pytest.raises(RuntimeError) as e:
        net.load_state_dict(sd)
    msg = str(e.value)
    assert "Missing key(s)" in msg and '"fc1.bias"' in msg
    assert "Unexpected key(s)" in msg and '"extra.weight"' in msg
    assert "size mismatch for fc2.weight" in msg and "(5, 5)" in msg and "(2, 4)" in msg
    del sd["fc2.weight"]
    res = net.load_state_dict(sd, strict=False)
    assert res.missing_keys == ["fc1.bias", "fc2.weight"] and res.unexpected_keys == ["extra.weight"]
    assert res == (["fc1.bias", "fc2.weight"], ["extra.weight"])
    sd["fc2.weight"] = ag.tensor(np.ones((5, 5), np.float32))
    with pytest.raises(RuntimeError, match="size mismatch"):
        net.load_state_dict(sd, strict=False)  # shapes are checked even when not strict


def test_repr_nested_like_pytorch():
    net = Net()
    expected = (
        "Net(\n"
        "  (fc1): Affine(in_features=3, out_features=4)\n"
        "  (body): Sequential(\n"
        "    (0): Affine(in_features=4, out_features=4)\n"
        "    (1): Identity()\n"
        "  )\n"
        "  (fc2): Affine(in_features=4, out_features=2)\n"
        ")")
    assert repr(net) == expected
    assert repr(nn.Flatten()) == "Flatten(start_dim=1, end_dim=-1)"


def test_call_runs_forward_and_hooks():
    net = Net()
    x = ag.tensor(np.ones((2, 3), np.float32))
    np.testing.assert_array_equal(net(x).array, np.full((2, 3), 8.0))
    calls = []
    h = net.fc1.register_forward_hook(lambda m, args, out: calls.append(out.shape))
    net(x)
    h.remove()
    net(x)
    assert calls == [(2, 3)]
    with pytest.raises(NotImplementedError, match="forward"):
        nn.Module()(x)


def test_get_submodule_and_deepcopy():
    net = Net()
    assert net.get_submodule("body.0") is net.body[0]
    assert net.get_parameter("body.0.weight") is net.body[0].weight
    clone = copy.deepcopy(net)
    assert clone.fc1.weight is not net.fc1.weight
    assert isinstance(clone.fc1.weight, nn.Parameter)
    np.testing.assert_array_equal(clone.fc1.weight.array, net.fc1.weight.array)
    clone.fc1.weight.array[...] = 0
    assert float(net.fc1.weight.array.sum()) > 0


def test_sequential():
    a, b, c = Affine(1, 1), nn.Identity(), Affine(1, 1)
    seq = nn.Sequential(a, b, c)
    assert len(seq) == 3 and seq[0] is a and seq[-1] is c
    assert list(seq) == [a, b, c]
    sub = seq[1:]
    assert isinstance(sub, nn.Sequential) and list(sub) == [b, c]
    seq.append(nn.Identity())
    assert len(seq) == 4 and [k for k, _ in seq.named_children()] == ["0", "1", "2", "3"]
    del seq[1]
    assert len(seq) == 3 and list(seq._modules) == ["0", "1", "2"]
    named = nn.Sequential(OrderedDict([("first", a), ("second", c)]))
    assert named.first is a and named[1] is c
    x = ag.tensor(np.ones((1, 1), np.float32))
    np.testing.assert_array_equal(named(x).array, [[4.0]])
    with pytest.raises(IndexError):
        seq[10]


def test_module_list_and_dict():
    ml = nn.ModuleList([Affine(1, 1) for _ in range(3)])
    assert len(ml) == 3 and len(list(ml.parameters())) == 6
    ml.append(nn.Identity())
    assert isinstance(ml[-1], nn.Identity) and isinstance(ml[:2], nn.ModuleList)
    ml.insert(0, nn.Identity())
    assert isinstance(ml[0], nn.Identity) and len(ml) == 5
    holder = nn.Module()
    holder.layers = ml
    assert "layers.1.weight" in holder.state_dict()

    md = nn.ModuleDict({"enc": Affine(1, 2), "dec": Affine(2, 1)})
    assert list(md.keys()) == ["enc", "dec"] and "enc" in md and len(md) == 2
    md["act"] = nn.Identity()
    assert [k for k, _ in md.items()] == ["enc", "dec", "act"]
    assert len(list(md.parameters())) == 4
    md.pop("act")
    assert "act" not in md


def test_flatten_and_identity():
    x = ag.tensor(np.arange(24, dtype=np.float32).reshape(2, 3, 4))
    assert tuple(nn.Flatten()(x).shape) == (2, 12)
    assert tuple(nn.Flatten(0, 1)(x).shape) == (6, 4)
    assert nn.Identity(54, unused="x")(x) is x
