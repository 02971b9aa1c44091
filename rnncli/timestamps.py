"""Time stamps for `predict`: the steps after a series' end, and checks against the model's.

Dates follow a pandas frequency (the one recorded at training, else inferred from the data):
business days skip weekends, 'MS' gives month starts, and so on. Without a time column, or
with numbers in it, the stamps are integer positions that continue in their median step.
Everything here is pure; problems are DataError (the data) or ArtifactError (the model).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from rnncli.data import format_time, infer_freq
from rnncli.errors import ArtifactError, DataError, RnnCliError
from rnncli.parsing import yyyymmdd

B_MAX_GAP_DAYS = 4  # business days: Fri -> Tue (a Monday holiday) is still one step


def _offset(freq: str) -> pd.DateOffset:
    try:
        return pd.tseries.frequencies.to_offset(freq)  # type: ignore[return-value]
    except ValueError:
        raise ArtifactError(
            f"the model's recorded frequency {freq!r} is not one pandas knows"
        ) from None


def future_times(last: Any, freq: str | None, steps: int, step: int = 1) -> np.ndarray:
    """The `steps` time stamps after `last`.

    Datetimes continue the pandas frequency `freq` (business days skip weekends: a Friday
    is followed by a Monday; 'MS' gives month starts); integer positions (freq None)
    continue in steps of `step`.
    """
    if freq is None:
        return int(last) + step * np.arange(1, steps + 1, dtype=np.int64)
    off = _offset(freq)
    start = pd.Timestamp(last) + off
    return pd.date_range(start=start, periods=steps, freq=off).to_numpy(dtype="datetime64[ns]")


def position_step(time: np.ndarray) -> int:
    """The step of integer positions: their median difference, at least 1."""
    if len(time) < 2:
        return 1
    return max(int(np.median(np.diff(time))), 1)


def _nominal(prev: pd.DatetimeIndex, off: pd.DateOffset) -> np.ndarray:
    """Length of one step of `off` at each of `prev` (months differ, hours do not).

    Calendar months and fixed lengths (days, hours, weeks) are computed on whole arrays; other
    offsets step each stamp with pandas (slow: ~0.2 ms per series).
    """
    code, mult = str(off.rule_code).split("-")[0], max(int(getattr(off, "n", 1)), 1)
    if code in _MONTHS_PER:  # that many calendar months on from the month start (month ends:
        months = prev.to_numpy().astype("datetime64[M]")  # from the next month's start)
        if not code.endswith("S"):
            months = months + 1
        ahead = months + _MONTHS_PER[code] * mult
        return np.asarray(ahead.astype("datetime64[ns]") - months.astype("datetime64[ns]"))
    if code.startswith("W"):
        return np.full(len(prev), np.timedelta64(7 * mult, "D").astype("timedelta64[ns]"))
    if code not in ("B", "C", "BH", "CBH", "SM", "SMS"):
        try:
            tick = pd.Timedelta(off)  # type: ignore[arg-type]
        except (ValueError, TypeError):
            pass
        else:
            return np.full(len(prev), tick.to_timedelta64().astype("timedelta64[ns]"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PerformanceWarning: offsets not vectorised
        base = pd.DatetimeIndex([off.rollback(t) for t in prev]) if len(prev) else prev
        return np.asarray(((base + off) - base).to_numpy(dtype="timedelta64[ns]"))


TIME_FORMAT_HINT = "they look like dates written as numbers: pass --time-format %Y%m%d"


def check_steps(time: np.ndarray, freq: str | None, where: str, whose: str = "the model's") -> None:
    """DataError at the first step that is not one step of `freq` (a gap, or too short).

    Business days ('B') allow up to 4 calendar days (holidays: Fri -> Tue); other
    frequencies allow 0.5x to 1.5x the nominal step. Integer positions use their median step.
    `whose` says whose frequency it is in the message ("the model's", "the data's").
    """
    if len(time) < 2:
        return
    step = np.diff(time)
    if time.dtype.kind != "M":
        nominal = np.full(len(step), position_step(time), dtype=np.float64)
        size = step.astype(np.float64)
    elif freq == "B":
        day = np.timedelta64(1, "D")
        bad = np.flatnonzero((step > B_MAX_GAP_DAYS * day) | (step < day))
        if bad.size:
            i = int(bad[0])
            raise DataError(
                f"{where}: a gap in time from {format_time(time[i])} to "
                f"{format_time(time[i + 1])} (more than {B_MAX_GAP_DAYS} days for business "
                f"days); fill the missing rows (the model expects one row per business day)"
            )
        return
    elif freq is None:  # dates always come with a frequency: a bug otherwise
        raise RnnCliError(f"internal: {where}: time stamps without a frequency to check")
    else:
        nominal = _nominal(pd.DatetimeIndex(time[:-1]), _offset(freq)).astype(np.float64)
        size = step.astype("timedelta64[ns]").astype(np.float64)
    bad = np.flatnonzero((size > 1.5 * nominal) | (size < 0.5 * nominal))
    if bad.size:
        i = int(bad[0])
        what = "a gap in time" if size[i] > nominal[i] else "a step shorter than one time step"
        unit = f"frequency {freq}" if freq else f"step {int(nominal[i])}"
        fix = (
            TIME_FORMAT_HINT
            if yyyymmdd(time)
            else "give one row per time step, without missing steps"
        )
        raise DataError(
            f"{where}: {what} from {format_time(time[i])} to {format_time(time[i + 1])} "
            f"({whose} {unit}); {fix}"
        )


def check_kind(
    dates: bool, recorded_freq: str | None, fingerprint: dict[str, Any], label: str, time_col: str
) -> None:
    """DataError when DATA's time column holds dates and the model's held numbers, or the reverse.

    The model's kind is told by its recorded frequency, else by its recorded last time stamps.
    """
    if not fingerprint and recorded_freq is None:
        return
    trained_dates = recorded_freq is not None or any(
        not str(f.get("last", "0")).lstrip("-").isdigit() for f in fingerprint.values()
    )
    if trained_dates != dates:
        trained, given = ("dates", "numbers") if trained_dates else ("numbers", "dates")
        raise DataError(
            f"{label}: time column '{time_col}' holds {given}, but the model was trained "
            f"on {trained} in it; give the same kind of time stamps"
        )


def check_series(time: np.ndarray, freq: str | None, where: str, whose: str) -> str | None:
    """One series' time checks, the same at training and at prediction: its frequency (the
    given one, else inferred; None for integer positions) and regular steps at it."""
    if time.dtype.kind != "M":
        check_steps(time, None, where, whose)
        return None
    step_freq = series_freq(time, freq, where)
    check_steps(time, step_freq, where, whose)
    return step_freq


def series_freq(time: np.ndarray, recorded_freq: str | None, where: str) -> str:
    """The frequency of a series' dates: the model's recorded one, else inferred from them."""
    freq = recorded_freq or infer_freq(time)
    if freq is None:
        raise DataError(
            f"{where}: cannot tell the frequency of its time stamps (the model has "
            f"none recorded); give at least 3 regular time steps"
        )
    return freq


def ends_before(time: np.ndarray, last_trained: Any, dates: bool, where: str) -> str | None:
    """A warning when a series ends before its training data did, else None.

    `last_trained` is the series' last time stamp recorded at training (text); a missing or
    unreadable one gives no warning.
    """
    if last_trained is None:
        return None
    try:
        text = str(last_trained)
        trained_end = pd.Timestamp(text).to_datetime64() if dates else int(text)
        older = bool(time[-1] < trained_end)
    except (ValueError, TypeError):
        return None
    if not older:
        return None
    return (
        f"{where} ends at {format_time(time[-1])}, before the end of the training data "
        f"({format_time(trained_end)}): is the data older than the model?"
    )


_MONTHS_PER = {"M": 1, "ME": 1, "MS": 1, "BM": 1, "BME": 1, "BMS": 1, "Q": 3, "QE": 3, "QS": 3}
_MONTHS_PER.update({"BQ": 3, "BQE": 3, "BQS": 3, "Y": 12, "YE": 12, "YS": 12, "A": 12, "AS": 12})


def step_ordinals(time: np.ndarray, freq: str | None) -> np.ndarray:
    """Each time stamp's step count since 1970 at frequency `freq` (int64).

    The seasonal phase of a step is its ordinal modulo the season, so it depends on the time
    stamp alone, not on where a file starts: months since 1970-01 for monthly data (January
    is phase 0 of 12), quarters for quarterly, business days (`numpy.busday_count`) for
    business-daily, whole steps of fixed-length frequencies (days, hours, 30 minutes, weeks)
    otherwise. Integer positions count in their own step. Unknown frequencies count rows from 0.
    """
    if time.dtype.kind != "M":
        return np.asarray(time, dtype=np.int64) // position_step(time)
    if freq is None:
        return np.arange(len(time), dtype=np.int64)
    off = _offset(freq)
    base = str(off.rule_code).split("-")[0]
    mult = max(int(getattr(off, "n", 1)), 1)
    if base in _MONTHS_PER:
        months = time.astype("datetime64[M]").astype(np.int64)
        return months // (_MONTHS_PER[base] * mult)
    if base in ("B", "C"):
        return np.busday_count(np.datetime64("1970-01-01"), time.astype("datetime64[D]"))
    ns = time.astype("datetime64[ns]").astype(np.int64)
    if base.startswith("W"):
        week = np.timedelta64(7, "D").astype("timedelta64[ns]").astype(np.int64)
        return ns // (week * mult)
    try:
        tick = pd.Timedelta(off)  # type: ignore[arg-type]
        step = tick.to_timedelta64().astype("timedelta64[ns]").astype(np.int64)
    except (ValueError, TypeError):
        return np.arange(len(time), dtype=np.int64)
    return ns // step
