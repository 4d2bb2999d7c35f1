"""repr writes PyTorch's digits: all `precision` decimals unless every value is whole."""
import autograd as ag


def test_fixed_digits_like_pytorch():
    assert repr(ag.tensor([1.5, 1.5])) == "tensor([1.5000, 1.5000])"
    assert repr(ag.tensor(3.139)) == "tensor(3.1390)"
    assert repr(ag.tensor([1.0, 2.0])) == "tensor([1., 2.])"
    assert repr(ag.tensor([6.4, 64.0, 0.0064])) == "tensor([6.4000e+00, 6.4000e+01, 6.4000e-03])"
    assert repr(ag.tensor([float("nan"), 1.5])) == "tensor([   nan, 1.5000])"
    assert repr(ag.tensor([[1.25, 2], [3, 4]])) == "tensor([[1.2500, 2.0000],\n        [3.0000, 4.0000]])"
    assert repr(ag.tensor([3, 4])) == "tensor([3, 4])"
    ag.set_printoptions(precision=2)
    try:
        assert repr(ag.tensor([1.5, 1.0])) == "tensor([1.50, 1.00])"
    finally:
        ag.set_printoptions(profile="default")
