"""Window weights in the loss (`rnncli.weighting`), by hand."""

from __future__ import annotations

import numpy as np
import pytest

from rnncli.weighting import insample_scale, series_weights


def window_weights(series: np.ndarray, scales: np.ndarray | None, mode: str) -> np.ndarray | None:
    """Each window's weight: its series' entry of `series_weights` (what a batch looks up)."""
    per = series_weights(series, scales, mode)
    return None if per is None else per[series]


def test_insample_scale_by_hand() -> None:
    v = np.array([[1.0], [3.0], [2.0], [6.0], [4.0]])
    # lag 1: |3-1|, |2-3|, |6-2|, |4-6| = 2, 1, 4, 2
    assert insample_scale(v, 1) == pytest.approx(9 / 4)
    # lag 2: |2-1|, |6-3|, |4-2| = 1, 3, 2
    assert insample_scale(v, 2) == pytest.approx(2.0)
    # a season as long as the part or longer: lag 1
    assert insample_scale(v, 5) == pytest.approx(9 / 4)
    assert insample_scale(v, 12) == pytest.approx(9 / 4)
    # several targets: the mean over all of them, |2-1| and |14-10|
    assert insample_scale(np.array([[1.0, 10.0], [2.0, 14.0]]), 1) == pytest.approx(2.5)


def test_insample_scale_is_one_when_undefined() -> None:
    assert insample_scale(np.array([[5.0]]), 1) == 1.0  # one row: no difference
    assert insample_scale(np.zeros((0, 1)), 1) == 1.0
    assert insample_scale(np.full((6, 1), 3.0), 2) == 1.0  # constant: 0
    assert insample_scale(np.array([[1.0], [np.inf], [2.0]]), 1) == 1.0


def test_equal_weights_by_hand() -> None:
    series = np.array([0, 0, 0, 1])
    # 1/3, 1/3, 1/3, 1, normalised to mean 1 (their mean is 0.5)
    w = window_weights(series, None, "equal")
    assert w is not None and w.dtype == np.float32
    np.testing.assert_allclose(w, [2 / 3, 2 / 3, 2 / 3, 2.0], rtol=1e-6)
    # each series weighs the same in total
    assert w[series == 0].sum() == pytest.approx(w[series == 1].sum())


def test_scaled_weights_by_hand() -> None:
    series = np.array([0, 0, 0, 1])
    scales = np.array([1.0, 2.0])
    # 1/(3*1), 1/(3*1), 1/(3*1), 1/(1*2): mean (1 + 0.5) / 4 = 0.375
    w = window_weights(series, scales, "scaled")
    assert w is not None
    np.testing.assert_allclose(w, [8 / 9, 8 / 9, 8 / 9, 4 / 3], rtol=1e-6)
    assert w.mean() == pytest.approx(1.0)
    # a series twice as volatile weighs half as much in total
    assert w[series == 0].sum() == pytest.approx(2 * w[series == 1].sum())
    # scaled without scales: equal
    np.testing.assert_allclose(window_weights(series, None, "scaled"), [2 / 3] * 3 + [2])


def test_series_missing_from_the_part_and_none() -> None:
    # series 1 has no window here (all of it in another part)
    w = window_weights(np.array([2, 2, 0]), np.array([1.0, 5.0, 4.0]), "scaled")
    # 1/(2*4), 1/(2*4), 1/(1*1): mean 0.25 / 3 + 1/3 = 5/12
    np.testing.assert_allclose(w, [0.3, 0.3, 2.4], rtol=1e-6)
    assert window_weights(np.array([0, 1]), np.array([1.0, 2.0]), "none") is None
    assert window_weights(np.zeros(0, dtype=np.int64), None, "equal") is None


def test_a_part_looks_its_batches_weights_up_per_series() -> None:
    """Training keeps one weight per series (`series_weights`) and looks each batch's up;
    they are bit for bit the per-window weights, for any positions of the part."""
    from rnncli.batches import ArrayWindows
    from rnncli.fitting import Part

    rng = np.random.default_rng(3)
    series_all = rng.integers(0, 7, 500).astype(np.int16)  # every window's series
    scales = rng.uniform(0.5, 3.0, 7)
    idx = np.sort(rng.choice(500, 300, replace=False)).astype(np.int32)  # the part
    per_window = window_weights(series_all[idx], scales, "scaled")
    per_series = series_weights(series_all[idx], scales, "scaled")
    assert per_window is not None and per_series is not None and len(per_series) == 7
    windows = ArrayWindows(np.zeros((500, 2, 1), np.float32), None, np.zeros((500, 1, 1)))
    part = Part(windows, idx, per_series, series=series_all)
    pos = rng.permutation(300)[:64]
    np.testing.assert_array_equal(part.weight(pos), per_window[pos])
    assert Part(windows, idx, per_window).weight(pos).tolist() == per_window[pos].tolist()
