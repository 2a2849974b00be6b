"""One definition per op: an op defined in engine/ops.py's way reaches every tool that lists ops, by itself."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

import engine
from engine import Value

# Runs in a fresh interpreter, so the new op cannot leak into other tests' engine, parser or strategies.
NEW_OP = textwrap.dedent(
    """
    import math
    from engine.op_record import unary

    # the inverse square root unit, x / sqrt(1 + x**2): its definition, forward and then its derivative
    isru = unary("isru", lambda x: x / math.sqrt(1 + x * x), lambda a, out: (1 + a * a) ** -1.5, activation=True)

    from hypothesis import given, settings
    import engine
    from engine import Value
    from engine.testing import OPS, expressions, values
    from nn.cli.expression_parser import FUNCTION_NAMES, evaluate
    from nn.layers import ACTIVATIONS

    x = Value(-0.75, "x")
    y = isru(x)                                         # the record applies it (a built-in op also gets a
                                                        # one-line method in class Value, engine/value.py)
    assert y.op == "isru" and y.data == -0.6
    y.backward()
    assert x.grad == 0.512 and engine.grad(y, [x])[0].data == 0.512
    assert engine.gradcheck(lambda v: isru(v) * v, [0.7]) and engine.gradgradcheck(isru, [0.7])
    assert evaluate("isru(x) * 2", {"x": -0.75}).data == -1.2 and "isru" in FUNCTION_NAMES  # the parser
    assert "isru" in OPS                            # the Hypothesis strategies
    from engine.draw.dot import ACTIVATION_OPS              # drawings: its symbol, and drawn inside a neuron's cluster
    assert "isru" in ACTIVATION_OPS and "isru" in engine.draw_dot(y).source
    assert ACTIVATIONS["isru"] is isru.apply           # nn.layers lists it as an activation
    import nn
    neuron = nn.Neuron(2, activation="isru", seed=0)    # and a neuron uses it
    assert neuron([1.0, 2.0]).op == "isru"
    w = Value(0.3, "w")                                 # compile replays it, from the record, as backward() does
    step = engine.compile(lambda v: isru(v * w) * w, [w])
    for arg in (-0.75, 2.0, 2.0):
        w.grad = 0.0
        loss = step(arg)
        w.grad, replayed = 0.0, w.grad
        out = isru(Value(arg) * w) * w
        out.backward()
        assert (loss, replayed) == (out.data, w.grad)

    @settings(max_examples=30, deadline=None)
    @given(expressions(n_inputs=2, ops=["isru", "mul"]), values(), values())
    def check(expr, a, b):
        assert "isru" in repr(expr) or "*" in repr(expr)
        assert engine.gradcheck(expr, [a, b])

    check()
    print("found everywhere")
    """
)


def test_a_new_unary_op_is_found_everywhere() -> None:
    pytest.importorskip("graphviz", reason="the graphviz package is needed to draw")
    done = subprocess.run([sys.executable, "-c", NEW_OP], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and "found everywhere" in done.stdout, done.stderr


def test_defining_an_op_twice_is_refused() -> None:
    with pytest.raises(ValueError, match="'tanh' is already defined"):
        engine.op_record.unary("tanh", lambda x: x, lambda a, out: 1.0)
    assert Value(0.5).tanh().op == "tanh"


WITHOUT_GRAPHVIZ = textwrap.dedent(
    """
    import sys

    class NoGraphviz:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in ("graphviz", "pygraphviz"):
                raise ImportError(f"{name} is blocked for this test")

    sys.meta_path.insert(0, NoGraphviz())
    import engine
    from engine import Value

    a, b = Value(2.0), Value(-3.0)
    out = (a * b + 1).tanh() + engine.dot([a], [b], a)
    out.backward()
    assert engine.grad(out, [a], create_graph=True)[0].data == a.grad
    assert engine.gradcheck(lambda x, y: (x * y).tanh(), [0.5, 0.2])
    assert engine.op("sq", lambda x: x * x, lambda x, out: 2 * x)(a).data == 4.0
    import engine.testing
    assert not any(m.startswith(("graphviz", "engine.draw.")) for m in sys.modules)
    try:
        engine.draw_dot(out)
    except ImportError as exc:
        print("drawing needs graphviz:", exc)
    """
)


def test_the_core_works_without_graphviz_and_drawing_loads_on_first_use() -> None:
    done = subprocess.run([sys.executable, "-c", WITHOUT_GRAPHVIZ], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "drawing needs graphviz" in done.stdout


def test_the_core_modules_import_each_other_in_one_direction() -> None:
    """grad_mode <- op_record <- ops <- value <- autograd: each core module imports only the ones before it."""
    import ast
    from pathlib import Path

    order = ["grad_mode", "op_record", "ops", "value", "autograd"]
    for i, name in enumerate(order):
        tree = ast.parse(Path(engine.__file__).with_name(f"{name}.py").read_text())
        # imports for type annotations only (under `if TYPE_CHECKING:`) do not run
        tree.body = [n for n in tree.body if not (isinstance(n, ast.If) and ast.unparse(n.test) == "TYPE_CHECKING")]
        imported = {n.module.split(".")[1] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)
                    and n.module and n.module.startswith("engine.")}  # fmt: skip
        assert imported <= set(order[:i]), (name, imported)
