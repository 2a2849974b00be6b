"""The real data sets bundled with scikit-learn, in the project's formats, and the seeded train/test split."""

from __future__ import annotations

import sys

import pytest

from nn.data import DIGIT_CLASSES, IRIS_CLASSES, load_digits, load_iris, train_test_split


def needs_sklearn() -> None:
    pytest.importorskip("sklearn", reason="scikit-learn (the lessons/test extra) is not installed")


def test_digits_are_1797_one_channel_8x8_images_in_0_1_with_labels_0_to_9() -> None:
    needs_sklearn()
    X, y = load_digits()
    assert len(X) == len(y) == 1797
    assert all(len(img) == 1 and len(img[0]) == 8 and all(len(row) == 8 for row in img[0]) for img in X)
    pixels = [p for img in X for row in img[0] for p in row]
    assert min(pixels) == 0.0 and max(pixels) == 1.0 and all(isinstance(p, float) for p in pixels)
    assert sorted(set(y)) == list(range(10)) == [int(c) for c in DIGIT_CLASSES]
    assert all(170 <= y.count(k) <= 185 for k in range(10))  # about 180 of each digit
    # the first image is scikit-learn's first, a zero: its middle row has ink 8/16 left and 9/16 right, none inside
    assert y[0] == 0 and X[0][0][4] == [0.0, 5 / 16, 0.5, 0.0, 0.0, 9 / 16, 0.5, 0.0]


def test_iris_is_150_rows_of_4_standardized_features_or_raw_centimetres() -> None:
    needs_sklearn()
    X, y = load_iris()
    assert len(X) == 150 and all(len(row) == 4 for row in X)
    assert [y.count(k) for k in range(len(IRIS_CLASSES))] == [50, 50, 50]
    for column in zip(*X):
        mean = sum(column) / 150
        assert abs(mean) < 1e-12 and abs(sum((v - mean) ** 2 for v in column) / 150 - 1) < 1e-12
    raw, _ = load_iris(standardize=False)
    assert raw[0] == [5.1, 3.5, 1.4, 0.2]  # the first flower, in cm


@pytest.mark.parametrize("loader", [load_digits, load_iris])
def test_without_sklearn_the_error_names_the_extra_to_install(monkeypatch: pytest.MonkeyPatch, loader) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setitem(sys.modules, "sklearn", None)  # makes `import sklearn` raise ImportError
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    with pytest.raises(ImportError, match=rf"{loader.__name__}\(\).*scikit-learn.*scalargrad\[lessons\]"):
        loader()


def test_the_split_holds_out_a_fraction_deterministically_and_keeps_pairs() -> None:
    X = [[float(i)] for i in range(20)]
    y = [i % 3 for i in range(20)]
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, seed=0)
    assert len(X_test) == 5 and len(X_train) == 15
    assert sorted(x[0] for x in X_train + X_test) == [float(i) for i in range(20)]  # a partition, nothing lost
    assert all(int(x[0]) % 3 == label for x, label in zip(X_train + X_test, y_train + y_test))
    assert train_test_split(X, y, test_size=0.25, seed=0) == (X_train, X_test, y_train, y_test)
    assert train_test_split(X, y, test_size=0.25, seed=1)[1] != X_test


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"test_size": 0.0}, ValueError, "test_size must be a finite number > 0"),
        ({"test_size": 1.0}, ValueError, "between 0 and 1"),
        ({"test_size": 0.99}, ValueError, "leaves nothing to train on"),
        ({"test_size": "half"}, TypeError, "test_size must be a number"),
    ],
)
def test_the_split_refuses_bad_sizes(kwargs: dict, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        train_test_split([[0.0]] * 10, [0] * 10, **kwargs)


def test_the_split_refuses_mismatched_lengths() -> None:
    with pytest.raises(ValueError, match="X has 3 samples but y has 2 labels"):
        train_test_split([[0.0]] * 3, [0, 1])


def test_the_command_line_trains_a_cnn_on_digits_and_an_mlp_on_iris(capsys: pytest.CaptureFixture[str]) -> None:
    needs_sklearn()
    from nn.cli.main import main

    assert main(["train", "--data", "digits", "--model", "cnn", "--steps", "60", "--samples", "400",
                 "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "digits (400 samples" in out
    accuracy = float(out.split("training accuracy: ")[1].split("%")[0])
    assert accuracy >= 70.0, out  # 60 minibatches of 16 from 10 chance-level classes
    assert main(["train", "--data", "iris", "--steps", "60", "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert float(out.split("training accuracy: ")[1].split("%")[0]) >= 90.0, out


def test_the_command_line_refuses_more_digits_than_there_are(capsys: pytest.CaptureFixture[str]) -> None:
    needs_sklearn()
    from nn.cli.main import main

    assert main(["train", "--data", "digits", "--model", "cnn", "--samples", "5000", "--no-progress"]) == 2
    assert "the digits data set has 1797 samples, so it cannot give 5000" in capsys.readouterr().err
