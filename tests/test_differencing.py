"""--difference N: differenced windows, the reconstruction, scores and baselines in original
units, and a tiny end-to-end run on AirPassengers."""

from __future__ import annotations

import json
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
from rnncli.differencing import difference, reconstruct
from rnncli.splits import TEST, TRAIN

M = 4  # season of the hand-made series


def seasonal(sid: str, n: int, seed: int) -> Series:
    t = np.arange(n)
    rng = np.random.default_rng(seed)
    y = 50.0 + 0.3 * t**1.5 + 8.0 * np.sin(2 * np.pi * t / M) + rng.normal(0, 1, n)
    feature = 1000.0 + 7.0 * t
    return Series(sid, t.astype(np.int64), np.column_stack([y, feature]), t + 2)


PANEL = Panel(
    "hand-made",
    Columns(None, ("y",), ("y", "x"), "id"),
    (seasonal("A", 48, 1), seasonal("B", 36, 2)),
    None,
    (),
)


def squares_panel(n: int = 40) -> Panel:
    t = np.arange(n)
    values = np.column_stack([(t**2).astype(np.float64), t + 0.5])
    return Panel(
        "squares", Columns(None, ("y",), ("y", "x"), None), (Series("s", t, values, t),), None, ()
    )


def test_differenced_windows_by_hand() -> None:
    n, lag, lb, h = 40, 3, 5, 2
    panel = squares_panel(n)
    spec = WindowSpec(
        look_back=lb,
        min_look_back=lb,  # no padded windows: every window is a plain slice of d
        horizon=h,
        val_size=4,
        test_size=6,
        scale="standard",
        transform="none",
        deseasonalize="none",
        difference=lag,
    )
    ds = build(panel, spec)
    t = np.arange(n, dtype=np.float64)
    d = t[lag:] ** 2 - t[:-lag] ** 2  # hand-computed differences, first `lag` rows dropped
    feature = t[lag:] + 0.5  # features are not differenced
    # sizes count final steps of the original series: val 4, test 6, train the rest
    assert ds.sizes == {"train": [n - lag - 10], "val": [4], "test": [6]}
    n_train = n - lag - 10
    center, scale = ds.scaler.center[0], ds.scaler.scale[0]
    np.testing.assert_allclose(center, [d[:n_train].mean(), feature[:n_train].mean()])
    np.testing.assert_allclose(scale, [d[:n_train].std(), feature[:n_train].std()])
    y = ds.y[:, :, 0] * scale[0] + center[0]
    x = ds.x * scale + center
    assert ds.origin is not None
    for i, o in enumerate(ds.origin):
        np.testing.assert_allclose(y[i], d[o : o + h], rtol=1e-5)
        np.testing.assert_allclose(x[i, :, 0], d[o - lb : o], rtol=1e-5, atol=1e-3)
        np.testing.assert_allclose(x[i, :, 1], feature[o - lb : o], rtol=1e-5)
        assert list(ds.target_time[i]) == list(range(o + lag, o + lag + h))
    # the test part is the same final steps of the original series
    test_times = ds.target_time[ds.part(TEST)]
    assert test_times.min() == n - 6 and test_times.max() == n - 1
    np.testing.assert_allclose(ds.original_targets(ds.part(TEST))[:, :, 0], t[test_times] ** 2)


def test_difference_and_reconstruct_helpers() -> None:
    values = np.array([[1.0, 10], [2, 20], [4, 30], [7, 40], [11, 50]])
    np.testing.assert_allclose(difference(values, 1, 2), [[3, 30], [5, 40], [7, 50]])
    # horizon 5 > lag 2: steps 2.. build on earlier forecast steps
    history = np.array([[[100.0], [110.0]]])  # y[t-2], y[t-1]
    diffs = np.array([[[1.0], [2.0], [3.0], [4.0], [5.0]]])
    expected = [101, 112, 101 + 3, 112 + 4, 104 + 5]
    np.testing.assert_allclose(reconstruct(diffs, history)[0, :, 0], expected)
    # horizon 2 < lag 3: only observed references
    history = np.array([[[100.0], [110.0], [120.0]]])
    np.testing.assert_allclose(reconstruct(diffs[:, :2], history)[0, :, 0], [101, 112])


def _score(ds, y, idx, insample):
    return evaluation.score(
        ds.originals,
        y,
        ds.series[idx],
        ds.origin[idx],
        ids=ds.series_ids,
        insample=insample,
        season=M,
        targets=["y"],
        per_series=True,
    )


@pytest.mark.parametrize("horizon", [2, 6])
@pytest.mark.parametrize(
    "transform",
    [
        {"scale": "standard", "transform": "none", "deseasonalize": "none"},
        # the automatic defaults, with the season given: log, deseasonalised, then differenced
        {"season": M},
    ],
    ids=["plain", "log-deseasonalized"],
)
def test_perfect_forecast_scores_zero_and_baselines_match(horizon: int, transform: dict) -> None:
    spec = WindowSpec(
        look_back=8, min_look_back=8, horizon=horizon, val_size=0.2, test_size=0.25, **transform
    )
    diff = build(PANEL, WindowSpec(**{**spec.__dict__, "difference": M}))
    plain = build(PANEL, spec)
    assert diff.transforms is not None
    if "season" in transform:  # every series logged and deseasonalised (positive, 2+ seasons)
        assert all(t.log == (True,) and len(t.season[0]) == M for t in diff.transforms)
    else:
        assert all(t.is_identity for t in diff.transforms)
    idx = diff.part(TEST)
    insample = evaluation.insample_targets(diff.originals, diff.sizes["train"])
    for i, s in enumerate(PANEL.series):  # MASE in-sample: the original training part
        np.testing.assert_allclose(insample[i][:, 0], s.values[: diff.sizes["train"][i] + M, 0])
    rows = _score(diff, diff.y[idx], idx, insample)
    model = [r for r in rows if r["method"] == "model"]
    assert model and all(r["mae"] < 1e-3 and r["rmse"] < 1e-3 for r in model)
    # the baselines: the very numbers computed without differencing on the same target steps
    key = {
        (int(s), int(t[0])): i
        for i, (s, t) in enumerate(zip(plain.series, plain.target_time, strict=True))
    }
    same = np.array(
        [
            key[(int(s), int(t[0]))]
            for s, t in zip(diff.series[idx], diff.target_time[idx], strict=True)
        ]
    )
    ours = diff.originals.baselines(diff.series[idx], diff.origin[idx], horizon, M)
    theirs = plain.originals.baselines(plain.series[same], plain.origin[same], horizon, M)
    for name in ("naive", "seasonal_naive"):
        np.testing.assert_allclose(ours[name], theirs[name], rtol=1e-12)
    # and both are the hand-computed ones: y[t-1], and y[t+h-M] (h < M here) from the raw values
    for row, (s, t0) in enumerate(zip(diff.series[idx], diff.target_time[idx, 0], strict=True)):
        y = PANEL.series[s].values[:, 0]
        t = int(t0)
        assert ours["naive"][row, 0, 0] == y[t - 1]
        want = [y[t + h - M * (1 + h // M)] for h in range(horizon)]
        np.testing.assert_allclose(ours["seasonal_naive"][row, :, 0], want)
    np.testing.assert_allclose(diff.original_targets(idx), plain.original_targets(same), rtol=1e-5)
    # and the score rows of the baselines equal those of the plain dataset
    plain_rows = _score(plain, plain.y[same], same, insample)
    for ours_row, theirs_row in zip(rows, plain_rows, strict=True):
        if ours_row["method"] != "model":
            assert ours_row["mae"] == pytest.approx(theirs_row["mae"], rel=1e-5)
            assert ours_row["mase"] == pytest.approx(theirs_row["mase"], rel=1e-5)


def test_too_short_counts_the_lag() -> None:
    from rnncli.errors import DataError

    with pytest.raises(DataError, match="difference 30"):
        build(
            squares_panel(40),
            WindowSpec(look_back=8, min_look_back=8, horizon=3, difference=30),
        )


def test_config_rejects_a_zero_lag_and_old_windows_load() -> None:
    from rnncli.config import ConfigError, build_config

    with pytest.raises(ConfigError, match="difference"):
        build_config({"difference": 0})
    assert build_config({"difference": 12}).window.difference == 12
    old = {k: v for k, v in WindowSpec().__dict__.items() if k != "difference"}
    assert WindowSpec(**old).difference is None


def test_cli_rejects_difference_zero(sample: Path) -> None:
    result = CliRunner().invoke(
        app, ["train", str(sample / "airpassengers.csv"), "--difference", "0"]
    )
    assert result.exit_code == 2


@pytest.mark.tf
def test_end_to_end_airpassengers(sample: Path, tmp_path: Path) -> None:
    from rnncli import predict as predicting

    csv = sample / "airpassengers.csv"
    out = tmp_path / "air-diff"
    runner = CliRunner()
    args = ["train", str(csv), "--out", str(out), "--difference", "12", "--normalize", "none"]
    args += ["--epochs", "2", "--units", "4", "--horizon", "3", "--look-back", "12", "-q"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    meta_text = (out / "rnncli.yaml").read_text()
    assert "difference: 12" in meta_text
    metrics = json.loads((out / "metrics.json").read_text())["rows"]
    assert {r["method"] for r in metrics} == {"model", "naive", "seasonal_naive"}
    result = runner.invoke(app, ["evaluate", str(out), "--format", "json"])
    assert result.exit_code == 0, result.output
    fc = predicting.predict(out, str(csv), "air", steps=5, levels=(80,))
    values = fc.table["passengers"].to_numpy()
    last = 432.0  # 1960-12
    assert np.isfinite(values).all() and ((values > 0.5 * last) & (values < 2 * last)).all()
    assert (fc.table["passengers_lo80"] <= values).all()
    assert (fc.table["passengers_hi80"] >= values).all()


def test_train_rows_are_the_differenced_training_part() -> None:
    ds = build(PANEL, WindowSpec(look_back=8, horizon=2, difference=M))
    assert len(ds.part(TRAIN)) > 0 and ds.lag == M and ds.orig is not None
