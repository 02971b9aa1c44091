"""Write a file atomically: a reader sees the old file or the complete new one, never a part.

Every output rnncli writes (`train --out`, `ingest --out`, `predict --output`, `--plot`)
creates its missing parent directories, as `mkdir -p` would (`make_parents`).

The new file is written to a hidden temporary file beside the target,
`.NAME.PID.HOST.XXXXXXXX.tmp`, then renamed over it. A process killed with SIGKILL (or by
the system) while it writes cannot remove its temporary file; the next write to the same
target on the same machine removes those whose process is gone (`sweep`), as
`dirswap.sweep` does for a model directory.
"""

from __future__ import annotations

import contextlib
import errno
import glob
import os
import re
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO


def make_parents(path: Path) -> None:
    """Create the missing directories above `path`; a file in the way is an OSError (ENOTDIR)
    naming `path`."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(path)) from None


# after .NAME.: PID.HOST.XXXXXXXX.tmp (mkstemp's 8 characters)
_TEMPORARY = re.compile(r"(\d+)\.(.+)\.[a-z0-9_]{8}\.tmp")


def host_name() -> str:
    """This machine's name as it goes into a temporary file's name (a process id means
    something only on its own machine: a shared directory may hold another's)."""
    return re.sub(r"[^A-Za-z0-9.-]", "_", socket.gethostname()) or "host"


def alive(pid: int) -> bool:
    """Whether process `pid` exists (someone else's process counts as alive)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # EPERM: someone else's process
        return True
    return True


def sweep(path: Path) -> list[Path]:
    """Remove the temporary files that writes of `path` by processes of this machine now
    gone left beside it (.NAME.PID.HOST.XXXXXXXX.tmp); the ones removed. A live process's
    file, another machine's and any other file are left alone."""
    removed = []
    prefix, host = f".{path.name}.", host_name()
    for tmp in path.parent.glob(f"{glob.escape(prefix)}*.tmp"):
        stamp = _TEMPORARY.fullmatch(tmp.name[len(prefix) :])
        if stamp is None or stamp.group(2) != host:  # not ours, or another target's
            continue  # (.NAME.5.PID.HOST.XXXXXXXX.tmp is a write of NAME.5)
        pid = int(stamp.group(1))
        if pid != os.getpid() and not alive(pid):
            with contextlib.suppress(OSError):
                tmp.unlink()
                removed.append(tmp)
    return removed


@contextlib.contextmanager
def atomic_open(path: Path) -> Iterator[BinaryIO]:
    """A binary file handle on a temporary file beside `path`, renamed over it on success.

    The temporary file is flushed to disk and renamed over `path` (os.replace). An existing
    file keeps its permissions, a new one gets the usual ones (0o666 less the umask). On any
    failure the temporary file is removed, `path` is left as it was and the error (an
    OSError for a write that the system refused, naming `path`) is raised. Temporary files
    that killed writes of `path` left behind are removed first (`sweep`).
    """
    path = Path(path)
    make_parents(path)
    if path.is_dir():
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
    if path.exists():
        mode = path.stat().st_mode & 0o777
    else:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    sweep(path)
    try:
        prefix = f".{path.name}.{os.getpid()}.{host_name()}."
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=prefix, suffix=".tmp")
    except OSError as exc:
        raise _naming(exc, path) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise _naming(exc, path) from None
        raise


def _naming(exc: OSError, path: Path) -> OSError:
    """The same error about `path` (not the temporary file; a write error names no file)."""
    return type(exc)(exc.errno, exc.strerror or str(exc), str(path))


def write_atomic(path: Path, data: str | bytes | memoryview) -> None:
    """Write `data` (text as UTF-8, or bytes) to `path` atomically (see `atomic_open`)."""
    with atomic_open(path) as fh:
        fh.write(data.encode("utf-8") if isinstance(data, str) else data)
