"""Running `scalargrad` in the test process and reading its one-line errors, shared by the CLI tests."""

from __future__ import annotations

import pytest

from nn.cli.main import main


def run_here(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """main() in this process (much faster than a subprocess); argparse's own exits become exit codes."""
    try:
        code = main(args)
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def error_lines(stderr: str) -> list[str]:
    # Graphviz's font library may add its own warning line on some machines; it is not ours.
    return [line for line in stderr.splitlines() if line and not line.startswith("Fontconfig")]
