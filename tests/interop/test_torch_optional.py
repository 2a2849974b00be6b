"""torch, onnx and onnxruntime are an optional extra: `import nn` never needs them, and using a feature without
them is an ImportError naming the extra. Run in a child Python where importing them fails, installed or not."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

BLOCK = """
import importlib.abc, sys

class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("torch", "onnx", "onnxruntime"):
            raise ImportError(f"No module named {name!r} (blocked by the test)")
        return None

sys.meta_path.insert(0, Block())
"""


def run_blocked(code: str) -> subprocess.CompletedProcess[str]:
    script = BLOCK + textwrap.dedent(code)
    return subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_import_nn_and_train_without_torch() -> None:
    result = run_blocked("""
        import nn, nn.cli.main, engine
        model = nn.MLP(2, [3, 1], seed=0)
        model([1.0, 2.0]).backward()
        assert not any(m.split(".")[0] in ("torch", "onnx", "onnxruntime") for m in sys.modules), "imported torch"
        print("ok")
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_each_feature_names_the_extra_when_its_package_is_missing() -> None:
    result = run_blocked("""
        import nn
        model = nn.MLP(2, [1], seed=0)
        for call in (lambda: nn.to_torch(model), lambda: nn.from_torch(object()),
                     lambda: nn.export_onnx(model, "never.onnx", [0.0, 0.0])):
            try:
                call()
            except ImportError as exc:
                print(exc)
            else:
                raise SystemExit("no ImportError")
    """)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert [line.split(" needs ")[0] for line in lines] == ["nn.to_torch", "nn.from_torch", "nn.export_onnx"]
    assert all("torch extra: pip install 'scalargrad[torch]'" in line for line in lines), lines
    assert not (ROOT / "never.onnx").exists()


def test_cli_export_without_the_extra_is_a_one_line_error(tmp_path: Path) -> None:
    model_path = tmp_path / "m.json"
    result = run_blocked(f"""
        import nn
        from nn.cli.main import main
        nn.MLP(2, [1], seed=0).save({str(model_path)!r})
        sys.exit(main(["export", {str(model_path)!r}, "--onnx", {str(tmp_path / "m.onnx")!r}]))
    """)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("scalargrad export: error: nn.export_onnx needs torch, part of the torch extra")
    assert "pip install 'scalargrad[torch]'" in result.stderr and result.stderr.count("\n") == 1
