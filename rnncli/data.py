"""Read a CSV into validated series: columns picked, times parsed, values checked.

Everything here is pure: it takes a path or a file object and returns
dataclasses and arrays, raising `DataError` with the file, column and line
(the CSV's own line number, header = line 1) of the first problem found.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np
import pandas as pd

from rnncli import tables
from rnncli.config import DataSpec
from rnncli.errors import DataError

TARGET_NAMES = ("close", "price", "value", "y")
SINGLE_SERIES = "series"


@dataclass(frozen=True)
class Columns:
    """What each column means.

    `inputs` are the data columns the model reads, in the network's order: the targets, the
    past-only features, then the known-future columns (`known`). After them the network reads
    the calendar encodings of the time stamps (`calendar`: names, two columns each), which are
    not in the data. The known-future block the network sees at every forecast step is the
    last `known_width` input columns: the known columns, then the calendar encodings.
    """

    time_col: str | None
    targets: tuple[str, ...]
    inputs: tuple[str, ...]
    id_col: str | None
    known: tuple[str, ...] = ()
    calendar: tuple[str, ...] = ()

    @property
    def features(self) -> tuple[str, ...]:
        """The past-only inputs: neither targets nor known-future columns."""
        return tuple(c for c in self.inputs if c not in self.targets and c not in self.known)

    @property
    def known_width(self) -> int:
        """Columns of the known-future block: the known columns and 2 per calendar name."""
        return len(self.known) + 2 * len(self.calendar)

    @property
    def width(self) -> int:
        """Columns of the network's inputs: the data inputs and the calendar encodings."""
        return len(self.inputs) + 2 * len(self.calendar)


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


def _line(df: pd.DataFrame, pos: int) -> str:
    """'line N' (CSV) or 'row N' (Parquet) of the row at position `pos` of `df`."""
    return f"{tables.where(df)} {int(df.index[pos])}"


def _require(df: pd.DataFrame, label: str, names: Iterable[str | None], what: str) -> None:
    for name in names:
        if name is not None and name not in df.columns:
            available = ", ".join(df.columns)
            raise DataError(
                f"column '{name}' ({what}) not in {label}; available columns: {available}"
            )


LONG_LAYOUT = ("unique_id", "ds", "y")  # Nixtla's long format: series id, time stamp, target
ID_NAMES = ("unique_id", "series_id", "series", "id", "key", "item_id", "store", "sku")
_COMMA_DECIMAL = re.compile(r"\s*[-+]?\d+,\d+\s*")


class _MixedZones(ValueError):
    """pandas refused a column whose stamps carry different time-zone offsets."""


def _to_datetime(col: pd.Series, fmt: str | None) -> pd.Series:
    """Dates parsed from `col` (NaT where a value is not one), with `fmt` when given."""
    if fmt is not None:
        if pd.api.types.is_float_dtype(col):  # 20010127.0 after a blank made the column float
            col = col.astype("Int64")
        col = col.astype(str).where(col.notna())
    elif pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col):
        return pd.Series(pd.NaT, index=col.index)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return pd.to_datetime(col, errors="coerce", format=fmt)
        except ValueError as exc:
            if "timezone" in str(exc).lower() or "time zone" in str(exc).lower():
                raise _MixedZones(str(exc)) from None
            raise


def _mixed_zones(df: pd.DataFrame, name: str, label: str) -> DataError:
    """The DataError for a time column whose stamps carry different UTC offsets."""
    zone = re.compile(r"(Z|[+-]\d\d:?\d\d)\s*$")
    col = df[name].astype(str)
    found = col.str.extract(zone, expand=False)
    first = found.iloc[0]
    other = np.flatnonzero((found != first).to_numpy())
    detail = ""
    if other.size:
        pos = int(other[0])
        shown = "none" if pd.isna(found.iloc[pos]) else found.iloc[pos]
        detail = f" ({first} at {_line(df, 0)}, {shown} at {_line(df, pos)})"
    return DataError(
        f"{label}: time column '{name}' mixes time-zone offsets{detail}; write every time "
        f"stamp with the same offset, or all in UTC"
    )


def _time_share(col: pd.Series, fmt: str | None) -> float:
    """The share of `col`'s present values that are dates (0 for a numeric column)."""
    present = col.dropna()
    if present.empty:
        return 0.0
    return float(_to_datetime(present, fmt).notna().mean())


def _numeric_like(col: pd.Series) -> bool:
    """Numeric, boolean, or mostly numbers (a typo in a value column must not hide it)."""
    if pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col):
        return True
    present = col.dropna()
    return len(present) > 0 and pd.to_numeric(present, errors="coerce").notna().mean() >= 0.5


def _comma_decimals(col: pd.Series) -> str | None:
    """A value such as '1,5' when `col` holds numbers written with a decimal comma, else None."""
    if pd.api.types.is_numeric_dtype(col):
        return None
    present = col.dropna().astype(str)
    hits = present[present.str.fullmatch(_COMMA_DECIMAL)]
    return str(hits.iloc[0]).strip() if len(hits) and len(hits) >= 0.5 * len(present) else None


def _decimal_hint(value: str) -> str:
    return (
        f"values such as '{value}' use a comma as the decimal separator; rnncli reads a point "
        f"(1.5): convert the file (e.g. save it from a spreadsheet with '.' as decimal separator)"
    )


def yyyymmdd(time: np.ndarray) -> bool:
    """True when integer time stamps read as dates written as numbers (20010127)."""
    if time.dtype.kind not in "iu" or len(time) == 0:
        return False
    if time.min() < 10000101 or time.max() > 99991231:
        return False
    parsed = pd.to_datetime(pd.Series(time.astype(str)), format="%Y%m%d", errors="coerce")
    return bool(parsed.notna().all())


def _dates_as_numbers(df: pd.DataFrame, taken: set[str | None]) -> str | None:
    """The first integer column (not in `taken`) whose values read as %Y%m%d dates."""
    for name in df.columns:
        col = df[name]
        if name not in taken and pd.api.types.is_integer_dtype(col):
            if yyyymmdd(col.to_numpy()):
                return str(name)
    return None


def _detect_time(df: pd.DataFrame, spec: DataSpec, label: str) -> str | None:
    """The first column that holds dates (all of them; one bad value is an error naming it)."""
    for name in df.columns:
        if name == spec.id_col:
            continue
        try:
            share = _time_share(df[name], spec.time_format)
        except _MixedZones:
            raise _mixed_zones(df, name, label) from None
        if share == 1.0:
            return str(name)
        if share >= 0.5 and (spec.time_format is not None or not _numeric_like(df[name])):
            _parse_time(df[name], label, str(name), df, spec.time_format)  # raises, naming it
    return None


def pick_columns(df: pd.DataFrame, spec: DataSpec, label: str) -> tuple[Columns, list[str]]:
    """Resolve time, id, target and feature columns; return them with notes on what was picked."""
    notes: list[str] = []
    _require(df, label, [spec.time_col], "--time-col")
    _require(df, label, [spec.id_col], "--id-col")
    _require(df, label, spec.target, "--target")
    _require(df, label, spec.features, "--features")
    _require(df, label, spec.known, "--known")
    both = [c for c in spec.known if c in spec.features]
    if both:
        raise DataError(
            f"column '{both[0]}' is given as both --features (past-only) and --known "
            f"(known in advance); name it once"
        )
    id_col, time_col, targets = spec.id_col, spec.time_col, spec.target
    if "ds" in df.columns and "y" in df.columns:  # the long layout: unique_id, ds, y
        long = [c for c in LONG_LAYOUT if c in df.columns]
        if id_col is None and "unique_id" in df.columns:
            id_col = "unique_id"
        time_col = time_col or "ds"
        targets = targets or ("y",)
        if spec.id_col is None or spec.time_col is None or not spec.target:
            notes.append(f"columns: {', '.join(long)} (the long layout)")
    if time_col is None:
        time_col = _detect_time(df, dataclasses.replace(spec, id_col=id_col), label)
        if time_col is not None:
            notes.append(f"time column: {time_col}")
        else:
            dated = _dates_as_numbers(df, {id_col})
            notes.append(
                "time column: none found, using row positions (set --time-col)"
                if dated is None
                else f"time column: none found, using row positions; '{dated}' holds numbers "
                f"like dates: pass --time-format %Y%m%d if they are"
            )
    taken = {time_col, id_col, *spec.features, *spec.known}
    if not targets:
        numeric = [c for c in df.columns if c not in taken and _numeric_like(df[c])]
        if len(numeric) == 1:
            targets = (numeric[0],)
        else:
            named = [c for c in numeric if c.lower() in TARGET_NAMES]
            if len(named) != 1:
                listed = ", ".join(numeric) or "none"
                commas = [v for c in df.columns if c not in taken for v in [_comma_decimals(df[c])]]
                comma = next((v for v in commas if v is not None), None)
                hint = f"; {_decimal_hint(comma)}" if comma is not None else ""
                dated = _dates_as_numbers(df, taken)
                if dated is not None:
                    hint += f"; '{dated}' holds numbers like dates: pass --time-format %Y%m%d"
                raise DataError(
                    f"cannot tell which column of {label} to forecast; "
                    f"numeric candidates: {listed}; pass --target NAME{hint}"
                )
            targets = (named[0],)
        notes.append(f"target: {', '.join(targets)}")
    targets = tuple(dict.fromkeys(targets))  # a column named twice is one column
    for name in targets:
        if name in (time_col, id_col):
            raise DataError(f"column '{name}' cannot be both the target and the time or id column")
        if name in spec.known:
            raise DataError(
                f"column '{name}' cannot be both a target and a --known input: a target's "
                f"future is what the model forecasts"
            )
    known = tuple(dict.fromkeys(spec.known))
    features = tuple(c for c in dict.fromkeys(spec.features) if c not in targets)
    inputs = (*targets, *features, *known)
    return Columns(time_col, tuple(targets), inputs, id_col, known, spec.calendar), notes


def likely_id(df: pd.DataFrame, columns: Columns) -> str | None:
    """A column that looks like a series id (a known name, or repeated text), else None."""
    others = [c for c in df.columns if c != columns.time_col and c not in columns.inputs]
    named = [c for c in others if str(c).lower() in ID_NAMES]
    if named:
        return str(named[0])
    for name in others:
        col = df[name]
        if not _numeric_like(col) and 1 < col.nunique() < len(col):
            return str(name)
    return None


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
                _decimal_hint(value.strip())
                if _COMMA_DECIMAL.fullmatch(value)
                else "fix the value or choose other columns"
            )
            raise DataError(
                f"{label}: column '{name}', {_line(df, pos)}: {col.iloc[pos]!r} is not a "
                f"number; {fix}"
            )
        values = values.astype(float)
        infinite = np.isinf(values.to_numpy())
        if infinite.any():  # 'inf', '-inf', or a number too large for a float (1e400)
            pos = int(np.flatnonzero(infinite)[0])
            raise DataError(
                f"{label}: column '{name}', {_line(df, pos)}: the value is infinite ('inf', "
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


def _parse_time(
    col: pd.Series, label: str, name: str, df: pd.DataFrame, fmt: str | None = None
) -> np.ndarray:
    """The time column as datetime64[ns] (UTC for stamps with an offset), or int64 numbers."""
    if pd.api.types.is_numeric_dtype(col) and fmt is None:
        if col.isna().any():
            pos = int(np.flatnonzero(col.isna().to_numpy())[0])
            raise DataError(f"{label}: time column '{name}' is blank at {_line(df, pos)}")
        return col.to_numpy(dtype=np.int64)
    try:
        parsed = _to_datetime(col, fmt)
    except _MixedZones:
        raise _mixed_zones(df, name, label) from None
    bad = parsed.isna()
    if bad.any():
        pos = int(np.flatnonzero(bad.to_numpy())[0])
        value = col.iloc[pos]
        if pd.isna(value):
            raise DataError(f"{label}: time column '{name}' is blank at {_line(df, pos)}")
        fix = (
            f"it does not match --time-format {fmt!r}; fix the value or the format"
            if fmt is not None
            else "fix it, name another column with --time-col, or give --time-format "
            "(e.g. %Y%m%d) for dates written another way"
        )
        raise DataError(
            f"{label}: time column '{name}', {_line(df, pos)}: {value!r} is not a date; {fix}"
        )
    if getattr(parsed.dt, "tz", None) is not None:
        parsed = parsed.dt.tz_convert("UTC").dt.tz_localize(None)
    return parsed.to_numpy(dtype="datetime64[ns]")


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
        time = _parse_time(kept[columns.time_col], label, columns.time_col, kept, spec.time_format)
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
