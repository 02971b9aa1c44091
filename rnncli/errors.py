"""Errors a user can act on. The CLI edge maps each to one line on stderr and its exit code:
1 for data, model and training errors, 2 for a bad option value (a usage error, like Typer's).
"""

import errno
import reprlib


class RnnCliError(Exception):
    """Base class: the message says what is wrong and how to fix it."""

    exit_code = 1


class DataError(RnnCliError):
    """The input data is unusable: missing file or column, bad values, too short."""


class ConfigError(RnnCliError):
    """An option or a YAML config value is invalid: a usage error (exit 2, as Typer's)."""

    exit_code = 2


class ArtifactError(RnnCliError):
    """A model directory is missing, incomplete, corrupt or from a newer rnncli."""


class TrainingError(RnnCliError):
    """Training failed in a way the user can fix (NaN loss, no GPU, ...)."""


_BRIEF = reprlib.Repr()
_BRIEF.maxlevel, _BRIEF.maxlist, _BRIEF.maxtuple, _BRIEF.maxdict = 2, 4, 4, 4
_BRIEF.maxstring = _BRIEF.maxother = _BRIEF.maxlong = 40


def brief(value: object) -> str:
    """`repr(value)` cut short for a message: a huge or deeply nested value stays one line."""
    return _BRIEF.repr(value)


# errno -> the one line for it ({name}: the path, {at}: " PATH" or "", {writing}: " writing
# PATH" or ""); the one table of OS errors, as huggingface_hub's cli/_errors.py keeps one
_OS_MESSAGES = {
    errno.ENOSPC: "no space left on the device{writing}; free some space or write elsewhere",
    errno.EDQUOT: "disk quota exceeded{writing}; free some space or write elsewhere",
    errno.EACCES: "permission denied:{at}; check its permissions (and its directory's)",
    errno.EPERM: "operation not permitted:{at}; check its permissions (and its directory's)",
    errno.EROFS: "read-only file system:{at}; write elsewhere",
    errno.ENOTDIR: "{name}: a part of this path is a file, not a directory; choose another path",
    errno.EISDIR: "{name} is a directory; give a file",
    errno.ENOENT: "{name} does not exist; check the path",
    errno.ENAMETOOLONG: "file name too long:{at}; choose a shorter path",
    errno.ELOOP: "{name}: too many levels of symbolic links; check the link",
}


def describe_os_error(exc: OSError, target: str | None = None) -> str:
    """One line for an OSError the system raised: what failed, on which path, what to do.

    `target` names what was written when the error carries no file name (e.g. "stdout").
    """
    name = exc.filename if exc.filename is not None else target
    at = f" {name}" if name is not None else ""
    if exc.filename2 is not None:
        at = f" {name} -> {exc.filename2}"
    template = _OS_MESSAGES.get(exc.errno or 0)
    if template is not None and (name is not None or "{name}" not in template):
        return template.format(name=name, at=at, writing=f" writing{at}" if at else "")
    reason = exc.strerror or str(exc) or type(exc).__name__
    return f"{reason}:{at}" if at else reason
