"""Tests for rnncli.data: reading a CSV, picking columns, checking and filling values."""

import io
from pathlib import Path

import numpy as np
import pytest

from rnncli.config import DataSpec
from rnncli.data import format_time, infer_freq, load_panel, read_table, resolve_size
from rnncli.errors import DataError

SAMPLE = Path(__file__).resolve().parent.parent / "sample_data"


def panel(text: str, **spec):
    return load_panel(io.StringIO(text), DataSpec(**spec), "data.csv")


def values(text: str, **spec) -> np.ndarray:
    (series,) = panel(text, **spec).series
    return series.values


# ---- reading -----------------------------------------------------------------------------------


def test_read_table_errors(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"file 'nope\.csv' not found"):
        read_table(tmp_path / "nope.csv", "nope.csv")
    with pytest.raises(DataError, match="is a directory"):
        read_table(tmp_path, "dir")
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(DataError, match=r"empty\.csv is empty"):
        read_table(tmp_path / "empty.csv", "empty.csv")
    (tmp_path / "header.csv").write_text("date,value\n")
    with pytest.raises(DataError, match="header but no data rows"):
        read_table(tmp_path / "header.csv", "header.csv")


def test_read_table_strips_column_names() -> None:
    df = read_table(io.StringIO(" date , value\n2020-01-01, 1\n"), "x")
    assert list(df.columns) == ["date", "value"]
    assert df["value"].iloc[0] == 1


# ---- time column -------------------------------------------------------------------------------


def test_time_column_detected_and_parsed() -> None:
    p = panel("date,value\n2020-01-01,1\n2020-01-02,2\n2020-01-03,4\n")
    assert p.columns.time_col == "date"
    assert "time column: date" in p.notes
    assert p.series[0].time.dtype == np.dtype("datetime64[ns]")
    assert p.series[0].time[0] == np.datetime64("2020-01-01")
    assert p.freq == "D"


def test_time_column_need_not_be_first() -> None:
    p = panel("value,when\n1,2021-03-01\n2,2021-03-02\n3,2021-03-03\n")
    assert p.columns.time_col == "when"
    assert p.columns.targets == ("value",)


def test_no_time_column_uses_row_positions() -> None:
    p = panel("value\n5\n6\n7\n")
    assert p.columns.time_col is None
    assert any("none found" in n for n in p.notes)
    np.testing.assert_array_equal(p.series[0].time, [0, 1, 2])
    assert p.freq is None


def test_explicit_time_col_not_a_date() -> None:
    with pytest.raises(DataError, match=r"time column 'date', line 3: 'soon' is not a date"):
        panel("date,value\n2020-01-01,1\nsoon,2\n", time_col="date")


def test_numeric_time_col_kept_as_integers() -> None:
    p = panel("step,value\n10,1\n11,2\n12,3\n", time_col="step")
    np.testing.assert_array_equal(p.series[0].time, [10, 11, 12])
    assert p.columns.targets == ("value",)


def test_id_column_is_not_taken_as_time() -> None:
    p = panel("day,id,v\n2020-01-01,2020-01-01,1\n2020-01-02,2020-01-01,2\n", id_col="day")
    assert p.columns.time_col == "id"


def test_sample_frequencies() -> None:
    spec = DataSpec()
    assert load_panel(SAMPLE / "airpassengers.csv", spec, "a").freq == "MS"
    assert load_panel(SAMPLE / "prices.csv", spec, "p").freq == "B"
    assert load_panel(SAMPLE / "electricity.csv", DataSpec(target=("demand_mwh",)), "e").freq == "D"


def test_infer_freq_of_positions_is_none() -> None:
    assert infer_freq(np.arange(10)) is None


def test_format_time() -> None:
    assert format_time(np.int64(7)) == "7"
    assert format_time(np.datetime64("2020-01-02T00:00:00")) == "2020-01-02"
    assert format_time(np.datetime64("2020-01-02T06:30:00")) == "2020-01-02T06:30:00"


# ---- target and features -----------------------------------------------------------------------


def test_single_numeric_column_is_the_target() -> None:
    p = panel("month,passengers\n1949-01,112\n1949-02,118\n")
    assert p.columns.targets == ("passengers",)
    assert p.columns.inputs == ("passengers",)
    assert "target: passengers" in p.notes


def test_close_among_several_numeric_columns() -> None:
    p = load_panel(SAMPLE / "prices.csv", DataSpec(), "prices.csv")
    assert p.columns.time_col == "Date"
    assert p.columns.targets == ("Close",)
    assert p.notes == ("time column: Date", "target: Close")
    (s,) = p.series
    assert s.values.shape == (750, 1)
    assert s.values[-1, 0] == pytest.approx(83.87)


def test_ambiguous_target_lists_candidates() -> None:
    with pytest.raises(DataError, match=r"numeric candidates: a, b; pass --target NAME"):
        panel("date,a,b\n2020-01-01,1,2\n2020-01-02,3,4\n")


def test_two_named_candidates_are_ambiguous_too() -> None:
    with pytest.raises(DataError, match=r"numeric candidates: value, y"):
        panel("date,value,y\n2020-01-01,1,2\n2020-01-02,3,4\n")


def test_no_numeric_column() -> None:
    with pytest.raises(DataError, match="numeric candidates: none"):
        panel("date,name\n2020-01-01,a\n2020-01-02,b\n")


def test_features_come_after_the_targets() -> None:
    p = load_panel(
        SAMPLE / "prices.csv", DataSpec(target=("Close",), features=("Volume", "High")), "p"
    )
    assert p.columns.inputs == ("Close", "Volume", "High")
    first = p.series[0].values[0]
    # 2014-11-20,44.711...,45.361...(High),44.59,45.361...(Close),23089824
    np.testing.assert_allclose(first, [45.361000000000004, 23089824, 45.361000000000004])


def test_feature_equal_to_target_and_repeats_count_once() -> None:
    text = "date,a,b\n2020-01-01,1,10\n2020-01-02,2,20\n"
    p = panel(text, target=("a", "a"), features=("b", "a", "b"))
    assert p.columns.targets == ("a",)
    assert p.columns.inputs == ("a", "b")
    np.testing.assert_array_equal(p.series[0].values, [[1, 10], [2, 20]])


def test_two_targets() -> None:
    p = panel("date,a,b,c\n2020-01-01,1,2,3\n2020-01-02,4,5,6\n", target=("b", "a"))
    assert p.columns.inputs == ("b", "a")
    np.testing.assert_array_equal(p.series[0].values, [[2, 1], [5, 4]])


def test_bool_column_is_numeric() -> None:
    text = "date,value,flag\n2020-01-01,1,True\n2020-01-02,2,False\n2020-01-03,3,True\n"
    assert values(text, features=("flag",)).tolist() == [[1, 1], [2, 0], [3, 1]]
    # the only numeric column, and a bool: it is the target
    p = panel("flag,date\nTrue,2020-01-01\nFalse,2020-01-02\n")
    assert p.columns.targets == ("flag",)
    assert p.series[0].values.dtype == np.float64


def test_integer_column_becomes_float() -> None:
    v = values("date,n\n2020-01-01,1\n2020-01-02,2\n")
    assert v.dtype == np.float64


@pytest.mark.parametrize(
    ("spec", "what"),
    [
        ({"target": ("nope",)}, "--target"),
        ({"features": ("nope",)}, "--features"),
        ({"time_col": "nope"}, "--time-col"),
        ({"id_col": "nope"}, "--id-col"),
    ],
)
def test_missing_column_lists_available(spec: dict, what: str) -> None:
    with pytest.raises(DataError) as info:
        panel("date,value\n2020-01-01,1\n", **spec)
    assert f"column 'nope' ({what}) not in data.csv" in str(info.value)
    assert "available columns: date, value" in str(info.value)


def test_target_cannot_be_the_time_column() -> None:
    with pytest.raises(DataError, match="cannot be both"):
        panel("date,value\n2020-01-01,1\n", target=("date",))


# ---- bad values and line numbers ---------------------------------------------------------------


def test_non_numeric_value_names_column_and_line() -> None:
    text = "date,value\n2020-01-01,1\n2020-01-02,2\n2020-01-03,abc\n"
    with pytest.raises(DataError) as info:
        panel(text, target=("value",))
    assert str(info.value) == (
        "data.csv: column 'value', line 4: 'abc' is not a number; "
        "fix the value or choose other columns"
    )


def test_non_numeric_feature() -> None:
    text = "date,value,x\n2020-01-01,1,2\n2020-01-02,2,n/a?\n"
    with pytest.raises(DataError, match=r"column 'x', line 3: 'n/a\?' is not a number"):
        panel(text, target=("value",), features=("x",))


@pytest.mark.parametrize("value", ["inf", "-inf", "Infinity", "1e400", "-1e999"])
@pytest.mark.parametrize("column", ["value", "x"])
def test_infinite_values_name_column_and_line(value: str, column: str) -> None:
    """An infinite value would silently change a forecast; it is refused like NaN."""
    row = {"value": "3", "x": "4", column: value}
    text = f"date,value,x\n2020-01-01,1,2\n2020-01-02,{row['value']},{row['x']}\n"
    with pytest.raises(DataError) as info:
        panel(text, target=("value",), features=("x",))
    assert str(info.value) == (
        f"data.csv: column '{column}', line 3: the value is infinite ('inf', or a number too "
        f"large for a float such as 1e400); fix it, or leave it empty and pass --fill"
    )


@pytest.mark.parametrize("missing", ["", "NaN", "nan", "NA"])
def test_missing_value_names_column_and_line(missing: str) -> None:
    text = f"date,value\n2020-01-01,1\n2020-01-02,{missing}\n2020-01-03,3\n"
    with pytest.raises(DataError) as info:
        panel(text)
    msg = str(info.value)
    assert "column 'value' has a missing value at line 3;" in msg
    assert "--fill ffill|interpolate|drop" in msg
    assert "more" not in msg


def test_missing_values_counted() -> None:
    text = "date,a,b\n2020-01-01,1,\n2020-01-02,,5\n2020-01-03,,6\n"
    with pytest.raises(DataError, match=r"column 'b' has a missing value at line 2 \(and 2 more\)"):
        panel(text, target=("a",), features=("b",))


GAP = "date,value\n2020-01-01,1\n2020-01-02,\n2020-01-03,3\n2020-01-04,4\n"


def test_fill_ffill() -> None:
    assert values(GAP, fill="ffill")[:, 0].tolist() == [1, 1, 3, 4]


def test_fill_interpolate() -> None:
    assert values(GAP, fill="interpolate")[:, 0].tolist() == [1, 2, 3, 4]


def test_fill_drop_keeps_times_and_lines_aligned() -> None:
    (s,) = panel(GAP, fill="drop").series
    assert s.values[:, 0].tolist() == [1, 3, 4]
    assert (
        s.time.tolist()
        == np.array(["2020-01-01", "2020-01-03", "2020-01-04"], dtype="datetime64[ns]").tolist()
    )
    assert s.first_line.tolist() == [2, 4, 5]


def test_leading_gap_is_dropped_whatever_the_fill() -> None:
    text = "date,value\n2020-01-01,\n2020-01-02,2\n2020-01-03,\n2020-01-04,4\n"
    assert values(text, fill="ffill")[:, 0].tolist() == [2, 2, 4]
    assert values(text, fill="interpolate")[:, 0].tolist() == [2, 3, 4]


def test_fill_stays_within_each_series() -> None:
    text = "id,date,v\na,2020-01-01,1\na,2020-01-02,2\nb,2020-01-01,\nb,2020-01-02,5\n"
    p = panel(text, id_col="id", fill="ffill")
    a, b = p.series
    assert a.values[:, 0].tolist() == [1, 2]
    assert b.values[:, 0].tolist() == [5]  # not 2 carried over from series a
    p = panel(
        text.replace("b,2020-01-02,5", "b,2020-01-02,5\nb,2020-01-03,"),
        id_col="id",
        fill="interpolate",
    )
    assert p.series[1].values[:, 0].tolist() == [5]


def test_duplicated_time_stamp() -> None:
    text = "date,value\n2020-01-01,1\n2020-01-02,2\n2020-01-02,3\n"
    with pytest.raises(DataError, match=r"data.csv: duplicated time stamp .* at line 4"):
        panel(text)


def test_unsorted_time_stamps() -> None:
    text = "date,value\n2020-01-01,1\n2020-01-03,2\n2020-01-02,3\n"
    with pytest.raises(DataError, match=r"time stamps out of order at line 4"):
        panel(text)


def test_order_is_checked_per_series() -> None:
    text = "id,date,v\na,2020-01-01,1\na,2020-01-02,2\nb,2020-01-01,3\nb,2020-01-01,4\n"
    with pytest.raises(DataError, match=r"series 'b': duplicated time stamp .* at line 5"):
        panel(text, id_col="id")


def test_blank_numeric_time() -> None:
    with pytest.raises(DataError, match=r"time column 'step' is blank at line 3"):
        panel("step,value\n1,1\n,2\n", time_col="step")


# ---- panels ------------------------------------------------------------------------------------


def test_panel_series_in_order_of_first_appearance() -> None:
    text = "id,date,v\nz,2020-01-01,1\na,2020-01-01,2\nz,2020-01-02,3\na,2020-01-02,4\n"
    p = panel(text, id_col="id")
    assert [s.id for s in p.series] == ["z", "a"]
    assert p.series[0].values[:, 0].tolist() == [1, 3]
    assert p.series[0].first_line.tolist() == [2, 4]
    assert "series: 2 (by id)" in p.notes


def test_sample_panel() -> None:
    p = load_panel(SAMPLE / "employment_panel.csv", DataSpec(id_col="series_id"), "panel")
    lengths = {s.id: len(s.values) for s in p.series}
    assert lengths == {
        "CEU2000000001": 969,
        "CEU2023800001": 525,
        "CEU2023800101": 225,
        "CEU4200000001": 969,
        "CEU4245210001": 336,
        "CEU4422000001": 669,
    }
    assert p.columns.targets == ("value",)
    assert p.freq == "MS"


def test_single_series_id() -> None:
    p = panel("date,value\n2020-01-01,1\n")
    assert p.series[0].id == "series"


# ---- split sizes -------------------------------------------------------------------------------


def test_resolve_size() -> None:
    assert resolve_size(0.1, 750, "val-size") == 75
    assert resolve_size(0.2, 20, "val-size") == 4
    assert resolve_size(0, 20, "val-size") == 0
    assert resolve_size(5, 20, "test-size") == 5
    assert resolve_size(5.0, 20, "test-size") == 5
    with pytest.raises(DataError, match=r"--test-size 2\.5"):
        resolve_size(2.5, 20, "test-size")
