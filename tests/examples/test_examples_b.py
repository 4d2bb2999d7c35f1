"""Examples, part B: each runs in smoke mode (tiny data, a few steps) and shows what it claims."""
import math

import numpy as np


def test_activations_init_vanish_explode_steady_and_dying_relus(run_example):
    r = run_example("activations_init")
    h = r["health"]
    assert len(h["sigmoid-default"]["weight_grad"]) == 30
    # sigmoid: the first layer's gradient is many orders of magnitude below the last layer's
    assert h["sigmoid-default"]["first_over_last"] < 1e-10
    assert h["sigmoid-default"]["verdict"] == "vanishing"
    # N(0, 1) weights with ReLU: gradients explode (each layer multiplies by ~sqrt(width / 2))
    assert max(h["relu-normal"]["weight_grad"]) > 1e15 and h["relu-normal"]["verdict"] == "exploding"
    assert not r["trained"]["relu-normal"]["finite"]            # and SGD overflows
    # PyTorch's default init (variance 1 / (3 fan_in)) shrinks a ReLU signal by sqrt(6) per layer
    assert h["relu-default"]["verdict"] == "vanishing"
    # Kaiming (ReLU) and Xavier (tanh) keep every layer's gradient norm in a band
    assert h["relu-kaiming"]["max_over_min"] < 10 and h["relu-kaiming"]["verdict"] == "steady"
    assert h["tanh-xavier"]["max_over_min"] < 100 and h["tanh-xavier"]["verdict"] == "steady"
    std = h["relu-kaiming"]["act_std"]
    assert 0.3 < min(std) and max(std) < 3                      # activations keep their scale too
    # a learning rate that is too high kills ReLUs; a sound one does not
    d = r["dying"]
    assert d["too_high"]["dead_after"] > 0.5
    assert d["too_high"]["dead_after"] > d["sound"]["dead_after"] + 0.3


def test_cnn_learns_in_a_few_steps(run_example):
    r = run_example("cnn")
    assert r["model"] == "net" and r["n_params"] == 1_199_882      # pytorch/examples' Net, layer for layer
    assert r["final_test_loss"] < r["init_loss"] - 0.2
    assert r["final_acc"] > max(0.3, r["init_acc"] + 0.15)       # chance is 0.1
    assert [h["lr"] for h in r["history"]] == [1.0, 0.7]          # StepLR, gamma 0.7 per epoch


def test_cnn_variants_build_and_train(run_example):
    params = {}
    for model in ("lenet", "nin", "inception"):
        r = run_example("cnn", "--model", model, "--epochs", "1", "--train-size", "64", "--test-size", "100")
        assert math.isfinite(r["final_test_loss"])
        params[model] = r["n_params"]
    assert params["lenet"] == 61_706                             # LeNet-5 (conv 6, conv 16, fc 120, 84, 10)
    assert params["nin"] < 50_000 < params["inception"]         # 1x1 convs + global pooling: few parameters


def test_resnet_residual_blocks_train_where_plain_deep_net_stalls(run_example):
    r = run_example("resnet", "--models", "plain-deep,resnet-deep")
    plain, res = r["results"]["plain-deep"], r["results"]["resnet-deep"]
    assert plain["depth"] == res["depth"] == 30
    assert res["train_loss"] < plain["train_loss"] - 0.1
    assert res["final_batch_loss"] < plain["final_batch_loss"]
    assert res["test_acc"] > plain["test_acc"]


def test_word2vec_loss_falls(run_example):
    r = run_example("word2vec")
    assert abs(r["initial_loss"] - 6 * math.log(2)) < 1e-3        # all scores 0 at the start (v = 0)
    assert r["history"][-1]["probe_loss"] < r["initial_loss"] - 1.0
    assert r["history"][-1]["train_loss"] < r["history"][0]["train_loss"]
    assert set(r["neighbours"]) and all(len(v) == 6 for v in r["neighbours"].values())


def test_char_rnn_bits_per_char_fall_for_every_cell(run_example):
    for cell in ("lstm", "gru", "rnn"):
        r = run_example("char_rnn", "--cell", cell)
        bpc = [h["val_bpc"] for h in r["history"]]
        assert abs(bpc[0] - math.log2(96)) < 0.3                  # untrained: about a uniform guess
        assert bpc[-1] < bpc[0] - 1.0 and bpc[-1] < bpc[1]        # falls, and keeps falling
        assert len(r["sample"]) == len("The ") + 40


def test_optimizers_all_reduce_the_loss_and_escape_the_saddle(run_example):
    r = run_example("optimizers")
    for name, res in r["results"].items():
        assert res["last_loss"] < res["first_loss"], name
        assert res["lrs"][0] < res["lrs"][1] <= res["lr"] + 1e-12, name        # linear warm-up ...
        assert res["lrs"][-1] < 0.2 * res["lr"], name                           # ... then cosine decay
    s = r["surface"]
    assert all(v["escaped_at"] is not None and v["final"] < -0.24 for v in s.values())
    assert s["momentum"]["escaped_at"] < s["SGD"]["escaped_at"]
    assert s["Adam"]["escaped_at"] < s["SGD"]["escaped_at"]


def test_critical_points_saddle_then_escape(run_example):
    r = run_example("critical_points")
    assert r["warm_up"]["eigs"] == [-2.0, 2.0] or np.allclose(r["warm_up"]["eigs"], [-2.0, 2.0])
    # the crafted point is critical (gradient ~0) with a clearly negative eigenvalue: a saddle
    assert r["saddle_grad_norm"] < 1e-8
    assert min(r["saddle_eigs"]) < -0.1 and r["saddle_kind"].startswith("saddle")
    # the loss falls along the negative-curvature eigenvector, as the quadratic model predicts
    for a, loss, predicted in r["steps_along"][:2]:
        assert loss < r["saddle_loss"] and abs(loss - predicted) < 0.1 * (r["saddle_loss"] - predicted)
    assert abs(r["stay_loss"] - r["saddle_loss"]) < 1e-9       # gradient descent alone stays put
    assert r["escaped_loss"] < 0.1 * r["saddle_loss"]          # after the escape it goes far lower
    assert min(r["escaped_eigs"]) > -1e-3 * max(r["escaped_eigs"])
    # Lanczos with Hessian-vector products finds the extreme eigenvalues of the exact Hessian
    lo, hi = r["exact_extremes"]
    assert abs(r["lanczos"][-1] - hi) < 1e-6 * abs(hi)
    assert abs(r["lanczos"][0] - lo) < 1e-3 * abs(hi)
