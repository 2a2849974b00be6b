"""Imports: no circle in engine/ or nn/ (deferred and TYPE_CHECKING imports count too), and the optional
libraries (graphviz, matplotlib, torch, tqdm) stay optional: `import engine, nn` and training an MLP need none.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OPTIONAL = ("graphviz", "matplotlib", "torch", "tqdm")


def _module(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, known: set[str]) -> set[str]:
    """The project modules `path` imports anywhere in its code: at the top, in functions, for type checking."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # `from nn import functional` imports the module nn.functional; `from nn.x import f` imports nn.x.
            subs = [f"{node.module}.{alias.name}" for alias in node.names]
            names = [s for s in subs if s in known] or [node.module]
        else:
            continue
        for name in names:
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name:
                found.add(name)
    found.discard(_module(path))
    return found


def import_graph() -> dict[str, set[str]]:
    files = [p for folder in ("engine", "nn") for p in (ROOT / folder).rglob("*.py")]
    known = {_module(p) for p in files}
    return {_module(p): _imports(p, known) for p in files}


def circles(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    """The strongly connected groups of more than one module (Tarjan's algorithm, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[frozenset[str]] = []
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            v, children = work[-1]
            for w in children:
                if w not in index:
                    index[w] = low[w] = len(index)
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(sorted(graph[w]))))
                    break
                if w in on_stack:
                    low[v] = min(low[v], index[w])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[v])
                if low[v] == index[v]:
                    group = set()
                    while True:
                        w = stack.pop()
                        on_stack.discard(w)
                        group.add(w)
                        if w == v:
                            break
                    if len(group) > 1:
                        found.append(frozenset(group))
    return found


def test_the_circle_finder_finds_a_circle() -> None:
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [frozenset("abc")]
    assert circles({"a": {"b"}, "b": set()}) == []


def test_no_import_circle_in_engine_or_nn() -> None:
    graph = import_graph()
    assert {"nn.watch.recorder", "nn.watch.page", "nn.watch.live", "engine.draw.dot"} <= graph.keys()
    assert "nn.watch.page" in graph["nn.watch.recorder"]  # the reader sees deferred and top-level imports alike
    assert circles(graph) == []


BLOCKER = f"""
import importlib.util, sys

class Hidden:
    # Wraps each finder so the optional libraries are not found at all, as on a machine without them.
    def __init__(self, finder):
        self.finder = finder

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {OPTIONAL!r}:
            return None
        find = getattr(self.finder, "find_spec", None)
        return find(name, path, target) if find else None

sys.meta_path[:] = [Hidden(f) for f in sys.meta_path]
for name in list(sys.modules):
    if name.split(".")[0] in {OPTIONAL!r}:
        del sys.modules[name]
"""

TRAIN = """
import engine, nn
from nn.data import make_moons
from nn.training import accuracy, fit
X, y = make_moons(60, noise=0.1, seed=0)
model = nn.MLP(2, [8, 8, 1], seed=0)
rec = nn.Recorder(X, y, live=False)
fit(model, X, y, steps=60, lr=0.5, recorder=rec, progress=False)
page = rec.to_html()
loaded = sorted(name for name in sys.modules if name.split(".")[0] in {optional!r})
print(loaded, accuracy(model, X, y), len(page) > 1000)
try:
    engine.draw_dot(engine.Value(1.0))
except ImportError as missing:
    print("draw_dot:", missing)
try:
    from nn.watch.plots import require_matplotlib
    require_matplotlib()
except ImportError as missing:
    print("plots:", missing)
try:
    nn.to_torch(model)
except ImportError as missing:
    print("to_torch:", missing)
"""


def _run(code: str) -> str:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_engine_and_nn_import_and_train_without_the_optional_libraries() -> None:
    out = _run(BLOCKER + TRAIN.format(optional=OPTIONAL)).splitlines()
    loaded, score, paged = out[0].rsplit(" ", 2)
    assert loaded == "[]" and float(score) >= 0.8 and paged == "True", out
    assert out[1].startswith("draw_dot: drawing graphs needs the graphviz Python package") and "pip install" in out[1]
    assert out[2].startswith("plots: plots need matplotlib: pip install"), out
    assert out[3].startswith("to_torch:") and "pip install" in out[3], out


def test_the_blocker_hides_what_it_should() -> None:
    out = _run(BLOCKER + "import importlib.util\nprint(importlib.util.find_spec('graphviz'))\nimport json\nprint('ok')")
    assert out.split() == ["None", "ok"]
