"""Held-out accuracy beside naive baselines, and interval calibration.

All metrics are computed in original units (scaling undone). The naive
forecast repeats each window's last observed value; the seasonal naive one
repeats the last observed season. Both are computed on the very windows the
model is scored on. MASE divides by each series' in-sample mean absolute
seasonal difference over its training part.

With `--difference N` the windows hold differences: forecasts are returned to original units
with `differencing.reconstruct` (`to_original`), the targets are the original values, and the
baselines come from the original series (`original_baselines`), so they are the same numbers
as without differencing on the same target steps.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rnncli import metrics
from rnncli.dataset import Dataset
from rnncli.differencing import reconstruct
from rnncli.errors import DataError
from rnncli.inference import align_right, last_real

LEVELS = tuple(range(50, 100))


def baselines(ds: Dataset, idx: np.ndarray, season: int) -> dict[str, np.ndarray | None]:
    """Naive and seasonal-naive forecasts (scaled units) for windows idx."""
    n_targets = ds.y.shape[-1]
    horizon = ds.y.shape[1]
    mask = ds.mask[idx] if ds.mask is not None else None
    x = ds.x[idx]
    out: dict[str, np.ndarray | None] = {
        "naive": metrics.naive_forecast(last_real(x, mask)[:, :n_targets], horizon)
    }
    look_back = x.shape[1]
    out["seasonal_naive"] = (
        metrics.seasonal_naive_forecast(align_right(x, mask)[:, :, :n_targets], horizon, season)
        if season > 1 and look_back >= season
        else None
    )
    return out


def original_baselines(ds: Dataset, idx: np.ndarray, season: int) -> dict[str, np.ndarray | None]:
    """Naive and seasonal-naive forecasts in original units from the original series.

    For a window whose first target is original row t: naive = y[t-1] for every step, seasonal
    naive step h (0-based) = y[t + h - m*ceil((h+1)/m)]. Under the same condition as
    `baselines` (season > 1 and look_back >= season), else None.
    """
    horizon = ds.y.shape[1]
    look_back = ds.x.shape[1]
    out: dict[str, np.ndarray | None] = {
        "naive": np.repeat(ds.original_history(idx, 1), horizon, axis=1)
    }
    if season > 1 and look_back >= season:
        last = ds.original_history(idx, season)  # y[t-m] .. y[t-1]
        out["seasonal_naive"] = last[:, np.arange(horizon) % season]
    else:
        out["seasonal_naive"] = None
    return out


def to_original(ds: Dataset, y_pred_scaled: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Forecasts of windows idx (scaled units, differenced with --difference) in original units."""
    pred = ds.scaler.inverse_targets(y_pred_scaled, ds.series[idx])
    if not ds.lag:
        return pred
    return reconstruct(pred, ds.original_history(idx, ds.lag))


def _scores(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    insample: list[np.ndarray],
    which: np.ndarray,
    season: int,
) -> dict[str, np.ndarray]:
    """Metric arrays (n_targets,) over windows whose series index (into insample) is `which`."""
    out = {
        "mae": metrics.mae(y_true, y_pred),
        "rmse": metrics.rmse(y_true, y_pred),
        "mape": metrics.mape(y_true, y_pred),
        "smape": metrics.smape(y_true, y_pred),
    }
    # MASE: per series, then weighted by the number of windows (= scaled errors pooled)
    parts, weights = [], []
    for s in np.unique(which):
        rows = which == s
        try:
            parts.append(metrics.mase(y_true[rows], y_pred[rows], insample[s], season))
            weights.append(rows.sum())
        except DataError:
            continue  # MASE undefined for this series (too short or constant): left out
    out["mase"] = (
        np.average(np.array(parts), axis=0, weights=weights)
        if parts
        else np.full(y_true.shape[-1], np.nan)
    )
    return out


def score(
    ds: Dataset,
    y_pred_scaled: np.ndarray,
    idx: np.ndarray,
    insample: list[np.ndarray],
    season: int,
    targets: list[str],
    per_series: bool = False,
) -> list[dict[str, Any]]:
    """Rows of metrics: per target (and per series when asked), model beside baselines."""
    if len(idx) == 0:
        return []
    series = ds.series[idx]
    inverse = ds.scaler.inverse_targets
    y_true = ds.original_targets(idx)
    forecasts = {"model": to_original(ds, y_pred_scaled, idx)}
    if ds.lag:
        forecasts.update(
            {k: v for k, v in original_baselines(ds, idx, season).items() if v is not None}
        )
    else:
        for name, fc in baselines(ds, idx, season).items():
            if fc is not None:
                forecasts[name] = inverse(fc, series)
    groups: list[tuple[str, np.ndarray]] = [("all", np.ones(len(idx), dtype=bool))]
    if per_series and len(ds.series_ids) > 1:
        groups += [(ds.series_ids[s], series == s) for s in np.unique(series)]
    rows: list[dict[str, Any]] = []
    for group, sel in groups:
        scores = {
            name: _scores(y_true[sel], fc[sel], insample, series[sel], season)
            for name, fc in forecasts.items()
        }
        for t, target in enumerate(targets):
            for name, sc in scores.items():
                row: dict[str, Any] = {"series": group, "target": target, "method": name}
                row["windows"] = int(sel.sum())
                row.update({k: float(v[t]) for k, v in sc.items()})
                if name == "model":
                    for base in ("naive", "seasonal_naive"):
                        if base in scores:
                            row[f"mae_vs_{base}"] = float(sc["mae"][t] / scores[base]["mae"][t])
                rows.append(row)
    return rows


def insample_targets(panel_series: dict[str, np.ndarray], ds: Dataset, n_targets: int) -> list:
    """Training-part target values (original units) of each series of ds, in ds order.

    With --difference the training part starts `lag` rows into the series: those rows count too.
    """
    return [
        panel_series[sid][: ds.sizes["train"][i] + ds.lag, :n_targets]
        for i, sid in enumerate(ds.series_ids)
    ]


def calibrate(y_true_scaled: np.ndarray, y_pred_scaled: np.ndarray) -> dict[str, Any]:
    """Half-widths (scaled units) of conformal intervals for levels 50..99 from residuals.

    With --difference these are residuals of the scaled differences: `predict` applies them
    around the forecast in original units without the compounding that the reconstruction
    (each step beyond the lag builds on an earlier forecast step) adds, so the intervals of
    steps beyond the lag are narrower than they should be.
    """
    widths = metrics.empirical_quantile_intervals(y_true_scaled - y_pred_scaled, LEVELS)
    return {
        "n": len(y_true_scaled),
        "units": "scaled",
        "levels": {str(int(k)): v.tolist() for k, v in widths.items()},
    }


def half_widths(calibration: dict[str, Any], level: float) -> np.ndarray:
    key = str(int(level))
    if key not in calibration["levels"] or level != int(level):
        raise DataError(f"interval level {level} is not available; use whole numbers 50 to 99")
    return np.array(calibration["levels"][key])


def coverage_rows(
    ds: Dataset,
    y_pred_scaled: np.ndarray,
    idx: np.ndarray,
    calibration: dict[str, Any],
    levels: list[float],
) -> list[dict[str, Any]]:
    """Share of test points inside each interval (they never saw the test part).

    With --difference, the intervals `predict` gives: the forecast in original units plus or
    minus the half-widths times each series' scale.
    """
    if ds.lag:
        scale = ds.scaler.scale[ds.series[idx], : ds.y.shape[-1]][:, None, :]
        y_true = ds.original_targets(idx) / scale
        y_pred = to_original(ds, y_pred_scaled, idx) / scale
    else:
        y_true, y_pred = ds.y[idx], y_pred_scaled
    return [
        {
            "level": level,
            "coverage": 100.0 * metrics.coverage(y_true, y_pred, half_widths(calibration, level)),
            "calibration_windows": calibration["n"],
        }
        for level in levels
    ]
