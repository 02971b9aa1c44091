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

from rich.box import HEAVY_HEAD
from rich.console import Console
from rich.measure import Measurement
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


class Stdout:
    """sys.stdout as the writers see it: an OSError it raises names "stdout" (the one OS
    error mapping, `cli.common.handle_errors`, then says where the write failed)."""

    def __init__(self) -> None:
        self.stream = sys.stdout

    def write(self, text: str) -> int:
        try:
            return self.stream.write(text)
        except BrokenPipeError:
            raise
        except OSError as exc:
            exc.filename = exc.filename or "stdout"
            raise

    def flush(self) -> None:
        try:
            self.stream.flush()
        except BrokenPipeError:
            raise
        except OSError as exc:
            exc.filename = exc.filename or "stdout"
            raise

    def __getattr__(self, name: str) -> Any:  # isatty, fileno, encoding, ...
        return getattr(self.stream, name)


def out() -> Console:
    return _console(Stdout())


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


# fixed decimals for columns whose unit is known; any other float column gets the decimals
# that show its largest value with 4 significant digits (0 from 1,000 up)
_DECIMALS = {
    "mape": 2,
    "smape": 2,
    "coverage": 1,
    "nominal": 0,
    "mase": 3,
    "mae_vs_naive": 3,
    "mae_vs_seasonal_naive": 3,
}


def _number(value: Any) -> Any:
    value = value.item() if hasattr(value, "item") else value
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _decimals(column: str, values: Sequence[Any]) -> int:
    if column in _DECIMALS:
        return _DECIMALS[column]
    finite = [abs(v) for v in map(_number, values) if isinstance(v, float) and math.isfinite(v)]
    top = max(finite, default=0.0)
    if top == 0 or all(v == int(v) for v in finite):
        return 0
    return min(6, max(0, 3 - math.floor(math.log10(top))))


def _cell(value: Any, decimals: int) -> str:
    """A table cell: fixed decimals, thousands separators, never e-notation; blank for NaN."""
    if value is None:
        return ""
    number = _number(value)
    if isinstance(number, float):
        return "" if math.isnan(number) else f"{number:,.{decimals}f}"
    if isinstance(number, int):
        return f"{number:,}"
    return str(value)


def format_column(column: str, values: Sequence[Any]) -> list[str]:
    """The cells of one table column, with one number of decimals for the whole column."""
    decimals = _decimals(column, values)
    return [_cell(v, decimals) for v in values]


def write_rows(
    rows: Sequence[dict[str, Any]],
    fmt: str,
    *,
    title: str | None = None,
    stream: Any = None,
    columns: Iterable[str] | None = None,
    optional: Sequence[str] = (),
) -> None:
    """Render rows (dicts with the same keys) as a table, JSON or CSV on stdout.

    JSON and CSV keep every digit; the table rounds each column to one number of decimals.
    """
    stream = stream if stream is not None else Stdout()
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
        _console(stream).print(_table(rows, cols, title, stream, optional))


def _table(
    rows: Sequence[dict[str, Any]],
    cols: list[str],
    title: str | None,
    stream: Any,
    optional: Sequence[str],
) -> Table:
    """Boxes in a terminal, plain aligned columns otherwise; `optional` columns are dropped,
    in order, while the table is wider than the terminal."""
    tty = bool(getattr(stream, "isatty", lambda: False)())
    cells = {c: format_column(c, [r.get(c) for r in rows]) for c in cols}

    def build(names: list[str]) -> Table:
        table = Table(title=title, title_justify="left", box=HEAVY_HEAD if tty else None)
        for c in names:
            numeric = any(_number(r.get(c)) is not None for r in rows)
            table.add_column(c, justify="right" if numeric else "left")
        for i in range(len(rows)):
            table.add_row(*(cells[c][i] for c in names))
        return table

    names = list(cols)
    table = build(names)
    left_out: list[str] = []
    if tty:
        console = _console(stream)
        unbounded = console.options.update(width=10_000, max_width=10_000)
        for column in optional:
            if Measurement.get(console, unbounded, table).maximum <= console.width:
                break
            if column in names:
                names.remove(column)
                left_out.append(column)
                table = build(names)
    if left_out:
        note(
            f"columns {', '.join(reversed(left_out))} left out to fit {_console(stream).width} "
            f"columns; --format json or a wider terminal shows them"
        )
    return table


def write_json(data: Any, stream: Any = None) -> None:
    stream = stream if stream is not None else Stdout()
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
