"""`scalargrad train/eval` with the CNN on image sets and the RNN/LSTM/GRU on sequence sets (few steps)."""

from __future__ import annotations

import re

import pytest

import nn
from nn.cli.choices import DATASETS, training_defaults
from nn.cli.main import main
from nn.cli.runs import TrainSettings, train
from nn.training import accuracy


def accuracy_line(text: str, kind: str = "") -> str:
    match = re.search(rf"{kind}accuracy: ([\d.]+% \(\d+/\d+\))", text)
    assert match, text
    return match.group(1)


@pytest.mark.parametrize(
    ("data", "model", "hidden", "cls"),
    [
        ("bars", "cnn", "", nn.Sequential),
        ("shapes", "cnn", "4", nn.Sequential),
        ("parity", "rnn", "3", nn.RNNClassifier),
        ("counting", "lstm", "3", nn.RNNClassifier),
        ("chars", "gru", "3,2", nn.RNNClassifier),
    ],
)
def test_train_save_and_eval_round_trip(tmp_path, capsys, data, model, hidden, cls):
    path = tmp_path / "model.json"
    argv = ["train", "--data", data, "--model", model, "--hidden", hidden, "--steps", "3", "--samples", "12",
            "--holdout", "0.5"]
    assert main([*argv, "--optimizer", "adam", "--save", str(path), "--no-progress"]) == 0
    trained = capsys.readouterr().out
    loaded = nn.load(path)
    assert isinstance(loaded, cls)
    assert main(["eval", str(path)]) == 0
    evaluated = capsys.readouterr().out
    # eval regenerates the same held-out samples, so the reloaded model must score exactly as the trained one did
    assert accuracy_line(evaluated, "held-out ") == accuracy_line(trained, "held-out ")
    assert accuracy_line(evaluated, "held-out ").endswith("/6)")


def train_one_step(path, data: str, model: str, hidden: str) -> nn.Module:
    """`scalargrad train` for one step on a few samples, saved to `path` and loaded back."""
    argv = ["train", "--data", data, "--model", model, "--hidden", hidden, "--steps", "1", "--samples", "4"]
    assert main([*argv, "--save", str(path), "--no-progress"]) == 0
    return nn.load(path)


def test_cnn_architecture_and_recurrent_layers_follow_the_options(tmp_path):
    model = train_one_step(tmp_path / "cnn.json", "bars", "cnn", "5")
    assert [type(m).__name__ for m in model] == ["Conv2d", "ReLU", "MaxPool2d", "Flatten", "MLP"]
    assert model[4].config()["nouts"] == [5, 1]  # hinge loss on two classes: one score
    config = train_one_step(tmp_path / "gru.json", "chars", "gru", "4,3").config()
    assert config["cell"] == "gru" and config["hidden_size"] == [4, 3]
    assert config["output_size"] == len(nn.data.vocabulary(nn.data.TEXT))


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--data", "bars", "--model", "lstm"], "error: --model: the lstm model reads sequences, but the bars data set "
                                                "holds images: bars fits --model cnn, lstm fits --data parity/"),
        (["--data", "parity", "--model", "cnn"], "the cnn model reads images, but the parity data set holds sequences"),
        (["--data", "moons", "--model", "gru"], "the gru model reads sequences, but the moons data set holds points"),
        (["--data", "moons", "--model", "cnn"], "error: --model: the cnn model reads images, but the moons data set "
                                                "holds points: moons fits --model mlp, cnn fits --data bars/shapes/"),
        (["--data", "counting", "--model", "rnn", "--hidden", ""], "hidden_size must be a size or a non-empty list"),
    ],
)
def test_unfit_pairs_are_one_line_errors(capsys, argv, message):
    assert main(["train", *argv, "--steps", "1", "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("data", ["parity", "counting", "chars"])
def test_noise_is_refused_for_sets_without_noise(capsys, data):
    argv = ["train", "--data", data, "--model", "rnn", "--noise", "0.3", "--steps", "1", "--no-progress"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert f"error: --noise: the {data} data set has no noise, so noise 0.3 does not apply to it" in err
    assert len(err.strip().splitlines()) == 1


def test_each_model_family_fills_in_only_what_was_not_given():
    assert training_defaults("cnn", 2, None, None, None, None) == ([32], "adam", "hinge", 0.01)
    assert training_defaults("lstm", 2, None, None, None, None) == ([8], "adam", "cross_entropy", 0.05)
    assert training_defaults("rnn", 5, None, None, None, None) == ([8], "adam", "cross_entropy", 0.1)
    assert training_defaults("mlp", 2, None, None, None, None) == ([16, 16], "sgd", "hinge", 1.0)
    # The family's lr belongs to its optimizer: with another optimizer, that optimizer's default is used.
    assert training_defaults("rnn", 2, [3], "sgd", "hinge", None) == ([3], "sgd", "hinge", 1.0)
    assert training_defaults("gru", 2, [], "adam", "mse", 0.2) == ([], "adam", "mse", 0.2)


@pytest.mark.parametrize(
    ("data", "model", "n_samples", "steps", "least"),
    [("bars", "cnn", 40, 30, 0.9), ("parity", "lstm", 40, 60, 0.85)],
)
def test_model_family_defaults_learn_image_and_sequence_sets(data, model, n_samples, steps, least):
    # With the old shared defaults (16,16 hidden, sgd at lr 1, hinge) parity + lstm stayed at chance.
    hidden, optimizer, loss, lr = training_defaults(model, DATASETS[data].n_classes, None, None, None, None)
    settings = TrainSettings(data=data, model=model, n_samples=n_samples, hidden=hidden, optimizer=optimizer,
                             loss=loss, lr=lr, steps=steps, holdout=0.0, progress=False).resolved()
    run = train(settings)
    assert accuracy(run.model, *run.train) >= least


@pytest.mark.parametrize(("data", "model", "steps"), [("bars", "cnn", "40"), ("parity", "rnn", "100")])
def test_the_command_line_defaults_learn_image_and_sequence_sets(capsys, data, model, steps):
    # no --hidden/--optimizer/--lr: the model family's defaults must be ones that learn
    assert main(["train", "--data", data, "--model", model, "--steps", steps, "--samples", "60", "--no-progress"]) == 0
    shown = accuracy_line(capsys.readouterr().out)
    assert float(shown.split("%")[0]) >= 85.0, shown
