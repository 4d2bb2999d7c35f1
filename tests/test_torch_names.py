"""Values and errors of the PyTorch names in ops/trig.py, scatter_api.py, torch_more.py
and inplace_api.py, and of Tensor.type(), `with ag.device(...)` and the thread-count
functions (gradients: tests/test_op_gradients.py)."""
import math

import numpy as np
import pytest

import autograd as ag
from autograd import errors

rng = np.random.default_rng(7)


def T(a):
    return ag.tensor(np.asarray(a))


# --- math ------------------------------------------------------------------------
def test_erfinv_inverts_erf_and_maps_the_ends_to_infinity():
    x = np.linspace(-0.999, 0.999, 101)
    y = ag.erfinv(T(x)).numpy()
    assert np.allclose([math.erf(v) for v in y], x, rtol=0, atol=1e-12)
    assert ag.erfinv(T([1.0, -1.0, 0.0])).tolist() == [math.inf, -math.inf, 0.0]
    assert math.isnan(ag.erfinv(T([1.5])).item())
    assert ag.erfinv(ag.tensor([0.5])).dtype == ag.float32


def test_atan2_and_hypot_values_and_dtypes():
    a, b = rng.standard_normal(5), rng.standard_normal(5)
    assert np.allclose(ag.atan2(T(a), T(b)).numpy(), np.arctan2(a, b))
    assert np.allclose(T(a).hypot(T(b)).numpy(), np.hypot(a, b))
    assert ag.atan2(ag.arange(3), ag.arange(3)).dtype == ag.float32      # int -> float32
    assert ag.atan2(ag.ones(2), 2).dtype == ag.float32
    assert ag.asin(ag.tensor([0, 1])).dtype == ag.float32 == ag.erfinv(ag.tensor([0])).dtype


def test_nan_to_num_defaults_are_the_dtype_limits():
    x = ag.tensor([math.nan, math.inf, -math.inf, 1.5])
    big = float(np.finfo(np.float32).max)
    assert ag.nan_to_num(x).tolist() == [0.0, big, -big, 1.5]
    assert x.nan_to_num_(nan=1.0, posinf=2.0, neginf=-2.0) is x and x.tolist() == [1, 2, -2, 1.5]
    assert ag.nan_to_num(ag.tensor([1, 2])).tolist() == [1, 2]


# --- writing into positions ------------------------------------------------------------
def test_scatter_writes_src_or_value_as_numpy_put_along_axis():
    x, src = rng.standard_normal((3, 4)), rng.standard_normal((2, 4))
    idx = np.array([[0, 1, 2, 0], [2, 0, 1, 1]])
    expected = x.copy()
    np.put_along_axis(expected, idx, src, 0)
    assert np.array_equal(ag.scatter(T(x), 0, T(idx), T(src)).numpy(), expected)
    np.put_along_axis(expected := x.copy(), idx, 7.0, 0)
    assert np.array_equal(T(x).scatter(0, T(idx), value=7.0).numpy(), expected)
    y = T(x)
    assert y.scatter_(0, T(idx), 7.0) is y and np.array_equal(y.numpy(), expected)


def test_scatter_refuses_what_it_cannot_do():
    x, idx = ag.zeros(3, 4), ag.tensor([[0, 1]])
    with pytest.raises(errors.ArgumentError, match="reduce='multiply'"):
        x.scatter(0, idx, ag.ones(1, 2), reduce='multiply')
    with pytest.raises(errors.ArgumentError, match='exactly one of src'):
        ag.scatter(x, 0, idx)
    with pytest.raises(errors.IndexOutOfRange, match='index 3 is out of range'):
        x.scatter(0, ag.tensor([[3]]), 1.0)


def test_index_ops_match_numpy():
    x, src = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    idx = np.array([2, 0, 2])
    expected = x.copy()
    np.add.at(expected, idx, 2 * src)
    assert np.allclose(ag.index_add(T(x), 0, T(idx), T(src), alpha=2).numpy(), expected)
    expected = x.copy()
    expected[:, [3, 1]] = src[:, :2]
    assert np.array_equal(T(x).index_copy(1, T([3, 1]), T(src[:, :2])).numpy(), expected)
    expected[:, [3, 1]] = -1
    got = T(x).index_fill_(1, T([3, 1]), -1.0)
    assert np.array_equal(got.numpy()[:, [1, 3]], -np.ones((3, 2)))
    expected = x.copy()
    np.add.at(expected, (np.array([0, 0]), np.array([1, 1])), 1.0)
    assert np.array_equal(T(x).index_put_((T([0, 0]), T([1, 1])), T(1.0), accumulate=True).numpy(),
                          expected)


def test_index_ops_check_the_source_shape():
    with pytest.raises(errors.ShapeError, match=r'index_copy: source has shape \(3, 4\).*\(2, 4\)'):
        ag.zeros(3, 4).index_copy(0, ag.tensor([0, 1]), ag.ones(3, 4))
    with pytest.raises(errors.ArgumentError, match='tuple of tensors'):
        ag.zeros(3).index_put(ag.tensor([0]), ag.ones(1))


# --- in place -------------------------------------------------------------------------
@pytest.mark.parametrize('name', ['exp_', 'sigmoid_', 'tanh_', 'relu_', 'abs_', 'sin_'])
def test_unary_in_place_matches_out_of_place_and_bumps_the_version(name):
    x = ag.randn(3, 4)
    expected = getattr(ag, name[:-1])(x).numpy()
    version = x._version
    assert getattr(x, name)() is x and np.allclose(x.numpy(), expected)
    assert x._version == version + 1
    assert np.allclose(getattr(ag, name)(x.clone()).numpy(), getattr(ag, name[:-1])(x).numpy())


def test_in_place_on_a_leaf_that_requires_grad_is_refused():
    w = ag.randn(2, 1, requires_grad=True)
    for call in (lambda: w.exp_(), lambda: w.squeeze_(), lambda: w.index_fill_(0, ag.tensor([0]), 1.0)):
        with pytest.raises(RuntimeError, match='leaf tensor that requires grad'):
            call()
    with pytest.raises(errors.DtypeError, match='exp_'):
        ag.tensor([1, 2]).exp_()                # an int tensor cannot hold exp's floats
    with pytest.raises(TypeError, match='exp_.. takes 0 arguments'):
        ag.zeros(2).exp_(2)


def test_shape_changes_in_place():
    x = ag.zeros(2, 1, 3)
    assert x.squeeze_() is x and x.shape == (2, 3)
    assert x.unsqueeze_(0).shape == (1, 2, 3)
    m = ag.arange(6.).reshape(2, 3)
    assert m.t_().shape == (3, 2) and m.tolist() == [[0, 3], [1, 4], [2, 5]]


def test_random_fills():
    x = ag.zeros(500)
    assert set(x.random_(4).tolist()) == {0.0, 1.0, 2.0, 3.0}
    assert set(x.random_(**{'from': 2, 'to': 4}).tolist()) == {2.0, 3.0}
    assert x.random_().max().item() <= 2 ** 24
    with pytest.raises(errors.ArgumentError, match='from < to'):
        x.random_(3, 3)
    assert ag.zeros(5, dtype=ag.float64).exponential_().min().item() >= 0
    with pytest.raises(errors.ArgumentError, match='lambd must be > 0'):
        x.exponential_(0)


# --- shapes, grids, distances --------------------------------------------------------------
def test_movedim_and_stacking_shapes():
    x = ag.zeros(2, 3, 4)
    assert ag.movedim(x, (0, 1), (2, 0)).shape == np.moveaxis(np.zeros((2, 3, 4)), (0, 1), (2, 0)).shape
    with pytest.raises(errors.ArgumentError, match='as many dims'):
        x.movedim((0, 1), 2)
    v = ag.arange(3.)
    assert ag.vstack([v, v]).shape == (2, 3) and ag.hstack([v, v]).shape == (6,)
    assert ag.dstack([v, v]).shape == (1, 3, 2) and ag.column_stack([v, v]).shape == (3, 2)
    assert ag.atleast_3d(ag.zeros(2, 3)).shape == (2, 3, 1)


def test_meshgrid_indexing():
    a, b = ag.arange(3.), ag.arange(2.)
    gi = [g.numpy() for g in ag.meshgrid(a, b, indexing='ij')]
    gx = [g.numpy() for g in ag.meshgrid([a, b], indexing='xy')]
    for got, want in zip(gi + gx, np.meshgrid(a.numpy(), b.numpy(), indexing='ij')
                         + np.meshgrid(a.numpy(), b.numpy(), indexing='xy')):
        assert np.array_equal(got, want)


def test_cdist_values_and_zero_distance_gradient():
    a, b = rng.standard_normal((4, 3)), rng.standard_normal((5, 3))
    d = np.linalg.norm(a[:, None] - b[None], axis=-1)
    assert np.allclose(ag.cdist(T(a), T(b)).numpy(), d)
    assert np.allclose(ag.cdist(T(a), T(b), p=1).numpy(), np.abs(a[:, None] - b[None]).sum(-1))
    x = ag.tensor(a, requires_grad=True)
    ag.cdist(x, x).sum().backward()
    assert np.isfinite(x.grad.numpy()).all()


def test_unfold_windows_and_errors():
    x = ag.arange(7.)
    assert x.unfold(0, 3, 2).tolist() == [[0, 1, 2], [2, 3, 4], [4, 5, 6]]
    assert ag.zeros(2, 5, 3).unfold(1, 2, 1).shape == (2, 4, 3, 2)
    with pytest.raises(errors.ArgumentError, match='step 0'):
        x.unfold(0, 2, 0)


def test_searches_and_counts():
    s = ag.tensor([1.0, 3.0, 5.0])
    assert ag.searchsorted(s, ag.tensor([3.0, 6.0])).tolist() == [1, 3]
    assert ag.searchsorted(s, ag.tensor([3.0]), side='right').tolist() == [2]
    with pytest.raises(errors.ArgumentError, match='side'):
        ag.searchsorted(s, s, side='left', right=True)
    assert ag.bucketize(ag.tensor([3.0, 0.0]), s, out_int32=True).dtype == ag.int32
    with pytest.raises(errors.DtypeError, match='histc'):
        ag.histc(ag.tensor([1, 2]))
    assert ag.histc(ag.tensor([2.0, 2.0])).sum().item() == 2       # min == max: widened by 1


def test_diff_of_bools_is_not_equal():
    assert ag.diff(ag.tensor([True, True, False])).tolist() == [False, True]


# --- tensors, devices, threads ----------------------------------------------------------------
def test_type_names():
    x = ag.zeros(2)
    assert x.type() == 'torch.FloatTensor' and x.long().type() == 'torch.LongTensor'
    assert x.type('torch.DoubleTensor').dtype == ag.float64
    assert x.type(ag.IntTensor).dtype == ag.int32


def test_device_as_a_context_manager_sets_the_default():
    before = ag.backends.default_device()
    with ag.device('cpu') as d:
        assert d == 'cpu' and ag.zeros(1).device == 'cpu'
        assert ag.backends.default_device() == 'cpu'
    assert ag.backends.default_device() == before


def test_thread_counts_are_stored():
    old = ag.get_num_threads()
    ag.set_num_threads(3)
    assert ag.get_num_threads() == 3
    ag.set_num_threads(old)
    with pytest.raises(ValueError, match='set_num_threads: num must be at least 1'):
        ag.set_num_threads(0)
    ag.set_num_interop_threads(2)
    assert ag.get_num_interop_threads() == 2
