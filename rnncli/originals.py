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
from rnncli.errors import RnnCliError
from rnncli.transforms import TargetTransform


@dataclass(frozen=True)
class Originals:
    values: list[np.ndarray]  # per series: original targets (n_original, n_targets) float64
    center: np.ndarray  # (n_series, n_inputs): scaling of the network's inputs
    scale: np.ndarray  # (n_series, n_inputs)
    lag: int = 0  # --difference: network row r is original row r + lag
    # per series: targets in the transformed space (log, deseasonalised; None: the originals),
    # the transform, and the step ordinal of each original row (`timestamps.step_ordinals`:
    # the seasonal phase; business days skip holidays, so it is not row 0's plus the row)
    base: list[np.ndarray] | None = None
    transforms: list[TargetTransform] | None = None
    ordinals: list[np.ndarray] | None = None

    @property
    def n_targets(self) -> int:
        return self.values[0].shape[1]

    def rows(
        self, series: np.ndarray, at: np.ndarray, offsets: np.ndarray, *, base: bool = False
    ) -> np.ndarray:
        """Targets at original row at + lag + offset of each window: (n, k, T).

        Original values, or with `base` the transformed ones. Rows before a series' start
        repeat its first value (only padded windows reach there).
        """
        source = self.base if base and self.base is not None else self.values
        out = np.empty((len(series), len(offsets), self.n_targets), dtype=np.float64)
        for s in np.unique(series):
            sel = series == s
            pos = at[sel][:, None] + self.lag + offsets[None, :]
            out[sel] = source[s][np.clip(pos, 0, len(source[s]) - 1)]
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

    def to_original(
        self,
        y: np.ndarray,
        series: np.ndarray,
        at: np.ndarray,
        shift: np.ndarray | None = None,
    ) -> np.ndarray:
        """Forecasts of windows (series, at) from the network's space to original units.

        Scaling undone, then the differencing (on the transformed values before the window),
        then `shift` (n, horizon, T) added, in the transformed space (`bounds`), then the
        transform (the season of each target step added back, exp of a logged one).
        """
        pred = self.unscale(np.asarray(y, dtype=np.float64), series)
        if self.lag:
            history = self.rows(series, at, np.arange(-self.lag, 0), base=True)
            pred = reconstruct(pred, history)
        if shift is not None:
            pred = pred + shift
        if self.transforms is None or self.ordinals is None:
            return pred
        horizon = pred.shape[1]
        for s in np.unique(series):
            transform = self.transforms[s]
            if transform.is_identity:
                continue
            sel = series == s
            rows = at[sel][:, None] + self.lag + np.arange(horizon)[None, :]
            pred[sel] = transform.inverse(pred[sel], self.phase(int(s), rows))
        return pred

    def bounds(
        self, y: np.ndarray, series: np.ndarray, at: np.ndarray, half: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """(lo, hi) in original units of intervals around the forecasts y of windows.

        `half` (horizon, T) are half-widths in scaled units: times each series' scale they are
        applied around the forecast in the transformed space (with --difference around the
        rebuilt forecast), then taken back with it, so a logged target's interval is a ratio
        of its forecast, and an untransformed one's is the forecast plus or minus the width.
        """
        t = y.shape[-1]
        width = np.asarray(half, dtype=np.float64)[None] * self.scale[series, :t][:, None, :]
        return self.to_original(y, series, at, -width), self.to_original(y, series, at, width)

    def phase(self, series: int, rows: np.ndarray) -> np.ndarray:
        """Step ordinals of original rows of a series; rows past its end go on by one a step
        (as the time stamps `predict` gives them do)."""
        if self.ordinals is None:
            raise RnnCliError("internal: seasonal phases asked of originals without ordinals")
        ordinal = self.ordinals[series]
        last = len(ordinal) - 1
        return np.where(rows <= last, ordinal[np.clip(rows, 0, last)], ordinal[last] + rows - last)

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
