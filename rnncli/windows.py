"""Look-back windows from one series, with NumPy strided views (no Python loop over rows).

A window is identified by its *origin* `t`: the index of its first target
step. Its history is `values[t - look_back : t]`, its targets
`values[t : t + horizon, :n_targets]`. Origins run from `min_look_back` to
`n - horizon` in steps of `stride`; a window whose history is shorter than
`look_back` (t < look_back) is padded with zeros and described by an
explicit boolean mask (True = a real time step):

- ``pad="post"``: the real steps come first, the padding after them. This is
  the layout cuDNN accepts for masked sequences (right padding), and Keras
  carries the state of the last real step through the padded tail.
- ``pad="pre"``: the padding comes first, the real steps end the window.
  The natural choice when the model sees plain zeros without a mask.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


@dataclass(frozen=True)
class SeriesWindows:
    x: np.ndarray  # (n_windows, look_back, n_features)
    y: np.ndarray  # (n_windows, horizon, n_targets)
    mask: np.ndarray  # (n_windows, look_back) bool, True where the step is real
    origin: np.ndarray  # (n_windows,) index of each window's first target step


def origins(
    n: int, look_back: int, horizon: int, stride: int = 1, min_look_back: int | None = None
) -> np.ndarray:
    """Origins of all windows of a series of length n; empty when it is too short."""
    start = look_back if min_look_back is None else min_look_back
    return np.arange(start, n - horizon + 1, stride, dtype=np.int64)


def _slice_or_take(view: np.ndarray, start: np.ndarray) -> np.ndarray:
    """view[start]: a zero-copy slice when the starts are evenly spaced, else one gather."""
    if len(start) == 0:
        return view[:0]
    step = int(start[1] - start[0]) if len(start) > 1 else 1
    if step > 0 and np.array_equal(start, start[0] + step * np.arange(len(start))):
        return view[int(start[0]) : int(start[-1]) + 1 : step]
    return view[start]


def history(
    values: np.ndarray,
    at: np.ndarray,
    look_back: int,
    pad: Literal["pre", "post"] = "post",
) -> tuple[np.ndarray, np.ndarray]:
    """The look-back windows ending just before each origin in `at`, and their masks.

    `values` is (n, n_features). An origin may be `n` (the window after the
    last observation, for forecasting the future). Returns x of shape
    (len(at), look_back, n_features) and mask (len(at), look_back).

    When no window needs padding and the origins are evenly spaced, x is a
    read-only strided view of `values` (no copy at all) and the mask a
    broadcast True; otherwise x is one gathered copy.
    """
    n_features = values.shape[1]
    if len(at) == 0:
        empty = np.zeros((0, look_back, n_features), dtype=values.dtype)
        return empty, np.zeros((0, look_back), dtype=bool)
    if at.min() >= look_back:
        view = sliding_window_view(values, look_back, axis=0).transpose(0, 2, 1)  # (., L, F)
        x = _slice_or_take(view, at - look_back)
        return x, np.broadcast_to(np.True_, (len(at), look_back))
    zeros = np.zeros((look_back, n_features), dtype=values.dtype)
    real = np.minimum(at, look_back)
    steps = np.arange(look_back)
    if pad == "pre":
        # ext[i + look_back] == values[i]; the window for origin t is ext[t : t + look_back]
        ext = np.concatenate([zeros, values])
        start = at
        mask = steps[None, :] >= (look_back - real)[:, None]
    else:
        # real steps first: values[max(t - look_back, 0) : ...], then zeros
        ext = np.concatenate([values, zeros])
        start = np.maximum(at - look_back, 0)
        mask = steps[None, :] < real[:, None]
    view = sliding_window_view(ext, look_back, axis=0).transpose(0, 2, 1)  # (., L, F), no copy
    x = view[start]  # one gathered copy
    if pad == "post":
        x[~mask] = 0  # hide the future steps that the window would otherwise reach
    return x, mask


def targets(values: np.ndarray, at: np.ndarray, horizon: int, n_targets: int) -> np.ndarray:
    """y[i] = values[at[i] : at[i] + horizon, :n_targets], shape (len(at), horizon, n_targets)."""
    view = sliding_window_view(values[:, :n_targets], horizon, axis=0).transpose(0, 2, 1)
    return _slice_or_take(view, at)


def series_windows(
    values: np.ndarray,
    *,
    look_back: int,
    horizon: int,
    n_targets: int,
    stride: int = 1,
    min_look_back: int | None = None,
    pad: Literal["pre", "post"] = "post",
) -> SeriesWindows:
    """All windows of one series (values already scaled), possibly none."""
    at = origins(len(values), look_back, horizon, stride, min_look_back)
    x, mask = history(values, at, look_back, pad)
    y = (
        targets(values, at, horizon, n_targets)
        if at.size
        else np.zeros((0, horizon, n_targets), dtype=values.dtype)
    )
    return SeriesWindows(x, y, mask, at)
