"""Tests for rnncli.metrics: every value is checked against arithmetic written out by hand."""

import math

import numpy as np
import pandas as pd
import pytest

from rnncli.errors import DataError
from rnncli.metrics import (
    coverage,
    empirical_quantile_intervals,
    mae,
    mape,
    mase,
    naive_forecast,
    rmse,
    season_from_freq,
    seasonal_naive_forecast,
    smape,
)

# Two windows, horizon 2, one target:
#   window 0: y = [1, 2], ŷ = [2, 2]  -> errors y − ŷ = [-1, 0]
#   window 1: y = [3, 4], ŷ = [1, 5]  -> errors y − ŷ = [ 2, -1]
Y_TRUE = np.array([[1.0, 2.0], [3.0, 4.0]])[:, :, None]
Y_PRED = np.array([[2.0, 2.0], [1.0, 5.0]])[:, :, None]


def two_targets(a: np.ndarray) -> np.ndarray:
    """Second target = 10 × the first: scale-dependent metrics ×10, percentage ones unchanged."""
    return np.concatenate([a, 10 * a], axis=2)


# --------------------------------------------------------------------------- point metrics


def test_mae_hand_computed() -> None:
    # |errors| = 1, 0, 2, 1 -> (1 + 0 + 2 + 1) / 4 = 1.0
    np.testing.assert_allclose(mae(Y_TRUE, Y_PRED), [1.0])
    # per step: step 1 (1 + 2) / 2 = 1.5, step 2 (0 + 1) / 2 = 0.5
    np.testing.assert_allclose(mae(Y_TRUE, Y_PRED, per_step=True), [[1.5], [0.5]])
    np.testing.assert_allclose(mae(two_targets(Y_TRUE), two_targets(Y_PRED)), [1.0, 10.0])


def test_rmse_hand_computed() -> None:
    # squared errors 1, 0, 4, 1 -> sqrt(6 / 4) = sqrt(1.5)
    np.testing.assert_allclose(rmse(Y_TRUE, Y_PRED), [math.sqrt(1.5)])
    # per step: sqrt((1 + 4) / 2) = sqrt(2.5), sqrt((0 + 1) / 2) = sqrt(0.5)
    np.testing.assert_allclose(
        rmse(Y_TRUE, Y_PRED, per_step=True), [[math.sqrt(2.5)], [math.sqrt(0.5)]]
    )
    np.testing.assert_allclose(
        rmse(two_targets(Y_TRUE), two_targets(Y_PRED)), [math.sqrt(1.5), 10 * math.sqrt(1.5)]
    )


def test_mape_hand_computed() -> None:
    # 100·|e|/|y| = 100·1/1, 100·0/2, 100·2/3, 100·1/4 = 100, 0, 66.67, 25
    expected = (100 + 0 + 200 / 3 + 25) / 4  # 47.9167
    np.testing.assert_allclose(mape(Y_TRUE, Y_PRED), [expected])
    # per step: (100 + 66.67) / 2, (0 + 25) / 2
    np.testing.assert_allclose(mape(Y_TRUE, Y_PRED, per_step=True), [[(100 + 200 / 3) / 2], [12.5]])
    np.testing.assert_allclose(mape(two_targets(Y_TRUE), two_targets(Y_PRED)), [expected] * 2)


def test_mape_skips_zero_actuals() -> None:
    # y = 0 is skipped; 100·|2 − 1|/2 = 50 and 100·|4 − 4|/4 = 0 -> (50 + 0) / 2 = 25
    y = np.array([0.0, 2.0, 4.0]).reshape(1, 3, 1)
    p = np.array([5.0, 1.0, 4.0]).reshape(1, 3, 1)
    np.testing.assert_allclose(mape(y, p), [25.0])
    # per step, the first step has only a zero actual: NaN there
    np.testing.assert_allclose(mape(y, p, per_step=True), [[np.nan], [50.0], [0.0]])
    # a target whose actuals are all zero gives NaN
    assert np.isnan(mape(np.zeros((2, 2, 1)), np.ones((2, 2, 1)))).all()


def test_smape_hand_computed() -> None:
    # 200·|e|/(|y| + |ŷ|) = 200·1/3, 200·0/4, 200·2/4, 200·1/9 = 66.67, 0, 100, 22.22
    expected = (200 / 3 + 0 + 100 + 200 / 9) / 4  # 1700 / 36 = 47.2222
    np.testing.assert_allclose(smape(Y_TRUE, Y_PRED), [expected])
    np.testing.assert_allclose(
        smape(Y_TRUE, Y_PRED, per_step=True), [[(200 / 3 + 100) / 2], [(0 + 200 / 9) / 2]]
    )
    np.testing.assert_allclose(smape(two_targets(Y_TRUE), two_targets(Y_PRED)), [expected] * 2)


def test_smape_both_zero_is_zero() -> None:
    # point 1: y = ŷ = 0 -> 0; point 2: 200·|0 − 1|/(0 + 1) = 200 -> mean 100
    y = np.zeros((1, 2, 1))
    p = np.array([0.0, 1.0]).reshape(1, 2, 1)
    np.testing.assert_allclose(smape(y, p), [100.0])
    np.testing.assert_allclose(smape(y, np.zeros((1, 2, 1))), [0.0])


def test_smape_negative_values_use_absolute_values() -> None:
    # 200·|−2 − 2| / (2 + 2) = 200
    np.testing.assert_allclose(smape([[[-2.0]]], [[[2.0]]]), [200.0])


# --------------------------------------------------------------------------- MASE


def test_mase_season_1() -> None:
    # insample 1, 3, 2, 5: |3 − 1| + |2 − 3| + |5 − 2| = 2 + 1 + 3 = 6, / 3 diffs = 2
    # forecast MAE = 1.0 (above) -> MASE = 1.0 / 2 = 0.5
    insample = np.array([1.0, 3.0, 2.0, 5.0])[:, None]
    np.testing.assert_allclose(mase(Y_TRUE, Y_PRED, insample, season=1), [0.5])
    # per step: MAE 1.5 and 0.5 -> 0.75 and 0.25
    np.testing.assert_allclose(mase(Y_TRUE, Y_PRED, insample, 1, per_step=True), [[0.75], [0.25]])


def test_mase_season_12() -> None:
    # two years: year 1 = 0..11, year 2 = 2·(0..11); |x_t − x_{t−12}| = |2k − k| = k, k = 0..11
    # scale = (0 + 1 + ... + 11) / 12 = 66 / 12 = 5.5
    insample = np.concatenate([np.arange(12.0), 2 * np.arange(12.0)])[:, None]
    y = np.zeros((1, 3, 1))
    p = np.full((1, 3, 1), 11.0)  # MAE = 11
    np.testing.assert_allclose(mase(y, p, insample, season=12), [11 / 5.5])  # = 2.0
    # season 1 on the same data: diffs 1 (×11), |0 − 11| = 11, 2 (×11) -> (11 + 11 + 22) / 23
    np.testing.assert_allclose(mase(y, p, insample, season=1), [11 / (44 / 23)])


def test_mase_two_targets_are_scaled_separately() -> None:
    insample = np.array([[1.0, 10.0], [3.0, 10.0], [2.0, 40.0]])  # scales 1.5 and 15
    np.testing.assert_allclose(
        mase(two_targets(Y_TRUE), two_targets(Y_PRED), insample), [1 / 1.5, 10 / 15]
    )


def test_mase_rejects_short_or_constant_insample() -> None:
    with pytest.raises(DataError, match="season \\+ 1 = 13"):
        mase(Y_TRUE, Y_PRED, np.arange(12.0)[:, None], season=12)
    with pytest.raises(DataError, match=r"target column\(s\) \[0\]"):
        mase(Y_TRUE, Y_PRED, np.full((10, 1), 3.0), season=1)
    # constant at lag 2 (period-2 pattern) but not at lag 1
    with pytest.raises(DataError, match="constant at lag 2"):
        mase(Y_TRUE, Y_PRED, np.array([1.0, 5.0, 1.0, 5.0])[:, None], season=2)
    with pytest.raises(DataError, match="target column"):
        mase(Y_TRUE, Y_PRED, np.ones((5, 2)), season=1)
    with pytest.raises(DataError, match="season"):
        mase(Y_TRUE, Y_PRED, np.arange(5.0)[:, None], season=0)


# --------------------------------------------------------------------------- baselines


def test_naive_forecast_repeats_last_value() -> None:
    last = np.arange(6.0).reshape(3, 2)  # windows: [0, 1], [2, 3], [4, 5]
    out = naive_forecast(last, horizon=3)
    assert out.shape == (3, 3, 2)
    np.testing.assert_array_equal(out[1], [[2, 3], [2, 3], [2, 3]])
    np.testing.assert_array_equal(out, np.repeat(last[:, None, :], 3, axis=1))


def test_seasonal_naive_beyond_one_season() -> None:
    # history 0..9, y_T = 9 at T; season 4: ŷ_{T+h} = y_{T+h−4·ceil(h/4)}
    #   h = 1..4  -> T−3..T  -> 6, 7, 8, 9
    #   h = 5..8  -> T+5−8 .. T+8−8 -> 6, 7, 8, 9
    #   h = 9, 10 -> T+9−12, T+10−12 -> 6, 7
    history = np.arange(10.0).reshape(1, 10, 1)
    out = seasonal_naive_forecast(history, horizon=10, season=4)
    np.testing.assert_array_equal(out[0, :, 0], [6, 7, 8, 9, 6, 7, 8, 9, 6, 7])


def test_seasonal_naive_per_window_and_target() -> None:
    # window 0 history 0..5, window 1 history 6..11; season 3, horizon 4
    #   window 0: y_T = 5 -> h=1..3: 3, 4, 5; h=4: y_{T+4−6} = y_{T−2} = 3
    history = np.arange(12.0).reshape(2, 6, 1)
    history = np.concatenate([history, -history], axis=2)
    out = seasonal_naive_forecast(history, horizon=4, season=3)
    np.testing.assert_array_equal(out[:, :, 0], [[3, 4, 5, 3], [9, 10, 11, 9]])
    np.testing.assert_array_equal(out[:, :, 1], -out[:, :, 0])


def test_seasonal_naive_look_back_equal_to_season() -> None:
    out = seasonal_naive_forecast(np.arange(4.0).reshape(1, 4, 1), horizon=5, season=4)
    np.testing.assert_array_equal(out[0, :, 0], [0, 1, 2, 3, 0])


def test_seasonal_naive_season_1_is_naive() -> None:
    history = np.arange(12.0).reshape(2, 3, 2)
    np.testing.assert_array_equal(
        seasonal_naive_forecast(history, horizon=4, season=1), naive_forecast(history[:, -1], 4)
    )


def test_seasonal_naive_rejects_short_look_back() -> None:
    with pytest.raises(DataError, match="look-back of at least one season \\(12 steps\\), got 6"):
        seasonal_naive_forecast(np.zeros((2, 6, 1)), horizon=3, season=12)


def test_baselines_reject_bad_horizon() -> None:
    with pytest.raises(DataError, match="horizon"):
        naive_forecast(np.zeros((2, 1)), horizon=0)
    with pytest.raises(DataError, match="horizon"):
        seasonal_naive_forecast(np.zeros((2, 4, 1)), horizon=-1, season=2)


# --------------------------------------------------------------------------- intervals


def test_conformal_quantile_residuals_1_to_10() -> None:
    # |residuals| = 1..10 (signs mixed), n = 10
    #   80 %: ceil(11 · 0.80) = ceil(8.8) = 9   -> 9th smallest = 9
    #   50 %: ceil(11 · 0.50) = ceil(5.5) = 6   -> 6
    #   95 %: ceil(11 · 0.95) = ceil(10.45) = 11 > n -> clipped to the largest = 10
    r = np.array([1, -2, 3, -4, 5, -6, 7, -8, 9, -10], dtype=float)
    rng = np.random.default_rng(0)
    residuals = rng.permutation(r).reshape(10, 1, 1)
    out = empirical_quantile_intervals(residuals, levels=(80, 50, 95))
    assert set(out) == {80, 50, 95}
    np.testing.assert_array_equal(out[80], [[9.0]])
    np.testing.assert_array_equal(out[50], [[6.0]])
    np.testing.assert_array_equal(out[95], [[10.0]])


def test_conformal_quantile_per_step_and_target() -> None:
    base = np.arange(1.0, 11.0)
    residuals = np.stack([base, 2 * base], axis=1)[:, :, None]  # (10, 2 steps, 1 target)
    residuals = np.concatenate([residuals, 3 * residuals], axis=2)  # (10, 2, 2 targets)
    out = empirical_quantile_intervals(residuals, levels=[80])
    assert out[80].shape == (2, 2)
    np.testing.assert_array_equal(out[80], [[9, 27], [18, 54]])


def test_conformal_rank_is_exact_at_integer_boundaries() -> None:
    # n = 9, level 70: ceil(10 · 0.7) = 7 exactly (no float round-up to 8)
    residuals = np.arange(1.0, 10.0).reshape(9, 1, 1)
    np.testing.assert_array_equal(empirical_quantile_intervals(residuals, [70])[70], [[7.0]])
    np.testing.assert_array_equal(
        empirical_quantile_intervals(residuals, [100 * 0.7])[100 * 0.7], [[7.0]]
    )


@pytest.mark.parametrize("level", [0.9, 0, 100, 150, -5])
def test_conformal_rejects_bad_levels(level: float) -> None:
    with pytest.raises(DataError, match="percent"):
        empirical_quantile_intervals(np.ones((5, 1, 1)), [level])


def test_coverage_counts_points_inside_interval() -> None:
    # |y − ŷ| = 0.5, 1.0, 1.5, 3.0 with half-width 1: 0.5 and 1.0 (boundary) inside -> 2 / 4
    y = np.zeros((1, 4, 1))
    p = np.array([0.5, -1.0, 1.5, -3.0]).reshape(1, 4, 1)
    assert coverage(y, p, 1.0) == 0.5
    # per-step half-widths (horizon, n_targets): 0.4, 1, 2, 3 -> inside: no, yes, yes, yes
    assert coverage(y, p, np.array([[0.4], [1.0], [2.0], [3.0]])) == 0.75
    with pytest.raises(DataError, match="broadcast"):
        coverage(y, p, np.ones((3, 1)))
    with pytest.raises(DataError, match="non-negative"):
        coverage(y, p, -1.0)


def test_conformal_intervals_cover_calibration_set() -> None:
    rng = np.random.default_rng(42)
    residuals = rng.normal(size=(50, 3, 2))
    widths = empirical_quantile_intervals(residuals, (80, 95))
    zeros = np.zeros_like(residuals)
    # at least k = ceil(51 · level / 100) of the 50 calibration points per step are inside
    assert coverage(residuals, zeros, widths[80]) >= math.ceil(51 * 0.8) / 50
    assert coverage(residuals, zeros, widths[95]) >= math.ceil(51 * 0.95) / 50


# --------------------------------------------------------------------------- validation


def test_metrics_reject_bad_input() -> None:
    with pytest.raises(DataError, match="same shape"):
        mae(Y_TRUE, Y_PRED[:1])
    with pytest.raises(DataError, match=r"\(n_windows, horizon, n_targets\)"):
        rmse(Y_TRUE[:, :, 0], Y_PRED[:, :, 0])
    with pytest.raises(DataError, match="NaN"):
        smape(Y_TRUE, np.where(Y_PRED == 5, np.nan, Y_PRED))
    with pytest.raises(DataError, match="empty"):
        mape(np.zeros((0, 2, 1)), np.zeros((0, 2, 1)))
    with pytest.raises(DataError, match="numeric"):
        mae([[["a"]]], [[[1.0]]])


# --------------------------------------------------------------------------- season_from_freq


@pytest.mark.parametrize(
    ("freq", "season"),
    [
        ("M", 12),
        ("MS", 12),
        ("ME", 12),
        ("BME", 12),
        ("BMS", 12),
        ("Q", 4),
        ("QS", 4),
        ("QE", 4),
        ("QE-DEC", 4),
        ("QS-OCT", 4),
        ("BQE-MAR", 4),
        ("W", 52),
        ("W-SUN", 52),
        ("W-MON", 52),
        ("D", 7),
        ("B", 5),
        ("h", 24),
        ("H", 24),
        ("30min", 48),
        ("30T", 48),
        ("15min", 96),
        ("2h", 12),
        ("3MS", 4),
        ("2D", 1),
        ("min", 1440),
        ("YS-JAN", 1),
        ("YE-DEC", 1),
        ("A", 1),
        ("s", 1),
        ("ms", 1),
        ("7min", 1),
        ("", 1),
        ("not a freq", 1),
        (None, 1),
    ],
)
def test_season_from_freq_table(freq: str | None, season: int) -> None:
    assert season_from_freq(freq) == season


@pytest.mark.parametrize(
    ("freq", "season"),
    [
        ("MS", 12),
        ("ME", 12),
        ("QS-OCT", 4),
        ("W-SUN", 52),
        ("D", 7),
        ("B", 5),
        ("h", 24),
        ("30min", 48),
        ("YS", 1),
    ],
)
def test_season_from_pandas_inferred_freq(freq: str, season: int) -> None:
    index = pd.date_range("2001-01-01", periods=30, freq=freq)
    # pandas 3 returns a string from infer_freq; a future version returns a DateOffset
    # (opt-in through this option, which older pandas lacks)
    for as_offset in (False, True):
        try:
            with pd.option_context("future.infer_freq_returns_offset", as_offset):
                inferred = pd.infer_freq(index)
        except pd.errors.OptionError:
            inferred = pd.infer_freq(index)
        assert season_from_freq(inferred) == season
