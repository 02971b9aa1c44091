"""Target transforms fitted per series on its training part: log, then deseasonalisation.

The network forecasts far better in a space where series of different scales and seasons
look alike (Hewamalage, Bergmeir & Bandara 2021; measured on M1 in bench/bench_accuracy.py):

    z_t = log(y_t)             when every training value of the target is > 0 (`log`)
    x_t = z_t - s[phase_t]     when the season m > 1 and the training part has >= 2 cycles

`s` are classical additive seasonal indices of z over the training part (a centred 2×m
moving average as the trend, the mean of the detrended values per phase, centred to sum 0),
i.e. multiplicative seasonality of y when logged. The phase of a time step is its step
ordinal modulo m (`timestamps.step_ordinals`: months since 1970 for monthly data, days for
daily, ...), so it comes from the time stamp itself and a newer file that starts elsewhere
gets the same phases. `inverse` undoes both: y = exp(x + s[phase]).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnncli.differencing import difference

MIN_CYCLES = 2  # full seasons of training data needed to estimate seasonal indices
# the seasonal strength below which a series is left as it is: prices have ~0.01 (weekday
# "seasons" of a random walk are noise, and removing them cost 3 % of MAPE), M1's monthly
# series a median of 0.6 (5 % of them below 0.1), electricity 0.7, AirPassengers 0.9
MIN_STRENGTH = 0.1


@dataclass(frozen=True)
class TargetTransform:
    """One series' transform of its target columns (T of them)."""

    log: tuple[bool, ...]  # per target
    season: tuple[tuple[float, ...], ...]  # per target: m seasonal indices, () for none

    @classmethod
    def identity(cls, n_targets: int) -> TargetTransform:
        return cls((False,) * n_targets, ((),) * n_targets)

    @property
    def is_identity(self) -> bool:
        return not any(self.log) and not any(self.season)

    def _season_at(self, t: int, phase: np.ndarray) -> np.ndarray | float:
        s = self.season[t]
        return np.asarray(s)[phase % len(s)] if s else 0.0

    def forward(self, y: np.ndarray, phase: np.ndarray) -> np.ndarray:
        """Targets y (n, T) at phases (n,) -> the network's space before scaling."""
        out = np.array(y, dtype=np.float64, copy=True)
        for t in range(out.shape[1]):
            if self.log[t]:
                out[:, t] = np.log(out[:, t])
            out[:, t] -= self._season_at(t, phase)
        return out

    def inverse(self, x: np.ndarray, phase: np.ndarray) -> np.ndarray:
        """Values x (..., T) at phases of the same leading shape -> original units."""
        out = np.array(x, dtype=np.float64, copy=True)
        for t in range(out.shape[-1]):
            out[..., t] += self._season_at(t, phase)
            if self.log[t]:
                with np.errstate(over="ignore"):
                    out[..., t] = np.exp(out[..., t])
        return out


def _detrended(z: np.ndarray, phase: np.ndarray, m: int) -> tuple[np.ndarray, np.ndarray]:
    """z minus its centred moving average (2×m for an even m), and the phases of those rows."""
    weights = np.r_[0.5, np.ones(m - 1), 0.5] / m if m % 2 == 0 else np.ones(m) / m
    trend = np.convolve(z, weights, mode="valid")
    offset = (len(weights) - 1) // 2
    return z[offset : offset + len(trend)] - trend, phase[offset : offset + len(trend)] % m


def network_inputs(
    values: np.ndarray,
    n_targets: int,
    transform: TargetTransform,
    ordinal: np.ndarray,
    lag: int,
    calendar: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """A series' rows (n, F) -> (its transformed targets (n, T), the network's unscaled inputs).

    The inputs are the transformed targets beside the other data columns as they are (past
    features, known-future columns), then the `calendar` encodings of the rows' time stamps
    (n, C) when given, lag-differenced with --difference (then n - lag rows; only the targets
    are differenced). Training (`dataset.build`) and forecasting (`prepare.prepare`) both go
    through here, so both see the same space.
    """
    base = transform.forward(values[:, :n_targets], ordinal)
    extra = [] if calendar is None else [calendar]
    inputs = np.concatenate([base, values[:, n_targets:], *extra], axis=1)
    return base, difference(inputs, n_targets, lag) if lag else inputs


def seasonal_indices(z: np.ndarray, phase: np.ndarray, m: int) -> np.ndarray:
    """Classical additive decomposition: m indices summing to 0 (index p for phase p)."""
    detrended, at = _detrended(z, phase, m)
    sums = np.bincount(at, weights=detrended, minlength=m)
    counts = np.bincount(at, minlength=m)
    idx = np.divide(sums, counts, out=np.zeros(m), where=counts > 0)
    return idx - idx.mean()


def seasonal_strength(z: np.ndarray, phase: np.ndarray, m: int, idx: np.ndarray) -> float:
    """1 - Var(remainder) / Var(detrended), at least 0 (Wang, Smith & Hyndman 2006)."""
    detrended, at = _detrended(z, phase, m)
    spread = float(detrended.var())
    if not spread > 0:
        return 0.0
    return max(0.0, 1.0 - float((detrended - idx[at]).var()) / spread)


def fit(
    train: np.ndarray, phase: np.ndarray, season: int, *, transform: str, deseasonalize: str
) -> TargetTransform:
    """The transform of one series from its training targets (n_train, T) and their phases.

    transform: 'auto' (log where every training value is > 0) | 'log' | 'none';
    deseasonalize: 'auto' (when season > 1, >= MIN_CYCLES full cycles and a seasonal strength
    of at least MIN_STRENGTH) | 'yes' (the same without the strength) | 'none'.
    """
    logs, seasons = [], []
    for t in range(train.shape[1]):
        y = train[:, t]
        positive = bool(len(y)) and bool(np.all(y > 0))
        use_log = transform == "log" or (transform == "auto" and positive)
        logs.append(use_log)
        z = np.log(y) if use_log else y
        idx: tuple[float, ...] = ()
        if deseasonalize != "none" and season > 1 and len(z) >= MIN_CYCLES * season:
            found = seasonal_indices(z, phase, season)
            if deseasonalize == "yes" or seasonal_strength(z, phase, season, found) >= MIN_STRENGTH:
                idx = tuple(float(v) for v in found)
        seasons.append(idx)
    return TargetTransform(tuple(logs), tuple(seasons))


__all__ = ["MIN_CYCLES", "TargetTransform", "fit", "network_inputs", "seasonal_indices"]
