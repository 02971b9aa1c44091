"""What a cell of a data file holds: a date, a number, or a mistake named in one line.

Dates are parsed with pandas (a given --time-format, else its own inference; stamps with a
UTC offset become UTC; a column mixing offsets is refused), numbers too (a decimal comma is
named as such). Each DataError names the file, the column and the line (`line_of`: the
CSV's own line number, header = line 1, or a Parquet row).
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd

from rnncli import tables
from rnncli.errors import DataError


def line_of(df: pd.DataFrame, pos: int) -> str:
    """'line N' (CSV) or 'row N' (Parquet) of the row at position `pos` of `df`."""
    return f"{tables.where(df)} {int(df.index[pos])}"


COMMA_DECIMAL = re.compile(r"\s*[-+]?\d+,\d+\s*")


class MixedZones(ValueError):
    """pandas refused a column whose stamps carry different time-zone offsets."""


def to_datetime(col: pd.Series, fmt: str | None) -> pd.Series:
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
                raise MixedZones(str(exc)) from None
            raise


def mixed_zones(df: pd.DataFrame, name: str, label: str) -> DataError:
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
        detail = f" ({first} at {line_of(df, 0)}, {shown} at {line_of(df, pos)})"
    return DataError(
        f"{label}: time column '{name}' mixes time-zone offsets{detail}; write every time "
        f"stamp with the same offset, or all in UTC"
    )


def date_share(col: pd.Series, fmt: str | None) -> float:
    """The share of `col`'s present values that are dates (0 for a numeric column)."""
    present = col.dropna()
    if present.empty:
        return 0.0
    return float(to_datetime(present, fmt).notna().mean())


def numeric_like(col: pd.Series) -> bool:
    """Numeric, boolean, or mostly numbers (a typo in a value column must not hide it)."""
    if pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col):
        return True
    present = col.dropna()
    return len(present) > 0 and pd.to_numeric(present, errors="coerce").notna().mean() >= 0.5


def comma_decimals(col: pd.Series) -> str | None:
    """A value such as '1,5' when `col` holds numbers written with a decimal comma, else None."""
    if pd.api.types.is_numeric_dtype(col):
        return None
    present = col.dropna().astype(str)
    hits = present[present.str.fullmatch(COMMA_DECIMAL)]
    return str(hits.iloc[0]).strip() if len(hits) and len(hits) >= 0.5 * len(present) else None


def decimal_hint(value: str) -> str:
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


def parse_time(
    col: pd.Series, label: str, name: str, df: pd.DataFrame, fmt: str | None = None
) -> np.ndarray:
    """The time column as datetime64[ns] (UTC for stamps with an offset), or int64 numbers."""
    if pd.api.types.is_numeric_dtype(col) and fmt is None:
        if col.isna().any():
            pos = int(np.flatnonzero(col.isna().to_numpy())[0])
            raise DataError(f"{label}: time column '{name}' is blank at {line_of(df, pos)}")
        return col.to_numpy(dtype=np.int64)
    try:
        parsed = to_datetime(col, fmt)
    except MixedZones:
        raise mixed_zones(df, name, label) from None
    bad = parsed.isna()
    if bad.any():
        pos = int(np.flatnonzero(bad.to_numpy())[0])
        value = col.iloc[pos]
        if pd.isna(value):
            raise DataError(f"{label}: time column '{name}' is blank at {line_of(df, pos)}")
        fix = (
            f"it does not match --time-format {fmt!r}; fix the value or the format"
            if fmt is not None
            else "fix it, name another column with --time-col, or give --time-format "
            "(e.g. %Y%m%d) for dates written another way"
        )
        raise DataError(
            f"{label}: time column '{name}', {line_of(df, pos)}: {value!r} is not a date; {fix}"
        )
    if getattr(parsed.dt, "tz", None) is not None:
        parsed = parsed.dt.tz_convert("UTC").dt.tz_localize(None)
    return parsed.to_numpy(dtype="datetime64[ns]")


__all__ = [
    "COMMA_DECIMAL",
    "MixedZones",
    "comma_decimals",
    "date_share",
    "decimal_hint",
    "line_of",
    "mixed_zones",
    "numeric_like",
    "parse_time",
    "to_datetime",
    "yyyymmdd",
]
