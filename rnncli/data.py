"""Read a CSV into validated series: columns picked (`columns`), times parsed and values
checked (`parsing`), one Series per id in time order.

Everything here is pure: it takes a path or a file object and returns
dataclasses and arrays, raising `DataError` with the file, column and line
(the CSV's own line number, header = line 1) of the first problem found.
"""

from __future__ import annotations

import hashlib
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np
import pandas as pd

from rnncli import tables
from rnncli.columns import Columns, likely_id, pick_columns
from rnncli.config import DataSpec
from rnncli.errors import DataError
from rnncli.parsing import COMMA_DECIMAL, decimal_hint, line_of, parse_time

SINGLE_SERIES = "series"


@dataclass(frozen=True)
class Series:
    """One series: its id, time stamps (datetime64 or int64 positions), values (n, n_inputs)."""

    id: str
    time: np.ndarray
    values: np.ndarray
    first_line: np.ndarray  # CSV line number of each row, for messages


@dataclass(frozen=True)
class Panel:
    source: str
    columns: Columns
    series: tuple[Series, ...]
    freq: str | None
    notes: tuple[str, ...]  # what was picked automatically, for stderr


def read_table(source: str | Path | IO[str], label: str) -> pd.DataFrame:
    """Read a CSV or Parquet file from a path or an open file (`tables.read_table`)."""
    return tables.read_table(source, label)


def _numeric(df: pd.DataFrame, columns: tuple[str, ...], label: str) -> pd.DataFrame:
    out = {}
    for name in columns:
        col = df[name]
        if pd.api.types.is_bool_dtype(col):
            out[name] = col.astype(float)
            continue
        values = pd.to_numeric(col, errors="coerce")
        bad = values.isna() & col.notna()
        if bad.any():
            pos = int(np.flatnonzero(bad.to_numpy())[0])
            value = str(col.iloc[pos])
            fix = (
                decimal_hint(value.strip())
                if COMMA_DECIMAL.fullmatch(value)
                else "fix the value or choose other columns"
            )
            raise DataError(
                f"{label}: column '{name}', {line_of(df, pos)}: {col.iloc[pos]!r} is not a "
                f"number; {fix}"
            )
        values = values.astype(float)
        infinite = np.isinf(values.to_numpy())
        if infinite.any():  # 'inf', '-inf', or a number too large for a float (1e400)
            pos = int(np.flatnonzero(infinite)[0])
            raise DataError(
                f"{label}: column '{name}', {line_of(df, pos)}: the value is infinite ('inf', "
                f"or a number too large for a float such as 1e400); fix it, or leave it empty "
                f"and pass --fill"
            )
        out[name] = values
    return pd.DataFrame(out, index=df.index)


def _fill(
    values: pd.DataFrame, how: str | None, label: str, df: pd.DataFrame, keys: pd.Series | None
) -> pd.DataFrame:
    """Refuse missing values unless `how` says how to fill them (within each series)."""
    missing = values.isna()
    if not missing.to_numpy().any():
        return values
    if how is None:
        rows, cols = np.nonzero(missing.to_numpy())
        name = values.columns[cols[0]]
        more = len(rows) - 1
        extra = f" (and {more} more)" if more else ""
        raise DataError(
            f"{label}: column '{name}' has a missing value at "
            f"{line_of(df, int(rows[0]))}{extra}; "
            f"fix the data or pass --fill ffill|interpolate|drop"
        )
    groups = values.groupby(keys, sort=False) if keys is not None else None
    if how == "ffill":
        values = groups.ffill() if groups is not None else values.ffill()
    elif how == "interpolate":

        def inside(frame: pd.DataFrame) -> pd.DataFrame:
            return frame.interpolate(method="linear", limit_area="inside")

        values = groups.transform(inside) if groups is not None else inside(values)
    return values.dropna()  # 'drop', and leading gaps that nothing can fill


def _check_order(
    time: np.ndarray, lines: np.ndarray, where: str, unit: str, id_hint: str | None = None
) -> None:
    """DataError at the first duplicated or backward time stamp of one series.

    `id_hint` names a column that looks like a series id when none was given: the file is
    then likely a panel read as one series, and the message says to pass --id-col.
    """
    fix = (
        f"is '{id_hint}' a series id? pass --id-col {id_hint} for a file of several series"
        if id_hint is not None
        else None
    )
    step = np.diff(time)
    zero = np.zeros((), dtype=step.dtype)
    dup = np.flatnonzero(step == zero)
    if dup.size:
        i = int(dup[0]) + 1
        raise DataError(
            f"{where}: duplicated time stamp {format_time(time[i])} at {unit} {lines[i]}; "
            + (fix or "each time step must appear once per series")
        )
    back = np.flatnonzero(step < zero)
    if back.size:
        i = int(back[0]) + 1
        raise DataError(
            f"{where}: time stamps out of order at {unit} {lines[i]} ({format_time(time[i])} "
            f"after {format_time(time[i - 1])}); " + (fix or "sort the file by time")
        )


def infer_freq(time: np.ndarray) -> str | None:
    """A pandas frequency for datetime stamps; business days when only weekdays occur."""
    if time.dtype.kind != "M" or len(time) < 3:
        return None
    index = pd.DatetimeIndex(time)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pandas 3 announces an offset return type
        freq = pd.infer_freq(index)
    if freq is not None:
        return freq if isinstance(freq, str) else freq.freqstr
    deltas = np.diff(time).astype("timedelta64[s]").astype(np.int64)
    day = 86400
    if index.day_of_week.max() < 5 and np.median(deltas) == day:
        return "B"
    step = int(np.median(deltas))
    return pd.tseries.frequencies.to_offset(pd.Timedelta(seconds=step)).freqstr


def load_panel(
    source: str | Path | IO[str] | pd.DataFrame,
    spec: DataSpec,
    label: str,
    *,
    with_freq: bool = True,
) -> Panel:
    """Read (or take a table from `read_table`), pick columns, check and fill: one Series per id.

    `with_freq=False` leaves the panel's frequency None (a model's data, whose frequency is
    recorded: inferring it costs ~0.1 ms per series).
    """
    df = source if isinstance(source, pd.DataFrame) else read_table(source, label)
    columns, notes = pick_columns(df, spec, label)
    notes = tables.notes(df) + notes
    values = _numeric(df, columns.inputs, label)
    keys = df[columns.id_col].astype(str) if columns.id_col is not None else None
    values = _fill(values, spec.fill, label, df, keys)
    kept = df.loc[values.index]
    if columns.time_col is not None:
        time = parse_time(kept[columns.time_col], label, columns.time_col, kept, spec.time_format)
    else:
        time = np.arange(len(kept), dtype=np.int64)
    lines = kept.index.to_numpy()
    if len(lines) and lines.max() < 2**31:  # CSV line numbers: int32 halves their memory
        lines = lines.astype(np.int32)
    unit = tables.where(df)
    array = values.to_numpy(dtype=np.float64)
    groups: list[tuple[str | None, np.ndarray]]
    if columns.id_col is None:
        groups = [(None, np.arange(len(kept)))]
    else:  # rows of each id, ids in order of first appearance (one sort, not ids x rows)
        ids = kept[columns.id_col].astype(str).to_numpy()
        uniq, first, inverse = np.unique(ids, return_index=True, return_inverse=True)
        rows_by = np.split(np.argsort(inverse, kind="stable"), np.cumsum(np.bincount(inverse))[:-1])
        groups = [(str(uniq[i]), rows_by[i]) for i in np.argsort(first)]
    series = []
    for sid, rows in groups:
        where = f"{label}: series '{sid}'" if sid is not None else label
        try:
            _check_order(time[rows], lines[rows], where, unit)
        except DataError:
            hint = likely_id(df, columns) if sid is None else None
            if hint is None:
                raise
            _check_order(time[rows], lines[rows], where, unit, hint)
        series.append(Series(sid or SINGLE_SERIES, time[rows], array[rows], lines[rows]))
    freqs = {infer_freq(s.time) for s in series} if with_freq else set()
    freq = freqs.pop() if len(freqs) == 1 else None
    if columns.id_col is not None:
        notes.append(f"series: {len(series)} (by {columns.id_col})")
    return Panel(label, columns, tuple(series), freq, tuple(notes))


def format_times(values: np.ndarray | pd.Index) -> list[str]:
    """Time stamps as text, in one format for all of them.

    ISO dates when every stamp is at midnight, else ISO date-times; integer positions
    as plain integers.
    """
    if values.dtype.kind != "M":
        return [str(int(v)) for v in values]
    index = pd.DatetimeIndex(values)
    if (index == index.normalize()).all():
        return [t.date().isoformat() for t in index]
    return [t.isoformat() for t in index]


def series_digest(values: np.ndarray) -> str:
    """SHA-256 of a series' values as float64: recorded at training, checked on newer data."""
    return hashlib.sha256(np.ascontiguousarray(values, dtype=np.float64).tobytes()).hexdigest()


def format_time(value: object) -> str:
    """One time stamp as text (`format_times`): the date alone at midnight."""
    if isinstance(value, (np.integer, int)):
        return str(int(value))
    return format_times(pd.DatetimeIndex([value]))[0]


def resolve_size(size: float, n: int, name: str) -> int:
    """A split size given as a fraction (< 1) of n time steps, or as a count (>= 1)."""
    if size < 1:
        return round(size * n)
    if size != int(size):
        raise DataError(f"--{name} {size}: give a fraction below 1 or a whole count of steps")
    return int(size)
