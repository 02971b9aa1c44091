"""`timestamps.step_ordinals`: each time stamp's step count since 1970, the seasonal phase."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rnncli.metrics import season_from_freq
from rnncli.timestamps import step_ordinals


def dates(*text: str) -> np.ndarray:
    return np.array(text, dtype="datetime64[ns]")


def test_month_starts_and_ends() -> None:
    starts = dates("1970-01-01", "1970-02-01", "1970-12-01", "1971-01-01", "2020-01-01")
    assert step_ordinals(starts, "MS").tolist() == [0, 1, 11, 12, 600]  # 50 years x 12
    ends = dates("1970-01-31", "2020-01-31", "2020-02-29")
    assert step_ordinals(ends, "ME").tolist() == [0, 600, 601]
    # January is phase 0 of 12 whatever the year
    januaries = pd.date_range("1949-01-01", periods=12, freq="12MS").to_numpy()
    assert (step_ordinals(januaries, "MS") % 12 == 0).all()


def test_quarters() -> None:
    quarters = dates("1970-01-01", "1970-04-01", "2020-01-01", "2020-10-01")
    assert step_ordinals(quarters, "QS").tolist() == [0, 1, 200, 203]
    assert step_ordinals(dates("2020-03-31", "2020-06-30"), "QE").tolist() == [200, 201]
    # quarters anchored in October still count one a quarter
    oct_quarters = pd.date_range("2019-10-01", periods=4, freq="QS-OCT").to_numpy()
    assert np.diff(step_ordinals(oct_quarters, "QS-OCT")).tolist() == [1, 1, 1]


def test_days() -> None:
    days = dates("1970-01-01", "1970-01-02", "1970-01-08", "2020-01-01")
    # 2020-01-01: 50 years of 365 days and 12 leap days
    assert step_ordinals(days, "D").tolist() == [0, 1, 7, 50 * 365 + 12]
    # the same weekday is the same phase of 7
    mondays = pd.date_range("2021-03-01", periods=10, freq="7D").to_numpy()
    assert len(set((step_ordinals(mondays, "D") % 7).tolist())) == 1


def test_business_days_skip_weekends_and_holidays() -> None:
    # 1970-01-01 was a Thursday: Thu 0, Fri 1, Mon 2
    got = step_ordinals(dates("1970-01-01", "1970-01-02", "1970-01-05"), "B")
    assert got.tolist() == [0, 1, 2]
    # Fri 2017-11-10 -> Tue 2017-11-14 (a Monday holiday): two business days later
    assert np.diff(step_ordinals(dates("2017-11-10", "2017-11-14"), "B")).tolist() == [2]
    # every Monday is phase 2 of 5, holidays or not
    mondays = pd.date_range("2020-01-06", periods=52, freq="7D").to_numpy()
    assert set((step_ordinals(mondays, "B") % 5).tolist()) == {2}


def test_hours_and_half_hours() -> None:
    hours = dates("1970-01-01T00:00", "1970-01-01T05:00", "2020-01-01T00:00")
    assert step_ordinals(hours, "h").tolist() == [0, 5, (50 * 365 + 12) * 24]
    halves = dates("1970-01-01T00:30", "1970-01-01T01:00")
    assert step_ordinals(halves, "30min").tolist() == [1, 2]


def test_weeks() -> None:
    # Sundays (W = W-SUN): 1970-01-04 is day 3, so week 0; a week later week 1
    sundays = pd.date_range("1970-01-04", periods=3, freq="W").to_numpy()
    assert step_ordinals(sundays, "W").tolist() == [0, 1, 2]
    assert step_ordinals(sundays, "W-SUN").tolist() == [0, 1, 2]


def test_integer_positions_count_in_their_own_step() -> None:
    assert step_ordinals(np.array([0, 5, 10, 15]), None).tolist() == [0, 1, 2, 3]
    assert step_ordinals(np.array([1000, 1005, 1010]), None).tolist() == [200, 201, 202]
    assert step_ordinals(np.array([7, 8, 9]), None).tolist() == [7, 8, 9]
    # a later file of the same positions gets the same ordinals
    assert step_ordinals(np.array([10, 15]), None).tolist() == [2, 3]


def test_dates_without_a_frequency_count_rows() -> None:
    assert step_ordinals(dates("2020-01-01", "2020-01-09"), None).tolist() == [0, 1]


@pytest.mark.parametrize("freq", ["MS", "ME", "QS", "D", "B", "h", "W", "30min"])
def test_a_later_file_gets_the_same_phase_for_the_same_date(freq: str) -> None:
    full = pd.date_range("2001-03-01", periods=60, freq=freq).to_numpy()
    later = full[17:]
    whole, part = step_ordinals(full, freq), step_ordinals(later, freq)
    np.testing.assert_array_equal(part, whole[17:])
    assert np.diff(whole).tolist() == [1] * 59  # one a step
    m = season_from_freq(freq)
    np.testing.assert_array_equal(part % m, whole[17:] % m)


@pytest.mark.parametrize(
    "freq, start",
    [
        ("MS", "1999-11-01"),
        ("ME", "1999-11-30"),
        ("2MS", "1999-11-01"),
        ("QS", "1999-10-01"),
        ("QE-DEC", "1999-12-31"),
        ("YS", "1990-01-01"),
        ("W-SUN", "1999-12-05"),
        ("D", "1999-12-30"),
        ("h", "1999-12-31 20:00"),
        ("30min", "1999-12-31 22:00"),
        ("BMS", "1999-11-01"),
    ],
)
def test_check_steps_accepts_regular_stamps_and_names_the_first_gap(freq: str, start: str) -> None:
    """The whole-array step lengths (months, weeks, ticks) agree with pandas' date ranges."""
    from rnncli.errors import DataError
    from rnncli.timestamps import check_steps

    time = pd.date_range(start, periods=40, freq=freq).to_numpy()
    check_steps(time, freq, "f.csv")  # leap years, month lengths, year ends: all one step
    gap = np.delete(time, 25)
    with pytest.raises(DataError, match="a gap in time from") as info:
        check_steps(gap, freq, "f.csv")
    assert str(pd.Timestamp(time[24]).date()) in str(info.value)
    twice = np.insert(time, 10, time[10] + (time[11] - time[10]) // 4)
    with pytest.raises(DataError, match="shorter than one time step"):
        check_steps(twice, freq, "f.csv")
