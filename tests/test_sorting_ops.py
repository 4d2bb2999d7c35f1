"""Values of sort, topk, argsort, cumsum/cumprod, tril/triu, diagonal, multinomial, unique,
bincount and the small elementwise ops, against NumPy (gradients: test_op_gradients.py)."""
import numpy as np
import pytest

import autograd as ag

rng = np.random.default_rng(7)


def test_sort_matches_numpy_stable_order_both_ways():
    a = rng.integers(0, 4, (3, 7)).astype(np.float32)          # many ties
    v, i = ag.sort(ag.tensor(a), dim=1)
    np.testing.assert_array_equal(i.numpy(), np.argsort(a, 1, kind='stable'))
    np.testing.assert_array_equal(v.numpy(), np.sort(a, 1))
    v, i = ag.tensor(a).sort(dim=0, descending=True, stable=True)
    expected = np.argsort(-a, 0, kind='stable')                # ties keep their order
    np.testing.assert_array_equal(i.numpy(), expected)
    np.testing.assert_array_equal(v.numpy(), np.take_along_axis(a, expected, 0))
    assert i.dtype == np.int64 and v.dtype == np.float32
    assert type(ag.sort(ag.tensor(a))).__name__ == 'sort'


def test_sort_puts_nan_last_ascending_and_first_descending():
    x = ag.tensor([3.0, float('nan'), 1.0])
    assert ag.sort(x).indices.tolist() == [2, 0, 1]
    assert ag.sort(x, descending=True).indices.tolist() == [1, 0, 2]


def test_sort_descending_works_for_bool_and_unsigned():
    x = ag.tensor(np.array([3, 0, 200, 7], dtype=np.uint8))
    assert ag.sort(x, descending=True).values.tolist() == [200, 7, 3, 0]
    b = ag.tensor([False, True, False])
    assert ag.argsort(b, descending=True).tolist() == [1, 0, 2]


def test_topk_largest_and_smallest_in_order():
    a = rng.standard_normal((4, 9))
    v, i = ag.topk(ag.tensor(a), 3)
    order = np.argsort(-a, 1)[:, :3]
    np.testing.assert_array_equal(i.numpy(), order)
    np.testing.assert_array_equal(v.numpy(), np.take_along_axis(a, order, 1))
    v, i = ag.tensor(a).topk(2, dim=0, largest=False)
    np.testing.assert_array_equal(i.numpy(), np.argsort(a, 0)[:2])
    assert ag.topk(ag.tensor(a), 0).values.shape == (4, 0)
    assert ag.topk(ag.tensor(a), 9).indices.tolist() == np.argsort(-a, 1).tolist()


def test_topk_out_of_range_names_k_and_the_dim():
    with pytest.raises(IndexError, match=r"topk: selected index k=4 out of range.*has 3"):
        ag.topk(ag.ones(3), 4)


def test_argsort_is_not_differentiable():
    x = ag.tensor([2.0, 1.0], requires_grad=True)
    assert not ag.argsort(x).requires_grad
    assert ag.sort(x).values.requires_grad and not ag.sort(x).indices.requires_grad


def test_cumsum_cumprod_values_and_dtypes():
    a = rng.standard_normal((3, 4))
    np.testing.assert_allclose(ag.cumsum(ag.tensor(a), 1).numpy(), np.cumsum(a, 1))
    np.testing.assert_allclose(ag.tensor(a).cumprod(dim=-2).numpy(), np.cumprod(a, 0))
    assert ag.cumsum(ag.tensor([1, 2], dtype=ag.int32), 0).dtype == np.int64
    assert ag.cumsum(ag.tensor([True, True]), 0).tolist() == [1, 2]
    assert ag.cumsum(ag.ones(3), 0, dtype=ag.float64).dtype == np.float64
    with pytest.raises(IndexError, match="cumsum: dim 2 is out of range"):
        ag.cumsum(ag.ones(3), 2)


def test_cumprod_gradient_with_zeros_matches_the_product_rule():
    x = np.array([2.0, 0.0, 3.0, 0.0, 5.0])
    t = ag.tensor(x, requires_grad=True)
    ag.cumprod(t, 0).sum().backward()
    # d/dx_i sum_j prod_{k<=j} x_k = sum_{j>=i} prod_{k<=j, k!=i} x_k
    expected = [sum(np.prod(np.delete(x[:j + 1], i)) for j in range(i, 5)) for i in range(5)]
    np.testing.assert_allclose(t.grad.numpy(), expected)


def test_tril_triu_match_numpy_and_need_two_dims():
    a = rng.standard_normal((2, 3, 4))
    for k in (-1, 0, 2):
        np.testing.assert_array_equal(ag.tril(ag.tensor(a), k).numpy(), np.tril(a, k))
        np.testing.assert_array_equal(ag.tensor(a).triu(diagonal=k).numpy(), np.triu(a, k))
    with pytest.raises(ag.errors.ShapeError, match="tril: input tensor must have at least 2"):
        ag.tril(ag.ones(3))


def test_diagonal_diag_trace_match_numpy():
    a = rng.standard_normal((3, 4, 5))
    for off in (-2, 0, 1):
        np.testing.assert_array_equal(ag.diagonal(ag.tensor(a), off, 0, 2).numpy(),
                                      np.diagonal(a, off, 0, 2))
    m = rng.standard_normal((3, 4))
    np.testing.assert_array_equal(ag.diag(ag.tensor(m), 1).numpy(), np.diag(m, 1))
    v = rng.standard_normal(3)
    np.testing.assert_array_equal(ag.tensor(v).diag(-1).numpy(), np.diag(v, -1))
    assert ag.trace(ag.tensor(m)).item() == pytest.approx(np.trace(m))
    with pytest.raises(ag.errors.ShapeError, match="trace: expected a matrix"):
        ag.trace(ag.ones(2, 2, 2))


def test_multinomial_is_governed_by_manual_seed():
    p = ag.tensor([[0.1, 0.2, 0.7], [0.5, 0.5, 0.0]])
    ag.manual_seed(3)
    a = ag.multinomial(p, 5, replacement=True)
    ag.manual_seed(3)
    b = p.multinomial(5, replacement=True)
    assert a.tolist() == b.tolist() and a.dtype == np.int64 and a.shape == (2, 5)


def test_multinomial_frequencies_follow_the_weights():
    ag.manual_seed(0)
    draws = ag.multinomial(ag.tensor([1.0, 0.0, 3.0]), 20000, replacement=True).numpy()
    freq = np.bincount(draws, minlength=3) / draws.size
    np.testing.assert_allclose(freq, [0.25, 0.0, 0.75], atol=0.015)
    # without replacement: the first draw follows the weights, the rest are distinct
    firsts = np.array([ag.multinomial(ag.tensor([1.0, 3.0, 0.0]), 2).tolist() for _ in range(2000)])
    assert (firsts[:, 0] == 1).mean() == pytest.approx(0.75, abs=0.04)
    assert all(sorted(r) == [0, 1] for r in firsts)


def test_multinomial_bad_input_raises_clearly():
    with pytest.raises(ValueError, match="inf, nan or an element < 0"):
        ag.multinomial(ag.tensor([-1.0, 1.0]), 1)
    with pytest.raises(ValueError, match="sum to 0"):
        ag.multinomial(ag.tensor([0.0, 0.0]), 1, True)
    with pytest.raises(ag.errors.DtypeError, match="floating-point"):
        ag.multinomial(ag.tensor([1, 2]), 1)
    with pytest.raises(ValueError, match="without replacement"):
        ag.multinomial(ag.tensor([1.0, 2.0]), 3)


def test_unique_and_bincount_match_numpy():
    a = rng.integers(0, 5, 20)
    u, inv, counts = ag.unique(ag.tensor(a), return_inverse=True, return_counts=True)
    ru, rinv, rcounts = np.unique(a, return_inverse=True, return_counts=True)
    for ours, ref in ((u, ru), (inv, rinv), (counts, rcounts)):
        np.testing.assert_array_equal(ours.numpy(), ref)
    rows = ag.tensor([[1, 2], [1, 2], [0, 1]])
    assert ag.unique(rows, dim=0).tolist() == [[0, 1], [1, 2]]
    w = rng.standard_normal(20).astype(np.float32)
    np.testing.assert_allclose(ag.bincount(ag.tensor(a), ag.tensor(w), minlength=7).numpy(),
                               np.bincount(a, w, minlength=7), rtol=1e-6)
    assert ag.bincount(ag.tensor(a)).dtype == np.int64
    with pytest.raises(ValueError, match="non-negative integral"):
        ag.bincount(ag.tensor([-1, 2]))


def test_masked_select_logical_lerp_clamp_min_max():
    a = rng.standard_normal((2, 3))
    mask = np.array([True, False, True])
    np.testing.assert_array_equal(ag.masked_select(ag.tensor(a), ag.tensor(mask)).numpy(),
                                  a[np.broadcast_to(mask, a.shape)])
    with pytest.raises(ag.errors.DtypeError, match="mask must be a bool tensor"):
        ag.masked_select(ag.tensor(a), ag.ones(3))
    assert ag.logical_xor(ag.tensor([1, 0]), ag.tensor([1.0, 1.0])).tolist() == [False, True]
    assert ag.tensor([0, 2]).logical_not().tolist() == [True, False]
    np.testing.assert_allclose(ag.lerp(ag.tensor(a), ag.tensor(a * 3), 0.25).numpy(), a * 1.5)
    np.testing.assert_array_equal(ag.clamp_min(ag.tensor(a), 0.1).numpy(), np.maximum(a, 0.1))
    np.testing.assert_array_equal(ag.tensor(a).clamp_max(0.1).numpy(), np.minimum(a, 0.1))
