"""Target transforms (`rnncli.transforms`): seasonal indices by hand, the fitting rules, the
round trip at any phase, and the way back to original units (`Originals`) that uses them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from rnncli.cli import app
from rnncli.columns import Columns
from rnncli.config import DataSpec, WindowSpec
from rnncli.data import Panel, Series, load_panel
from rnncli.dataset import build
from rnncli.originals import Originals
from rnncli.scoring import coverage_rows
from rnncli.splits import TEST
from rnncli.timestamps import step_ordinals
from rnncli.transforms import MIN_CYCLES, TargetTransform, fit, seasonal_indices

SAMPLE = Path(__file__).resolve().parent.parent / "sample_data"


# ---- seasonal indices ------------------------------------------------------------------------


def test_seasonal_indices_even_season_by_hand() -> None:
    # m = 4: the trend is the centred 2x4 moving average (weights 1/8, 1/4, 1/4, 1/4, 1/8),
    # defined at rows 2..7 of these 10; the series starts at phase 3.
    z = np.array([2.0, 4, 3, 7, 4, 6, 5, 9, 7, 8])
    phase = np.arange(3, 13)
    # trend: row 2 (0.5*2 + 4 + 3 + 7 + 0.5*4) / 4 = 4.25, row 3 4.75, row 4 5.25, row 5 5.75,
    # row 6 (0.5*4 + 6 + 5 + 9 + 0.5*7) / 4 = 6.375, row 7 (0.5*6 + 5 + 9 + 7 + 0.5*8) / 4 = 7
    # detrended: -1.25, 2.25, -1.25, 0.25, -1.375, 2 at phases 1, 2, 3, 0, 1, 2
    # per phase: 0.25, (-1.25 - 1.375) / 2, (2.25 + 2) / 2, -1.25; their mean is -0.046875
    raw = np.array([0.25, -1.3125, 2.125, -1.25])
    expected = raw - raw.mean()
    np.testing.assert_allclose(expected, [0.296875, -1.265625, 2.171875, -1.203125])
    got = seasonal_indices(z, phase, 4)
    np.testing.assert_allclose(got, expected, atol=1e-12)
    assert got.sum() == pytest.approx(0.0, abs=1e-12)


def test_seasonal_indices_odd_season_by_hand() -> None:
    # m = 3: a plain 3-term moving average, rows 1..5: 3, 10/3, 11/3, 4, 13/3
    z = np.array([1.0, 5, 3, 2, 6, 4, 3])
    # detrended: 2 (phase 1), -1/3 (2), -5/3 (0), 2 (1), -1/3 (2)
    np.testing.assert_allclose(
        seasonal_indices(z, np.arange(7), 3), [-5 / 3, 2, -1 / 3], atol=1e-12
    )


def test_seasonal_indices_of_a_pure_season_are_the_season() -> None:
    pattern = np.array([3.0, -1.0, -4.0, 2.0])  # sums to 0
    phase = np.arange(5, 5 + 24)  # any starting phase
    z = 10.0 + 0.5 * np.arange(24) + pattern[phase % 4]  # a linear trend leaves it untouched
    np.testing.assert_allclose(seasonal_indices(z, phase, 4), pattern, atol=1e-12)


# ---- fit -------------------------------------------------------------------------------------


def col(*values: float) -> np.ndarray:
    return np.array(values, dtype=np.float64)[:, None]


def test_log_only_when_every_training_value_is_positive() -> None:
    phase = np.arange(5)
    auto = {"transform": "auto", "deseasonalize": "none"}
    assert fit(col(1, 2, 3, 4, 5), phase, 1, **auto).log == (True,)
    assert fit(col(0, 2, 3, 4, 5), phase, 1, **auto).log == (False,)
    assert fit(col(1, 2, -3, 4, 5), phase, 1, **auto).log == (False,)
    assert fit(col(1, 2, 3, 4, 5), phase, 1, transform="none", deseasonalize="none").log == (False,)
    assert fit(col(1, 2, 3, 4, 5), phase, 1, transform="log", deseasonalize="none").log == (True,)
    # per target: a positive one is logged, one with a zero is not
    two = np.column_stack([[1.0, 2, 3], [1.0, 0, 3]])
    assert fit(two, np.arange(3), 1, **auto).log == (True, False)


def test_deseasonalise_only_with_two_full_seasons() -> None:
    assert MIN_CYCLES == 2
    rng = np.random.default_rng(0)
    y = 50 + rng.normal(0, 1, (8, 1))
    auto = {"transform": "none", "deseasonalize": "auto"}
    assert fit(y[:7], np.arange(7), 4, **auto).season == ((),)  # under 2 seasons of 4
    fitted = fit(y, np.arange(8), 4, **auto)
    assert len(fitted.season[0]) == 4
    np.testing.assert_allclose(fitted.season[0], seasonal_indices(y[:, 0], np.arange(8), 4))
    assert fit(y, np.arange(8), 1, **auto).season == ((),)  # no season
    assert fit(y, np.arange(8), 4, transform="none", deseasonalize="none").season == ((),)


def test_seasonal_indices_of_a_logged_target_are_those_of_its_logs() -> None:
    phase = np.arange(2, 14)
    y = np.exp(np.sin(phase * np.pi / 2) + 0.01 * np.arange(12))[:, None]
    fitted = fit(y, phase, 4, transform="auto", deseasonalize="auto")
    assert fitted.log == (True,)
    np.testing.assert_allclose(fitted.season[0], seasonal_indices(np.log(y[:, 0]), phase, 4))


# ---- forward and inverse ---------------------------------------------------------------------


def test_forward_by_hand() -> None:
    tf = TargetTransform((True, False), ((0.1, -0.1), (1.0, 2.0, -3.0)))
    y = np.array([[10.0, 5.0], [20.0, 6.0], [30.0, 7.0]])
    phase = np.array([7, 8, 9])  # phases 1, 0, 1 of 2 and 1, 2, 0 of 3
    expected = np.column_stack(
        [np.log([10.0, 20.0, 30.0]) - [-0.1, 0.1, -0.1], np.array([5.0, 6, 7]) - [2.0, -3, 1]]
    )
    np.testing.assert_allclose(tf.forward(y, phase), expected)


@pytest.mark.parametrize("start", [0, 5, 611, 23_857])
def test_forward_inverse_round_trip_at_any_phase(start: int) -> None:
    rng = np.random.default_rng(start)
    tf = TargetTransform((True, False), (tuple(rng.normal(0, 0.2, 12)), tuple(rng.normal(0, 3, 7))))
    y = np.column_stack([rng.uniform(1, 500, 40), rng.normal(0, 10, 40)])
    phase = start + np.arange(40)
    np.testing.assert_allclose(tf.inverse(tf.forward(y, phase), phase), y, rtol=1e-12)
    # inverse takes forecasts (n, horizon, T) with their phases (n, horizon)
    rows = np.arange(30)[:, None] + np.arange(3)[None, :]
    x = tf.forward(y, phase)[rows]
    np.testing.assert_allclose(tf.inverse(x, start + rows), y[rows], rtol=1e-12)


def test_identity() -> None:
    tf = TargetTransform.identity(2)
    assert tf.is_identity
    y = np.array([[-1.0, 0.0], [3.0, 4.0]])
    np.testing.assert_array_equal(tf.forward(y, np.arange(2)), y)
    assert not TargetTransform((True,), ((),)).is_identity
    assert not TargetTransform((False,), ((0.5, -0.5),)).is_identity


# ---- --transform log on data that cannot be logged -------------------------------------------


def test_transform_log_on_non_positive_data_is_one_line(tmp_path: Path) -> None:
    rows = [f"2020-{m:02d}-01,{v}" for m, v in zip(range(1, 13), [5, 3, -2, 4] * 3, strict=True)]
    path = tmp_path / "signed.csv"
    path.write_text("month,value\n" + "\n".join(rows) + "\n")
    result = CliRunner().invoke(
        app, ["train", str(path), "--transform", "log", "--out", str(tmp_path / "m")]
    )
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
    assert errors == [
        "Error: the series: --transform log needs positive values, but its training part "
        "holds -2; use --transform auto (log only where possible) or none"
    ]
    assert result.stderr.rstrip("\n").splitlines()[-1] == errors[0]
    assert not (tmp_path / "m").exists()


# ---- back to original units ------------------------------------------------------------------


def test_phase_follows_the_step_ordinals_and_goes_on_past_the_end() -> None:
    values = [np.zeros((4, 1))]
    o = Originals(values, np.zeros((1, 1)), np.ones((1, 1)), ordinals=[np.array([10, 11, 13, 14])])
    # a business-day series with a holiday after its second row: its ordinals skip one
    np.testing.assert_array_equal(o.phase(0, np.arange(7)), [10, 11, 13, 14, 15, 16, 17])


def test_build_round_trips_business_days_with_holidays() -> None:
    """A forecast equal to the scaled targets comes back as the original targets: the season
    added back is the one taken out, also after the holidays of a business-day series."""
    panel = load_panel(SAMPLE / "prices.csv", DataSpec(target=("Close",)), "prices")
    ordinal = step_ordinals(panel.series[0].time, panel.freq)
    assert panel.freq == "B" and (np.diff(ordinal) > 1).any()  # holidays skip an ordinal
    ds = build(panel, WindowSpec(horizon=3, deseasonalize="yes"))
    assert ds.transforms is not None
    assert ds.transforms[0].log == (True,) and len(ds.transforms[0].season[0]) == 5
    idx = np.arange(len(ds.x))
    back = ds.originals.to_original(ds.y[idx], ds.series[idx], ds.origin[idx])
    np.testing.assert_allclose(back, ds.original_targets(idx), rtol=1e-5)


def test_build_round_trips_monthly_logged_deseasonalised() -> None:
    panel = load_panel(SAMPLE / "airpassengers.csv", DataSpec(), "air")
    ds = build(panel, WindowSpec(horizon=3))
    assert ds.transforms is not None and ds.transforms[0].log == (True,)
    # January's index: the phase of 1949-01 is 0 (months since 1970-01, modulo 12)
    assert step_ordinals(panel.series[0].time[:1], "MS")[0] % 12 == 0
    idx = ds.part(TEST)
    back = ds.originals.to_original(ds.y[idx], ds.series[idx], ds.origin[idx])
    np.testing.assert_allclose(back, ds.original_targets(idx), rtol=1e-5)


def logged_originals() -> Originals:
    """One logged series (no season, no scaling: center 0, scale 1)."""
    values = np.array([[100.0], [110.0], [121.0], [133.1]])
    tf = TargetTransform((True,), ((),))
    return Originals(
        [values],
        np.zeros((1, 1)),
        np.ones((1, 1)),
        base=[np.log(values)],
        transforms=[tf],
        ordinals=[np.arange(4)],
    )


def test_intervals_of_a_logged_target_are_ratios() -> None:
    o = logged_originals()
    y = np.log([[[200.0], [220.0]]])  # a forecast of 200 and 220 after the series' end
    series, at = np.array([0]), np.array([4])
    np.testing.assert_allclose(o.to_original(y, series, at)[0, :, 0], [200.0, 220.0])
    lo, hi = o.bounds(y, series, at, np.array([[0.1], [0.2]]))
    np.testing.assert_allclose(lo[0, :, 0], [200 * np.exp(-0.1), 220 * np.exp(-0.2)])
    np.testing.assert_allclose(hi[0, :, 0], [200 * np.exp(0.1), 220 * np.exp(0.2)])


def test_intervals_of_an_untransformed_target_are_plus_or_minus_the_scaled_width() -> None:
    values = [np.array([[1.0], [2.0]])]
    o = Originals(values, np.array([[10.0]]), np.array([[5.0]]))
    y = np.array([[[2.0]], [[-1.0]]])  # 20 and 5 in original units
    lo, hi = o.bounds(y, np.array([0, 0]), np.array([2, 2]), np.array([[0.1]]))
    np.testing.assert_allclose(lo[:, 0, 0], [19.5, 4.5])
    np.testing.assert_allclose(hi[:, 0, 0], [20.5, 5.5])


def test_coverage_of_a_logged_target_by_hand() -> None:
    o = logged_originals()
    # windows at rows 1, 2, 3 (targets 110, 121, 133.1), each forecast 120
    series, at = np.zeros(3, dtype=np.int64), np.array([1, 2, 3])
    y = np.full((3, 1, 1), np.log(120.0))
    # a half-width of 0.05 in log units: [120 e^-0.05, 120 e^0.05] = [114.15, 126.15] holds 121
    calibration = {"n": 19, "levels": {"80": [[0.05]], "95": [[0.2]]}}
    rows = coverage_rows(o, y, series, at, calibration, [80, 95])
    assert rows[0] == {
        "series": "all",
        "level": 80,
        "coverage": pytest.approx(100 / 3),
        "points": 3,
        "calibration_windows": 19,
        "calibrated_on": "validation",
    }
    # 0.2: [98.2, 146.6] holds all three
    assert rows[1]["coverage"] == pytest.approx(100.0)


def hand_panel(n: int = 30) -> Panel:
    t = np.arange(n)
    y = 100 * np.exp(0.02 * t) * (1 + 0.2 * np.sin(np.pi * t / 2))
    return Panel(
        "hand", Columns(None, ("y",), ("y",), None), (Series("s", t, y[:, None], t + 2),), None, ()
    )


def test_build_fits_the_transform_on_the_rows_before_the_test_part() -> None:
    panel = hand_panel()
    ds = build(panel, WindowSpec(horizon=2, season=4, val_size=4, test_size=6, deseasonalize="yes"))
    assert ds.spec is not None and ds.spec.season == 4
    assert ds.sizes == {"train": [20], "val": [4], "test": [6]}
    y = panel.series[0].values[:, 0]
    assert ds.transforms is not None
    expected = seasonal_indices(np.log(y[:24]), np.arange(24), 4)
    np.testing.assert_allclose(ds.transforms[0].season[0], expected)
    # without --difference the transformed targets are made on demand, not kept
    assert ds.base is None
    np.testing.assert_allclose(ds.transformed(0)[:, 0], np.log(y) - expected[np.arange(30) % 4])


def test_seasonal_strength_decides_auto() -> None:
    """A clear season (strength near 1) is taken out; noise around a trend (near 0) is not."""
    from rnncli.transforms import MIN_STRENGTH, seasonal_strength

    rng = np.random.default_rng(0)
    t = np.arange(600)  # 50 seasons: the noise's spurious "season" explains ~2 % of it
    season = 0.3 * np.sin(2 * np.pi * t / 12)
    walk = np.cumsum(rng.normal(0, 0.01, 600))
    for z, strong in ((5 + 0.01 * t + season, True), (5 + walk, False)):
        idx = seasonal_indices(z, t, 12)
        strength = seasonal_strength(z, t, 12, idx)
        assert (strength >= MIN_STRENGTH) is strong, strength
        fitted = fit(np.exp(z)[:, None], t, 12, transform="auto", deseasonalize="auto")
        assert bool(fitted.season[0]) is strong
        forced = fit(np.exp(z)[:, None], t, 12, transform="auto", deseasonalize="yes")
        assert len(forced.season[0]) == 12
    # by hand: detrended d, indices s[phase]: 1 - var(d - s) / var(d)
    z = np.log(np.exp(5 + season + walk))
    d_full = z - np.convolve(z, np.r_[0.5, np.ones(11), 0.5] / 12, mode="same")
    d = d_full[6:-6]
    idx = seasonal_indices(z, t, 12)
    want = 1 - np.var(d - idx[t[6:-6] % 12]) / np.var(d)
    assert seasonal_strength(z, t, 12, idx) == pytest.approx(max(want, 0.0))
