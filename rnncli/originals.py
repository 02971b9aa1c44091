"""The original target values of each series, and the way back to them from the network's space.

The network reads scaled values, differenced first with `--difference N`. Metrics,
baselines and forecasts are in original units: `Originals` keeps each series' original
targets and its recorded scaling, and answers, for windows given as (series, origin) pairs
with origins counted in the network's rows, their original targets, the original values
before them (for the naive baselines and for undoing the differencing) and their forecasts
in original units. Training (`dataset.Dataset`) and forecasting (`prepare.Prepared`) both
hold one, so there is one way back and one baseline path.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnncli.differencing import reconstruct


@dataclass(frozen=True)
class Originals:
    values: list[np.ndarray]  # per series: original targets (n_original, n_targets) float64
    center: np.ndarray  # (n_series, n_inputs): scaling of the network's inputs
    scale: np.ndarray  # (n_series, n_inputs)
    lag: int = 0  # --difference: network row r is original row r + lag

    @property
    def n_targets(self) -> int:
        return self.values[0].shape[1]

    def rows(self, series: np.ndarray, at: np.ndarray, offsets: np.ndarray) -> np.ndarray:
        """Original targets at original row at + lag + offset of each window: (n, k, T).

        Rows before a series' start repeat its first value (only padded windows reach there).
        """
        out = np.empty((len(series), len(offsets), self.n_targets), dtype=np.float64)
        for s in np.unique(series):
            sel = series == s
            pos = at[sel][:, None] + self.lag + offsets[None, :]
            out[sel] = self.values[s][np.clip(pos, 0, len(self.values[s]) - 1)]
        return out

    def targets(self, series: np.ndarray, at: np.ndarray, horizon: int) -> np.ndarray:
        """What the windows forecast, in original units (n, horizon, T)."""
        return self.rows(series, at, np.arange(horizon))

    def history(self, series: np.ndarray, at: np.ndarray, steps: int) -> np.ndarray:
        """The `steps` original values just before each window's first target (n, steps, T)."""
        return self.rows(series, at, np.arange(-steps, 0))

    def unscale(self, y: np.ndarray, series: np.ndarray) -> np.ndarray:
        """Undo the scaling of network-space targets y (n, horizon, T)."""
        t = y.shape[-1]
        return y * self.scale[series, :t][:, None, :] + self.center[series, :t][:, None, :]

    def to_original(self, y: np.ndarray, series: np.ndarray, at: np.ndarray) -> np.ndarray:
        """Forecasts of windows (series, at) from the network's space to original units."""
        pred = self.unscale(np.asarray(y, dtype=np.float64), series)
        if not self.lag:
            return pred
        return reconstruct(pred, self.history(series, at, self.lag))

    def baselines(
        self, series: np.ndarray, at: np.ndarray, horizon: int, season: int
    ) -> dict[str, np.ndarray]:
        """Naive (last value) and seasonal naive (last season) forecasts in original units.

        Seasonal naive step h (0-based) is y[t + h - m*ceil((h+1)/m)]; it is left out when
        some window has fewer than m observed values before it, or m is 1.
        """
        out = {"naive": np.repeat(self.history(series, at, 1), horizon, axis=1)}
        if season > 1 and len(at) and int((at + self.lag).min()) >= season:
            last = self.history(series, at, season)
            out["seasonal_naive"] = last[:, np.arange(horizon) % season]
        return out


__all__ = ["Originals"]
