"""The Typer app, the error mapping, and what every command shares (DATA, config, stdout).

TensorFlow is imported inside the library calls that need it, never here at module level, so
`--help` and Tab completion stay fast.
"""

from __future__ import annotations

import functools
import gc
import os
import sys
import warnings
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from rnncli import __version__
from rnncli.cli import render as console
from rnncli.errors import RnnCliError, describe_os_error

app = typer.Typer(
    name="rnncli",
    help="Time-series forecasting with recurrent neural networks (SimpleRNN, LSTM, GRU), "
    "from a CSV, without writing code.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)

_STATE = {"debug": False}


def handle_errors(func: Any) -> Any:
    """The one mapping of failures to exit codes: a user error (`RnnCliError`) or a refused
    system call (`OSError`: a full disk, a permission) is one `Error:` line on stderr; a
    reader that stops early (`| head`) ends the command quietly with 141, Ctrl-C with 130;
    warnings become `Warning:` lines. Tracebacks only with --debug."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            with warnings.catch_warnings():
                warnings.showwarning = _show_warning
                return func(*args, **kwargs)
        except RnnCliError as exc:
            _fail(exc, str(exc), exc.exit_code)
        except BrokenPipeError as exc:
            if _STATE["debug"]:
                raise
            raise typer.Exit(_broken_pipe()) from exc
        except OSError as exc:
            _fail(exc, describe_os_error(exc), 1)
        except MemoryError as exc:
            _fail(exc, "out of memory; use a smaller model (--units, --look-back) or less data", 1)
        except KeyboardInterrupt:
            if _STATE["debug"]:
                raise
            console.note("Interrupted.")
            raise typer.Exit(130) from None

    return wrapper


def _fail(exc: BaseException, message: str, code: int) -> NoReturn:
    if _STATE["debug"]:
        raise exc
    console.err().print(f"Error: {message}", markup=False, highlight=False)
    raise typer.Exit(code) from None


def _show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: Any = None,
    line: str | None = None,
) -> None:
    """A library's warning (NumPy's RuntimeWarning, a Keras notice) as one `Warning:` line."""
    text = str(message).strip()
    console.warn(text.splitlines()[0] if text else category.__name__)


def _broken_pipe() -> int:
    """The reader of stdout went away: point stdout at devnull, so that the flush at exit
    cannot fail again, and return the status of a process ended by SIGPIPE (128 + 13)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass
    return 141


def _version(value: bool) -> None:
    if value:
        print(f"rnncli {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show full tracebacks (also RNNCLI_DEBUG=1).")
    ] = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Let TensorFlow's own log through.")
    ] = False,
) -> None:
    from rnncli import runtime

    _STATE["debug"] = debug or os.environ.get("RNNCLI_DEBUG", "") not in ("", "0")
    runtime.set_verbose(verbose)


def _value(v: Any) -> Any:
    if isinstance(v, Enum):
        return v.value
    if isinstance(v, list):
        return tuple(v) or None
    return v


def make_config(config_file: Path | None, flags: dict[str, Any]) -> tuple[Any, dict[str, str]]:
    """The effective RunConfig: YAML file (if any), then the flags that were given; and the
    file's `data` and `out` paths (resolved against its folder)."""
    from rnncli import config as cfg

    file_options = cfg.load_yaml(config_file) if config_file is not None else {}
    base = config_file.parent if config_file is not None else Path()
    file_options, paths = cfg.split_paths(file_options, base)
    return cfg.merge(file_options, {k: _value(v) for k, v in flags.items()}), paths


def open_data(data: str) -> tuple[Any, str]:
    """A path, or stdin for '-': (source, label for messages)."""
    if data != "-":
        return data, data
    if sys.stdin is None or sys.stdin.isatty():
        raise RnnCliError("DATA is '-' but nothing is piped to stdin; pipe a CSV or name a file")
    return sys.stdin, "<stdin>"


def list_skipped(skipped: tuple[tuple[str, str], ...], verbose: bool) -> None:
    """With --verbose, the series --skip-invalid left out: one line each, with the reason."""
    from rnncli import runtime

    if verbose or runtime.verbose():
        for _sid, why in skipped:  # each reason names its series
            console.note(f"skipped: {why}")


def main() -> None:
    """Console-script entry point: the app, then stdout flushed under the same error mapping
    (a full device or a closed pipe shows when the last buffered bytes are written)."""
    code: Any = 0
    try:
        app(prog_name="rnncli")
    except SystemExit as exc:
        code = exc.code
    except KeyboardInterrupt:  # outside a command (while parsing the options)
        console.note("Interrupted.")
        code = 130
    finally:
        # Python's final garbage collection would walk every object the run made: pandas'
        # and the command's (~0.07 s of a 0.6 s NumPy predict), TensorFlow's and Keras's
        # after a training run (~1 s); the process is ending, so freezing skips that walk
        # (bench/bench_predict.py)
        gc.freeze()
    try:
        if sys.stdout is not None:
            sys.stdout.flush()
    except BrokenPipeError:
        code = code or _broken_pipe()
    except OSError as exc:
        _broken_pipe()  # nothing more can be written there either
        console.err().print(
            f"Error: {describe_os_error(exc, 'stdout')}", markup=False, highlight=False
        )
        code = code or 1
    sys.exit(code)


def write_stdout(render: Any) -> None:
    """Write to stdout and flush, so that a failed write is reported by `handle_errors`."""
    stream = console.Stdout()
    render(stream)
    stream.flush()
