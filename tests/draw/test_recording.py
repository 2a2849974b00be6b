"""nn.Recorder keeps what the model was at each recorded step, checked against values read another way."""

from __future__ import annotations

import html
import json
import math
import re
import warnings
from pathlib import Path
from typing import Any

import pytest

import nn
from nn.cli.choices import DATASETS, build_model
from nn.data import make_moons
from nn.training import fit
from nn.watch import live
from nn.watch.page import training_page
from nn.watch.recorder import MAX_DRAWN_NEURONS, Recorder


def _moons(n: int = 24) -> tuple[list[list[float]], list[int]]:
    return make_moons(n, noise=0.1, seed=3)


def _float_forward(weights: list[list[list[float]]], biases: list[list[float]], x: list[float]) -> list[list[float]]:
    """Each layer's outputs of a relu MLP with a linear last layer, in plain floats from the given weights."""
    outputs = []
    for k, (w, b) in enumerate(zip(weights, biases)):
        z = [sum(wi * xi for wi, xi in zip(row, x)) + bi for row, bi in zip(w, b)]
        x = z if k == len(weights) - 1 else [max(0.0, v) for v in z]
        outputs.append(x)
    return outputs


def test_a_hand_written_loop_records_the_models_weights_gradients_and_outputs() -> None:
    X, y = _moons()
    model = nn.MLP(2, [4, 3, 1], seed=1)
    opt = nn.optim.SGD(model.parameters(), lr=0.3)
    rec = Recorder(X, y, every=3, sample=5)
    seen: dict[int, dict[str, Any]] = {}
    for step in range(10):
        loss = nn.hinge_loss([model(x) for x in X], [2.0 * c - 1.0 for c in y])
        opt.zero_grad()
        loss.backward()
        # Read back through state_dict (the saving path), not through the recorder's walk over neurons.
        state = model.state_dict()
        grads = {name: p.grad for name, p in model.named_parameters()}
        seen[step] = {"state": state, "grads": grads, "loss": loss.data}
        rec.record(step, model, loss=loss, accuracy=0.5)  # a Value counts as its data
        opt.step()

    assert [f.step for f in rec.frames] == [0, 3, 6, 9]
    for frame in rec.frames:
        state, grads = seen[frame.step]["state"], seen[frame.step]["grads"]
        assert frame.loss == seen[frame.step]["loss"] and frame.accuracy == 0.5
        weights = [[state[f"layers.{k}.neurons.{i}.w"] for i in range(n)] for k, n in enumerate([4, 3, 1])]
        biases = [[state[f"layers.{k}.neurons.{i}.b"] for i in range(n)] for k, n in enumerate([4, 3, 1])]
        for k, layer in enumerate(frame.layers):
            assert layer.weight == weights[k]
            assert layer.bias == biases[k]
            n_in = len(weights[k][0])
            assert layer.weight_grad == [[grads[f"layers.{k}.neurons.{i}.w.{j}"] for j in range(n_in)]
                                         for i in range(len(weights[k]))]
            assert layer.bias_grad == [grads[f"layers.{k}.neurons.{i}.b"] for i in range(len(weights[k]))]
        assert frame.inputs == X[5]
        expected = _float_forward(weights, biases, X[5])
        for layer, outputs in zip(frame.layers, expected):
            assert layer.output == pytest.approx(outputs, rel=1e-12, abs=1e-12)
        # The decision regions are the sign of the score computed from the recorded weights.
        assert rec.grid_axes is not None and frame.regions is not None
        xs, ys = rec.grid_axes
        for i, b in enumerate(ys):
            for j, a in enumerate(xs):
                score = _float_forward(weights, biases, [a, b])[-1][0]
                if abs(score) > 1e-9:
                    assert frame.regions[i][j] == int(score > 0), (a, b, score)


def test_fit_records_each_due_step_and_the_last_without_changing_training() -> None:
    X, y = _moons()
    plain = nn.MLP(2, [5, 1], seed=2)
    recorded = nn.MLP(2, [5, 1], seed=2)
    history = fit(plain, X, y, steps=7, schedule="constant", progress=False)
    rec = Recorder(X, y, every=3)
    history_recorded = fit(recorded, X, y, steps=7, schedule="constant", progress=False, recorder=rec)
    assert history_recorded == history
    assert [f.step for f in rec.frames] == [0, 3, 6]
    assert [f.loss for f in rec.frames] == [history.loss[s] for s in (0, 3, 6)]
    assert [f.accuracy for f in rec.frames] == [history.accuracy[s] for s in (0, 3, 6)]

    # With a constant lr, 3 steps of fit leave the weights the 4th step (step 3) starts from, and the gradients
    # of its step 2; so frame 3 holds the weights of a fresh 3-step run.
    again = nn.MLP(2, [5, 1], seed=2)
    fit(again, X, y, steps=3, schedule="constant", progress=False)
    frame = rec.frames[1]
    assert frame.layers[0].weight == [[w.data for w in n.w] for n in again.layers[0].neurons]
    assert frame.layers[1].bias == [n.b.data for n in again.layers[1].neurons]

    rec_last = Recorder(X, y, every=4)
    fit(nn.MLP(2, [5, 1], seed=2), X, y, steps=7, schedule="constant", progress=False, recorder=rec_last)
    assert [f.step for f in rec_last.frames] == [0, 4, 6]  # the last step is always kept


def test_a_full_recorder_thins_to_every_other_frame_and_keeps_memory_bounded() -> None:
    model = nn.MLP(2, [2, 1], seed=0)
    rec = Recorder(every=1, max_frames=4)
    kept = [rec.record(step, model, loss=float(step)) for step in range(10)]
    assert [f.step for f in rec.frames] == [0, 4, 8] and rec.every == 4
    assert kept == [True, True, True, True, True, False, True, False, True, False]
    assert rec.record(10, model, force=True)
    assert [f.step for f in rec.frames] == [0, 4, 8, 10]
    for step in range(11, 400):
        rec.record(step, model)
    assert len(rec.frames) <= 4 and rec.frames[0].step == 0


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        ({"every": 0}, ValueError, "every must be >= 1"),
        ({"every": 1.5}, TypeError, "every must be an int"),
        ({"max_frames": 1}, ValueError, "max_frames must be >= 2"),
        ({"grid": 1}, ValueError, "grid must be >= 2"),
        ({"grid": 101}, ValueError, "grid must be <= 100"),
        ({"sample": -1}, ValueError, "sample must be >= 0"),
        ({"sample": 24}, ValueError, "sample must index X"),
        ({"live": "yes"}, TypeError, "Recorder live must be a bool, got str"),
        ({"title": 3}, TypeError, "title must be a str"),
    ],
)
def test_bad_recorder_arguments_are_named(kwargs: dict[str, Any], error: type[Exception], words: str) -> None:
    X, y = _moons()
    with pytest.raises(error, match=re.escape(words)):
        Recorder(X, y, **kwargs)


def test_bad_data_and_bad_record_calls_are_named_and_keep_the_frames() -> None:
    X, y = _moons()
    with pytest.raises(ValueError, match="give both X and y"):
        Recorder(X)
    with pytest.raises(ValueError, match="equal length, got 24 and 3"):
        Recorder(X, y[:3])
    with pytest.raises(TypeError, match="X and y must be sequences"):
        Recorder("points", y)

    model = nn.MLP(2, [3, 1], seed=0)
    rec = Recorder(X, y)
    rec.record(0, model, loss=1.0)
    with pytest.raises(ValueError, match="step must increase: got 0 after 0"):
        rec.record(0, model)
    with pytest.raises(ValueError, match="record step must be >= 0"):
        rec.record(-1, model)
    with pytest.raises(TypeError, match="needs an nn Module"):
        rec.record(1, lambda x: x)
    with pytest.raises(TypeError, match="record loss must be a number"):
        rec.record(1, model, loss="low")
    with pytest.raises(ValueError, match=re.escape("holds frames of MLP(2, [3, 1]), not of MLP(2, [4, 1])")):
        rec.record(1, nn.MLP(2, [4, 1], seed=0))
    with pytest.raises(ValueError, match="expected 2 inputs, got 3"):
        Recorder([[1.0, 2.0, 3.0]], [0]).record(0, model)
    assert [f.step for f in rec.frames] == [0]
    with pytest.raises(TypeError, match="recorder must be an nn.Recorder"):
        fit(model, X, y, steps=1, progress=False, recorder=object())  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="no frames yet"):
        Recorder().to_html()


def test_a_network_too_wide_to_draw_keeps_summaries_and_every_neuron() -> None:
    X, y = _moons()
    model = nn.MLP(2, [MAX_DRAWN_NEURONS + 1, 1], seed=0)
    rec = Recorder(X, y)
    rec.record(0, model)
    assert rec.network is not None and not rec.network.drawn
    assert "widest layer 33 neurons, limit 32" in rec.network.note
    layer = rec.frames[-1].layers[0]
    assert layer.weight is None and layer.weight_grad is None
    assert layer.output == [n(X[0]).data for n in model.layers[0].neurons]
    weights = [w.data for n in model.layers[0].neurons for w in n.w]
    assert layer.histogram.high == -layer.histogram.low == max(abs(w) for w in weights)
    assert sum(layer.histogram.counts) == len(weights) == 2 * (MAX_DRAWN_NEURONS + 1)
    below = sum(w < layer.histogram.high * (-1 + 2 / len(layer.histogram.counts)) for w in weights)
    assert layer.histogram.counts[0] == below
    assert layer.mean_abs == pytest.approx(sum(abs(w) for w in weights) / len(weights), rel=1e-12)
    assert "Too large to draw one edge per weight" in rec.to_html()


@pytest.mark.parametrize(("family", "data"), [("cnn", "bars"), ("lstm", "counting")])
def test_cnn_and_rnn_models_get_per_layer_summaries(family: str, data: str) -> None:
    spec = DATASETS[data]
    X, y = spec.make(24, spec.noise, 0)
    model = build_model(family, data, spec.n_classes, [6], 0)
    rec = Recorder(X, y)
    fit(model, X, y, loss="cross_entropy", optimizer="adam", lr=0.05, steps=2, n_classes=spec.n_classes,
        progress=False, recorder=rec)
    assert rec.network is not None and rec.network.kind == "summary"
    frame = rec.frames[-1]
    assert frame.regions is None and frame.inputs is None
    assert sum(sum(layer.histogram.counts) for layer in frame.layers) == model.num_parameters()
    first = frame.layers[0]
    assert first.name == "0 (Conv2d)" if family == "cnn" else first.name == "layers.0.cell (LSTMCell)"
    owner = first.name.split(" (")[0]
    params = [p for name, p in model.named_parameters() if name.startswith(owner + ".")]
    # The last frame is taken before the last update, so compare its gradients (which the update leaves alone).
    assert first.mean_abs_grad == pytest.approx(sum(abs(p.grad) for p in params) / len(params), rel=1e-12)
    assert first.grad_histogram.high == max(abs(p.grad) for p in params)
    assert sum(first.grad_histogram.counts) == len(params)
    assert "is summarised layer by layer" in rec.to_html()


def _embedded(page: str) -> dict[str, Any]:
    match = re.search(r'<script type="application/json" id="recording">(.*?)</script>', page, re.S)
    assert match is not None
    data: dict[str, Any] = json.loads(match.group(1))
    return data


def test_the_page_embeds_the_frames_as_inert_json_and_fetches_nothing(tmp_path: Path) -> None:
    X, y = _moons()
    title = "</script><script>alert(1)</script> & <b>"
    rec = Recorder(X, y, title=title)
    fit(nn.MLP(2, [3, 1], seed=0), X, y, steps=3, progress=False, recorder=rec)
    path = tmp_path / "training.html"
    assert rec.save_html(path) == str(path)
    page = path.read_text(encoding="utf-8")
    assert page.count("</script>") == 2 and "alert(1)</script>" not in page
    data = _embedded(page)
    assert data["title"] == title
    assert data["frames"][1]["loss"] == float(f"{rec.frames[1].loss:.6g}")
    assert data["frames"][2]["layers"][0]["weight"][1][0] == float(f"{rec.frames[2].layers[0].weight[1][0]:.6g}")
    # Nothing is loaded from an address: no src/href, no CSS url() or @import, no script that fetches.
    # The one URI in the page is the SVG namespace name, which createElementNS takes and nothing fetches.
    text = page.replace('"http://www.w3.org/2000/svg"', "")
    for pattern in (r"https?:", r"\bsrc\s*=", r"\bhref\s*=", r"url\(", r"@import", r"<link", r"\bfetch\(",
                    r"XMLHttpRequest", r"\bimport\(", r"//[a-z0-9.-]+\.[a-z]{2,}/", r"\beval\(", r"new Function"):
        assert not re.search(pattern, text, re.I), pattern
    assert len(page.encode()) < 200_000


def test_the_demo_sized_page_stays_small() -> None:
    X, y = make_moons(100, noise=0.1, seed=1)
    rec = Recorder.for_steps(100)  # as the demo records
    model = nn.MLP(2, [16, 16, 1], seed=1)
    for step in range(100):
        rec.record(step, model, loss=1.0 / (step + 1), accuracy=0.9, force=step == 99)
    assert len(rec.frames) == 51
    assert len(training_page(rec.recording()).encode()) < 600_000


def test_outside_jupyter_there_is_no_live_view_and_live_true_says_why() -> None:
    assert Recorder().live is None
    with pytest.warns(UserWarning, match="not running in a Jupyter kernel"):
        assert Recorder(live=True).live is None


def test_in_jupyter_the_view_is_shown_once_and_updated_to_the_last_step(monkeypatch: pytest.MonkeyPatch) -> None:
    display_module = pytest.importorskip("IPython.display", reason="the live view needs IPython")
    shown: list[tuple[str, Any]] = []

    class Handle:
        def update(self, content: Any) -> None:
            shown.append(("update", content))

    def display(content: Any, display_id: bool = False) -> Handle:
        assert display_id is True
        shown.append(("display", content))
        return Handle()

    monkeypatch.setattr(live, "in_jupyter", lambda: True)
    monkeypatch.setattr(display_module, "display", display)
    monkeypatch.setattr(live, "LIVE_SECONDS", 3600.0)  # only the first frame and the forced last one show
    X, y = _moons()
    rec = Recorder(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fit(nn.MLP(2, [3, 1], seed=0), X, y, steps=5, progress=False, recorder=rec)
    assert [kind for kind, _ in shown] == ["display", "update"]
    last = shown[-1][1].data
    assert last.startswith("<div><iframe srcdoc=") and "&lt;script" in last and "<script" not in last
    page = html.unescape(re.search(r'srcdoc="([^"]*)"', last).group(1))  # type: ignore[union-attr]
    data = _embedded(page)
    assert [f["step"] for f in data["frames"]] == [0, 1, 2, 3, 4] and data["start"] == "last"
    assert rec._repr_html_() is not None and math.isfinite(data["frames"][-1]["loss"])


def test_the_demo_writes_its_training_page(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from nn.cli.main import main

    assert main(["demo", "--steps", "5", "--out", str(tmp_path), "--no-progress"]) == 0
    assert f"wrote {tmp_path / 'training.html'} (the run step by step" in capsys.readouterr().out
    data = _embedded((tmp_path / "training.html").read_text(encoding="utf-8"))
    assert data["network"]["title"] == "MLP(2, [16, 16, 1])"
    assert [f["step"] for f in data["frames"]] == [0, 1, 2, 3, 4]
    assert data["frames"][0]["regions"] is not None and len(data["points"]["x"]) == 100


def test_fit_gives_its_data_to_a_recorder_without_any_and_for_steps_spaces_the_frames() -> None:
    X, y = _moons()
    rec = Recorder.for_steps(40, frames=10)
    assert rec.every == 4 and rec.X is None
    fit(nn.MLP(2, [3, 1], seed=0), X, y, steps=40, progress=False, recorder=rec)
    assert rec.X == X and rec.y == y and rec.points
    assert [f.step for f in rec.frames] == [*range(0, 40, 4), 39]
    with pytest.raises(ValueError, match="frames were recorded with other data"):
        rec.set_data(X, y)
    with pytest.raises(ValueError, match=r"for_steps frames must be >= 2"):
        Recorder.for_steps(10, frames=1)


def test_the_readme_example_writes_the_page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    readme = Path(__file__).resolve().parents[2] / "README.md"
    (code,) = [b for b in re.findall(r"```python\n(.*?)```", readme.read_text(), re.S) if "nn.Recorder(" in b]
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, Any] = {"__name__": "readme"}
    exec(compile(code, str(readme), "exec"), namespace)  # noqa: S102 - our own README, the point of the test
    data = _embedded((tmp_path / "training.html").read_text(encoding="utf-8"))
    assert [f["step"] for f in data["frames"]] == [*range(0, 60, 2), 59]
    assert data["sample"] == {"index": 0, "label": namespace["y"][0]}


def test_in_a_real_kernel_fit_shows_one_display_that_ends_at_the_last_step(tmp_path: Path) -> None:
    nbformat = pytest.importorskip("nbformat", reason="the kernel test needs nbformat (the test extra)")
    nbclient = pytest.importorskip("nbclient", reason="the kernel test needs nbclient (the test extra)")
    code = ("import nn\nfrom nn.data import make_moons\nfrom nn.training import fit\n"
            "X, y = make_moons(30, noise=0.1, seed=0)\nrec = nn.Recorder(X, y, every=3)\n"
            "fit(nn.MLP(2, [3, 1], seed=0), X, y, steps=10, recorder=rec, progress=False);")
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
    try:
        nbclient.NotebookClient(notebook, timeout=120, kernel_name="python3",
                                resources={"metadata": {"path": str(Path(__file__).resolve().parents[2])}}).execute()
    except Exception as exc:  # no kernel installed: a missing optional tool, not a failure
        if "No such kernel" in str(exc) or "NoSuchKernel" in type(exc).__name__:
            pytest.skip(f"no python3 Jupyter kernel ({exc})")
        raise
    outputs = notebook.cells[0].outputs
    displays = [o for o in outputs if o.output_type == "display_data"]
    assert len(displays) == 1 and not [o for o in outputs if o.output_type in ("stream", "error")]
    srcdoc = re.search(r'srcdoc="([^"]*)"', displays[0].data["text/html"])
    assert srcdoc is not None
    data = _embedded(html.unescape(srcdoc.group(1)))
    assert [f["step"] for f in data["frames"]] == [0, 3, 6, 9] and data["start"] == "last"
