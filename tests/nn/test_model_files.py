"""Hostile model files: only concrete nn layer classes load, depth and size are bounded before anything is built."""

from __future__ import annotations

import ast
import json
import os
from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any

import pytest

import nn
import nn.conv
import nn.recurrent
from nn import model_file
from nn.loading import LOADABLE
from nn.module import Module


def spec(name: str, **config: Any) -> dict[str, Any]:
    return {"class": name, "config": config}


def write(path: Path, name: str, config: dict[str, Any], state: dict[str, Any] | None = None) -> Path:
    doc = {"format": "scalargrad-model", "version": 1, "class": name, "config": config,
           "state_dict": state or {}, "meta": {}}
    path.write_text(json.dumps(doc))
    return path


def nested(depth: int) -> dict[str, Any]:
    """The config of `depth` Sequentials, each holding the next, with one ReLU at the bottom."""
    config: dict[str, Any] = {"children": [spec("ReLU")]}
    for _ in range(depth - 1):
        config = {"children": [{"class": "Sequential", "config": config}]}
    return config


@pytest.fixture
def nothing_is_built(monkeypatch: pytest.MonkeyPatch) -> None:
    """Constructing any nn module fails the test: the file must be refused from its text alone."""

    def built(self: Module, *args: object, **kwargs: object) -> None:
        raise AssertionError(f"{type(self).__name__} was built before the file was refused")

    for cls in (nn.Sequential, nn.conv._ConvNd, nn.recurrent._CellBase, nn.MLP, nn.Layer, nn.Neuron, nn.LeakyReLU):
        monkeypatch.setattr(cls, "__init__", built)
    monkeypatch.setattr(Module, "__init__", built, raising=False)


def test_the_abstract_module_class_does_not_load(tmp_path: Path, nothing_is_built: None) -> None:
    path = write(tmp_path / "m.json", "Module", {})
    with pytest.raises(ValueError, match=r"m\.json: key 'class': unknown model class 'Module' \(not a concrete"):
        nn.load(path)


@pytest.mark.parametrize("name", ["Module", "_ConvNd", "_CellBase", "functional", "load", "__class__", "Value"])
def test_a_child_naming_anything_but_a_concrete_layer_class_is_refused(
    tmp_path: Path, nothing_is_built: None, name: str
) -> None:
    # Today a Module child builds, and the 18M-parameter LSTMCell after it is built before anything is refused.
    children = [spec("ReLU"), spec(name), spec("LSTMCell", input_size=2000, hidden_size=2000)]
    path = write(tmp_path / "m.json", "Sequential", {"children": children})
    with pytest.raises(ValueError, match=rf"m\.json: key 'config.children\[1\].class': unknown model class '{name}'"):
        nn.load(path)


def test_the_registry_is_every_concrete_layer_class_nn_exports() -> None:
    def concrete(cls: object) -> bool:
        return (isinstance(cls, type) and issubclass(cls, Module) and cls.forward is not Module.forward
                and cls.config is not Module.config)

    exported = {name: getattr(nn, name) for name in nn.__all__ if concrete(getattr(nn, name))}
    assert dict(LOADABLE) == exported and "Module" not in LOADABLE
    assert all(LOADABLE[name].__name__ == name for name in LOADABLE)


def _runtime_imports(path: Path, modules: Collection[str]) -> set[str]:
    """The modules a file imports when it runs, at the top or inside functions; not under `if TYPE_CHECKING`.

    `from nn import functional` imports the module nn.functional; `from nn import MLP` imports the package nn.
    """
    found: set[str] = set()
    stack: list[ast.AST] = [ast.parse(path.read_text(encoding="utf-8"))]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            stack.extend(node.orelse)
            continue
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found |= {f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in modules else node.module
                      for a in node.names}
        elif isinstance(node, ast.Call) and "import_module" in ast.unparse(node.func):
            found.add("importlib")
        stack.extend(ast.iter_child_nodes(node))
    return found


def test_model_files_name_their_classes_through_the_registry_not_an_import() -> None:
    """Issue 21: model_file imported nn.module when called, and module imported model_file: a deferred circle.
    (tests/draw/test_imports.py checks that engine/ and nn/ as a whole have no import circle.)"""
    root = Path(nn.__file__).parent
    files = {".".join(("nn", *p.relative_to(root).with_suffix("").parts)).removesuffix(".__init__"): p
             for p in root.rglob("*.py")}
    imports = _runtime_imports(root / "model_file.py", files)
    assert "importlib" not in imports
    assert not imports & {"nn", "nn.module", "nn.loading"}, imports


def test_a_class_that_cannot_count_its_parameters_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, nothing_is_built: None
) -> None:
    monkeypatch.setattr(nn.Tanh, "count_parameters", classmethod(lambda cls, config: None))
    children = [spec("LSTMCell", input_size=2000, hidden_size=2000), spec("Tanh")]
    path = write(tmp_path / "m.json", "Sequential", {"children": children})
    with pytest.raises(ValueError, match=r"key 'config.children\[1\].config': Tanh cannot say how many parameters"):
        nn.load(path)


def test_nesting_deeper_than_the_limit_is_refused_before_building(tmp_path: Path, nothing_is_built: None) -> None:
    # 300 levels today end in RecursionError (or build 300 Sequentials first); the JSON itself is readable.
    path = write(tmp_path / "deep.json", "Sequential", nested(300))
    with pytest.raises(ValueError, match=r"deep\.json: key 'config(.children\[0\].config){32}': .*deeper than 32"):
        nn.load(path)


def test_nesting_up_to_the_limit_loads(tmp_path: Path) -> None:
    """MAX_DEPTH levels of modules: MAX_DEPTH - 1 Sequentials, one in the other, and the ReLU in the innermost."""
    model = nn.load(write(tmp_path / "deep.json", "Sequential", nested(model_file.MAX_DEPTH - 1)))
    depth = 1
    while isinstance(model, nn.Sequential):
        model, depth = model[0], depth + 1
    assert depth == model_file.MAX_DEPTH and isinstance(model, nn.ReLU)
    with pytest.raises(ValueError, match="deeper than 32"):
        nn.load(write(tmp_path / "deeper.json", "Sequential", nested(model_file.MAX_DEPTH)))


def test_too_many_modules_are_refused(tmp_path: Path, nothing_is_built: None) -> None:
    path = write(tmp_path / "wide.json", "Sequential", {"children": [spec("ReLU")] * (model_file.MAX_MODULES + 5)})
    with pytest.raises(ValueError, match=r"wide\.json: key 'config.children\[\d+\].config': more than 10000 modules"):
        nn.load(path)


def test_the_total_parameter_count_is_bounded_even_when_the_state_holds_enough_numbers(
    tmp_path: Path, nothing_is_built: None
) -> None:
    """Each child below the limit, together above it, and a state_dict (given as one deep list) to match."""
    layer = spec("Layer", nin=1000, nout=500)  # 500,500 parameters
    state = {"numbers": [0.0] * 1_001_000}
    path = write(tmp_path / "big.json", "Sequential", {"children": [layer, layer, spec("ReLU")]}, state)
    with pytest.raises(ValueError, match=r"big\.json: key 'config': .* 1001000 parameters, more than the 1,000,000"):
        nn.load(path)


def test_a_file_larger_than_the_limit_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "m.json"
    nn.MLP(2, [3, 1], seed=0).save(path)
    monkeypatch.setattr(model_file, "MAX_FILE_BYTES", path.stat().st_size - 1)
    with pytest.raises(ValueError, match=r"m\.json: .*larger than the limit of"):
        nn.load(path)
    monkeypatch.setattr(model_file, "MAX_FILE_BYTES", path.stat().st_size)
    assert isinstance(nn.load(path), nn.MLP)


@pytest.mark.parametrize("device", ["/dev/zero", "fifo"])
def test_a_device_or_a_pipe_is_refused_without_reading_it(tmp_path: Path, device: str) -> None:
    """/dev/zero never ends and opening a FIFO with no writer waits forever; both must give one clear error."""
    link = tmp_path / "model.json"
    if device == "fifo":
        if not hasattr(os, "mkfifo"):
            pytest.skip("no named pipes (os.mkfifo) on this system")
        os.mkfifo(link)
    else:
        if not os.path.exists(device):
            pytest.skip(f"no {device} on this system")
        link.symlink_to(device)
    with pytest.raises(ValueError, match=r"model\.json: not a regular file, so not a saved model"):
        nn.load(link)


BAD_CONFIGS: list[tuple[str, Callable[[dict[str, Any]], object], str]] = [
    ("children not a list", lambda c: c.update(children={"0": spec("ReLU")}), r"key 'config.children'"),
    ("child not a spec", lambda c: c["children"].append("ReLU"), r"key 'config.children\[3\]': expected"),
    ("child config missing", lambda c: c["children"][0]["config"].pop("in_channels"),
     r"key 'config.children\[0\].config': config does not build a Conv2d: missing 'in_channels'"),
    ("child config wrong type", lambda c: c["children"][0]["config"].update(kernel_size="3"),
     r"key 'config.children\[0\].config': config does not build a Conv2d: Conv2d kernel_size"),
    ("child class not a str", lambda c: c["children"][1].update({"class": ["ReLU"]}),
     r"key 'config.children\[1\]': expected"),
    ("unknown class", lambda c: c["children"][2].update({"class": "Dropout"}),
     r"key 'config.children\[2\].class': unknown model class 'Dropout'"),
]


@pytest.mark.parametrize(("edit", "message"), [(e, m) for _, e, m in BAD_CONFIGS], ids=[n for n, _, _ in BAD_CONFIGS])
def test_every_rejection_names_the_file_and_the_key(
    tmp_path: Path, edit: Callable[[dict[str, Any]], object], message: str
) -> None:
    model = nn.Sequential(nn.Conv2d(1, 2, 3, seed=0), nn.ReLU(), nn.Flatten())
    path = tmp_path / "cnn.json"
    model.save(path)
    doc = json.loads(path.read_text())
    edit(doc["config"])
    path.write_text(json.dumps(doc))
    with pytest.raises(ValueError, match=message) as info:
        nn.load(path)
    assert str(info.value).startswith(f"{path}: key '")


def test_a_file_with_a_huge_padding_gives_a_model_that_refuses_instead_of_hanging(tmp_path: Path) -> None:
    """Padding adds no parameters, so the file loads; calling the model must not build 20M windows of zeros."""
    path = write(tmp_path / "pad.json", "Conv1d", {"in_channels": 1, "out_channels": 1, "kernel_size": 2,
                                                   "padding": 10**7},
                 nn.Conv1d(1, 1, 2, seed=0).state_dict())
    model = nn.load(path)
    with pytest.raises(ValueError, match=r"^Conv1d: input \[3\] with padding \[10000000\] gives 20,000,002 output"):
        model([[0.1, 0.2, 0.3]])
