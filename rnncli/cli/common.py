"""The Typer app, the error mapping, and what every command shares (DATA, config, stdout).

TensorFlow is imported inside the library calls that need it, never here at module level, so
`--help` and Tab completion stay fast.
"""

from __future__ import annotations

import functools
import gc
import os
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer

from rnncli import __version__
from rnncli.cli import render as console
from rnncli.errors import RnnCliError

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
    """Map user errors to one line on stderr and an exit code; tracebacks only with --debug."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except RnnCliError as exc:
            if _STATE["debug"]:
                raise
            console.err().print(f"Error: {exc}", markup=False, highlight=False)
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            if _STATE["debug"]:
                raise
            console.note("Interrupted.")
            raise typer.Exit(130) from None

    return wrapper


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


def make_config(config_file: Path | None, flags: dict[str, Any]) -> Any:
    """The effective RunConfig: YAML file (if any), then the flags that were given."""
    from rnncli import config as cfg

    file_options = cfg.load_yaml(config_file) if config_file is not None else {}
    return cfg.merge(file_options, {k: _value(v) for k, v in flags.items()})


def open_data(data: str) -> tuple[Any, str]:
    """A path, or stdin for '-': (source, label for messages)."""
    if data != "-":
        return data, data
    if sys.stdin is None or sys.stdin.isatty():
        raise RnnCliError("DATA is '-' but nothing is piped to stdin; pipe a CSV or name a file")
    return sys.stdin, "<stdin>"


def main() -> None:
    """Console-script entry point."""
    try:
        app(prog_name="rnncli")
    finally:
        if "tensorflow" in sys.modules:
            # Python's final garbage collection would walk every object TensorFlow and Keras
            # made at import (~1 s, measured in bench/bench_predict.py); freezing skips it
            gc.freeze()


def write_stdout(render: Any) -> None:
    """Write to stdout; a reader that stops early (`| head`) ends the command quietly."""
    try:
        render(sys.stdout)
        sys.stdout.flush()
    except BrokenPipeError:
        # point stdout at devnull so that the flush at exit cannot fail again, then stop
        # with the status of a process ended by SIGPIPE (128 + 13), without a traceback
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError, AttributeError):
            pass
        raise typer.Exit(141) from None
