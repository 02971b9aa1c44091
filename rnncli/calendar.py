"""Calendar inputs (`--calendar`): known-future inputs computed from the time stamps alone.

Each name is a cyclic position within a period, encoded as the pair
(sin 2πv/P, cos 2πv/P) so that the end of a cycle sits next to its start (December next to
January, 23:00 next to midnight), as Darts' `add_encoders={"cyclic": ...}` and
NeuralForecast's `futr_exog` calendar columns do. Because a forecast step's time stamp is
known (`timestamps.future_times`), predict needs no future file for them.

    month      v = month - 1,              P = 12
    quarter    v = quarter - 1,            P = 4
    weekofyear v = ISO week - 1,           P = 52
    dayofyear  v = day of year - 1,        P = 365 or 366 (the year's own length)
    dayofmonth v = day - 1,                P = days in that month
    dayofweek  v = Monday 0 .. Sunday 6,   P = 7
    hour       v = hour + minute / 60,     P = 24
    minute     v = minute,                 P = 60
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np

from rnncli.errors import ConfigError, DataError

if TYPE_CHECKING:
    import pandas as pd

CALENDAR_NAMES: tuple[str, ...] = (
    "month",
    "quarter",
    "weekofyear",
    "dayofyear",
    "dayofmonth",
    "dayofweek",
    "hour",
    "minute",
)


def parse(items: Iterable[str]) -> tuple[str, ...]:
    """Names given as 'month,dayofweek' (or repeated) -> checked, unique, in the given order."""
    names: list[str] = []
    for item in items:
        for part in str(item).split(","):
            name = part.strip().lower()
            if not name:
                continue
            if name not in CALENDAR_NAMES:
                raise ConfigError(
                    f"unknown calendar input {part.strip()!r}; valid ones are: "
                    f"{', '.join(CALENDAR_NAMES)}"
                )
            names.append(name)
    return tuple(dict.fromkeys(names))


def columns(names: Iterable[str]) -> tuple[str, ...]:
    """The network input columns of `names`: <name>_sin, <name>_cos for each."""
    return tuple(f"{n}_{part}" for n in names for part in ("sin", "cos"))


def _position(index: pd.DatetimeIndex, name: str) -> tuple[np.ndarray, np.ndarray]:
    """(v, P) arrays of one calendar name at each time stamp."""
    ones = np.ones(len(index))
    if name == "month":
        return index.month.to_numpy() - 1.0, 12 * ones
    if name == "quarter":
        return index.quarter.to_numpy() - 1.0, 4 * ones
    if name == "weekofyear":
        return index.isocalendar().week.to_numpy(dtype=np.float64) - 1.0, 52 * ones
    if name == "dayofyear":
        days = np.where(index.is_leap_year, 366.0, 365.0)
        return index.day_of_year.to_numpy() - 1.0, days
    if name == "dayofmonth":
        return index.day.to_numpy() - 1.0, index.days_in_month.to_numpy(dtype=np.float64)
    if name == "dayofweek":
        return index.day_of_week.to_numpy(dtype=np.float64), 7 * ones
    if name == "hour":
        return index.hour.to_numpy() + index.minute.to_numpy() / 60.0, 24 * ones
    if name == "minute":
        return index.minute.to_numpy(dtype=np.float64), 60 * ones
    raise ConfigError(
        f"unknown calendar input {name!r}; valid ones are: {', '.join(CALENDAR_NAMES)}"
    )


def encode(time: np.ndarray, names: tuple[str, ...], where: str = "the data") -> np.ndarray:
    """Cyclic encodings (n, 2 * len(names)) float64 of datetime stamps `time` (n,)."""
    if not names:
        return np.zeros((len(time), 0))
    if time.dtype.kind != "M":
        raise DataError(
            f"--calendar {','.join(names)} needs dates in the time column, but {where} has "
            f"row positions or numbers; name a date column with --time-col, or drop --calendar"
        )
    import pandas as pd  # here, so that option parsing (--help) does not load pandas

    index = pd.DatetimeIndex(time)
    out = np.empty((len(time), 2 * len(names)))
    for k, name in enumerate(names):
        value, period = _position(index, name)
        angle = 2.0 * np.pi * value / period
        out[:, 2 * k] = np.sin(angle)
        out[:, 2 * k + 1] = np.cos(angle)
    return out


__all__ = ["CALENDAR_NAMES", "columns", "encode", "parse"]
