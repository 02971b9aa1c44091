"""Read a CSV into validated series: columns picked, times parsed, values checked.

Everything here is pure: it takes a path or a file object and returns
dataclasses and arrays, raising `DataError` with the file, column and line
(the CSV's own line number, header = line 1) of the first problem found.
"""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np
import pandas as pd

from rnncli.config import DataSpec
from rnncli.errors import DataError

TARGET_NAMES = ("close", "price", "value", "y")
SINGLE_SERIES = "series"


@dataclass(frozen=True)
class Columns:
    """What each column means. `inputs` are the model's features, targets first."""

    time_col: str | None
    targets: tuple[str, ...]
    inputs: tuple[str, ...]
    id_col: str | None

    @property
    def features(self) -> tuple[str, ...]:
        """The inputs that are not targets."""
        return tuple(c for c in self.inputs if c not in self.targets)


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


def check_file(path: str | Path, label: str) -> None:
    """DataError unless `path` names an existing file (not a directory)."""
    path = Path(path)
    if not path.exists():
        raise DataError(f"file '{label}' not found; check the path (or pass - to read stdin)")
    if path.is_dir():
        raise DataError(f"'{label}' is a directory, not a CSV file")


def read_table(source: str | Path | IO[str], label: str) -> pd.DataFrame:
    """Read CSV text from a path or an open file; errors name `label`."""
    if isinstance(source, (str, Path)):
        check_file(source, label)
    try:
        df = pd.read_csv(source, skipinitialspace=True)
    except pd.errors.EmptyDataError:
        raise DataError(f"{label} is empty; give a CSV with a header row and data") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(f"{label} is not a readable CSV: {first}") from None
    except OSError as exc:
        raise DataError(f"cannot read {label}: {exc.strerror or exc}") from None
    if df.empty:
        raise DataError(f"{label} has a header but no data rows")
    df.columns = [str(c).strip() for c in df.columns]
    return df


def _line(df: pd.DataFrame, pos: int) -> int:
    return int(df.index[pos]) + 2


def _require(df: pd.DataFrame, label: str, names: Iterable[str | None], what: str) -> None:
    for name in names:
        if name is not None and name not in df.columns:
            available = ", ".join(df.columns)
            raise DataError(
                f"column '{name}' ({what}) not in {label}; available columns: {available}"
            )


def _parses_as_time(col: pd.Series) -> bool:
    if pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col):
        return False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parsed = pd.to_datetime(col, errors="coerce")
    return bool(parsed.notna().all())


def _numeric_like(col: pd.Series) -> bool:
    """Numeric, boolean, or mostly numbers (a typo in a value column must not hide it)."""
    if pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col):
        return True
    present = col.dropna()
    return len(present) > 0 and pd.to_numeric(present, errors="coerce").notna().mean() >= 0.5


def pick_columns(df: pd.DataFrame, spec: DataSpec, label: str) -> tuple[Columns, list[str]]:
    """Resolve time, id, target and feature columns; return them with notes on what was picked."""
    notes: list[str] = []
    _require(df, label, [spec.time_col], "--time-col")
    _require(df, label, [spec.id_col], "--id-col")
    _require(df, label, spec.target, "--target")
    _require(df, label, spec.features, "--features")
    time_col = spec.time_col
    if time_col is None:
        time_col = next(
            (c for c in df.columns if c != spec.id_col and _parses_as_time(df[c])), None
        )
        if time_col is not None:
            notes.append(f"time column: {time_col}")
        else:
            notes.append("time column: none found, using row positions (set --time-col)")
    taken = {time_col, spec.id_col, *spec.features}
    targets = spec.target
    if not targets:
        numeric = [c for c in df.columns if c not in taken and _numeric_like(df[c])]
        if len(numeric) == 1:
            targets = (numeric[0],)
        else:
            named = [c for c in numeric if c.lower() in TARGET_NAMES]
            if len(named) != 1:
                listed = ", ".join(numeric) or "none"
                raise DataError(
                    f"cannot tell which column of {label} to forecast; "
                    f"numeric candidates: {listed}; pass --target NAME"
                )
            targets = (named[0],)
        notes.append(f"target: {', '.join(targets)}")
    targets = tuple(dict.fromkeys(targets))  # a column named twice is one column
    for name in targets:
        if name in (time_col, spec.id_col):
            raise DataError(f"column '{name}' cannot be both the target and the time or id column")
    inputs = tuple(dict.fromkeys((*targets, *spec.features)))
    return Columns(time_col, tuple(targets), inputs, spec.id_col), notes


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
            raise DataError(
                f"{label}: column '{name}', line {_line(df, pos)}: {col.iloc[pos]!r} is not a "
                f"number; fix the value or choose other columns"
            )
        values = values.astype(float)
        infinite = np.isinf(values.to_numpy())
        if infinite.any():  # 'inf', '-inf', or a number too large for a float (1e400)
            pos = int(np.flatnonzero(infinite)[0])
            raise DataError(
                f"{label}: column '{name}', line {_line(df, pos)}: the value is infinite ('inf', "
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
            f"{label}: column '{name}' has a missing value at line "
            f"{_line(df, int(rows[0]))}{extra}; "
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


def _parse_time(col: pd.Series, label: str, name: str, df: pd.DataFrame) -> np.ndarray:
    if pd.api.types.is_numeric_dtype(col):
        if col.isna().any():
            pos = int(np.flatnonzero(col.isna().to_numpy())[0])
            raise DataError(f"{label}: time column '{name}' is blank at line {_line(df, pos)}")
        return col.to_numpy(dtype=np.int64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parsed = pd.to_datetime(col, errors="coerce")
    bad = parsed.isna()
    if bad.any():
        pos = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataError(
            f"{label}: time column '{name}', line {_line(df, pos)}: {col.iloc[pos]!r} is not a "
            f"date; fix it or name another column with --time-col"
        )
    if getattr(parsed.dt, "tz", None) is not None:
        parsed = parsed.dt.tz_convert("UTC").dt.tz_localize(None)
    return parsed.to_numpy(dtype="datetime64[ns]")


def _check_order(time: np.ndarray, lines: np.ndarray, label: str, sid: str | None) -> None:
    where = f"{label}: series '{sid}'" if sid is not None else label
    step = np.diff(time)
    zero = np.zeros((), dtype=step.dtype)
    dup = np.flatnonzero(step == zero)
    if dup.size:
        i = int(dup[0]) + 1
        raise DataError(
            f"{where}: duplicated time stamp {format_time(time[i])} at line {lines[i]}; "
            f"each time step must appear once per series"
        )
    back = np.flatnonzero(step < zero)
    if back.size:
        i = int(back[0]) + 1
        raise DataError(
            f"{where}: time stamps out of order at line {lines[i]} ({format_time(time[i])} "
            f"after {format_time(time[i - 1])}); sort the file by time"
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


def load_panel(source: str | Path | IO[str], spec: DataSpec, label: str) -> Panel:
    """Read, pick columns, check and (when asked) fill: one Series per id."""
    df = read_table(source, label)
    columns, notes = pick_columns(df, spec, label)
    values = _numeric(df, columns.inputs, label)
    keys = df[columns.id_col].astype(str) if columns.id_col is not None else None
    values = _fill(values, spec.fill, label, df, keys)
    kept = df.loc[values.index]
    if columns.time_col is not None:
        time = _parse_time(kept[columns.time_col], label, columns.time_col, kept)
    else:
        time = np.arange(len(kept), dtype=np.int64)
    lines = kept.index.to_numpy() + 2
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
        _check_order(time[rows], lines[rows], label, sid)
        series.append(Series(sid or SINGLE_SERIES, time[rows], array[rows], lines[rows]))
    freqs = {infer_freq(s.time) for s in series}
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
