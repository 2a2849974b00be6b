"""Module.save as a careful tool saves: through symlinks, as open() would refuse, umask, fsync, no temporary files."""

from __future__ import annotations

import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import nn

old_model = nn.Neuron(2, seed=0)
new_model = nn.Neuron(2, seed=1)


def files(folder: Path) -> dict[str, bytes | str]:
    """Every entry under `folder`: a file's bytes, or where a symlink points."""
    return {
        str(p.relative_to(folder)): os.readlink(p) if p.is_symlink() else p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_symlink() or p.is_file()
    }


def saved_weights(path: Path) -> object:
    return json.loads(path.read_text())["state_dict"]


@pytest.fixture
def umask() -> Iterator[Callable[[int], int]]:
    """Set the process umask for one test and restore it afterwards."""
    old = os.umask(0o022)
    os.umask(old)
    yield os.umask
    os.umask(old)


def test_writes_through_a_symlink_to_the_real_file(tmp_path: Path) -> None:
    real = tmp_path / "models" / "m.json"
    real.parent.mkdir()
    old_model.save(real)
    link = tmp_path / "latest.json"
    link.symlink_to(Path("models") / "m.json")
    new_model.save(link)
    assert link.is_symlink() and os.readlink(link) == os.path.join("models", "m.json")
    assert saved_weights(real) == new_model.state_dict()
    assert sorted(files(tmp_path)) == ["latest.json", "models/m.json"]


def test_a_dangling_symlink_creates_the_file_it_points_to(tmp_path: Path) -> None:
    link = tmp_path / "link.json"
    link.symlink_to("target.json")
    new_model.save(link)
    assert link.is_symlink() and saved_weights(tmp_path / "target.json") == new_model.state_dict()


def test_refuses_a_read_only_file_as_open_would(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    old_model.save(path)
    path.chmod(0o444)
    if os.access(path, os.W_OK):
        pytest.skip("running as root: open() may write a read-only file, so save() may too (both decide by os.access)")
    before = files(tmp_path)
    with pytest.raises(PermissionError) as info:
        open(path, "w").close()  # the behaviour to mirror
    with pytest.raises(PermissionError, match=r"Permission denied: '.*m\.json'") as ours:
        new_model.save(path)
    assert (ours.value.errno, ours.value.filename) == (info.value.errno, str(path))
    assert files(tmp_path) == before and stat.S_IMODE(path.stat().st_mode) == 0o444


CHILD = """
import sys
import nn
path = sys.argv[1]
for attempt in (lambda: open(path, "w"), lambda: nn.Neuron(2, seed=1).save(path)):
    try:
        attempt()
        print("wrote", end=" ")
    except PermissionError as exc:
        print(type(exc).__name__, exc.filename == path, end=" ")
"""


def test_refuses_a_read_only_file_for_a_user_who_could_replace_it(tmp_path: Path) -> None:
    """As root, run the save as user 65534 (nobody), in a folder anyone may write, on a read-only file of root's.

    Renaming over the file would succeed there; open() refuses it, and so must save().
    """
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        pytest.skip("needs root to start a child as another user; test_refuses_a_read_only_file_as_open_would ran")
    folder = Path(tempfile.mkdtemp(prefix="scalargrad-saving-"))  # under /tmp, which every user may enter
    try:
        folder.chmod(0o777)
        path = folder / "m.json"
        old_model.save(path)
        path.chmod(0o444)
        before = files(folder)
        repo = Path(__file__).resolve().parents[2]
        env = {**os.environ, "PYTHONPATH": str(repo)}
        try:
            child = subprocess.run([sys.executable, "-c", CHILD, str(path)], user=65534, cwd="/", env=env,
                                   capture_output=True, text=True, timeout=60)
        except PermissionError as exc:  # the venv lies in a folder only root may enter (mktemp -d makes 0700)
            pytest.skip(f"user 65534 cannot run this checkout's Python: {exc}")
        if "ModuleNotFoundError" in child.stderr or "PermissionError: [Errno 13]" in child.stderr:
            pytest.skip(f"user 65534 cannot read this checkout or its Python: {child.stderr.splitlines()[-1]}")
        assert child.returncode == 0, child.stderr
        assert child.stdout == "PermissionError True PermissionError True "
        assert files(folder) == before
    finally:
        shutil.rmtree(folder)


def test_writes_a_read_only_file_where_open_would(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    old_model.save(path)
    path.chmod(0o444)
    if not os.access(path, os.W_OK):
        pytest.skip("not root: open() refuses a read-only file, which the test above checks")
    new_model.save(path)
    assert saved_weights(path) == new_model.state_dict() and stat.S_IMODE(path.stat().st_mode) == 0o444


def test_refuses_a_folder_as_open_would(tmp_path: Path) -> None:
    (tmp_path / "m.json").mkdir()
    with pytest.raises(IsADirectoryError, match="m.json"):
        new_model.save(tmp_path / "m.json")
    assert files(tmp_path) == {}


def test_a_missing_folder_is_a_file_not_found_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        new_model.save(tmp_path / "nowhere" / "m.json")
    assert files(tmp_path) == {}


@pytest.mark.parametrize("mask", [0o077, 0o022, 0o002])
def test_a_new_file_honours_the_umask(tmp_path: Path, umask: Callable[[int], int], mask: int) -> None:
    umask(mask)
    new_model.save(tmp_path / "m.json")
    with open(tmp_path / "by_open.json", "w"):
        pass
    expected = stat.S_IMODE((tmp_path / "by_open.json").stat().st_mode)
    assert expected == 0o666 & ~mask
    assert stat.S_IMODE((tmp_path / "m.json").stat().st_mode) == expected


def test_an_existing_file_keeps_its_mode(tmp_path: Path, umask: Callable[[int], int]) -> None:
    path = tmp_path / "m.json"
    old_model.save(path)
    path.chmod(0o640)
    umask(0o000)
    new_model.save(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_fsyncs_the_file_before_the_rename_and_the_folder_after(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    events: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        events.append("fsync folder" if stat.S_ISDIR(os.fstat(fd).st_mode) else "fsync file")
        real_fsync(fd)

    def replace(src: str, dst: str) -> None:
        events.append("rename")
        real_replace(src, dst)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    new_model.save(tmp_path / "m.json")
    assert events == ["fsync file", "rename", "fsync folder"]


class Interrupted(KeyboardInterrupt):
    pass


@pytest.mark.parametrize(
    ("target", "error"),
    [
        ("json.dumps", ValueError),  # serialization fails (ValueError is save's own wording of it)
        ("os.fsync", OSError),  # the disk fails while flushing
        ("os.fsync", Interrupted),  # Ctrl-C in the middle
        ("os.replace", OSError),
        ("os.replace", Interrupted),
        ("os.fchmod", Interrupted),
    ],
)
def test_a_failure_at_any_point_keeps_the_old_file_and_leaves_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, target: str, error: type[BaseException]
) -> None:
    path = tmp_path / "m.json"
    old_model.save(path)
    before = files(tmp_path)

    def fail(*args: object, **kwargs: object) -> None:
        raise error(28, "No space left on device") if error is OSError else error("interrupted")

    monkeypatch.setattr(target, fail)
    with pytest.raises(error if error is not ValueError else ValueError):
        new_model.save(path)
    monkeypatch.undo()
    assert files(tmp_path) == before


def test_a_write_that_fails_halfway_leaves_no_temporary_file(tmp_path: Path) -> None:
    """A file-size limit stops the write after part of the text: the partial temporary file is removed."""
    resource = pytest.importorskip("resource", reason="file-size limits (RLIMIT_FSIZE) are POSIX only")
    path = tmp_path / "m.json"
    old_model.save(path)
    before = files(tmp_path)
    # Past the limit a write fails with EFBIG instead of the process being killed by SIGXFSZ.
    old_handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (4096, hard))
    try:
        with pytest.raises(OSError, match="File too large"):
            nn.MLP(2, [64, 64, 1], seed=0).save(path)
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, old_handler)
    assert files(tmp_path) == before


def test_writes_to_a_device_in_place(tmp_path: Path) -> None:
    """Through a link, so that a save that renames instead (as root) replaces the link, never the device itself."""
    if not stat.S_ISCHR(os.stat(os.devnull).st_mode):
        pytest.skip(f"{os.devnull} is not a character device here")
    link = tmp_path / "null.json"
    link.symlink_to(os.devnull)
    new_model.save(link)
    assert link.is_symlink() and stat.S_ISCHR(os.stat(os.devnull).st_mode)
