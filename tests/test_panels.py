"""Panels through the CLI: M1 on the defaults, parts that fit, series the model never saw,
series that cannot be forecast (--skip-invalid) and per-series messages summarised."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from rnncli.cli import app

SAMPLE = Path(__file__).resolve().parent.parent / "sample_data"
PANEL = SAMPLE / "employment_panel.csv"
AIR = SAMPLE / "airpassengers.csv"
M1 = Path("/work/shared/data/m1_monthly.csv")
runner = CliRunner(env={"RNNCLI_DEBUG": None, "NO_COLOR": "1"})
TINY = ["--units", "4", "--epochs", "1", "--ensemble", "1", "--seed", "7", "--no-refit"]


def invoke(*args: object, input: str | None = None):
    return runner.invoke(app, [str(a) for a in args], input=input)


def ok(result) -> None:
    assert result.exit_code == 0, result.stderr
    assert "Error" not in result.stderr and "Traceback" not in result.stderr


def one_error(result) -> str:
    assert result.exit_code == 1, (result.stdout, result.stderr)
    assert result.stdout == "" and "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1, result.stderr
    return errors[0]


def forecast(result) -> pd.DataFrame:
    ok(result)
    return pd.read_csv(io.StringIO(result.stdout))


def write(path: Path, frame: pd.DataFrame) -> Path:
    frame.to_csv(path, index=False)
    return path


# ---- M1 on the defaults --------------------------------------------------------------------


@pytest.fixture(scope="module")
def m1(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    """A tiny model trained on the `train` rows of M1 monthly with only --id-col and
    --horizon (and tiny sizes); its stderr."""
    if not M1.exists():
        pytest.skip("the M1 data set is not in shared/data")
    where = tmp_path_factory.mktemp("m1")
    frame = pd.read_csv(M1)
    train = write(where / "m1_train.csv", frame[frame["split"] == "train"].drop(columns="split"))
    result = invoke(
        "train", train, "--id-col", "series_id", "--horizon", 18, "--out", where / "m", *TINY
    )
    ok(result)
    return where / "m", train, result.stderr


@pytest.mark.tf
def test_m1_trains_on_the_defaults_and_says_what_was_decided(m1) -> None:
    _model, _train, stderr = m1
    lines = stderr.splitlines()
    # M1's shortest series has 30 training rows, fewer than look-back 23 + horizon 18
    assert "look-back 23: 1.25 x the longer of horizon 18 and season 1 (set --look-back)" in lines
    padded = [line for line in lines if line.startswith("padded: ")]
    assert padded and "the shortest series has 30" in padded[0]
    assert any(line.startswith("windows: ") and ", 0 test " in line for line in lines)
    assert (
        "no test part: a panel of 617 series is scored on its 580 validation windows "
        "(set --test-size to hold out a test part)" in lines
    )
    assert not any("Warning" in line for line in lines)


@pytest.mark.tf
def test_m1_predict_prints_no_line_per_series(m1, tmp_path: Path) -> None:
    model, train, _ = m1
    frame = pd.read_csv(train)
    older = write(tmp_path / "older.csv", frame.groupby("series_id").head(-3))
    for data in (train, older, M1):
        result = invoke("predict", model, data)
        fc = forecast(result)
        assert len(fc) == 617 * 18
        assert len(result.stderr.splitlines()) <= 3, result.stderr


# ---- parts that fit ------------------------------------------------------------------------


@pytest.mark.tf
def test_empty_parts_are_warnings_naming_the_option(tmp_path: Path) -> None:
    short = write(tmp_path / "short.csv", pd.read_csv(AIR).iloc[:12])
    result = invoke("train", short, "--horizon", 6, "--out", tmp_path / "m", *TINY)
    ok(result)
    lines = result.stderr.splitlines()
    assert (
        "Warning: no validation windows (the series are too short to hold out 6 steps beside "
        "a training window; set --val-size): early stopping watches the training loss" in lines
    )
    assert any(
        line.startswith("Warning: no test windows") and line.endswith("no scores; set --test-size")
        for line in lines
    )
    result = invoke("train", AIR, "--val-size", 0, "--test-size", 0, "--out", tmp_path / "n", *TINY)
    ok(result)
    lines = result.stderr.splitlines()
    assert (
        "Warning: no validation windows (--val-size 0): early stopping watches the training loss"
        in lines
    )
    assert not any("no test windows" in line for line in lines)  # asked for: no warning


# ---- series the model never saw ------------------------------------------------------------


def with_new_series(frame: pd.DataFrame, source: str, copies: dict[str, float]) -> pd.DataFrame:
    """`frame` plus copies of series `source` under new ids, multiplied by each factor."""
    rows = frame[frame["series_id"] == source]
    extra = [rows.assign(series_id=sid, value=rows["value"] * k) for sid, k in copies.items()]
    return pd.concat([frame, *extra], ignore_index=True)


@pytest.mark.tf
def test_new_series_forecast_from_their_own_history(panel_model: Path, tmp_path: Path) -> None:
    frame = pd.read_csv(PANEL)
    source = "CEU4422000001"
    data = write(tmp_path / "new.csv", with_new_series(frame, source, {"N1": 1.0, "N10": 10.0}))
    result = invoke("predict", panel_model, data)
    fc = forecast(result)
    n = frame["series_id"].nunique() + 2
    assert f"2 of {n} series new to the model (first: N1): scaled from their own history" in (
        result.stderr.splitlines()
    )
    one = fc[fc["series_id"] == "N1"]["value"].to_numpy()
    ten = fc[fc["series_id"] == "N10"]["value"].to_numpy()
    assert len(one) == 3 and np.isfinite(one).all()
    # logged and level-normalised: a series ten times larger is forecast ten times larger
    np.testing.assert_allclose(ten, 10 * one, rtol=1e-4)
    # the known series are forecast as without the new ones
    base = forecast(invoke("predict", panel_model, PANEL))
    known = fc[~fc["series_id"].isin(["N1", "N10"])].reset_index(drop=True)
    pd.testing.assert_frame_equal(known, base)


@pytest.fixture(scope="module")
def standard_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A panel model with plain standard scaling (no log, no seasonal indices)."""
    out = tmp_path_factory.mktemp("models") / "standard"
    result = invoke(
        "train", PANEL, "--id-col", "series_id", "--scale", "standard", "--transform", "none",
        "--deseasonalize", "none", "--look-back", 24, "--horizon", 3, "--out", out, *TINY,
    )  # fmt: skip
    ok(result)
    return out


@pytest.mark.tf
def test_new_series_statistics_are_its_own(standard_model: Path, tmp_path: Path) -> None:
    from rnncli import modeldir
    from rnncli.prepare import prepare, read_data

    frame = pd.read_csv(PANEL)
    rows = frame[frame["series_id"] == "CEU4422000001"]
    new = rows.assign(series_id="NEW", value=rows["value"] * 3 + 50)
    model = modeldir.load(standard_model)
    data = pd.concat([frame, new]).to_csv(index=False)
    prep = prepare(model.card, read_data(model.card, io.StringIO(data), "d", "m"))
    record = prep.records[prep.ids.index("NEW")]
    values = new["value"].to_numpy()
    assert record.center == pytest.approx((values.mean(),))  # all of its history: all past
    assert record.scale == pytest.approx((values.std(),))
    assert model.card.record("NEW") is None
    # evaluate: its last horizon is its test part, its statistics come from the rows before
    prep = prepare(
        model.card, read_data(model.card, io.StringIO(data), "d", "m"), history_only=False
    )
    record = prep.records[prep.ids.index("NEW")]
    assert (record.n_train, record.n_test) == (len(values) - 3, 3)
    assert record.center == pytest.approx((values[:-3].mean(),))
    result = invoke("evaluate", standard_model, write(tmp_path / "d.csv", new), "--format", "json")
    ok(result)
    assert "1 of 1 series new to the model (first: NEW)" in result.stderr
    assert "1 test windows" in result.stderr


# ---- series that cannot be forecast ----------------------------------------------------------


def broken_panel(frame: pd.DataFrame) -> pd.DataFrame:
    """Two series cut to 10 rows (the model needs 24) and one with a gap in its last year."""
    ids = list(dict.fromkeys(frame["series_id"]))
    short = frame["series_id"].isin(ids[1:3])
    cut = frame[short].groupby("series_id").tail(10)
    gap = frame[frame["series_id"] == ids[4]]
    gap = gap.drop(gap.index[-5])
    rest = frame[~short & (frame["series_id"] != ids[4])]
    return pd.concat([rest, cut, gap], ignore_index=True)


@pytest.mark.tf
def test_invalid_series_fail_the_run_naming_the_first_and_the_count(
    panel_model: Path, tmp_path: Path
) -> None:
    frame = pd.read_csv(PANEL)
    ids = list(dict.fromkeys(frame["series_id"]))
    data = write(tmp_path / "broken.csv", broken_panel(frame))
    line = one_error(invoke("predict", panel_model, data))
    n = len(ids)
    assert line.startswith(f"Error: {data}: 3 of {n} series cannot be forecast; the first: ")
    assert f"series '{ids[1]}' has 10 time steps" in line
    assert line.endswith(f"pass --skip-invalid to forecast the other {n - 3}")
    assert not (tmp_path / "fc.csv").exists()


@pytest.mark.tf
def test_skip_invalid_forecasts_the_rest(panel_model: Path, tmp_path: Path) -> None:
    frame = pd.read_csv(PANEL)
    ids = list(dict.fromkeys(frame["series_id"]))
    data = write(tmp_path / "broken.csv", broken_panel(frame))
    result = invoke("predict", panel_model, data, "--skip-invalid")
    fc = forecast(result)
    skipped = {ids[1], ids[2], ids[4]}
    assert set(fc["series_id"]) == set(ids) - skipped
    warnings = [line for line in result.stderr.splitlines() if line.startswith("Warning")]
    assert len(warnings) == 1
    assert warnings[0].startswith(f"Warning: skipped 3 of {len(ids)} series that cannot be")
    assert warnings[0].endswith("--verbose lists them")
    assert not any(sid in result.stderr for sid in (ids[2], ids[4]))
    verbose = invoke("predict", panel_model, data, "--skip-invalid", "--verbose")
    assert verbose.stdout == result.stdout
    listed = [line for line in verbose.stderr.splitlines() if line.startswith("skipped: ")]
    assert [line.split("'")[1] for line in listed] == ids[1:3] + ids[4:5]
    assert "a gap in time" in listed[2]
    # the kept series are forecast as they are without the broken ones
    kept = frame[~frame["series_id"].isin(skipped)]
    alone = forecast(invoke("predict", panel_model, write(tmp_path / "kept.csv", kept)))
    pd.testing.assert_frame_equal(fc.reset_index(drop=True), alone)
    # evaluate takes the same option
    ok(invoke("evaluate", panel_model, data, "--skip-invalid", "--format", "json"))


@pytest.mark.tf
def test_every_series_invalid_is_an_error_even_when_skipping(
    panel_model: Path, tmp_path: Path
) -> None:
    frame = pd.read_csv(PANEL)
    data = write(tmp_path / "tiny.csv", frame.groupby("series_id").tail(5))
    line = one_error(invoke("predict", panel_model, data, "--skip-invalid"))
    assert "no series can be forecast" in line and "has 5 time steps" in line


@pytest.mark.tf
def test_ends_before_training_is_one_line(panel_model: Path, tmp_path: Path) -> None:
    frame = pd.read_csv(PANEL)
    data = write(tmp_path / "older.csv", frame.groupby("series_id").head(-2))
    result = invoke("predict", panel_model, data)
    ok(result)
    warnings = [line for line in result.stderr.splitlines() if line.startswith("Warning")]
    n = frame["series_id"].nunique()
    assert len(warnings) == 1
    assert warnings[0].startswith(f"Warning: {n} series end before the end of their training data")
