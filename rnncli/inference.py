"""Run an engine on windows: the one place forecasts are made, with per-window normalisation.

`predict_scaled` serves evaluate, predict and the metrics written at train time alike, with
any `engine.Engine` (NumPy or Keras). It applies the per-window level normalisation the model
was trained with (`--normalize last`) and returns forecasts in the network's (scaled) units.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from rnncli.engine import Engine


def last_real(x: np.ndarray, mask: np.ndarray | None) -> np.ndarray:
    """The last real (unpadded) time step of each window: (N, look_back, F) -> (N, F)."""
    if mask is None:
        return x[:, -1, :]
    # right-most True of each mask row (works for pre and post padding)
    look_back = mask.shape[1]
    last = look_back - 1 - np.argmax(mask[:, ::-1], axis=1)
    return x[np.arange(len(x)), last, :]


def normalize_windows(
    x: np.ndarray, mask: np.ndarray | None, n_targets: int, normalize: str
) -> tuple[np.ndarray, np.ndarray]:
    """Subtract each window's level (its last real target values) from its target columns.

    Returns (x', level) with level (N, n_targets), zeros when normalize == 'none'. Padded
    steps stay zero.
    """
    if normalize == "none":
        return x, np.zeros((len(x), n_targets), dtype=x.dtype)
    lv = last_real(x, mask)[:, :n_targets]
    shifted = np.array(x, copy=True)
    shifted[:, :, :n_targets] -= lv[:, None, :]
    if mask is not None:
        shifted[~mask] = 0.0
    return shifted, lv


def predict_scaled(
    engine: Engine,
    x: np.ndarray,
    mask: np.ndarray | None,
    *,
    n_targets: int,
    normalize: str = "none",
    future: np.ndarray | None = None,
) -> np.ndarray:
    """Forecasts (N, horizon, n_targets) in scaled units for windows x (N, look_back, F).

    `future` (N, horizon, K): the known-future inputs at the forecast steps (scaled), for a
    network that reads them; level normalisation touches only the targets, so not them.
    """
    if len(x) == 0:
        return np.zeros((0, engine.horizon, n_targets), dtype=np.float32)
    xn, lv = normalize_windows(x, mask, n_targets, normalize)
    out = engine.predict(np.ascontiguousarray(xn, dtype=np.float32), mask, future)
    return np.asarray(out) + lv[:, None, :]


__all__ = ["last_real", "normalize_windows", "predict_scaled"]
