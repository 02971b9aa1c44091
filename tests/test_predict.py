"""`rnncli predict`: time stamps, windows, recursion, intervals, panels, output and errors.

The TensorFlow tests reuse the session models of conftest.py (air_model: monthly LSTM,
look-back 12 unpadded, horizon 3, standard scaling; panel_model: GRU on the ragged employment
panel, look-back 240, min look-back 24, masked, automatic parts and transforms) and train one
more tiny model with features (electricity, pad=pre).
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from rnncli import modeldir, timestamps
from rnncli import predict as predicting
from rnncli.cli import app
from rnncli.data import format_times, load_panel
from rnncli.errors import DataError
from rnncli.windows import history

SAMPLE = Path(__file__).resolve().parent.parent / "sample_data"
AIR = SAMPLE / "airpassengers.csv"
PANEL = SAMPLE / "employment_panel.csv"
ELEC = SAMPLE / "electricity.csv"

runner = CliRunner(env={"RNNCLI_DEBUG": None, "NO_COLOR": "1"})


def cli(*args: str, input: str | None = None):
    return runner.invoke(app, ["predict", *map(str, args)], input=input)


def ok(result) -> None:
    assert result.exit_code == 0, result.stderr
    assert result.exception is None
    assert "Traceback" not in result.stderr


def one_error(result, code: int = 1) -> str:
    """The single 'Error: …' line of a failed run (nothing on stdout, no traceback)."""
    assert result.exit_code == code, (result.stdout, result.stderr)
    assert isinstance(result.exception, SystemExit)
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1, result.stderr
    assert result.stderr.rstrip("\n").splitlines()[-1] == errors[0]
    return errors[0]


def write(path: Path, frame: pd.DataFrame) -> Path:
    frame.to_csv(path, index=False)
    return path


# ---- time stamps (no TensorFlow) -------------------------------------------------------------


def test_business_days_continue_after_a_friday() -> None:
    last = np.datetime64("2017-11-10")  # a Friday: the last row of prices.csv
    got = timestamps.future_times(last, "B", 3)
    assert [str(t)[:10] for t in got] == ["2017-11-13", "2017-11-14", "2017-11-15"]
    assert pd.DatetimeIndex(got).day_of_week.tolist() == [0, 1, 2]


def test_prices_frequency_is_business_days() -> None:
    from rnncli.config import DataSpec

    panel = load_panel(str(SAMPLE / "prices.csv"), DataSpec(target=("Close",)), "prices")
    assert panel.freq == "B"
    last = panel.series[0].time[-1]
    assert pd.Timestamp(last).day_name() == "Friday"
    assert pd.Timestamp(timestamps.future_times(last, panel.freq, 1)[0]).day_name() == "Monday"


def test_months_half_hours_and_positions_continue() -> None:
    months = timestamps.future_times(np.datetime64("1960-12-01"), "MS", 3)
    assert format_times(months) == ["1961-01-01", "1961-02-01", "1961-03-01"]
    ends = timestamps.future_times(np.datetime64("2020-01-31"), "ME", 2)
    assert format_times(ends) == ["2020-02-29", "2020-03-31"]
    halves = timestamps.future_times(np.datetime64("2014-12-31T23:00"), "30min", 3)
    assert format_times(halves) == [
        "2014-12-31T23:30:00",
        "2015-01-01T00:00:00",
        "2015-01-01T00:30:00",
    ]
    assert timestamps.future_times(np.int64(143), None, 3).tolist() == [144, 145, 146]
    assert timestamps.future_times(np.int64(2000), None, 2, step=5).tolist() == [2005, 2010]


def test_business_day_holidays_pass_but_a_missing_week_is_a_gap() -> None:
    fri_tue = np.array(["2017-11-09", "2017-11-10", "2017-11-14"], dtype="datetime64[ns]")
    timestamps.check_steps(fri_tue, "B", "x")  # Monday holiday: 4 calendar days, fine
    fri_wed = np.array(["2017-11-09", "2017-11-10", "2017-11-15"], dtype="datetime64[ns]")
    with pytest.raises(DataError, match="gap in time from 2017-11-10 to 2017-11-15"):
        timestamps.check_steps(fri_wed, "B", "x")


def test_monthly_and_daily_gaps() -> None:
    months = pd.date_range("2019-01-01", periods=6, freq="MS").to_numpy()
    timestamps.check_steps(months, "MS", "x")  # 28 to 31 days: all one step
    with pytest.raises(DataError, match="x: a gap in time from 2019-02-01 to 2019-04-01"):
        timestamps.check_steps(np.delete(months, 2), "MS", "x")
    days = pd.date_range("2020-01-01", periods=5, freq="D").to_numpy()
    with pytest.raises(DataError, match="gap in time"):
        timestamps.check_steps(np.delete(days, 3), "D", "x")
    with pytest.raises(DataError, match="shorter than one time step"):
        timestamps.check_steps(days, "MS", "x")


@pytest.mark.parametrize("pad", ["pre", "post"])
def test_windows_after_the_end_are_history_at_origin_n(pad: str) -> None:
    from rnncli.prepare import windows_at

    rng = np.random.default_rng(0)
    look_back = 6
    series = [rng.normal(size=(n, 2)).astype(np.float32) for n in (2, 5, 6, 9)]
    at = np.array([len(v) for v in series])
    x, mask = windows_at(series, np.arange(4), at, look_back, pad)
    assert mask is not None  # two of the series are shorter than the look-back
    for i, v in enumerate(series):
        want_x, want_mask = history(v, np.array([len(v)]), look_back, pad)
        np.testing.assert_array_equal(x[i], want_x[0])
        np.testing.assert_array_equal(mask[i], want_mask[0])
    # windows of several series asked for in any order come back in that order
    order = np.array([3, 0, 3, 1])
    x2, _ = windows_at(series, order, at[order] - 1, look_back, pad)
    for row, s in zip(x2, order, strict=True):
        want = history(series[s], np.array([len(series[s]) - 1]), look_back, pad)[0][0]
        np.testing.assert_array_equal(row, want)


class _Weighted:
    """A stand-in engine: a masked, step-weighted mean of each window's inputs, through tanh."""

    def __init__(self, horizon: int) -> None:
        self.horizon, self.n_targets, self.n_known = horizon, 1, 0

    def predict(self, x: np.ndarray, mask: np.ndarray | None = None, future=None) -> np.ndarray:
        w = np.arange(1, x.shape[1] + 1, dtype=np.float32)[None, :, None]
        m = 1.0 if mask is None else mask[:, :, None]
        level = (x * w * m).sum(axis=1) / (w * m).sum(axis=1)
        steps = 0.1 * np.arange(self.horizon)[None, :, None]
        return np.tanh(level[:, None, :1] + steps).astype(np.float32)


@pytest.mark.parametrize("pad", ["pre", "post"])
@pytest.mark.parametrize("horizon", [1, 3])
def test_recursive_forecasts_match_windows_cut_anew_each_round(pad: str, horizon: int) -> None:
    """forecast_scaled rolls each window forward instead of cutting it again: the same
    numbers as appending the forecasts (and the features' future values) to every series
    and cutting the window after its new end, for full, short and padded histories."""
    from rnncli.prepare import windows_at

    rng = np.random.default_rng(3)
    values = [rng.normal(size=(n, 2)).astype(np.float32) for n in (40, 3, 12, 1, 25)]
    future = rng.normal(size=(5, 18, 1)).astype(np.float32)
    engine, steps, look_back = _Weighted(horizon), 17, 10
    got = predicting.forecast_scaled(
        engine, values, look_back=look_back, steps=steps, pad=pad, normalize="none",
        future=future,
    )  # fmt: skip
    grown, out = list(values), []
    for done in range(0, steps, horizon):
        if done:
            fed = np.concatenate([out[-1], future[:, done - horizon : done]], axis=2)
            grown = [np.concatenate([v, r]) for v, r in zip(grown, fed, strict=True)]
        ends = np.array([len(v) for v in grown])
        x, mask = windows_at(grown, np.arange(5), ends, look_back, pad)
        out.append(engine.predict(x, mask))
    np.testing.assert_array_equal(got, np.concatenate(out, axis=1)[:, :steps])


def test_write_atomic_replaces_whole_files(tmp_path: Path) -> None:
    target = tmp_path / "fc.csv"
    target.write_text("old\n")
    predicting.write_atomic(target, "a,b\n1,2\n")
    assert target.read_text() == "a,b\n1,2\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fc.csv"]
    # a missing parent directory is created, as ingest --out and train --out do
    predicting.write_atomic(tmp_path / "missing" / "fc.csv", "x")
    assert (tmp_path / "missing" / "fc.csv").read_text() == "x"
    with pytest.raises(NotADirectoryError) as info:
        predicting.write_atomic(tmp_path / "fc.csv" / "fc.csv", "x")
    assert info.value.filename == str(tmp_path / "fc.csv" / "fc.csv")


def test_write_atomic_removes_the_temporary_files_of_killed_writes(tmp_path: Path) -> None:
    """A write killed with SIGKILL leaves .NAME.PID.HOST.XXXXXXXX.tmp; the next write of that
    file removes it, and leaves a live process's, another machine's, another file's and a
    stranger's alone."""
    from rnncli import atomic

    gone, live, host = _dead_pid(), os.getppid(), atomic.host_name()
    left = tmp_path / f".fc.csv.{gone}.{host}.abcd_123.tmp"
    running = tmp_path / f".fc.csv.{live}.{host}.abcd_123.tmp"
    elsewhere = tmp_path / f".fc.csv.{gone}.{host}x.abcd_123.tmp"  # a shared directory
    other = tmp_path / f".fc.csv.5.{gone}.{host}.abcd_123.tmp"  # a write of fc.csv.5
    stranger = tmp_path / ".fc.csv.notes.tmp"
    for path in (left, running, elsewhere, other, stranger):
        path.write_text("part")
    predicting.write_atomic(tmp_path / "fc.csv", "a\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["fc.csv", running.name, elsewhere.name, other.name, stranger.name]
    )


def _dead_pid() -> int:
    """The process id of a process that has exited (and been reaped)."""
    import subprocess

    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


# ---- usage errors (exit 2) and a missing model (exit 1): no TensorFlow ------------------------


def test_steps_zero_is_a_usage_error(tmp_path: Path) -> None:
    result = cli(tmp_path, AIR, "--steps", "0")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("levels", ["80,abc", "95,100", "0.9"])
def test_bad_interval_levels_are_usage_errors(tmp_path: Path, levels: str) -> None:
    result = cli(tmp_path, AIR, "--intervals", levels)
    assert result.exit_code == 2
    assert "--intervals" in result.stderr


def test_missing_model_directory(tmp_path: Path) -> None:
    line = one_error(cli(tmp_path / "nope", AIR))
    assert "model directory" in line and "not found" in line


# ---- the air model (monthly, one series) ------------------------------------------------------


@pytest.fixture(scope="module")
def air(air_model: Path):
    return modeldir.load(air_model)


def air_frame() -> pd.DataFrame:
    return pd.read_csv(AIR)


def panel_of(model, source, label: str = "data"):
    from rnncli.prepare import read_data

    return read_data(model.card, source, label, str(model.path))


@pytest.mark.tf
def test_monthly_forecast_starts_after_the_last_month(air) -> None:
    fc = predicting.predict(air.path, str(AIR), "air")
    rows = predicting.rows(fc)
    assert [r["month"] for r in rows] == ["1961-01-01", "1961-02-01", "1961-03-01"]
    assert list(fc.table.columns) == ["month", "passengers"]
    assert np.isfinite(fc.table["passengers"]).all()
    assert fc.warnings == () and fc.notes == ()


@pytest.mark.tf
def test_matches_keras_on_a_window_built_by_hand(air) -> None:
    import keras

    model = keras.saving.load_model(air.path / "model.keras", compile=False)
    record = air.card.series[0]
    center, scale = record.center[0], record.scale[0]
    look_back = air.card.look_back
    values = air_frame()["passengers"].to_numpy(dtype=np.float64)[-look_back:]
    window = ((values - center) / scale).astype(np.float32)
    level = window[-1] if air.card.config.window.normalize == "last" else np.float32(0.0)
    out = model.predict((window - level)[None, :, None], verbose=0)[0, :, 0] + level
    expected = out.astype(np.float64) * scale + center
    fc = predicting.predict(air.path, str(AIR), "air")
    np.testing.assert_allclose(fc.table["passengers"].to_numpy(), expected, rtol=1e-5)


@pytest.mark.tf
def test_beyond_the_horizon_is_recursive(air) -> None:
    direct = predicting.predict(air.path, str(AIR), "air")
    long = predicting.predict(air.path, str(AIR), "air", steps=7)
    assert len(long.table) == 7
    assert predicting.rows(long)[-1]["month"] == "1961-07-01"
    np.testing.assert_allclose(
        long.table["passengers"].to_numpy()[:3], direct.table["passengers"].to_numpy()
    )
    assert any("recursive" in note for note in long.notes)
    # steps 4..6 are the direct forecast of the series extended by steps 1..3
    frame = air_frame()
    extended = pd.concat(
        [frame, pd.DataFrame({"month": ["1961-01", "1961-02", "1961-03"], "passengers": 0.0})],
        ignore_index=True,
    )
    extended.loc[extended.index[-3:], "passengers"] = direct.table["passengers"].to_numpy()
    text = extended.to_csv(index=False)
    again = predicting.predict(air.path, io.StringIO(text), "ext")
    np.testing.assert_allclose(
        long.table["passengers"].to_numpy()[3:6], again.table["passengers"].to_numpy(), rtol=1e-5
    )


@pytest.mark.tf
def test_intervals_surround_the_forecast(air) -> None:
    fc = predicting.predict(air.path, str(AIR), "air", steps=5, levels=(80, 90))
    t = fc.table
    assert list(t.columns) == [
        "month",
        "passengers",
        "passengers_lo80",
        "passengers_hi80",
        "passengers_lo90",
        "passengers_hi90",
    ]
    assert (t["passengers_lo80"] < t["passengers"]).all()
    assert (t["passengers"] < t["passengers_hi80"]).all()
    w80 = t["passengers_hi80"] - t["passengers_lo80"]
    w90 = t["passengers_hi90"] - t["passengers_lo90"]
    assert (w90 >= w80).all() and (w90 > w80).any()
    # past the horizon (3) the widths of the recursion on the calibration windows
    assert any("calibrated on the recursion run over the 12" in note for note in fc.notes)
    calibration = json.loads((air.path / "calibration.json").read_text())
    scale = air.card.series[0].scale[0]
    recursive = calibration["recursive"]["levels"]["80"]
    for step in (3, 4):
        assert w80.iloc[step] == pytest.approx(2 * recursive[step - 3][0] * scale, rel=1e-6)


@pytest.mark.tf
def test_a_model_without_recursive_calibration_reuses_the_last_width(air, tmp_path) -> None:
    """A model directory from before recursive calibration: the last step's width, said."""
    old = tmp_path / "old"
    shutil.copytree(air.path, old)
    calibration = json.loads((old / "calibration.json").read_text())
    del calibration["recursive"]
    (old / "calibration.json").write_text(json.dumps(calibration))
    fc = predicting.predict(old, str(AIR), "air", steps=5, levels=(80,))
    w80 = fc.table["passengers_hi80"] - fc.table["passengers_lo80"]
    assert w80.iloc[3] == pytest.approx(w80.iloc[2]) and w80.iloc[4] == pytest.approx(w80.iloc[2])
    assert any("reuse the width of step 3" in note for note in fc.notes)


@pytest.mark.tf
def test_older_data_only_warns(air) -> None:
    text = air_frame().iloc[:-12].to_csv(index=False)
    fc = predicting.predict(air.path, io.StringIO(text), "old")
    assert predicting.rows(fc)[0]["month"] == "1960-01-01"
    assert len(fc.warnings) == 1 and "before the end of the training data" in fc.warnings[0]


@pytest.mark.tf
def test_too_short_for_an_unpadded_model(air) -> None:
    text = air_frame().iloc[-5:].to_csv(index=False)
    with pytest.raises(DataError, match="has 5 time steps, fewer than the model's look-back 12"):
        predicting.predict(air.path, io.StringIO(text), "short")


# ---- the panel model (ragged, padded and masked) ----------------------------------------------


@pytest.fixture(scope="module")
def panel(panel_model: Path):
    return modeldir.load(panel_model)


@pytest.mark.tf
def test_panel_one_block_per_series(panel) -> None:
    fc = predicting.predict(panel.path, str(PANEL), "panel")
    t = fc.table
    ids = list(dict.fromkeys(pd.read_csv(PANEL)["series_id"].astype(str)))
    assert list(t.columns) == ["series_id", "date", "value"]
    assert t["series_id"].tolist() == [sid for sid in ids for _ in range(3)]
    first = {r["series_id"]: r["date"] for r in reversed(predicting.rows(fc))}
    assert first["CEU4245210001"] == "2018-01-01"  # the series that stops at 2017-12-01
    assert first["CEU2000000001"] == "2019-10-01"
    assert np.isfinite(t["value"]).all()


@pytest.mark.tf
def test_panel_short_series_is_padded_and_too_short_is_an_error(panel) -> None:
    frame = pd.read_csv(PANEL)
    sid = "CEU2023800101"
    rest = frame[frame["series_id"] != sid]
    mine = frame[frame["series_id"] == sid]
    short = pd.concat([rest, mine.iloc[-30:]])  # 30 >= min look-back 24, < look-back 240
    fc = predicting.predict(panel.path, io.StringIO(short.to_csv(index=False)), "p")
    block = fc.table[fc.table["series_id"] == sid]
    assert len(block) == 3 and np.isfinite(block["value"]).all()
    full = predicting.predict(panel.path, str(PANEL), "panel")
    other = fc.table[fc.table["series_id"] != sid]["value"].to_numpy()
    np.testing.assert_allclose(other, full.table[full.table["series_id"] != sid]["value"])
    tiny = pd.concat([rest, mine.iloc[-10:]])
    with pytest.raises(DataError) as info:
        predicting.predict(panel.path, io.StringIO(tiny.to_csv(index=False)), "p")
    message = str(info.value)
    assert f"series '{sid}' has 10 time steps" in message and "24" in message
    assert "\n" not in message


@pytest.mark.tf
def test_panel_unknown_series_is_forecast_as_new(panel) -> None:
    frame = pd.read_csv(PANEL)
    frame.loc[frame["series_id"] == "CEU4422000001", "series_id"] = "NEW"
    fc = predicting.predict(panel.path, io.StringIO(frame.to_csv(index=False)), "p")
    assert fc.notes[0].startswith("1 of 6 series new to the model (first: NEW)")
    assert np.isfinite(fc.table[fc.table["series_id"] == "NEW"]["value"]).all()


# ---- a model with features, padded at the front (pad=pre) --------------------------------------


@pytest.fixture(scope="module")
def elec(tmp_path_factory: pytest.TempPathFactory):
    from conftest import PLAIN, tiny_config

    from rnncli import train as pipeline

    out = tmp_path_factory.mktemp("models") / "elec"
    csv = out.parent / "elec.csv"  # the last 400 days are enough for a tiny model
    pd.read_csv(ELEC).iloc[-400:].to_csv(csv, index=False)
    run = tiny_config(
        **PLAIN,  # standard scaling, no log: a test scales a window by hand
        target=["demand_mwh"],
        features=["max_temp_c", "holiday"],
        look_back=14,
        min_look_back=7,
        pad="pre",
        horizon=2,
        units=2,
        epochs=1,
        batch_size=128,
    )
    pipeline.train(run, str(csv), str(csv), out, note=lambda _m: None)
    return modeldir.load(out)


@pytest.mark.tf
def test_pre_padded_masked_model_loads_without_cudnn(elec) -> None:
    assert elec.card.masked is True and elec.card.config.window.pad == "pre"
    lstm = [layer for layer in modeldir.load_keras(elec).layers if hasattr(layer, "use_cudnn")]
    assert lstm and all(layer.use_cudnn is False for layer in lstm)


@pytest.mark.tf
def test_short_pre_padded_window_matches_keras(elec) -> None:
    frame = pd.read_csv(ELEC).iloc[-9:]  # 9 rows: padded to look-back 14
    fc = predicting.predict(elec.path, io.StringIO(frame.to_csv(index=False)), "e")
    assert predicting.rows(fc)[0]["date"] == "2015-01-01"
    center, scale = (np.array(v) for v in elec.card.stats(["series"]))
    center, scale = center[0], scale[0]
    values = frame[["demand_mwh", "max_temp_c", "holiday"]].to_numpy(dtype=np.float64)
    real = ((values - center) / scale).astype(np.float32)
    real[:, 0] -= real[-1, 0]  # normalize=last: subtract the last target value
    x = np.zeros((1, 14, 3), np.float32)
    x[0, -9:] = real
    mask = np.zeros((1, 14), bool)
    mask[0, -9:] = True
    level = ((values[-1, 0] - center[0]) / scale[0]).astype(np.float32)
    out = modeldir.load_keras(elec).predict([x, mask], verbose=0)[0, :, 0] + level
    np.testing.assert_allclose(
        fc.table["demand_mwh"].to_numpy(), out.astype(np.float64) * scale[0] + center[0], rtol=1e-5
    )


@pytest.mark.tf
def test_features_need_future_values_past_the_horizon(elec, tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"max_temp_c, holiday.*--future FILE"):
        predicting.predict(elec.path, str(ELEC), "e", steps=5)
    future = pd.DataFrame(
        {
            "date": pd.date_range("2015-01-01", periods=5, freq="D").strftime("%Y-%m-%d"),
            "max_temp_c": [30.0, 25.0, 22.0, 28.0, 31.0],
            "holiday": [1, 0, 0, 0, 0],
        }
    )
    path = write(tmp_path / "future.csv", future)
    fc = predicting.predict(elec.path, str(ELEC), "e", steps=5, future=str(path))
    assert predicting.rows(fc)[-1]["date"] == "2015-01-05"
    direct = predicting.predict(elec.path, str(ELEC), "e")
    np.testing.assert_allclose(fc.table["demand_mwh"][:2], direct.table["demand_mwh"])
    # a hole in the future file: the step it lacks is named
    with pytest.raises(DataError, match="no row for the series at 2015-01-02"):
        predicting.predict(
            elec.path,
            str(ELEC),
            "e",
            steps=5,
            future=str(write(tmp_path / "f2.csv", future.drop(index=1))),
        )
    # steps within the horizon need none
    fc = predicting.predict(elec.path, str(ELEC), "e", steps=2, future=str(path))
    assert any("--future ignored" in note for note in fc.notes)


# ---- the command line ------------------------------------------------------------------------


@pytest.mark.tf
def test_cli_csv_on_stdout(air_model: Path) -> None:
    result = cli(air_model, AIR)
    ok(result)
    frame = pd.read_csv(io.StringIO(result.stdout))
    assert list(frame.columns) == ["month", "passengers"]
    assert frame["month"].tolist() == ["1961-01-01", "1961-02-01", "1961-03-01"]
    assert "1961" not in result.stderr


@pytest.mark.tf
def test_cli_stdin_json_and_intervals(air_model: Path) -> None:
    result = cli(
        air_model, "-", "-f", "json", "-n", "4", "--intervals", "80", input=AIR.read_text()
    )
    ok(result)
    data = json.loads(result.stdout)
    assert [r["month"] for r in data] == ["1961-01-01", "1961-02-01", "1961-03-01", "1961-04-01"]
    assert all(r["passengers_lo80"] < r["passengers"] < r["passengers_hi80"] for r in data)
    assert "recursive" in result.stderr


@pytest.mark.tf
def test_cli_output_is_atomic(air_model: Path, tmp_path: Path) -> None:
    target = tmp_path / "fc.csv"
    target.write_text("previous forecast\n")
    result = cli(air_model, AIR, "--output", target)
    ok(result)
    assert result.stdout == ""
    assert str(target) in result.stderr
    assert pd.read_csv(target)["month"].tolist() == ["1961-01-01", "1961-02-01", "1961-03-01"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fc.csv"]  # no temporary file left
    done = target.read_text()
    # a failing run (a gap in the data) leaves the previous file as it was
    gap = write(tmp_path / "gap.csv", air_frame().drop(index=140))
    one_error(cli(air_model, gap, "--output", target))
    assert target.read_text() == done
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fc.csv", "gap.csv"]
    as_json = tmp_path / "fc.json"
    ok(cli(air_model, AIR, "-o", as_json))
    assert len(json.loads(as_json.read_text())) == 3


@pytest.mark.tf
def test_cli_data_errors_are_one_line(air_model: Path, tmp_path: Path) -> None:
    renamed = write(tmp_path / "renamed.csv", air_frame().rename(columns={"passengers": "pax"}))
    line = one_error(cli(air_model, renamed))
    assert "column 'passengers'" in line and "pax" in line
    gap = write(tmp_path / "gap.csv", air_frame().drop(index=140))
    assert "gap in time from 1960-08-01 to 1960-10-01" in one_error(cli(air_model, gap))
    bad_time = air_frame()
    bad_time.loc[143, "month"] = "not a date"
    line = one_error(cli(air_model, write(tmp_path / "t.csv", bad_time)))
    assert "'not a date' is not a date" in line


@pytest.mark.tf
def test_cli_corrupt_model_file(air_model: Path, tmp_path: Path) -> None:
    copy = tmp_path / "broken"
    shutil.copytree(air_model, copy)
    (copy / "model.keras").write_bytes(b"this is not a keras file")
    ok(cli(copy, AIR))  # the NumPy engine reads weights.npz, not model.keras
    line = one_error(cli(copy, AIR, "--engine", "keras"))
    assert "model.keras cannot be loaded" in line
    (copy / "weights.npz").write_bytes(b"this is not an npz file")
    line = one_error(cli(copy, AIR))
    assert "weights.npz" in line and "retrain" in line


@pytest.mark.tf
def test_numpy_and_keras_engines_forecast_the_same(air_model: Path, panel_model: Path) -> None:
    for model, data in ((air_model, AIR), (panel_model, PANEL)):
        fast = predicting.predict(model, str(data), "d", steps=5, levels=(80,))
        keras = predicting.predict(model, str(data), "d", steps=5, levels=(80,), engine="keras")
        pd.testing.assert_frame_equal(fast.table, keras.table, rtol=1e-5)


@pytest.mark.tf
def test_a_model_missing_its_weights_file(air_model: Path, tmp_path: Path) -> None:
    """The card names weights.npz: without it the directory is incomplete (only a card of
    rnncli 0.1, which names none, falls back to Keras: test_artifacts)."""
    copy = tmp_path / "incomplete"
    shutil.copytree(air_model, copy)
    (copy / "weights.npz").unlink()
    line = one_error(cli(copy, AIR))
    assert "incomplete (its card names weights.npz, which is missing)" in line
    assert "--engine keras" in line
    ok(cli(copy, AIR, "--engine", "keras"))


def test_closed_pipe_is_exit_141_without_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    import typer

    from rnncli.cli import common as cli_mod

    class Closed(io.StringIO):
        def write(self, text: str) -> int:
            raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(sys, "stdout", Closed())
    with pytest.raises(typer.Exit) as info:
        cli_mod.handle_errors(lambda: cli_mod.write_stdout(lambda s: s.write("a,b\n")))()
    assert info.value.exit_code == 141


@pytest.mark.tf
def test_closed_pipe_ends_quietly(air_model: Path) -> None:
    """`rnncli predict … | head`: the reader goes away; no traceback, exit 141 (SIGPIPE)."""
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="-1")
    proc = subprocess.Popen(
        [sys.executable, "-m", "rnncli", "predict", str(air_model), str(AIR), "-f", "csv"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    proc.stdout.close()  # before anything is written: every write fails with EPIPE
    stderr = proc.stderr.read().decode()
    proc.stderr.close()
    assert proc.wait(timeout=120) == 141, stderr
    assert "Traceback" not in stderr and "BrokenPipeError" not in stderr
