"""Run a trained model on windows: the one place predictions are made.

`predict_scaled` is the single entry point for evaluate, predict and the
metrics written at train time, so a faster engine could replace it without
touching the callers. It applies the per-window level normalisation the
model was trained with (`--normalize last`) and returns scaled forecasts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import keras


def last_real(x: np.ndarray, mask: np.ndarray | None) -> np.ndarray:
    """The last real (unpadded) time step of each window: (N, look_back, F) -> (N, F)."""
    if mask is None:
        return x[:, -1, :]
    # right-most True of each mask row (works for pre and post padding)
    look_back = mask.shape[1]
    last = look_back - 1 - np.argmax(mask[:, ::-1], axis=1)
    return x[np.arange(len(x)), last, :]


def align_right(x: np.ndarray, mask: np.ndarray | None) -> np.ndarray:
    """Windows rolled so that each one's real steps end at the last position (pre-padded)."""
    if mask is None:
        return x
    look_back = mask.shape[1]
    real = mask.sum(axis=1)
    first = np.argmax(mask, axis=1)  # first real step
    shift = (first + real) % look_back  # roll so that the last real step lands at look_back-1
    index = (np.arange(look_back)[None, :] + shift[:, None]) % look_back
    return np.take_along_axis(x, index[:, :, None], axis=1)


def level(x: np.ndarray, mask: np.ndarray | None, n_targets: int) -> np.ndarray:
    """Per-window level of the targets: their last real value, shape (N, n_targets)."""
    return last_real(x, mask)[:, :n_targets]


def normalize_windows(
    x: np.ndarray, mask: np.ndarray | None, n_targets: int, normalize: str
) -> tuple[np.ndarray, np.ndarray]:
    """Subtract each window's level from its target columns (`--normalize last`).

    Returns (x', level) with level (N, n_targets) zeros when normalize == 'none'.
    Padded steps stay zero.
    """
    if normalize == "none":
        return x, np.zeros((len(x), n_targets), dtype=x.dtype)
    lv = level(x, mask, n_targets)
    shifted = x.copy()
    shifted[:, :, :n_targets] -= lv[:, None, :]
    if mask is not None:
        shifted[~mask] = 0.0
    return shifted, lv


def model_inputs(model: keras.Model, x: np.ndarray, mask: np.ndarray | None) -> Any:
    """What `model` takes: [x, mask] when it has a mask input (all True if none), else x."""
    from rnncli.network import model_inputs as build_inputs

    masked = len(model.inputs) == 2
    if masked and mask is None:
        mask = np.ones(x.shape[:2], dtype=bool)
    return build_inputs(x, mask, masked)


def predict_scaled(
    model: keras.Model,
    x: np.ndarray,
    mask: np.ndarray | None,
    *,
    n_targets: int,
    normalize: str = "none",
    batch_size: int = 1024,
) -> np.ndarray:
    """Forecasts (N, horizon, n_targets) in scaled units for windows x (N, look_back, F)."""
    if len(x) == 0:
        horizon = int(model.outputs[0].shape[1])
        return np.zeros((0, horizon, n_targets), dtype=np.float32)
    xn, lv = normalize_windows(x, mask, n_targets, normalize)
    inputs = model_inputs(model, xn, mask)
    if len(x) <= batch_size:  # one batch: skip predict()'s per-call dataset set-up (~0.2 s)
        out = model.predict_on_batch(inputs)
    else:
        out = model.predict(inputs, batch_size=batch_size, verbose=0)
    return np.asarray(out) + lv[:, None, :]
