"""Which column is what: the time, the series id, the targets and the other inputs.

`pick_columns` takes what the options name and finds the rest: the long layout (unique_id,
ds, y), the first column of dates, the one numeric column (or the one named like a target).
`likely_id` finds a column that looks like a series id, for the message when a panel was read
as one series.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from rnncli.config import DataSpec
from rnncli.errors import DataError
from rnncli.parsing import (
    MixedZones,
    comma_decimals,
    date_share,
    decimal_hint,
    mixed_zones,
    numeric_like,
    parse_time,
    yyyymmdd,
)

TARGET_NAMES = ("close", "price", "value", "y")


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


def _require(df: pd.DataFrame, label: str, names: Iterable[str | None], what: str) -> None:
    for name in names:
        if name is not None and name not in df.columns:
            available = ", ".join(df.columns)
            raise DataError(
                f"column '{name}' ({what}) not in {label}; available columns: {available}"
            )


LONG_LAYOUT = ("unique_id", "ds", "y")  # Nixtla's long format: series id, time stamp, target

ID_NAMES = ("unique_id", "series_id", "series", "id", "key", "item_id", "store", "sku")


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
            share = date_share(df[name], spec.time_format)
        except MixedZones:
            raise mixed_zones(df, name, label) from None
        if share == 1.0:
            return str(name)
        if share >= 0.5 and (spec.time_format is not None or not numeric_like(df[name])):
            parse_time(df[name], label, str(name), df, spec.time_format)  # raises, naming it
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
        numeric = [c for c in df.columns if c not in taken and numeric_like(df[c])]
        if len(numeric) == 1:
            targets = (numeric[0],)
        else:
            named = [c for c in numeric if c.lower() in TARGET_NAMES]
            if len(named) != 1:
                listed = ", ".join(numeric) or "none"
                commas = [v for c in df.columns if c not in taken for v in [comma_decimals(df[c])]]
                comma = next((v for v in commas if v is not None), None)
                hint = f"; {decimal_hint(comma)}" if comma is not None else ""
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
        if not numeric_like(col) and 1 < col.nunique() < len(col):
            return str(name)
    return None


__all__ = ["ID_NAMES", "LONG_LAYOUT", "TARGET_NAMES", "Columns", "likely_id", "pick_columns"]
