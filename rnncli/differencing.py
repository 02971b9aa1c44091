"""Seasonal differencing of the targets (`--difference N`) and its undoing.

With differencing the model sees and forecasts d_t = y_t - y_{t-N} of each target column
(features stay as they are; the first N rows of each series, which have no difference, are
dropped). A forecast d̂ of the steps t..t+H-1 returns to original units as

    ŷ[t+h] = d̂[h] + ref[h],   ref[h] = y[t+h-N] when h < N (observed), else ŷ[t+h-N]

so steps beyond N build on earlier forecast steps of the same window.
"""

from __future__ import annotations

import numpy as np


def difference(values: np.ndarray, n_targets: int, lag: int) -> np.ndarray:
    """Rows (n, F) -> (n - lag, F): target columns y_t - y_{t-lag}, feature columns as they are."""
    out = np.array(values[lag:], dtype=np.float64, copy=True)
    out[:, :n_targets] = values[lag:, :n_targets] - values[: len(values) - lag, :n_targets]
    return out


def reconstruct(diffs: np.ndarray, history: np.ndarray) -> np.ndarray:
    """Forecast differences (N, H, T) in original units -> forecasts of the values (N, H, T).

    `history` (N, lag, T) holds, for each window, the `lag` observed values before its first
    forecast step (y[t-lag] .. y[t-1]); the lag is its second dimension.
    """
    lag = history.shape[1]
    out = np.empty(diffs.shape, dtype=np.float64)
    for h in range(diffs.shape[1]):
        ref = history[:, h] if h < lag else out[:, h - lag]
        out[:, h] = diffs[:, h] + ref
    return out


__all__ = ["difference", "reconstruct"]
