"""A model directory replaced in one step, and what a killed replacement leaves behind.

The new directory is written beside the target (`hidden`: .NAME.tmp-PID@HOST) and swapped
into place with one `renameat2(RENAME_EXCHANGE)` (`swap_in`): at every instant the target is
the complete old directory or the complete new one. Where the file system lacks the
exchange, the old one is renamed aside (.NAME.old-PID@HOST), the new one renamed in, and the
old one put back if that fails. A crash between those two renames leaves nothing at the
target; `recover` puts the old one back. `sweep` removes what saves killed with SIGKILL left
(this machine's only: a process id means something only on its own machine).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import glob
import os
import shutil
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from rnncli.atomic import alive, host_name

_RENAME_EXCHANGE = 2

_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically with renameat2(RENAME_EXCHANGE); False if unsupported."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_uint,
    ]
    rc = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if rc == 0:
        return True
    errno = ctypes.get_errno()
    if errno in (22, 38, 95):  # EINVAL, ENOSYS, EOPNOTSUPP: the file system cannot
        return False
    raise OSError(errno, os.strerror(errno), str(b))


# Test hook (tests/test_faults.py), not a user setting: "rename" makes the swap take the
# two-rename path of file systems without RENAME_EXCHANGE; "crash-between-renames" also kills
# the process (SIGKILL) right after the first rename, the window `recover` repairs.
TEST_SWAP_HOOK = "RNNCLI_TEST_SWAP"


def swap_in(tmp: Path, target: Path) -> None:
    """Put the complete directory `tmp` at `target`; the previous one ends up at `tmp`."""
    if not target.exists():
        tmp.rename(target)
        return
    hook = os.environ.get(TEST_SWAP_HOOK, "")
    if not hook and _exchange(tmp, target):
        return
    old = hidden(target, "old")
    target.rename(old)
    if hook == "crash-between-renames":
        os.kill(os.getpid(), signal.SIGKILL)
    try:
        tmp.rename(target)
    except BaseException:
        old.rename(target)  # put the previous model back
        raise
    old.rename(tmp)


def hidden(target: Path, kind: str, stamp: str | None = None) -> Path:
    """Where a save keeps a directory beside `target`: .NAME.tmp-PID@HOST (new),
    .NAME.old-PID@HOST (the previous one, during the fallback swap); this process's unless
    `stamp` names another's PID@HOST."""
    return target.parent / f".{target.name}.{kind}-{stamp or _stamp()}"


def _stamp() -> str:
    return f"{os.getpid()}@{host_name()}"


def _left(target: Path, kind: str) -> list[tuple[Path, str, int, bool]]:
    """The hidden directories of `kind` beside `target`: (path, PID@HOST, pid, whether it is
    this machine's: a process id means something only there; one named without a host, as
    earlier versions did, counts as this machine's)."""
    prefix = f".{target.name}.{kind}-"
    found = []
    for path in target.parent.glob(f"{glob.escape(prefix)}*"):
        stamp = path.name[len(prefix) :]
        pid, _at, host = stamp.partition("@")
        if pid.isdigit():
            found.append((path, stamp, int(pid), host in ("", host_name())))
    return found


@contextlib.contextmanager
def signals_held() -> Iterator[None]:
    """Ctrl-C, SIGTERM and SIGHUP wait until the swap is over (then they act as usual)."""
    held = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}
    try:
        previous = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    except (AttributeError, OSError, ValueError):  # no POSIX signal masks here
        yield
        return
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def recover(target: Path, marker: str, note: Callable[[str], None]) -> bool:
    """Put back a model (a directory holding the file `marker`) that a crash between the two
    renames of the fallback swap left at .NAME.old-PID@HOST with nothing at NAME; True if it
    did. The new model that was being swapped in (.NAME.tmp-PID@HOST) is discarded: the save
    that wrote it never finished."""
    if target.exists() or not target.parent.is_dir():
        return False
    left = [
        (path.stat().st_mtime, path, stamp, pid, mine)
        for path, stamp, pid, mine in _left(target, "old")
        if (path / marker).is_file()
    ]
    if not left:
        return False
    _mtime, old, stamp, pid, mine = max(left, key=lambda h: h[0])
    deadline = time.monotonic() + 2.0
    # a save may be between its two renames right now: wait while its process lives (another
    # machine's: the whole while, its process cannot be asked)
    while (not mine or (pid != os.getpid() and alive(pid))) and time.monotonic() < deadline:
        time.sleep(0.05)
        if target.exists():
            return False
    try:
        old.rename(target)
    except OSError:
        return target.exists()  # another process recovered it first
    if mine and not alive(pid):
        shutil.rmtree(hidden(target, "tmp", stamp), ignore_errors=True)
    note(
        f"recovered {target} from {old.name}: an earlier save was interrupted between its "
        f"two renames; the previous model is back"
    )
    return True


def sweep(target: Path) -> list[Path]:
    """Remove what saves of `target` killed with SIGKILL left beside it: a half-written
    .NAME.tmp-PID@HOST, and once a model is back at `target`, a .NAME.old-PID@HOST
    (`recover` puts that one back when there is none). Only this machine's, of processes now
    gone; the ones removed."""
    removed = []
    kinds = ("tmp", "old") if target.is_dir() else ("tmp",)
    for kind in kinds:
        for path, _stamp, pid, mine in _left(target, kind):
            if mine and pid != os.getpid() and not alive(pid):
                shutil.rmtree(path, ignore_errors=True)
                removed.append(path)
    return removed


__all__ = ["TEST_SWAP_HOOK", "hidden", "recover", "signals_held", "swap_in", "sweep"]
