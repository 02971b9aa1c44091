"""Known-future inputs (--known, --calendar) through the CLI: train, predict --future, evaluate.

The data is the bundled Victoria electricity demand (daily, with the day's maximum
temperature and a public-holiday flag). Models are tiny, with plain scaling and no target
transform, so a forecast's response to a known-future value can be computed by hand from the
saved weights: the head is linear in the known-future block.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from rnncli.cli import app

ELEC = Path(__file__).resolve().parent.parent / "sample_data" / "electricity.csv"
H = 3
PLAIN_FLAGS = [
    "--units", "4", "--epochs", "2", "--ensemble", "1", "--seed", "7", "--horizon", str(H),
    "--look-back", "14", "--min-look-back", "14", "--transform", "none",
    "--deseasonalize", "none", "--scale", "standard", "--no-refit", "--val-size", "0.1",
    "--test-size", "0.1", "--target", "demand_mwh",
]  # fmt: skip


def run(*args: str):
    return CliRunner().invoke(app, list(args))


def one_error_line(result) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ")
    assert "Traceback" not in result.stderr
    return lines[0]


def read_csv_text(text: str) -> pd.DataFrame:
    import io

    return pd.read_csv(io.StringIO(text))


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """train.csv: the first 1000 days; future.csv: the next 10 days' temperature and holiday
    (real rows, demand left out); full.csv: every day."""
    d = tmp_path_factory.mktemp("known")
    frame = pd.read_csv(ELEC)
    frame.iloc[:1000].to_csv(d / "train.csv", index=False)
    frame.iloc[1000:1010][["date", "max_temp_c", "holiday"]].to_csv(d / "future.csv", index=False)
    frame.to_csv(d / "full.csv", index=False)
    return {"dir": d, "train": d / "train.csv", "future": d / "future.csv", "full": d / "full.csv"}


@pytest.fixture(scope="module")
def known_model(files: dict[str, Path]) -> Path:
    out = files["dir"] / "known"
    result = run(
        "train", str(files["train"]), *PLAIN_FLAGS, "--features", "max_temp_c",
        "--known", "holiday", "--calendar", "dayofweek", "--out", str(out),
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert "known-future inputs: holiday, dayofweek (calendar), read at each of the 3 steps" in (
        result.stderr
    )
    return out


@pytest.fixture(scope="module")
def calendar_model(files: dict[str, Path]) -> Path:
    out = files["dir"] / "calendar"
    result = run(
        "train", str(files["train"]), *PLAIN_FLAGS, "--calendar", "dayofweek,month",
        "--out", str(out),
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    return out


def card(model: Path) -> dict:
    """The model card as a mapping, its series records read in (series.json)."""
    from rnncli.modeldir import read_meta

    return read_meta(model)


def npz(model: Path) -> dict[str, np.ndarray]:
    """The arrays of weights.npz (the file closed again)."""
    with np.load(model / "weights.npz") as f:
        return {name: f[name] for name in f.files}


def dow(dates: pd.DatetimeIndex) -> np.ndarray:
    """dayofweek's (sin, cos) by hand: Monday = 0 of 7."""
    angle = 2 * np.pi * np.asarray(dates.day_of_week, dtype=float) / 7
    return np.stack([np.sin(angle), np.cos(angle)], axis=1)


# ---- the model card ---------------------------------------------------------------------------


@pytest.mark.tf
def test_card_records_known_and_calendar_and_round_trips(known_model: Path) -> None:
    from rnncli.cardread import parse

    meta = card(known_model)
    columns = meta["data"]["columns"]
    assert columns["inputs"] == ["demand_mwh", "max_temp_c", "holiday"]
    assert columns["known"] == ["holiday"]
    assert columns["calendar"] == ["dayofweek"]
    network = meta["engine"]["network"]
    # the look-back reads targets, feature, known column and two calendar columns; the head
    # reads the known column and the calendar pair at each of the H steps
    assert (network["n_features"], network["n_known"]) == (5, 3)
    assert len(meta["series"][0]["center"]) == 5
    assert meta["engine"]["parity_max_abs"] <= 1e-5
    weights = npz(known_model)
    # the known block (H steps x 3) goes through a tanh layer of `units` (4) into the head
    assert weights["future/kernel"].shape == (H * 3, 4)
    assert weights["head/kernel"].shape == (4 + 4, H)
    # inspect-weights counts the known-future layer too: its total is Keras's count_params
    shown = run("inspect-weights", str(known_model), "--format", "json")
    assert shown.exit_code == 0, shown.stderr
    report = json.loads(shown.stdout)
    assert "future_dense" in [layer["name"] for layer in report["layers"]]
    assert report["total"] == meta["params"]
    parsed = parse(meta, known_model / "rnncli.yaml")
    assert parsed.columns.known == ("holiday",)
    assert parsed.columns.calendar == ("dayofweek",)
    assert parsed.columns.features == ("max_temp_c",)
    assert parsed.engine.network is not None and parsed.engine.network.n_known == 3
    again = parse(yaml.safe_load(yaml.safe_dump(parsed.to_dict())), known_model / "x.yaml")
    assert again.columns == parsed.columns
    assert again.engine.network == parsed.engine.network
    assert again.config.data.known == ("holiday",)


def test_a_network_without_known_inputs_is_recorded_as_before() -> None:
    from rnncli.engine import NetworkSpec

    old = {
        "cell": "lstm", "units": 4, "layers": 1, "bidirectional": False, "activation": "tanh",
        "look_back": 5, "n_features": 1, "horizon": 2, "n_targets": 1, "masked": False,
    }  # fmt: skip
    spec = NetworkSpec.from_dict(old)  # a card written before known-future inputs
    assert spec.n_known == 0
    assert spec.to_dict() == old
    assert NetworkSpec.from_dict({**old, "n_known": 3}).n_known == 3


# ---- predict --------------------------------------------------------------------------------


@pytest.mark.tf
def test_predict_reads_the_future_holiday_at_its_step(files: dict[str, Path], known_model: Path):
    base = run("predict", str(known_model), str(files["train"]), "--future", str(files["future"]))
    assert base.exit_code == 0, base.stderr
    fc = read_csv_text(base.stdout)
    assert list(fc["date"]) == ["2014-09-27", "2014-09-28", "2014-09-29"]
    # the same future with a holiday on the second step (a Sunday that was a working day)
    future = pd.read_csv(files["future"])
    assert future.loc[1, "holiday"] == 0
    future.loc[1, "holiday"] = 1
    changed_file = files["dir"] / "future_holiday.csv"
    future.to_csv(changed_file, index=False)
    changed = run("predict", str(known_model), str(files["train"]), "--future", str(changed_file))
    assert changed.exit_code == 0, changed.stderr
    moved = read_csv_text(changed.stdout)["demand_mwh"].to_numpy() - fc["demand_mwh"].to_numpy()
    # by hand: the known block [holiday, dow_sin, dow_cos] of each step, scaled with the
    # recorded statistics and flattened, goes through tanh(f @ Wf + bf) into the head, whose
    # rows after the recurrent output's 4 weigh it; the rest of the forecast is unchanged, so
    # the forecast moves by (g' - g) @ W_head[4:], times the target's scale
    meta = card(known_model)
    center, scale = np.array(meta["series"][0]["center"]), np.array(meta["series"][0]["scale"])
    dates = pd.DatetimeIndex(future["date"][:H])
    w = npz(known_model)

    def hidden(holiday: np.ndarray) -> np.ndarray:
        raw = np.concatenate([holiday[:, None], dow(dates)], axis=1)
        f = ((raw - center[2:]) / scale[2:]).reshape(-1)
        return np.tanh(f @ w["future/kernel"] + w["future/bias"])

    before = pd.read_csv(files["future"])["holiday"].to_numpy(float)[:H]
    expected = (hidden(future["holiday"].to_numpy(float)[:H]) - hidden(before)) @ w["head/kernel"][
        4:
    ]
    expected *= scale[0]
    assert np.abs(expected).max() > 1.0  # the flag matters (MWh)
    np.testing.assert_allclose(moved, expected, rtol=1e-3, atol=1e-2)
    assert center[2] == pytest.approx(pd.read_csv(files["train"])["holiday"][:800].mean())


@pytest.mark.tf
def test_predict_without_future_file_is_one_line_error(files: dict[str, Path], known_model: Path):
    result = run("predict", str(known_model), str(files["train"]))
    assert result.exit_code == 1
    line = one_error_line(result)
    assert "holiday" in line and "--future" in line and "next 3 steps" in line


@pytest.mark.tf
def test_a_missing_future_step_is_one_line_error_with_the_count(
    files: dict[str, Path], known_model: Path
) -> None:
    future = pd.read_csv(files["future"])
    gappy = files["dir"] / "future_gap.csv"
    future.drop(index=[1]).to_csv(gappy, index=False)
    result = run("predict", str(known_model), str(files["train"]), "--future", str(gappy))
    assert result.exit_code == 1
    line = one_error_line(result)
    assert "no row for the series at 2014-09-28 (1 missing step in all)" in line
    assert "holiday" in line
    # --steps 5 reads two horizons of known values: 6 steps; the file has 10, and 4 are cut
    short = files["dir"] / "future_short.csv"
    future.iloc[:2].to_csv(short, index=False)
    result = run(
        "predict", str(known_model), str(files["train"]), "--future", str(short), "--steps", "5"
    )
    assert result.exit_code == 1
    line = one_error_line(result)
    assert "at 2014-09-29 (4 missing steps in all)" in line
    assert "next 6 steps (whole horizons of 3)" in line


@pytest.mark.tf
def test_predict_past_the_horizon_uses_every_steps_known_values(
    files: dict[str, Path], known_model: Path
) -> None:
    args = ["predict", str(known_model), str(files["train"]), "--future", str(files["future"])]
    long = run(*args, "--steps", "7")
    assert long.exit_code == 0, long.stderr
    fc = read_csv_text(long.stdout)
    assert len(fc) == 7 and fc["date"].iloc[-1] == "2014-10-03"
    direct = read_csv_text(run(*args).stdout)
    np.testing.assert_allclose(fc["demand_mwh"][:3], direct["demand_mwh"])
    # a holiday on step 8 (read by the third round, steps 7..9) moves step 7
    future = pd.read_csv(files["future"])
    future.loc[7, "holiday"] = 1 - future.loc[7, "holiday"]
    flipped = files["dir"] / "future_step8.csv"
    future.to_csv(flipped, index=False)
    args[-1] = str(flipped)
    other = read_csv_text(run(*args, "--steps", "7").stdout)
    np.testing.assert_allclose(other["demand_mwh"][:6], fc["demand_mwh"][:6])
    assert abs(other["demand_mwh"].iloc[6] - fc["demand_mwh"].iloc[6]) > 1e-3
    # intervals past the horizon (calibrated at train time on recursions that read the
    # known values too) around the same forecast
    banded = run(*args, "--steps", "7", "--intervals", "80")
    assert banded.exit_code == 0, banded.stderr
    band = read_csv_text(banded.stdout)
    np.testing.assert_allclose(band["demand_mwh"], other["demand_mwh"])
    assert (band["demand_mwh_lo80"] < band["demand_mwh"]).all()
    assert (band["demand_mwh"] < band["demand_mwh_hi80"]).all()


@pytest.mark.tf
def test_calendar_only_model_predicts_without_a_future_file(
    files: dict[str, Path], calendar_model: Path
) -> None:
    from rnncli import modeldir
    from rnncli.inference import predict_scaled
    from rnncli.prepare import prepare, read_data

    result = run("predict", str(calendar_model), str(files["train"]))
    assert result.exit_code == 0, result.stderr
    fc = read_csv_text(result.stdout)["demand_mwh"].to_numpy()
    # the calendar block by hand from the next three dates (Sat 27, Sun 28, Mon 29 Sep 2014)
    model = modeldir.load(calendar_model)
    dates = pd.date_range("2014-09-27", periods=H, freq="D")
    month = 2 * np.pi * (dates.month.to_numpy() - 1) / 12
    raw = np.concatenate([dow(dates), np.stack([np.sin(month), np.cos(month)], 1)], axis=1)
    stats = card(calendar_model)["series"][0]
    center, scale = np.array(stats["center"]), np.array(stats["scale"])
    block = ((raw - center[1:]) / scale[1:]).astype(np.float32)[None]
    prep = prepare(model.card, read_data(model.card, str(files["train"]), "train", "m"))
    x, mask = prep.windows(np.array([0]), np.array([len(prep.values[0])]), 14, "post")
    engine = modeldir.load_engine(model, "numpy")
    y = predict_scaled(engine, x, mask, n_targets=1, normalize="last", future=block)
    np.testing.assert_allclose(fc, y[0, :, 0] * scale[0] + center[0], rtol=1e-6)
    # a future file is not needed, and is ignored with a note
    ignored = run(
        "predict", str(calendar_model), str(files["train"]), "--future", str(files["future"])
    )
    assert ignored.exit_code == 0
    assert "--future ignored" in ignored.stderr and "calendar" in ignored.stderr


# ---- evaluate -------------------------------------------------------------------------------


@pytest.mark.tf
def test_evaluate_reads_the_known_values_from_the_data(
    files: dict[str, Path], known_model: Path
) -> None:
    from rnncli import modeldir
    from rnncli.evaluate import evaluate
    from rnncli.inference import predict_scaled

    model = modeldir.load(known_model)
    report = evaluate(model, str(files["full"]), "full", levels=())
    # every test window's known block by hand: the actual holiday flags and weekdays of the
    # steps it forecasts, scaled with the recorded statistics
    frame = pd.read_csv(files["full"])
    stats = card(known_model)["series"][0]
    center, scale = np.array(stats["center"]), np.array(stats["scale"])
    rows = report.at[:, None] + np.arange(H)[None, :]
    dates = pd.DatetimeIndex(frame["date"].to_numpy()[rows.ravel()])
    raw = np.concatenate([frame["holiday"].to_numpy()[rows.ravel(), None], dow(dates)], axis=1)
    block = ((raw - center[2:]) / scale[2:]).reshape(len(rows), H, 3).astype(np.float32)
    x, mask = report.prep.windows(report.series, report.at, 14, "post")
    engine = modeldir.load_engine(model, "numpy")
    want = predict_scaled(engine, x, mask, n_targets=1, normalize="last", future=block)
    np.testing.assert_allclose(report.y_pred_scaled, want, rtol=1e-6, atol=1e-6)
    assert report.windows == len(frame) - (800 + 100) - H + 1  # all days after the val part
    # through the CLI, on the training file: exit 0, a table
    result = run("evaluate", str(known_model), "--format", "csv")
    assert result.exit_code == 0, result.stderr
    assert "model" in result.stdout


# ---- user mistakes --------------------------------------------------------------------------


def test_unknown_calendar_name_is_one_line_usage_error(files: dict[str, Path]) -> None:
    out = str(files["dir"] / "never")
    result = run("train", str(files["train"]), "--calendar", "month,weekday", "--out", out)
    assert result.exit_code == 2
    line = one_error_line(result)
    assert "'weekday'" in line
    assert "month, quarter, weekofyear, dayofyear, dayofmonth, dayofweek, hour, minute" in line


def test_known_and_features_on_one_column_is_an_error(files: dict[str, Path]) -> None:
    result = run(
        "train", str(files["train"]), "--target", "demand_mwh", "--features", "holiday",
        "--known", "holiday", "--out", str(files["dir"] / "never"),
    )  # fmt: skip
    assert result.exit_code == 1
    assert "both --features (past-only) and --known" in one_error_line(result)


def test_calendar_needs_dates(tmp_path: Path) -> None:
    frame = pd.read_csv(ELEC).drop(columns=["date"]).iloc[:200]
    csv = tmp_path / "positions.csv"
    frame.to_csv(csv, index=False)
    result = run(
        "train", str(csv), "--target", "demand_mwh", "--calendar", "month", "--quiet",
        "--out", str(tmp_path / "never"),
    )  # fmt: skip
    assert result.exit_code == 1
    assert "--calendar month needs dates in the time column" in one_error_line(result)


def test_calendar_encodings_by_hand() -> None:
    from rnncli import calendar

    time = pd.to_datetime(["2024-01-01 00:00", "2024-07-01 18:00", "2024-12-31 06:30"])
    got = calendar.encode(time.to_numpy(), ("month", "dayofweek", "dayofyear", "hour"))
    assert got.shape == (3, 8)
    two_pi, sin, cos = 2 * np.pi, np.sin, np.cos
    want = np.array(
        [
            # Jan (0/12), Monday (0/7), day 0 of 366 (2024 is a leap year), hour 0
            [0, 1, 0, 1, 0, 1, 0, 1],
            # Jul (6/12), Monday, day 182 of 366, hour 18
            [0, -1, 0, 1, np.sin(two_pi * 182 / 366), np.cos(two_pi * 182 / 366), -1, 0],
            # Dec (11/12), Tuesday (1/7), day 365 of 366, hour 6.5
            [f(two_pi * v) for v in (11 / 12, 1 / 7, 365 / 366, 6.5 / 24) for f in (sin, cos)],
        ]
    )
    np.testing.assert_allclose(got, want, atol=1e-12)
    assert calendar.parse(["month, DayOfWeek", "month"]) == ("month", "dayofweek")
    assert calendar.columns(("month",)) == ("month_sin", "month_cos")


# ---- a panel: a series missing from the future file ---------------------------------------


@pytest.mark.tf
def test_a_series_missing_from_the_future_file_or_a_step_in_it_is_one_line_error(
    tmp_path: Path,
) -> None:
    # the electricity data as a panel of its three years; each year's future is the next
    # year's first days (real rows)
    frame = pd.read_csv(ELEC)
    frame["year"] = frame["date"].str[:4]
    panel = frame[frame["year"] != "2014"]
    panel.to_csv(tmp_path / "panel.csv", index=False)
    out = tmp_path / "panel_model"
    result = run(
        "train", str(tmp_path / "panel.csv"), *PLAIN_FLAGS, "--id-col", "year",
        "--known", "holiday", "--out", str(out),
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    nxt = frame.groupby("year").head(H)
    future = nxt.assign(year=(nxt["year"].astype(int) - 1).astype(str))
    future = future[future["year"] != "2011"][["year", "date", "holiday"]]
    future.to_csv(tmp_path / "future.csv", index=False)
    args = ["predict", str(out), str(tmp_path / "panel.csv")]
    ok = run(*args, "--future", str(tmp_path / "future.csv"))
    assert ok.exit_code == 0, ok.stderr
    assert list(read_csv_text(ok.stdout)["date"][:H]) == ["2013-01-01", "2013-01-02", "2013-01-03"]
    future[future["year"] != "2012"].to_csv(tmp_path / "future_2013.csv", index=False)
    result = run(*args, "--future", str(tmp_path / "future_2013.csv"))
    assert result.exit_code == 1
    line = one_error_line(result)
    assert "has no rows for series '2012' (1 of 2 series missing)" in line
    # --skip-invalid forecasts the series that has its future rows, the same as alone
    skipped = run(*args, "--future", str(tmp_path / "future_2013.csv"), "--skip-invalid")
    assert skipped.exit_code == 0, skipped.stderr
    got = read_csv_text(skipped.stdout)
    assert set(got["year"].astype(str)) == {"2013"}
    both = read_csv_text(ok.stdout)
    assert got["demand_mwh"].tolist() == pytest.approx(
        both[both["year"].astype(str) == "2013"]["demand_mwh"].tolist(), rel=1e-6
    )
    warning = [x for x in skipped.stderr.splitlines() if x.startswith("Warning")]
    assert len(warning) == 1 and "1 of 2" in warning[0], skipped.stderr
    # a series whose future rows miss a step forecast: an error naming it, or left out
    gap = future.drop(future.index[(future["year"] == "2012").to_numpy().nonzero()[0][1]])
    gap.to_csv(tmp_path / "future_gap.csv", index=False)
    result = run(*args, "--future", str(tmp_path / "future_gap.csv"))
    assert result.exit_code == 1
    assert "has no row for series '2012' at 2013-01-02 (1 missing step in all over 1 " in (
        one_error_line(result)
    )
    skipped = run(*args, "--future", str(tmp_path / "future_gap.csv"), "--skip-invalid")
    assert skipped.exit_code == 0, skipped.stderr
    got = read_csv_text(skipped.stdout)
    assert set(got["year"].astype(str)) == {"2013"}
    assert got["demand_mwh"].tolist() == pytest.approx(
        both[both["year"].astype(str) == "2013"]["demand_mwh"].tolist(), rel=1e-6
    )
    warning = [x for x in skipped.stderr.splitlines() if x.startswith("Warning")]
    assert len(warning) == 1 and "skipped 1 of 2 series" in warning[0], skipped.stderr
    assert f"has no row for series '2012' at 2013-01-02 (1 of the next {H} steps" in warning[0]


# ---- NumPy and Keras agree with known-future inputs ------------------------------------------


@pytest.mark.tf
@pytest.mark.parametrize(
    ("cell", "layers", "bidirectional", "masked"),
    [("lstm", 1, False, True), ("gru", 2, True, True), ("simple_rnn", 1, False, False)],
)
def test_numpy_engine_matches_keras_with_known_inputs(
    cell: str, layers: int, bidirectional: bool, masked: bool
) -> None:
    import math

    from rnncli.config import ModelSpec
    from rnncli.engine import NetworkSpec
    from rnncli.engine.keras_engine import KerasEngine, export_weights
    from rnncli.engine.numpy_engine import NumpyEngine
    from rnncli.errors import DataError
    from rnncli.network import build_model

    look_back, n_features, horizon, n_targets, n_known = 6, 4, 3, 2, 2
    model = build_model(
        ModelSpec(cell=cell, units=5, layers=layers, bidirectional=bidirectional),  # type: ignore[arg-type]
        look_back=look_back,
        n_features=n_features,
        horizon=horizon,
        n_targets=n_targets,
        masked=masked,
        n_known=n_known,
    )
    rng = np.random.default_rng(3)
    for w in model.weights:
        shape = tuple(w.shape)
        std = 0.5 if len(shape) == 1 else 1.2 / math.sqrt(shape[0])
        w.assign(rng.normal(0.0, std, shape).astype(np.float32))
    spec = NetworkSpec(
        cell, 5, layers, bidirectional, "tanh", look_back, n_features, horizon, n_targets,
        masked, n_known,
    )  # fmt: skip
    arrays = export_weights(model, spec)
    numpy_engine, keras_engine = NumpyEngine(spec, arrays), KerasEngine(model)
    assert (keras_engine.n_known, keras_engine.masked) == (n_known, masked)
    x = rng.normal(0.0, 1.0, (40, look_back, n_features)).astype(np.float32)
    mask = np.ones((40, look_back), dtype=bool)
    if masked:
        mask[:20, 4:] = False  # post-padded short histories
    future = rng.normal(0.0, 1.0, (40, horizon, n_known)).astype(np.float32)
    m = mask if masked else None
    got, want = numpy_engine.predict(x, m, future), keras_engine.predict(x, m, future)
    assert float(np.max(np.abs(got - want))) <= 1e-5
    # the known block moves the forecast: the head's weights for it are used
    other = numpy_engine.predict(x, m, future + 1.0)
    assert float(np.min(np.abs(other - got).max(axis=(1, 2)))) > 1e-3
    np.testing.assert_allclose(keras_engine.predict(x, m, future + 1.0), other, atol=1e-5)
    with pytest.raises(DataError, match="known-future input"):
        numpy_engine.predict(x, m)
