"""Examples, part A: each runs in smoke mode (tiny data, a few steps) and shows what it claims."""
import os

import numpy as np


def test_linear_regression_recovers_w_and_b(run_example):
    r = run_example("linear_regression")
    assert r["max_abs_err_w"] < 0.02 and r["abs_err_b"] < 0.02
    np.testing.assert_allclose(r["w_hat"], r["w_true"], atol=0.02)
    assert r["losses"][-1] < 1e-3 * r["losses"][0]            # the loss fell to near the noise floor
    assert r["losses"][-1] < 3 * r["noise"] ** 2


def test_softmax_regression_learns_above_chance(run_example):
    r = run_example("softmax_regression")
    assert r["final_train_loss"] < r["first_loss"]             # starts at ln 10 (W = 0)
    assert abs(r["first_loss"] - np.log(10)) < 1e-4
    assert r["test_acc"] > 0.3                                 # chance is 0.1


def test_xor_linear_fails_mlp_solves(run_example):
    r = run_example("xor")
    assert r["truth_linear_acc"] <= 0.75                       # no line gets all four points
    assert r["truth_mlp_acc"] == 1.0
    assert r["linear_test_acc"] < 0.65                         # near chance on the noisy cloud
    assert r["mlp_test_acc"] > 0.85 and r["mlp_test_acc"] > r["true_boundary_test_acc"] - 0.06   # near the best possible
    assert r["linear_loss"][-1] > 0.6 and r["mlp_loss"][-1] < r["mlp_loss"][0] / 2


def test_mlp_learns_and_an_interrupted_run_resumes_exactly(run_example, tmp_path):
    r = run_example("mlp", "--epochs", "4")
    h = r["history"]
    assert h["train_loss"][-1] < h["train_loss"][0] and h["val_acc"][-1] > h["val_acc"][0]
    assert r["best_val_acc"] == max(h["val_acc"]) and r["test_acc"] > 0.25
    assert os.path.exists(r["checkpoint"])
    os.remove(r["checkpoint"])
    cut = run_example("mlp", "--epochs", "4", "--stop-after", "2")    # "interrupted" after 2 epochs
    assert cut["epochs_run"] == 2
    resumed = run_example("mlp", "--resume")                           # new process state: fresh model, seeds
    assert resumed["epochs_run"] == 4
    for key in ("train_loss", "val_loss", "val_acc"):
        assert resumed["history"][key] == h[key]                       # bit-identical to the straight run
    assert resumed["test_acc"] == r["test_acc"]


def test_mlp_early_stopping_stops(run_example):
    r = run_example("mlp", "--epochs", "30", "--patience", "1", "--lr", "0.5")   # a diverging lr: no progress
    assert r["stopped_early"] and r["epochs_run"] < 30
    assert r["epochs_run"] == r["best_epoch"] + 2              # patience 1: stop one epoch after the best


def test_model_selection_shows_under_and_overfitting(run_example):
    r = run_example("model_selection")
    (under_tr, under_va), (over_tr, over_va) = r["underfit"], r["overfit"]
    assert over_tr > under_tr + 0.2                            # the narrow net cannot fit the training set
    assert over_tr - over_va > under_tr - under_va + 0.05      # the wide net's generalisation gap
    best = r["results"][f"{r['best_width']}/{r['best_weight_decay']:g}"]
    assert best["val_acc"] == max(v["val_acc"] for v in r["results"].values())


def test_batch_size_small_batches_learn_more_per_epoch(run_example):
    r = run_example("batch_size")
    same = {row["batch_size"]: row for row in r["rows"] if row["rule"] == "same lr"}
    small, large = min(same), max(same)
    assert same[small]["steps"] > same[large]["steps"]
    assert same[small]["test_acc"] > same[large]["test_acc"] + 0.1
    assert all(row["time_per_epoch"] > 0 for row in r["rows"])


def test_autoencoder_reconstruction_improves_and_grid_is_a_png(run_example):
    r = run_example("autoencoder")
    assert r["ae_err"] < 0.6 * r["initial_err"]
    assert [e for _, e in r["history"]][-1] < r["history"][0][1]
    with open(r["image"], "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"


def test_loss_functions_cross_entropy_learns_faster(run_example):
    r = run_example("loss_functions")
    mse_g, ce_g = r["neuron_first_grad"]
    assert ce_g > 20 * mse_g                                   # sigma'(z) shrinks the squared error's gradient
    assert r["neuron_mse_out"][49] > 0.9 and r["neuron_ce_out"][49] < 0.2
    curves = r["curves"]
    assert curves["cross-entropy (softmax)"][-1] > curves["squared error (softmax)"][-1] + 0.1


def test_examples_share_the_command_line(run_example, capsys):
    import _common as C
    p = C.make_parser("doc")
    a = p.parse_args([])
    assert (a.full, a.device, a.data, a.smoke, a.seed) == (False, "cpu", "default", False, 0)
    assert a.out.endswith(os.path.join("examples", "out"))
    assert C.select_device("cuda") in ("cpu", "cuda")
    X, y = C.synthetic_digits(50, seed=3)
    X2, y2 = C.synthetic_digits(50, seed=3)
    assert X.shape == (50, 1, 28, 28) and X.dtype == np.float32 and 0 <= X.min() and X.max() <= 1
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
