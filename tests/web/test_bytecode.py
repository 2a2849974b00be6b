"""web/bytecode.py, run natively: a zip on sys.path gets bytecode for the modules imported from it, and Python
then imports them from that bytecode (which is what saves the playground its compile time)."""

from __future__ import annotations

import importlib
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from web import bytecode

SOURCE = b'"""A module."""\n\ndef double(x):\n    return 2 * x\n'


@pytest.fixture
def on_path(tmp_path: Path) -> Iterator[Path]:
    """A zip holding the modules `hot` (imported) and `cold` (not), with the zip on sys.path."""
    archive = tmp_path / "lib.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.writestr("hot.py", SOURCE)
        out.writestr("cold.py", SOURCE)
    sys.path.insert(0, str(archive))
    try:
        yield archive
    finally:
        sys.path.remove(str(archive))
        for name in ("hot", "cold"):
            sys.modules.pop(name, None)
        importlib.invalidate_caches()


@pytest.mark.parametrize("keep_source", [True, False])
def test_imported_modules_get_bytecode_that_python_uses(on_path: Path, tmp_path: Path, keep_source: bool) -> None:
    importlib.import_module("hot")
    compiled = tmp_path / "compiled.zip"
    compiled.write_bytes(bytecode.with_bytecode(str(on_path), keep_source))
    names = zipfile.ZipFile(compiled).namelist()
    assert sorted(names) == (["cold.py", "hot.py", "hot.pyc"] if keep_source else ["cold.py", "hot.pyc"])

    sys.modules.pop("hot")
    sys.path[0] = str(compiled)
    importlib.invalidate_caches()
    try:
        hot = importlib.import_module("hot")
        assert hot.__file__ == f"{compiled}/hot.pyc" and hot.double(21) == 42
        assert hot.double.__code__.co_filename == f"{on_path}/hot.py"  # tracebacks name the source
    finally:
        sys.path[0] = str(on_path)
