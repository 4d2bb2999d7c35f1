"""PyTorch-style programs (this folder) run as scripts with only their imports changed;
each must train to a stated loss or accuracy, or match a stored value.

Each script runs in-process as __main__ (runpy); its globals are checked afterwards."""
def test_transformer_lm_learns_the_text(run_port):
    g, out = run_port("transformer_lm")
    losses = g["losses"]
    assert losses[0] > 3.0                               # about ln(vocab_size) at the start
    assert sum(losses[-10:]) / 10 < 0.6                  # memorising a 150-character text
    assert g["sample"].startswith("the quick ") and "final loss" in out


def test_lbfgs_curve_fit_recovers_the_parameters(run_port):
    g, out = run_port("lbfgs_curve_fit")
    fit = g["fitted"]
    assert abs(fit["amplitude"] - 2.0) < 0.03 and abs(fit["decay"] - 0.5) < 0.01
    assert abs(fit["freq"] - 3.0) < 0.01 and abs(fit["phase"] - 0.3) < 0.02
    assert g["final_loss"] < 1.1 * 0.02 ** 2             # down to the noise floor
    assert "epoch 4: loss" in out


def test_cnn_with_dropout2d_classifies_strokes(run_port):
    g, out = run_port("cnn_dropout2d")
    assert g["epoch_losses"][-1] < 0.3 < g["epoch_losses"][0]
    assert g["accuracy"] > 0.95                          # chance is 0.25
    assert "accuracy" in out and isinstance(g["model"].dropout1, g["nn"].Dropout2d)


def test_mlp_classifier_with_device_and_dataloader(run_port):
    g, out = run_port("mlp_classifier")
    assert g["epoch_loss"] < 0.15 and g["accuracy"] > 0.95      # chance is 1/3
    assert "using cpu" in out and "epoch 30  loss 0." in out


def test_custom_function_gradchecks_and_trains(run_port):
    g, out = run_port("custom_function")
    assert g["grad_ok"] is True and "gradcheck: True" in out
    assert g["losses"][0] > 0.2 and g["losses"][-1] < 0.01


def test_packed_lstm_uses_the_last_real_element(run_port):
    g, out = run_port("packed_lstm")
    assert g["accuracy"] > 0.9                           # padding-blind models sit near 0.5
    lengths = g["lengths"]
    assert g["out"].shape == (256, int(max(lengths.tolist())), 16)
    assert g["out_lengths"].tolist() == lengths.tolist()


def test_save_load_round_trip_and_resume(run_port):
    g, out = run_port("save_load")
    assert g["same_outputs"] is True and g["start_epoch"] == 20
    assert g["resumed_loss"] == g["continued_loss"]      # resuming is exact
    assert g["loaded"]["note"] == "hello"
    assert g["torch"].equal(g["loaded"]["w"], g["model"].state_dict()["0.weight"])
