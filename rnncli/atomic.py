"""Write a file atomically: a reader sees the old file or the complete new one, never a part."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO


@contextlib.contextmanager
def atomic_open(path: Path) -> Iterator[BinaryIO]:
    """A binary file handle on a temporary file beside `path`, renamed over it on success.

    The temporary file is flushed to disk and renamed over `path` (os.replace). An existing
    file keeps its permissions, a new one gets the usual ones (0o666 less the umask). On any
    failure the temporary file is removed, `path` is left as it was and the error (an
    OSError for a write that the system refused) is raised.
    """
    path = Path(path)
    if path.exists():
        mode = path.stat().st_mode & 0o777
    else:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_atomic(path: Path, data: str | bytes | memoryview) -> None:
    """Write `data` (text as UTF-8, or bytes) to `path` atomically (see `atomic_open`)."""
    with atomic_open(path) as fh:
        fh.write(data.encode("utf-8") if isinstance(data, str) else data)
