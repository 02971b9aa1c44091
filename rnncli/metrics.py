"""Forecast accuracy metrics, naive baselines and empirical prediction intervals.

Pure NumPy. Forecasts and actuals are arrays of shape ``(n_windows, horizon, n_targets)`` in the
original units of the data (inverse-transform before scoring). The point metrics reduce over
windows and horizon steps and return one value per target, or with ``per_step=True`` reduce over
windows only and return an array of shape ``(horizon, n_targets)``.

The array functions raise :class:`rnncli.errors.DataError` with a message that says what to fix
when their input has the wrong shape, is empty, or holds NaN or infinite values.
"""

import math
import re
from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from rnncli.errors import DataError

__all__ = [
    "coverage",
    "empirical_quantile_intervals",
    "mae",
    "mape",
    "mase",
    "naive_forecast",
    "rmse",
    "season_from_freq",
    "seasonal_naive_forecast",
    "smape",
]

FloatArray = NDArray[np.float64]


# --------------------------------------------------------------------------- validation helpers


def _as_float(name: str, values: ArrayLike, ndim: int, layout: str) -> FloatArray:
    """``values`` as a float64 array with ``ndim`` dimensions, non-empty and finite."""
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise DataError(f"{name} must be numeric, shape {layout}: {exc}") from exc
    if arr.ndim != ndim:
        raise DataError(f"{name} must have shape {layout}, got shape {arr.shape}")
    if arr.size == 0:
        raise DataError(f"{name} is empty (shape {arr.shape}); need at least one value per axis")
    if not np.all(np.isfinite(arr)):
        bad = int(np.count_nonzero(~np.isfinite(arr)))
        raise DataError(
            f"{name} holds {bad} NaN or infinite value(s); "
            "fill or drop missing values (or check the model for a diverged loss) before scoring"
        )
    return arr


_WINDOWS = "(n_windows, horizon, n_targets)"


def _pair(y_true: ArrayLike, y_pred: ArrayLike) -> tuple[FloatArray, FloatArray]:
    yt = _as_float("y_true", y_true, 3, _WINDOWS)
    yp = _as_float("y_pred", y_pred, 3, _WINDOWS)
    if yt.shape != yp.shape:
        raise DataError(
            f"y_true and y_pred must have the same shape, got {yt.shape} and {yp.shape}"
        )
    return yt, yp


def _axes(per_step: bool) -> tuple[int, ...]:
    return (0,) if per_step else (0, 1)


def _positive_int(name: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise DataError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


# --------------------------------------------------------------------------- point metrics


def mae(y_true: ArrayLike, y_pred: ArrayLike, *, per_step: bool = False) -> FloatArray:
    """Mean absolute error, mean(|y − ŷ|).

    Returns shape ``(n_targets,)``, or ``(horizon, n_targets)`` with ``per_step=True``.
    """
    yt, yp = _pair(y_true, y_pred)
    return np.mean(np.abs(yt - yp), axis=_axes(per_step))


def rmse(y_true: ArrayLike, y_pred: ArrayLike, *, per_step: bool = False) -> FloatArray:
    """Root mean squared error, sqrt(mean((y − ŷ)²)).

    Returns shape ``(n_targets,)``, or ``(horizon, n_targets)`` with ``per_step=True``.
    """
    yt, yp = _pair(y_true, y_pred)
    return np.sqrt(np.mean((yt - yp) ** 2, axis=_axes(per_step)))


def mape(y_true: ArrayLike, y_pred: ArrayLike, *, per_step: bool = False) -> FloatArray:
    """Mean absolute percentage error in percent, mean(100·|y − ŷ| / |y|).

    Points where the actual value ``y`` is exactly 0 are skipped (the ratio is undefined there):
    the mean is taken over the remaining points only. Where every actual value of a target (or of
    a horizon step, with ``per_step=True``) is 0, the result is NaN. Use :func:`smape` or
    :func:`mase` for series that are often zero.

    Returns shape ``(n_targets,)``, or ``(horizon, n_targets)`` with ``per_step=True``.
    """
    yt, yp = _pair(y_true, y_pred)
    nonzero = yt != 0
    ratio = np.divide(100.0 * np.abs(yt - yp), np.abs(yt), out=np.zeros_like(yt), where=nonzero)
    axes = _axes(per_step)
    total = np.sum(ratio, axis=axes)
    count = np.sum(nonzero, axis=axes)
    return np.divide(total, count, out=np.full(total.shape, np.nan), where=count > 0)


def smape(y_true: ArrayLike, y_pred: ArrayLike, *, per_step: bool = False) -> FloatArray:
    """Symmetric MAPE in percent, M-competition definition: mean(200·|y − ŷ| / (|y| + |ŷ|)).

    A point where both ``y`` and ``ŷ`` are 0 counts as a perfect forecast (0). Values lie in
    [0, 200].

    Returns shape ``(n_targets,)``, or ``(horizon, n_targets)`` with ``per_step=True``.
    """
    yt, yp = _pair(y_true, y_pred)
    denom = np.abs(yt) + np.abs(yp)
    ratio = np.divide(200.0 * np.abs(yt - yp), denom, out=np.zeros_like(yt), where=denom > 0)
    return np.mean(ratio, axis=_axes(per_step))


def _insample_scale(insample: ArrayLike, season: int, n_targets: int) -> FloatArray:
    """Mean absolute seasonal difference mean(|x_t − x_{t−m}|) per target of the training data."""
    x = _as_float("insample", insample, 2, "(n_train_steps, n_targets)")
    if x.shape[1] != n_targets:
        raise DataError(
            f"insample has {x.shape[1]} target column(s) but the forecasts have {n_targets}; "
            "pass the training series of the same targets, shape (n_train_steps, n_targets)"
        )
    if x.shape[0] < season + 1:
        raise DataError(
            f"MASE needs at least season + 1 = {season + 1} in-sample steps to form a seasonal "
            f"difference, got {x.shape[0]}; use a longer training series or a smaller season"
        )
    scale = np.mean(np.abs(x[season:] - x[:-season]), axis=0)
    flat = np.flatnonzero(scale == 0)
    if flat.size:
        raise DataError(
            f"MASE is undefined for target column(s) {flat.tolist()}: the in-sample series is "
            f"constant at lag {season} (mean absolute seasonal difference is 0); "
            "report MAE or sMAPE for these targets instead"
        )
    return scale


def mase(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    insample: ArrayLike,
    season: int = 1,
    *,
    per_step: bool = False,
) -> FloatArray:
    """Mean absolute scaled error (Hyndman & Koehler, 2006).

    MAE of the forecasts divided, per target, by the in-sample MAE of the seasonal naive method on
    the training series: ``mean(|x_t − x_{t−m}|)`` over ``t = m..n_train_steps−1`` with
    ``m = season`` (use 1 for non-seasonal data, giving the one-step naive scale). A value below 1
    means the forecasts beat the in-sample seasonal naive method.

    ``insample`` has shape ``(n_train_steps, n_targets)`` in the same units as ``y_true``.

    Raises DataError (rather than returning NaN or inf) when the training series has fewer than
    ``season + 1`` steps, or when a target's in-sample scale is 0 (a series constant at lag
    ``season``): the score would be meaningless, and the message names the targets concerned.

    Returns shape ``(n_targets,)``, or ``(horizon, n_targets)`` with ``per_step=True``.
    """
    m = _positive_int("season", season)
    err = mae(y_true, y_pred, per_step=per_step)
    scale = _insample_scale(insample, m, err.shape[-1])
    return err / scale


# --------------------------------------------------------------------------- baselines


def naive_forecast(last_values: ArrayLike, horizon: int) -> FloatArray:
    """Naive (random-walk) forecast: repeat each window's last observed value for every step.

    ``last_values`` has shape ``(n_windows, n_targets)``; returns ``(n_windows, horizon,
    n_targets)``.
    """
    h = _positive_int("horizon", horizon)
    last = _as_float("last_values", last_values, 2, "(n_windows, n_targets)")
    return np.repeat(last[:, np.newaxis, :], h, axis=1)


def seasonal_naive_forecast(history: ArrayLike, horizon: int, season: int) -> FloatArray:
    """Seasonal naive forecast: each step repeats the value at the same phase of the last season.

    ``history`` has shape ``(n_windows, look_back, n_targets)`` and holds, for each window, the
    most recent observed values before its first target step; ``history[:, -1]`` is ``y_T``.
    Step ``h = 1..horizon`` is forecast as ``ŷ_{T+h} = y_{T+h−m·ceil(h/m)}`` with ``m = season``,
    so for horizons longer than one season the last observed season repeats. With ``season=1``
    this is :func:`naive_forecast`.

    Raises DataError when ``look_back < season`` (a full season of history is needed).
    Returns ``(n_windows, horizon, n_targets)``.
    """
    h = _positive_int("horizon", horizon)
    m = _positive_int("season", season)
    hist = _as_float("history", history, 3, "(n_windows, look_back, n_targets)")
    look_back = hist.shape[1]
    if look_back < m:
        raise DataError(
            f"seasonal naive needs a look-back of at least one season ({m} steps), got "
            f"{look_back}; increase the look-back or use a smaller season"
        )
    steps = np.arange(1, h + 1)
    # index of y_{T+h−m·ceil(h/m)} in history, where y_T sits at look_back − 1
    idx = look_back - 1 + steps - m * np.ceil(steps / m).astype(int)
    return hist[:, idx, :]


# --------------------------------------------------------------------------- intervals


def _conformal_rank(n: int, level: float) -> int:
    """1-based rank ceil((n + 1)·level/100) of the conformal quantile, clipped to [1, n]."""
    # round away binary noise from float levels (e.g. 100 * 0.7 = 70.00000000000001) first
    rank = math.ceil(round((n + 1) * level / 100.0, 9))
    return min(max(rank, 1), n)


def empirical_quantile_intervals(
    residuals: ArrayLike, levels: Sequence[float] = (80, 95)
) -> dict[float, FloatArray]:
    """Split-conformal (empirical) interval half-widths from calibration residuals.

    ``residuals`` has shape ``(n, horizon, n_targets)``: actual − predicted on a calibration set
    the model was not trained on. For each ``level`` (in percent, 1 < level < 100; a fraction such
    as 0.9 is rejected), per horizon step and target, the half-width is the ``k``-th smallest
    absolute residual with ``k = ceil((n + 1)·level/100)``, the finite-sample conformal quantile;
    when ``k > n`` (too few calibration windows for that level) the largest absolute residual is
    used, and the nominal coverage is then not guaranteed. The interval is ``ŷ ± half_width``.

    Returns a dict mapping each level, as given, to an array of shape ``(horizon, n_targets)``.
    """
    res = _as_float("residuals", residuals, 3, _WINDOWS)
    levels = list(levels)
    if not levels:
        raise DataError("levels is empty; pass coverage levels in percent, e.g. (80, 95)")
    for level in levels:
        if isinstance(level, bool) or not isinstance(level, (int, float, np.number)):
            raise DataError(f"interval level must be a number in percent, got {level!r}")
        if 0 < level <= 1:
            raise DataError(
                f"interval level {level!r} looks like a fraction; levels are in percent, "
                f"e.g. {level * 100:g} for a {level * 100:g} % interval"
            )
        if not 1 < level < 100:
            raise DataError(
                f"interval level must be in percent, between 1 and 100 (exclusive), got {level!r}"
            )
    ordered = np.sort(np.abs(res), axis=0)
    n = res.shape[0]
    return {level: ordered[_conformal_rank(n, float(level)) - 1].copy() for level in levels}


def coverage(y_true: ArrayLike, y_pred: ArrayLike, half_width: ArrayLike) -> float:
    """Fraction of points with ``|y − ŷ| ≤ half_width``, i.e. inside ``ŷ ± half_width``.

    ``half_width`` is a scalar, an array of shape ``(horizon, n_targets)`` as returned by
    :func:`empirical_quantile_intervals`, or anything else that broadcasts to ``y_true``.
    """
    yt, yp = _pair(y_true, y_pred)
    try:
        hw = np.asarray(half_width, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise DataError(f"half_width must be numeric: {exc}") from exc
    if np.any(np.isnan(hw)) or np.any(hw < 0):
        raise DataError("half_width must be non-negative and not NaN")
    try:
        inside = np.abs(yt - yp) <= hw
    except ValueError as exc:
        raise DataError(
            f"half_width of shape {hw.shape} does not broadcast to the forecasts' shape "
            f"{yt.shape}; pass a scalar or an array of shape (horizon, n_targets)"
        ) from exc
    return float(np.mean(inside))


# --------------------------------------------------------------------------- seasonality


_FREQ_RE = re.compile(r"^\s*(\d*)\s*([A-Za-z]+)(?:-[A-Za-z]+)?\s*$")
_MONTHLY = {"M", "ME", "MS", "BM", "BME", "BMS", "CBM", "CBME", "CBMS"}
_QUARTERLY = {"Q", "QE", "QS", "BQ", "BQE", "BQS"}
_MINUTES_PER_UNIT = {"h": 60, "H": 60, "min": 1, "T": 1}


def season_from_freq(freq: str | None) -> int:
    """Seasonal period implied by a pandas frequency string (as from ``pandas.infer_freq``).

    ========================================  ======  ======================================
    frequency                                 season  cycle
    ========================================  ======  ======================================
    ``M``, ``ME``, ``MS``, ``BME``, …         12      months in a year
    ``Q``, ``QE``, ``QS``, ``QS-OCT``, …      4       quarters in a year
    ``W``, ``W-SUN``, …                       52      weeks in a year
    ``D``                                     7       days in a week
    ``B`` (business days)                     5       business days in a week
    ``h`` / ``H``                             24      hours in a day
    ``30min`` / ``30T``                       48      half-hours in a day
    anything else, or ``None``                1       no seasonality assumed
    ========================================  ======  ======================================

    Anchors (``-DEC``, ``-SUN``) are ignored. A multiplier divides the cycle when it divides it
    evenly (``2h`` → 12, ``15min`` → 96, ``3MS`` → 4); daily, business-daily and weekly
    frequencies with a multiplier other than 1, and yearly or finer-than-minute frequencies,
    give 1. ``B`` gives 5 rather than 7 because business-day data has no weekend rows.

    A pandas ``DateOffset`` (which future pandas returns from ``infer_freq``) is read through its
    ``freqstr`` attribute.
    """
    if freq is None:
        return 1
    freq = getattr(freq, "freqstr", freq)
    if not isinstance(freq, str):
        return 1
    match = _FREQ_RE.match(freq)
    if match is None:
        return 1
    mult = int(match.group(1)) if match.group(1) else 1
    if mult < 1:
        return 1
    unit = match.group(2)

    def per_cycle(cycle: int) -> int:
        return cycle // mult if cycle % mult == 0 and cycle // mult > 1 else 1

    if unit in _MONTHLY:
        return per_cycle(12)
    if unit in _QUARTERLY:
        return per_cycle(4)
    if unit in _MINUTES_PER_UNIT:
        return per_cycle(24 * 60 // _MINUTES_PER_UNIT[unit])
    if mult == 1:
        return {"W": 52, "D": 7, "B": 5}.get(unit, 1)
    return 1
