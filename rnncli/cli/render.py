"""Output: data on stdout, everything else on stderr; tables, JSON, CSV; progress.

No colour, no progress bar and no prompt when the stream is not a terminal
or NO_COLOR is set. Only this module and cli.py import rich.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from rich.console import Console
from rich.table import Table


class _Console(Console):
    def on_broken_pipe(self) -> None:
        # rich would exit 1 here; raise instead, so that `cli.common.handle_errors` ends the
        # command as every closed pipe ends it (quietly, 141)
        raise BrokenPipeError


def _console(stream: Any) -> Console:
    no_color = bool(os.environ.get("NO_COLOR"))
    tty = bool(getattr(stream, "isatty", lambda: False)())
    return _Console(
        file=stream, no_color=no_color, highlight=False, soft_wrap=True, width=None if tty else 160
    )


def out() -> Console:
    return _console(sys.stdout)


def err() -> Console:
    return _console(sys.stderr)


def interactive(stream: Any = None) -> bool:
    """True when `stream` (stderr by default) is a terminal and colour is allowed."""
    stream = stream if stream is not None else sys.stderr
    return bool(getattr(stream, "isatty", lambda: False)()) and not os.environ.get("NO_COLOR")


def note(message: str) -> None:
    """A line of information on stderr."""
    print(message, file=sys.stderr, flush=True)


def warn(message: str) -> None:
    print(f"Warning: {message}", file=sys.stderr, flush=True)


def _plain(value: Any) -> Any:
    if isinstance(value, float):
        return None if math.isnan(value) else value
    if hasattr(value, "item"):  # numpy scalars
        return _plain(value.item())
    return value


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        return f"{value:.4g}" if abs(value) < 1e6 else f"{value:,.0f}"
    if hasattr(value, "item"):
        return _cell(value.item())
    return str(value)


def write_rows(
    rows: Sequence[dict[str, Any]],
    fmt: str,
    *,
    title: str | None = None,
    stream: Any = None,
    columns: Iterable[str] | None = None,
) -> None:
    """Render rows (dicts with the same keys) as a table, JSON or CSV on stdout."""
    stream = stream if stream is not None else sys.stdout
    cols = list(columns) if columns is not None else (list(rows[0]) if rows else [])
    if fmt == "json":
        json.dump([{k: _plain(r.get(k)) for k in cols} for r in rows], stream, indent=2)
        stream.write("\n")
    elif fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(cols)
        for r in rows:
            writer.writerow(["" if r.get(k) is None else _plain(r.get(k)) for k in cols])
        stream.write(buffer.getvalue())
    else:
        table = Table(title=title, title_justify="left")
        for c in cols:
            numeric = any(isinstance(r.get(c), (int, float)) for r in rows)
            table.add_column(c, justify="right" if numeric else "left")
        for r in rows:
            table.add_row(*(_cell(r.get(k)) for k in cols))
        _console(stream).print(table)


def write_json(data: Any, stream: Any = None) -> None:
    stream = stream if stream is not None else sys.stdout
    json.dump(data, stream, indent=2, default=_plain)
    stream.write("\n")


class EpochProgress:
    """Per-epoch progress on stderr: a Rich bar in a terminal, one plain line otherwise."""

    def __init__(self, epochs: int, quiet: bool = False) -> None:
        self.epochs = epochs
        self.quiet = quiet
        self.bar: Any = None
        self.task: Any = None
        if not quiet and interactive():
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
            )

            self.bar = Progress(
                TextColumn("epoch"),
                MofNCompleteColumn(),
                BarColumn(),
                TextColumn("{task.description}"),
                TimeElapsedColumn(),
                console=err(),
                transient=False,
            )
            self.task = self.bar.add_task("", total=epochs)
            self.bar.start()

    def __call__(self, epoch: int, logs: dict[str, float]) -> None:
        if self.quiet:
            return
        text = "  ".join(f"{k} {v:.4g}" for k, v in logs.items())
        if self.bar is not None:
            self.bar.update(self.task, completed=epoch + 1, description=text)
        else:
            note(f"epoch {epoch + 1}/{self.epochs}  {text}")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()
            self.bar = None


ProgressHook = Callable[[int, dict[str, float]], None]
