"""Each window's weight in the loss: every series counts equally, in the units MASE scores.

A global model fed all windows of a panel learns mostly the long series (they have the most
windows) and the volatile ones (their errors are the largest). `--series-weight scaled`
(the default) gives window i of series s the weight

    w_i = 1 / (n_s * d_s)

with n_s the series' windows in the part (train or validation) and d_s its in-sample mean
absolute seasonal difference in the network's space (lag m = the season when the training
part is longer than it, else 1): the denominator of MASE. With an MAE loss, the training
loss is then an average of per-series MASE-like errors. `equal` drops d_s; `none` gives 1.
Weights are normalised to mean 1 over the part.
"""

from __future__ import annotations

import numpy as np


def insample_scale(values: np.ndarray, season: int) -> float:
    """Mean |v_t - v_(t-m)| of a training part (n, T) over its targets; 1 when undefined."""
    m = season if len(values) > season else 1
    if len(values) <= m:
        return 1.0
    d = float(np.mean(np.abs(values[m:] - values[:-m])))
    return d if np.isfinite(d) and d > 0 else 1.0


def series_weights(series: np.ndarray, scales: np.ndarray | None, mode: str) -> np.ndarray | None:
    """Each series' window weight (float32, indexed by series) for the windows of `series`
    (N,), normalised to mean 1 over those windows; None: all 1. A window's weight is its
    series' entry, so training keeps one number per series, not one per window."""
    if mode == "none" or len(series) == 0:
        return None
    counts = np.bincount(series)
    with np.errstate(divide="ignore"):  # a series without windows here: never looked up
        per = 1.0 / counts
    if mode == "scaled" and scales is not None:
        per = per / scales[: len(counts)]
    return (per / per[series].mean()).astype(np.float32)


__all__ = ["insample_scale", "series_weights"]
