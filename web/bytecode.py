"""Run inside Pyodide at build time (see precompile.py): compile to bytecode the modules the playground and its
examples import, so that the page unmarshals them instead of compiling their source.

Pyodide's standard library comes as source only, and compiling it took about 1 s of a 4 s start on a 2-core
machine. Only the modules imported are compiled (all of them would add 2 MB to the file). Each .pyc is
"unchecked-hash" (PEP 552): Python uses it without comparing it with a source file, so file times do not matter.
This module imports only what Pyodide has imported by the time it is ready, so loading it adds nothing to
"imported so far".
"""

from __future__ import annotations

import importlib.util
import io
import sys
import zipfile
from importlib._bootstrap_external import _code_to_hash_pyc  # type: ignore[attr-defined]  # py_compile uses it


def _pyc(source: bytes, filename: str) -> bytes:
    code = compile(source, filename, "exec", dont_inherit=True)
    return bytes(_code_to_hash_pyc(code, importlib.util.source_hash(source), checked=False))


def with_bytecode(archive: str, keep_source: bool) -> bytes:
    """The zip at `archive` (a `sys.path` entry), each of its modules imported so far compiled to `NAME.pyc`.

    zipimport prefers `NAME.pyc` to `NAME.py` in a zip. `keep_source` keeps the `.py` beside it (for tracebacks
    and `inspect.getsource`); without it the `.pyc` replaces the `.py`, which keeps the file small.
    """
    imported = {getattr(module, "__file__", None) for module in list(sys.modules.values())}
    out = io.BytesIO()
    with zipfile.ZipFile(archive) as old, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            data = old.read(info)
            compiled = f"{archive}/{info.filename}" in imported
            if keep_source or not compiled:
                new.writestr(info, data, zipfile.ZIP_DEFLATED)
            if compiled:
                pyc = _pyc(data, f"{archive}/{info.filename}")
                new.writestr(zipfile.ZipInfo(info.filename + "c", info.date_time), pyc, zipfile.ZIP_DEFLATED)
    return out.getvalue()
