"""Replace a file's contents all at once, as a careful editor saves: the old file or the new one, never half of each.

The text goes to a temporary file in the same folder, which is flushed to disk and then renamed over
the target, so a crash, a full disk or Ctrl-C halfway leaves the old file as it was. Otherwise it
behaves like `open(path, "w")`: it writes through symlinks to the file they point to, refuses a file
`open()` could not write (PermissionError naming the path), gives a new file the mode `open()` would
(0o666 less the umask) and keeps an existing file's mode.
"""

from __future__ import annotations

import errno
import os
import secrets
import stat
from contextlib import suppress


def write_atomically(path: str | os.PathLike[str], text: str) -> None:
    """Replace the contents of `path` with `text` (UTF-8), all or nothing.

    Raises what `open(path, "w")` would (PermissionError, IsADirectoryError, FileNotFoundError for a
    missing folder, naming the path) before writing anything; any failure later keeps the old file
    and removes the temporary one.
    """
    target = os.path.realpath(path)  # through every symlink, so a link keeps pointing at the saved file
    try:
        info = os.stat(target)
    except FileNotFoundError:
        info = None
    if info is not None:
        if stat.S_ISDIR(info.st_mode):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), os.fspath(path))
        # Decided by os.access, as open() decides: root may write a read-only file, so this lets root do it too.
        if not os.access(target, os.W_OK):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), os.fspath(path))
        if not stat.S_ISREG(info.st_mode):  # a device or a pipe cannot be renamed over; write to it as open() does
            with open(target, "w", encoding="utf-8") as f:
                f.write(text)
            return
    folder = os.path.dirname(target)
    temp = os.path.join(folder, f".{os.path.basename(target)}.{secrets.token_hex(6)}.tmp")
    # Mode 0o666 lets the kernel apply the umask, exactly as for a file that open() creates.
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o666)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            if info is not None:
                os.fchmod(f.fileno(), stat.S_IMODE(info.st_mode))
            os.fsync(f.fileno())  # the data is on disk before the name points at it
        os.replace(temp, target)
    except BaseException:
        with suppress(FileNotFoundError):
            os.unlink(temp)
        raise
    _fsync_folder(folder)  # and the rename itself survives a crash


def _fsync_folder(folder: str) -> None:
    """Flush a folder's entries (a rename) to disk; a no-op where folders cannot be opened or synced."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        with suppress(OSError):  # some file systems refuse fsync on a folder (EINVAL); the file itself is synced
            os.fsync(fd)
    finally:
        os.close(fd)
