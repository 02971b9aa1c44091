"""Prediction intervals: refused when the calibration windows cannot support a level, never
quietly calibrated on training windows, steps past the horizon calibrated on the recursion;
evaluate's coverage per level, overall and per series."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from rnncli import intervals
from rnncli.cli import app

AIR = Path(__file__).resolve().parent.parent / "sample_data" / "airpassengers.csv"
runner = CliRunner(env={"RNNCLI_DEBUG": None, "NO_COLOR": "1"})
# a tiny model with no transform, standard scaling and no differencing: an interval's
# half-width in passengers is its scaled width times the series' standard deviation
FIXED = [
    "--units", "4", "--epochs", "3", "--ensemble", "1", "--seed", "7", "--look-back", "12",
    "--horizon", "12", "--min-look-back", "12", "--transform", "none", "--scale", "standard",
    "--deseasonalize", "none", "--no-refit", "--test-size", "12", "-q",
]  # fmt: skip


@pytest.mark.parametrize("level", [50, 60, 75, 80, 90, 95, 99])
def test_needed_windows_is_the_smallest_n_whose_rank_fits(level: int) -> None:
    fits = [n for n in range(1, 200) if math.ceil((n + 1) * level / 100) <= n]
    assert intervals.needed_windows(level) == fits[0]
    assert intervals.max_level(fits[0]) >= level
    assert intervals.max_level(fits[0] - 1) < level


def train(out: Path, *args: str, quiet: bool = True) -> Path:
    fixed = FIXED if quiet else [a for a in FIXED if a != "-q"]
    result = runner.invoke(app, ["train", str(AIR), "--out", str(out), *fixed, *args])
    assert result.exit_code == 0, result.output
    (out.parent / f"{out.name}.stderr").write_text(result.stderr)
    return out


def predict(model: Path, *args: str):
    return runner.invoke(app, ["predict", str(model), str(AIR), "--format", "csv", *args])


@pytest.fixture(scope="module")
def few(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """14 validation steps with horizon 12: 3 calibration windows."""
    return train(tmp_path_factory.mktemp("m") / "few", "--val-size", "14", quiet=False)


@pytest.fixture(scope="module")
def many(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """30 validation steps: 19 direct windows, fewer for each recursive step past 12."""
    return train(tmp_path_factory.mktemp("m") / "many", "--val-size", "30")


@pytest.mark.tf
def test_a_level_the_windows_cannot_support_is_refused(few: Path) -> None:
    result = predict(few, "--intervals", "80")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "Error: --intervals 80 needs at least 4 calibration windows; the model has 3 "
        "(validation windows); retrain with --val-size 15 or more, or ask for levels up to 75"
    ]
    assert predict(few, "--intervals", "75").exit_code == 0
    said = (few.parent / "few.stderr").read_text().splitlines()
    assert (
        "intervals: 3 validation windows calibrate levels up to 75 %; 95 % needs --val-size 30"
        in said
    )


@pytest.mark.tf
def test_val_size_suggested_gives_enough_windows(tmp_path: Path) -> None:
    model = train(tmp_path / "fifteen", "--val-size", "15")
    assert json.loads((model / "calibration.json").read_text())["n"] == 4
    assert predict(model, "--intervals", "80").exit_code == 0


@pytest.mark.tf
def test_without_validation_windows_intervals_are_refused_unless_asked(tmp_path: Path) -> None:
    none = train(tmp_path / "none", "--val-size", "0")
    result = predict(none, "--intervals", "80")
    assert result.exit_code == 1
    (line,) = result.stderr.splitlines()
    assert line.startswith("Error: the model has no validation windows to calibrate --intervals")
    assert "--calibrate-on train" in line
    on_train = train(tmp_path / "on_train", "--val-size", "0", "--calibrate-on", "train")
    result = predict(on_train, "--intervals", "80,95")
    assert result.exit_code == 0, result.output
    assert (
        "intervals calibrated on the training windows (--calibrate-on train): too narrow"
        in result.stderr
    )
    calibration = json.loads((on_train / "calibration.json").read_text())
    assert calibration["source"] == "train" and calibration["n"] > 19
    report = runner.invoke(app, ["evaluate", str(on_train), "--format", "json"])
    assert report.exit_code == 0, report.output
    coverage = json.loads(report.stdout)["interval_coverage"]
    assert coverage and all(r["calibrated_on"] == "training" for r in coverage)


def truncated_forecast(model: Path, rows: int, steps: int, tmp_path: Path) -> np.ndarray:
    part = tmp_path / f"first{rows}.csv"
    pd.read_csv(AIR).iloc[:rows].to_csv(part, index=False)
    result = runner.invoke(
        app, ["predict", str(model), str(part), "--steps", str(steps), "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    return np.array([r["passengers"] for r in json.loads(result.stdout)])


@pytest.mark.tf
def test_steps_past_the_horizon_are_calibrated_on_the_recursion(many: Path, tmp_path: Path) -> None:
    """The 80 % half-width of step 20 is the conformal quantile of the step-20 errors of the
    recursion run from each validation origin that still has its step-20 actual, computed
    here by forecasting the truncated file from each origin."""
    card_rows = 144
    n_val, n_test, horizon, steps, level = 30, 12, 12, 20, 80
    n_train = card_rows - n_val - n_test
    actual = pd.read_csv(AIR)["passengers"].to_numpy(dtype=float)
    errors = []
    for origin in range(n_train, n_train + n_val - horizon + 1):  # the 19 validation windows
        if origin + steps - 1 < n_train + n_val:  # step 20's actual is in the validation part
            fc = truncated_forecast(many, origin, steps, tmp_path)
            errors.append(abs(actual[origin + steps - 1] - fc[steps - 1]))
    assert len(errors) == n_val - steps + 1 == 11
    k = math.ceil((len(errors) + 1) * level / 100)
    want = sorted(errors)[k - 1]
    result = runner.invoke(
        app,
        ["predict", str(many), str(AIR), "--steps", str(steps), "--intervals", "80", "-f", "json"],
    )
    assert result.exit_code == 0, result.output
    assert "calibrated on the recursion run over the 19 calibration windows" in result.stderr
    last = json.loads(result.stdout)[steps - 1]
    assert last["passengers_hi80"] - last["passengers"] == pytest.approx(want, rel=1e-4)
    assert last["passengers"] - last["passengers_lo80"] == pytest.approx(want, rel=1e-4)


@pytest.mark.tf
def test_a_recursive_step_without_enough_windows_is_refused(many: Path) -> None:
    result = predict(many, "--steps", "24", "--intervals", "95")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == (
        "Error: --intervals 95 at step 13 (past the horizon 12, recursive) needs 19 "
        "calibration windows that reach it; the validation part has 18; ask for --steps 12 "
        "or fewer, or retrain with --val-size 42 or more"
    )
    assert predict(many, "--steps", "12", "--intervals", "95").exit_code == 0


@pytest.mark.tf
def test_evaluate_reports_coverage_overall_and_per_series(panel_model: Path) -> None:
    result = runner.invoke(app, ["evaluate", str(panel_model), "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)["interval_coverage"]
    assert rows, result.stderr
    for level in {r["level"] for r in rows}:
        at = [r for r in rows if r["level"] == level]
        overall = next(r for r in at if r["series"] == "all")
        per = [r for r in at if r["series"] != "all"]
        assert len(per) > 1
        assert overall["points"] == sum(r["points"] for r in per)
        inside = sum(r["coverage"] * r["points"] for r in per) / overall["points"]
        assert overall["coverage"] == pytest.approx(inside)


def test_spread_picks_evenly_and_keeps_all_when_fewer() -> None:
    from rnncli.train import spread

    idx = np.arange(100, 200, dtype=np.int32)
    np.testing.assert_array_equal(spread(idx, 5), [100, 124, 149, 174, 199])
    np.testing.assert_array_equal(spread(idx, 500), idx)
    assert len(spread(idx[:0], 5)) == 0


@pytest.mark.tf
def test_calibration_windows_are_capped_and_evenly_spread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A part with more windows than CALIBRATION_WINDOWS calibrates on that many (spread
    over it, `spread`), and train says so."""
    import rnncli.train

    monkeypatch.setattr(rnncli.train, "CALIBRATION_WINDOWS", 10)
    model = train(tmp_path / "capped", "--val-size", "0", "--calibrate-on", "train", quiet=False)
    calibration = json.loads((model / "calibration.json").read_text())
    assert calibration["n"] == 10
    stderr = (tmp_path / "capped.stderr").read_text()
    # AirPassengers: 144 - 12 test rows, look-back 12, horizon 12 -> 109 training windows
    assert "intervals calibrated on 10 of the 109 training windows, evenly spread" in stderr
