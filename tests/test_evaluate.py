"""Held-out scores beside naive baselines, checked against plain NumPy; `rnncli evaluate`.

The scoring tests build a small two-series panel by hand and recompute every metric here,
with NumPy only (not rnncli.metrics), from the raw values.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from rnncli import scoring as evaluation
from rnncli.cli import app
from rnncli.columns import Columns
from rnncli.config import WindowSpec
from rnncli.data import Panel, Series
from rnncli.dataset import build
from rnncli.splits import TEST

H, M = 2, 4  # horizon, season
SPEC = WindowSpec(
    look_back=20,
    horizon=H,
    min_look_back=4,
    val_size=0.2,
    test_size=0.25,
    scale="standard",
    transform="none",  # the hand computations below scale the raw values
    deseasonalize="none",
)
METHODS = ("model", "naive", "seasonal_naive")


def make_series(sid: str, n: int, level: float, amp: float, seed: int) -> Series:
    t = np.arange(n)
    rng = np.random.default_rng(seed)
    target = level + amp * np.sin(2 * np.pi * t / M) + 0.5 * t + rng.normal(0, 1, n)
    feature = 1000.0 + 7.0 * t  # a second input column, never a target
    return Series(sid, t.astype(np.int64), np.column_stack([target, feature]), t + 2)


# A is long: its test windows are full; B is short: its test windows are padded (t < look_back)
PANEL = Panel(
    "hand-made",
    Columns(None, ("y",), ("y", "x"), "id"),
    (make_series("A", 40, 100.0, 10.0, 1), make_series("B", 16, 20.0, 3.0, 2)),
    None,
    (),
)


def split_sizes(n: int) -> tuple[int, int, int]:
    n_val, n_test = round(0.2 * n), round(0.25 * n)
    return n - n_val - n_test, n_val, n_test


def origins_of(series: Series) -> list[int]:
    """Origins (index of the first target step) of the series' test windows, stride 1."""
    n = len(series.values)
    n_train, n_val, _ = split_sizes(n)
    return list(range(n_train + n_val, n - H + 1))


class Expected:
    """Everything recomputed from the raw values with NumPy."""

    def __init__(self, rng_seed: int = 0) -> None:
        rng = np.random.default_rng(rng_seed)
        self.y_true, self.naive, self.snaive, self.pred, self.which = [], [], [], [], []
        self.insample_scale = []
        self.mean, self.std = [], []
        for s_index, s in enumerate(PANEL.series):
            y = s.values[:, 0]
            n_train = split_sizes(len(y))[0]
            train = y[:n_train]
            self.mean.append(train.mean())
            self.std.append(train.std())
            self.insample_scale.append(np.mean(np.abs(train[M:] - train[:-M])))
            for t in origins_of(s):
                self.y_true.append(y[t : t + H])
                self.naive.append(np.repeat(y[t - 1], H))  # last observed value
                self.snaive.append(np.array([y[t + k - M] for k in range(H)]))  # a season back
                self.pred.append(y[t : t + H] + rng.normal(0, 3, H))  # a known forecast
                self.which.append(s_index)
        self.y_true = np.array(self.y_true)
        self.naive = np.array(self.naive)
        self.snaive = np.array(self.snaive)
        self.pred = np.array(self.pred)
        self.which = np.array(self.which)

    def pred_scaled(self) -> np.ndarray:
        mean = np.array(self.mean)[self.which][:, None]
        std = np.array(self.std)[self.which][:, None]
        return ((self.pred - mean) / std)[:, :, None]

    def forecast(self, method: str) -> np.ndarray:
        return {"model": self.pred, "naive": self.naive, "seasonal_naive": self.snaive}[method]

    def metrics(self, method: str, sel: np.ndarray) -> dict[str, float]:
        y, f = self.y_true[sel], self.forecast(method)[sel]
        err = np.abs(y - f)
        mase_parts = [
            (
                np.mean(err[self.which[sel] == s]) / self.insample_scale[s],
                np.sum(self.which[sel] == s),
            )
            for s in np.unique(self.which[sel])
        ]
        return {
            "mae": float(np.mean(err)),
            "rmse": float(np.sqrt(np.mean((y - f) ** 2))),
            "mape": float(np.mean(100 * err / np.abs(y))),
            "smape": float(np.mean(200 * err / (np.abs(y) + np.abs(f)))),
            "mase": float(sum(v * w for v, w in mase_parts) / sum(w for _, w in mase_parts)),
        }


@pytest.fixture(scope="module")
def ds():
    return build(PANEL, SPEC)


@pytest.fixture(scope="module")
def expected():
    return Expected()


def test_the_hand_made_windows(ds, expected) -> None:
    """Sanity of the set-up: the test windows are the ones recomputed here, B's are padded."""
    idx = ds.part(TEST)
    assert ds.series_ids == ["A", "B"]
    assert ds.series[idx].tolist() == expected.which.tolist()
    assert ds.origin[idx].tolist() == origins_of(PANEL.series[0]) + origins_of(PANEL.series[1])
    assert ds.mask is not None
    assert ds.mask[idx][expected.which == 0].all()
    assert not ds.mask[idx][expected.which == 1].all(axis=1).any()
    assert np.allclose(
        ds.scaler.inverse_targets(ds.y[idx], ds.series[idx])[:, :, 0], expected.y_true
    )


@pytest.mark.parametrize("pad", ["post", "pre"])
def test_baselines_in_original_units(pad: str) -> None:
    spec = WindowSpec(**{**SPEC.__dict__, "pad": pad})
    ds = build(PANEL, spec)
    idx = ds.part(TEST)
    expected = Expected()
    base = ds.originals.baselines(ds.series[idx], ds.origin[idx], H, M)
    naive = base["naive"][:, :, 0]
    snaive = base["seasonal_naive"][:, :, 0]
    assert np.allclose(naive, expected.naive, rtol=1e-5)
    assert np.allclose(snaive, expected.snaive, rtol=1e-5)


def test_no_seasonal_naive_without_a_season(ds) -> None:
    idx = ds.part(TEST)
    series, at = ds.series[idx], ds.origin[idx]
    assert "seasonal_naive" not in ds.originals.baselines(series, at, H, 1)
    # B's test windows start 12 steps into the series: no full season of 13 before them
    assert "seasonal_naive" not in ds.originals.baselines(series, at, H, 13)
    assert "seasonal_naive" in ds.originals.baselines(series, at, H, 12)


def test_insample_targets(ds) -> None:
    insample = evaluation.insample_targets(ds.originals, ds.sizes["train"])
    for s, part in zip(PANEL.series, insample, strict=True):
        n_train = split_sizes(len(s.values))[0]
        assert np.array_equal(part, s.values[:n_train, :1])


def score(ds, y_pred_scaled, idx, season: int = M, per_series: bool = False) -> list[dict]:
    return evaluation.score(
        ds.originals,
        y_pred_scaled,
        ds.series[idx],
        ds.origin[idx],
        ids=ds.series_ids,
        insample=evaluation.insample_targets(ds.originals, ds.sizes["train"]),
        season=season,
        targets=["y"],
        per_series=per_series,
    )


def scored(ds, expected, season: int = M, per_series: bool = True) -> list[dict]:
    return score(ds, expected.pred_scaled(), ds.part(TEST), season, per_series)


def test_score_against_numpy(ds, expected) -> None:
    """Each series scored on its own windows; "all" is the mean over the two series of each
    series' metric (the M-competition convention), not a pool of their windows."""
    rows = scored(ds, expected)
    by_key = {(r["series"], r["method"]): r for r in rows}
    assert set(by_key) == {(g, m) for g in ("all", "A", "B") for m in METHODS}
    assert len(rows) == 9
    groups = {"A": expected.which == 0, "B": expected.which == 1}
    for method in METHODS:
        per = {g: expected.metrics(method, sel) for g, sel in groups.items()}
        for group, sel in groups.items():
            row = by_key[(group, method)]
            assert row["target"] == "y"
            assert row["windows"] == int(sel.sum())
            assert row["n_series"] == 1
            for name, value in per[group].items():
                assert row[name] == pytest.approx(value, rel=1e-5), (group, method, name)
        every = by_key[("all", method)]
        assert every["windows"] == len(expected.which) and every["n_series"] == 2
        for name in per["A"]:
            want = (per["A"][name] + per["B"][name]) / 2
            assert every[name] == pytest.approx(want, rel=1e-5), ("all", method, name)
        pooled = expected.metrics(method, np.ones(len(expected.which), dtype=bool))["mae"]
        assert every["mae"] != pytest.approx(pooled, rel=1e-3)  # B has fewer windows
    for group in ("A", "B"):
        model = by_key[(group, "model")]
        for base in ("naive", "seasonal_naive"):
            assert model[f"mae_vs_{base}"] == pytest.approx(
                model["mae"] / by_key[(group, base)]["mae"], rel=1e-12
            )
    for base in ("naive", "seasonal_naive"):
        ratios = [by_key[(g, "model")][f"mae_vs_{base}"] for g in ("A", "B")]
        assert by_key[("all", "model")][f"mae_vs_{base}"] == pytest.approx(np.mean(ratios))
        for method in ("naive", "seasonal_naive"):
            assert "mae_vs_naive" not in by_key[(group, method)]
    assert by_key[("A", "model")]["windows"] == 9
    assert by_key[("B", "model")]["windows"] == 3


def test_score_without_season_and_per_series(ds, expected) -> None:
    rows = scored(ds, expected, season=1, per_series=False)
    assert [(r["series"], r["method"]) for r in rows] == [("all", "model"), ("all", "naive")]
    assert "mae_vs_seasonal_naive" not in rows[0]
    # MASE with season 1: the one-step naive scale of each series' training part
    scales = []
    for s in PANEL.series:
        train = s.values[: split_sizes(len(s.values))[0], 0]
        scales.append(np.mean(np.abs(np.diff(train))))
    err = np.abs(expected.y_true - expected.pred)
    per = [np.mean(err[expected.which == s]) / scales[s] for s in (0, 1)]
    assert rows[0]["mase"] == pytest.approx(np.mean(per), rel=1e-5)


def test_score_of_nothing(ds, expected) -> None:
    idx = np.zeros(0, dtype=np.int64)
    assert score(ds, expected.pred_scaled()[:0], idx) == []


def test_perfect_forecast(ds) -> None:
    idx = ds.part(TEST)
    rows = score(ds, ds.y[idx], idx)
    model = rows[0]
    assert model["method"] == "model"
    for name in ("mae", "rmse", "mape", "smape", "mase", "mae_vs_naive"):
        assert model[name] == pytest.approx(0.0, abs=1e-4)


# ---- `rnncli evaluate` end to end ------------------------------------------------------------


def evaluate(*args: str):
    return CliRunner().invoke(app, ["evaluate", *map(str, args)], env={"NO_COLOR": "1"})


def evaluate_json(*args: str) -> dict:
    result = evaluate(*args, "--format", "json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def rows_of(report: dict, series: str = "all") -> dict[str, dict]:
    return {r["method"]: r for r in report["metrics"] if r["series"] == series}


AIR = Path(__file__).resolve().parent.parent / "sample_data" / "airpassengers.csv"


@pytest.fixture(scope="module")
def air_default(air_model: Path) -> dict:
    return evaluate_json(air_model)


@pytest.mark.tf
def test_default_rescores_the_recorded_test_part(air_model: Path, air_default: dict) -> None:
    written = json.loads((air_model / "metrics.json").read_text(encoding="utf-8"))
    assert air_default["season"] == written["season"] == 12
    trained = {r["method"]: r for r in written["rows"]}
    now = rows_of(air_default)
    assert set(now) == set(trained) == set(METHODS)
    assert air_default["windows"] == trained["model"]["windows"] == 12
    for method in METHODS:
        for name in ("mae", "rmse", "smape", "mase"):
            assert now[method][name] == pytest.approx(trained[method][name], rel=1e-6)
    assert now["model"]["mae_vs_naive"] == pytest.approx(
        now["model"]["mae"] / now["naive"]["mae"], rel=1e-9
    )


@pytest.mark.tf
def test_coverage_rows(air_model: Path, air_default: dict) -> None:
    """12 validation windows calibrate 80 % (4 needed), not 95 % (19): no coverage for it,
    and stderr says why."""
    coverage = air_default["interval_coverage"]
    assert [row["level"] for row in coverage] == [80]
    for row in coverage:
        assert 0.0 <= row["coverage"] <= 100.0
        assert row["calibration_windows"] == 12
        assert row["points"] == 12 * 3
    result = evaluate(air_model)
    assert "no coverage at 95 %: --intervals 95 needs at least 19 calibration windows" in (
        result.stderr
    )


@pytest.mark.tf
def test_table_output(air_model: Path) -> None:
    result = evaluate(air_model)
    assert result.exit_code == 0, result.stderr
    for word in ("test part", "seasonal_naive", "mae_vs_naive", "prediction interval coverage"):
        assert word in result.stdout
    assert "12 test windows, season 12" in result.stderr


def newer_air(path: Path) -> Path:
    """AirPassengers with 1961 appended: the 1960 months grown by 8 %."""
    lines = AIR.read_text(encoding="utf-8").splitlines()
    last_year = [line for line in lines if line.startswith("1960-")]
    assert len(last_year) == 12
    extra = [
        f"1961-{month:02d},{round(int(line.split(',')[1]) * 1.08)}"
        for month, line in enumerate(last_year, start=1)
    ]
    path.write_text("\n".join([*lines, *extra]) + "\n", encoding="utf-8")
    return path


@pytest.mark.tf
def test_newer_file_scores_more_windows(air_model: Path, air_default: dict, tmp_path) -> None:
    newer = newer_air(tmp_path / "air_1961.csv")
    report = evaluate_json(air_model, newer)
    assert report["windows"] == air_default["windows"] + 12
    rows = rows_of(report)
    assert rows["model"]["windows"] == 24
    assert all(math.isfinite(rows[m]["mae"]) for m in METHODS)
    # backtest: the last origins of the newer file only
    last = evaluate_json(air_model, newer, "--backtest", "3")
    assert last["windows"] == 3


@pytest.mark.tf
def test_file_with_changed_early_rows_is_refused(air_model: Path, tmp_path: Path) -> None:
    lines = AIR.read_text(encoding="utf-8").splitlines()
    assert lines[2] == "1949-02,118"
    lines[2] = "1949-02,119"
    changed = tmp_path / "air_changed.csv"
    changed.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = evaluate(air_model, changed)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    errors = result.stderr.splitlines()
    assert len(errors) == 1, result.stderr
    assert errors[0].startswith("Error: series 'series': its first 144 rows differ")
    assert "1949-01-01..1960-12-01" in errors[0]


@pytest.mark.tf
def test_shorter_file_is_refused(air_model: Path, tmp_path: Path) -> None:
    lines = AIR.read_text(encoding="utf-8").splitlines()
    short = tmp_path / "air_short.csv"
    short.write_text("\n".join(lines[:-5]) + "\n", encoding="utf-8")
    result = evaluate(air_model, short)
    assert result.exit_code == 1
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert "fewer than the 144 the model was trained on" in result.stderr


@pytest.mark.tf
def test_backtest_on_a_panel(panel_model: Path) -> None:
    report = evaluate_json(panel_model, "--backtest", "2")
    ids = sorted({r["series"] for r in report["metrics"]} - {"all"})
    assert len(ids) == 6
    assert report["windows"] == 2 * len(ids)
    for sid in ids:
        rows = rows_of(report, sid)
        assert set(rows) == set(METHODS)
        assert all(row["windows"] == 2 for row in rows.values())
    assert rows_of(report)["model"]["windows"] == 2 * len(ids)
    coverage = report["interval_coverage"]
    assert [(r["level"], r["series"]) for r in coverage if r["series"] == "all"] == [
        (80, "all"),
        (95, "all"),
    ]
    assert {r["series"] for r in coverage} == {"all", *ids}
    assert all(0 <= row["coverage"] <= 100 for row in coverage)


@pytest.mark.tf
def test_plot(air_model: Path, tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    out = tmp_path / "forecast.png"
    result = evaluate(air_model, "--plot", out)
    assert result.exit_code == 0, result.stderr
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert f"wrote {out}" in result.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["forecast.png"]
