"""Tests for rnncli.windows: golden windows on np.arange, counts, padding and masks.

Every expected array is written out by hand (or by an explicit Python loop) and compared
with the strided implementation.
"""

import numpy as np
import pytest

from rnncli.windows import history, origins, series_windows, targets


def col(*values: float) -> np.ndarray:
    """A one-feature series (n, 1)."""
    return np.array(values, dtype=np.float64)[:, None]


def two_features(n: int) -> np.ndarray:
    """Column 0 = 0..n-1 (the target), column 1 = 100, 101, ... (an extra input)."""
    return np.stack([np.arange(n), 100 + np.arange(n)], axis=1).astype(np.float64)


# ---- full windows ------------------------------------------------------------------------------


def test_shapes_first_and_last_window_on_arange() -> None:
    values = two_features(10)
    w = series_windows(values, look_back=3, horizon=2, n_targets=1)
    # origins 3..8: the first window sees steps 0,1,2 and forecasts 3,4; the last sees 5,6,7
    assert w.x.shape == (6, 3, 2)
    assert w.y.shape == (6, 2, 1)
    assert w.mask.shape == (6, 3)
    np.testing.assert_array_equal(w.origin, [3, 4, 5, 6, 7, 8])
    np.testing.assert_array_equal(w.x[0], [[0, 100], [1, 101], [2, 102]])
    np.testing.assert_array_equal(w.y[0], [[3], [4]])
    np.testing.assert_array_equal(w.x[-1], [[5, 105], [6, 106], [7, 107]])
    np.testing.assert_array_equal(w.y[-1], [[8], [9]])
    assert w.mask.all()


def test_y_contents_every_window() -> None:
    values = two_features(9)
    w = series_windows(values, look_back=2, horizon=3, n_targets=1)
    # origins 2..6, y[i] = [t, t+1, t+2]
    expected = np.array([[[t], [t + 1], [t + 2]] for t in range(2, 7)], dtype=np.float64)
    np.testing.assert_array_equal(w.y, expected)


def test_y_with_two_targets_takes_the_first_columns() -> None:
    values = two_features(6)
    w = series_windows(values, look_back=2, horizon=2, n_targets=2)
    assert w.y.shape == (3, 2, 2)
    np.testing.assert_array_equal(w.y[0], [[2, 102], [3, 103]])
    np.testing.assert_array_equal(w.y[2], [[4, 104], [5, 105]])


@pytest.mark.parametrize(
    ("n", "look_back", "horizon", "stride"),
    [
        (10, 3, 2, 1),
        (10, 3, 2, 2),
        (10, 3, 2, 4),
        (10, 3, 2, 5),
        (20, 5, 3, 3),
        (7, 3, 4, 1),  # exactly one window
        (100, 30, 1, 7),
        (31, 30, 1, 1),
        (12, 1, 1, 1),
    ],
)
def test_window_count_and_every_window(n: int, look_back: int, horizon: int, stride: int) -> None:
    values = two_features(n)
    w = series_windows(values, look_back=look_back, horizon=horizon, n_targets=1, stride=stride)
    count = (n - look_back - horizon) // stride + 1
    assert len(w.x) == len(w.y) == len(w.origin) == count
    assert w.origin[0] == look_back
    np.testing.assert_array_equal(np.diff(w.origin), stride)
    assert w.origin[-1] + horizon <= n
    assert w.origin[-1] + stride + horizon > n  # no window left out at the end
    for i, t in enumerate(range(look_back, n - horizon + 1, stride)):
        np.testing.assert_array_equal(w.x[i], values[t - look_back : t])
        np.testing.assert_array_equal(w.y[i], values[t : t + horizon, :1])


@pytest.mark.parametrize(
    ("n", "look_back", "horizon"), [(6, 3, 4), (5, 3, 4), (0, 3, 1), (3, 3, 1)]
)
def test_too_short_gives_no_window(n: int, look_back: int, horizon: int) -> None:
    values = two_features(n)
    assert origins(n, look_back, horizon).size == 0
    w = series_windows(values, look_back=look_back, horizon=horizon, n_targets=1)
    assert w.x.shape == (0, look_back, 2)
    assert w.y.shape == (0, horizon, 1)
    assert w.mask.shape == (0, look_back)
    assert w.origin.shape == (0,)


def test_origins_with_min_look_back_and_stride() -> None:
    np.testing.assert_array_equal(origins(10, 4, 1), [4, 5, 6, 7, 8, 9])
    np.testing.assert_array_equal(origins(10, 4, 1, min_look_back=2), [2, 3, 4, 5, 6, 7, 8, 9])
    np.testing.assert_array_equal(origins(10, 4, 2, stride=3, min_look_back=1), [1, 4, 7])
    assert origins(10, 4, 1).dtype == np.int64


def test_unpadded_windows_are_read_only_views_and_keep_dtype() -> None:
    values = np.arange(8, dtype=np.float32)[:, None]
    w = series_windows(values, look_back=3, horizon=1, n_targets=1)
    assert w.x.dtype == np.float32
    assert w.y.dtype == np.float32
    # evenly spaced origins without padding: strided views of the series, no copy
    assert np.shares_memory(w.x, values)
    assert np.shares_memory(w.y, values)
    assert not w.x.flags.writeable
    assert not w.y.flags.writeable
    assert w.mask.all()
    np.testing.assert_array_equal(np.array(w.x)[:, :, 0], [[i, i + 1, i + 2] for i in range(5)])


def test_padded_windows_are_copies() -> None:
    values = np.arange(8, dtype=np.float32)[:, None]
    w = series_windows(values, look_back=3, horizon=1, n_targets=1, min_look_back=1)
    assert not np.shares_memory(w.x, values)
    w.x[0, 0, 0] = 99
    assert values[0, 0] == 0


# ---- padding and masks -------------------------------------------------------------------------

# values 1..6 (no zero in the data, so padding is visible), look_back 4, horizon 1,
# min_look_back 2: origins 2, 3, 4, 5
SHORT = col(1, 2, 3, 4, 5, 6)

POST_X = [[1, 2, 0, 0], [1, 2, 3, 0], [1, 2, 3, 4], [2, 3, 4, 5]]
POST_MASK = [
    [True, True, False, False],
    [True, True, True, False],
    [True, True, True, True],
    [True, True, True, True],
]
PRE_X = [[0, 0, 1, 2], [0, 1, 2, 3], [1, 2, 3, 4], [2, 3, 4, 5]]
PRE_MASK = [
    [False, False, True, True],
    [False, True, True, True],
    [True, True, True, True],
    [True, True, True, True],
]


@pytest.mark.parametrize(
    ("pad", "x", "mask"), [("post", POST_X, POST_MASK), ("pre", PRE_X, PRE_MASK)]
)
def test_padded_windows_exact(pad: str, x: list, mask: list) -> None:
    w = series_windows(SHORT, look_back=4, horizon=1, n_targets=1, min_look_back=2, pad=pad)
    np.testing.assert_array_equal(w.origin, [2, 3, 4, 5])
    np.testing.assert_array_equal(w.x[:, :, 0], x)
    np.testing.assert_array_equal(w.mask, mask)
    np.testing.assert_array_equal(w.y[:, :, 0], [[3], [4], [5], [6]])
    assert w.mask.dtype == bool


@pytest.mark.parametrize("pad", ["pre", "post"])
def test_padding_is_zero_and_never_holds_the_future(pad: str) -> None:
    values = np.stack([np.arange(1, 13), np.arange(101, 113)], axis=1).astype(np.float64)
    w = series_windows(values, look_back=6, horizon=2, n_targets=1, min_look_back=1, pad=pad)
    assert len(w.origin) == 12 - 2 - 1 + 1
    for i, t in enumerate(w.origin):
        real = min(t, 6)
        assert w.mask[i].sum() == real
        np.testing.assert_array_equal(w.x[i][~w.mask[i]], 0.0)
        np.testing.assert_array_equal(w.x[i][w.mask[i]], values[t - real : t])
        # nothing from the origin on (the targets and later) appears in the history
        assert w.x[i][:, 0].max() < values[t, 0]
        # the real steps are contiguous, at the start (post) or at the end (pre)
        if pad == "post":
            np.testing.assert_array_equal(w.mask[i], np.arange(6) < real)
        else:
            np.testing.assert_array_equal(w.mask[i], np.arange(6) >= 6 - real)


@pytest.mark.parametrize(
    ("pad", "x", "mask"),
    [
        ("post", [[1, 0, 0, 0, 0], [1, 2, 0, 0, 0]], [[1, 0, 0, 0, 0], [1, 1, 0, 0, 0]]),
        ("pre", [[0, 0, 0, 0, 1], [0, 0, 0, 1, 2]], [[0, 0, 0, 0, 1], [0, 0, 0, 1, 1]]),
    ],
)
def test_series_shorter_than_look_back(pad: str, x: list, mask: list) -> None:
    # 3 steps, look_back 5: every window is padded
    w = series_windows(col(1, 2, 3), look_back=5, horizon=1, n_targets=1, min_look_back=1, pad=pad)
    np.testing.assert_array_equal(w.origin, [1, 2])
    np.testing.assert_array_equal(w.x[:, :, 0], x)
    np.testing.assert_array_equal(w.mask, np.array(mask, dtype=bool))
    np.testing.assert_array_equal(w.y[:, :, 0], [[2], [3]])


# ---- history() at the forecast origin ----------------------------------------------------------


@pytest.mark.parametrize("pad", ["pre", "post"])
def test_history_at_the_end_is_the_last_look_back(pad: str) -> None:
    x, mask = history(SHORT, np.array([6]), 4, pad)
    np.testing.assert_array_equal(x, [[[3], [4], [5], [6]]])
    assert mask.shape == (1, 4)
    assert mask.all()


def test_history_at_several_origins_including_n() -> None:
    x, mask = history(SHORT, np.array([4, 6]), 2)
    np.testing.assert_array_equal(x[:, :, 0], [[3, 4], [5, 6]])
    assert mask.all()


@pytest.mark.parametrize(
    ("pad", "x", "mask"),
    [
        ("post", [1, 2, 3, 0, 0], [True, True, True, False, False]),
        ("pre", [0, 0, 1, 2, 3], [False, False, True, True, True]),
    ],
)
def test_history_at_the_end_of_a_short_series(pad: str, x: list, mask: list) -> None:
    got, got_mask = history(col(1, 2, 3), np.array([3]), 5, pad)
    np.testing.assert_array_equal(got[0, :, 0], x)
    np.testing.assert_array_equal(got_mask[0], mask)


@pytest.mark.parametrize("pad", ["pre", "post"])
def test_history_at_origin_zero_is_all_padding(pad: str) -> None:
    x, mask = history(SHORT, np.array([0]), 3, pad)
    np.testing.assert_array_equal(x, np.zeros((1, 3, 1)))
    assert not mask.any()


def test_history_of_no_origin() -> None:
    x, mask = history(two_features(5), np.array([], dtype=np.int64), 3)
    assert x.shape == (0, 3, 2)
    assert mask.shape == (0, 3)


def test_targets_direct() -> None:
    y = targets(two_features(6), np.array([0, 3, 4]), 2, 1)
    np.testing.assert_array_equal(y[:, :, 0], [[0, 1], [3, 4], [4, 5]])
