"""nn.ParameterList / nn.ParameterDict: registration, state_dict keys, optimizer reach."""
import pytest

import autograd as ag
import nn


def test_parameter_list_registers_and_wraps():
    pl = nn.ParameterList([nn.Parameter(ag.ones(2)) for _ in range(2)])
    pl.append(ag.zeros(3))                       # a plain tensor becomes a Parameter
    assert len(pl) == 3 and isinstance(pl[2], nn.Parameter) and pl[-1].shape == (3,)
    assert list(pl.state_dict()) == ["0", "1", "2"]
    assert len(list(pl.parameters())) == 3 and len(pl[1:]) == 2
    pl[0] = nn.Parameter(ag.full((2,), 5.0))
    assert pl[0].tolist() == [5.0, 5.0] and [p.shape for p in pl] == [(2,), (2,), (3,)]
    with pytest.raises(IndexError, match="ParameterList: index 3 is out of range for 3"):
        pl[3]
    assert "(2): Parameter containing: [float32 of size 3]" in repr(pl)


def test_parameter_list_inside_a_module_trains():
    class M(nn.Module):
        def __init__(self):
            super().__init__()
            self.scales = nn.ParameterList([nn.Parameter(ag.ones(1)) for _ in range(2)])

        def forward(self, x):
            return x * self.scales[0] * self.scales[1]

    m = M()
    assert [n for n, _ in m.named_parameters()] == ["scales.0", "scales.1"]
    opt = nn.optim.SGD(m.parameters(), lr=0.1)
    m(ag.tensor([2.0])).sum().backward()
    opt.step()
    assert m.scales[0].item() == pytest.approx(0.8)


def test_parameter_dict():
    pd = nn.ParameterDict({"a": ag.ones(1), "b": nn.Parameter(ag.zeros(2))})
    assert list(pd.keys()) == ["a", "b"] and list(pd.state_dict()) == ["a", "b"]
    assert isinstance(pd["a"], nn.Parameter) and "b" in pd and len(pd) == 2
    pd.update([("c", ag.ones(3))])
    assert pd.pop("a").shape == (1,) and list(pd) == ["b", "c"]
    assert [n for n, _ in pd.named_parameters()] == ["b", "c"]
    with pytest.raises(KeyError):
        pd["a"]
