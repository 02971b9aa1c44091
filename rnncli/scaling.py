"""Per-series scaling of the network's inputs: statistics from a series' training rows only.

`fit_scale` computes one series' center and scale per input column (`--scale standard`,
`minmax`, `none`, or `auto`: standardised features, targets only divided); `Scaler` holds
them for every series, applies and undoes them, and round-trips through the card.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Scaler:
    """x_scaled = (x - center) / scale, per series (rows) and input column (columns)."""

    method: str
    center: np.ndarray  # (n_series, n_inputs)
    scale: np.ndarray  # (n_series, n_inputs)

    def transform(self, values: np.ndarray, series: int) -> np.ndarray:
        return (values - self.center[series]) / self.scale[series]

    def inverse_targets(self, y: np.ndarray, series: np.ndarray) -> np.ndarray:
        """Undo scaling of y (n, horizon, n_targets) whose rows belong to `series` (n,)."""
        n_targets = y.shape[-1]
        center = self.center[series, :n_targets][:, None, :]
        scale = self.scale[series, :n_targets][:, None, :]
        return y * scale + center

    def to_dict(self, ids: list[str]) -> dict[str, Any]:
        return {
            "method": self.method,
            "series": {
                sid: {"center": self.center[i].tolist(), "scale": self.scale[i].tolist()}
                for i, sid in enumerate(ids)
            },
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], ids: list[str]) -> Scaler:
        rows = [data["series"][sid] for sid in ids]
        center = np.array([r["center"] for r in rows], dtype=np.float64)
        scale = np.array([r["scale"] for r in rows], dtype=np.float64)
        return cls(data["method"], center, scale)


def fit_scale(
    train: np.ndarray,
    method: str,
    n_targets: int = 0,
    *,
    logged: tuple[bool, ...] = (),
    raw_targets: np.ndarray | None = None,
    differenced: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Statistics of one series' training rows (n_train, n_inputs) of the network's inputs.

    `auto` standardises the features and only divides the `n_targets` target columns (center
    0, so their sign and zero stay): differences by their mean |value|; a logged target by 1
    (log differences are already unit-free); any other by the mean |value| of its original
    training values `raw_targets` (its level becomes 1).
    """
    n_inputs = train.shape[1]
    if method == "none":
        return np.zeros(n_inputs), np.ones(n_inputs)
    if method == "minmax":
        center, spread = train.min(axis=0), np.ptp(train, axis=0)
    elif method == "auto":
        center, spread = train.mean(axis=0), train.std(axis=0)
        center[:n_targets] = 0.0
        for t in range(n_targets):
            if differenced:
                spread[t] = np.mean(np.abs(train[:, t]))
            elif logged[t] or raw_targets is None:
                spread[t] = 1.0
            else:
                spread[t] = np.mean(np.abs(raw_targets[:, t]))
    else:
        center, spread = train.mean(axis=0), train.std(axis=0)
    return center, np.where(spread > 0, spread, 1.0)


__all__ = ["Scaler", "fit_scale"]
