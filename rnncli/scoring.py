"""Held-out accuracy beside naive baselines, and interval calibration.

All metrics are computed in original units: forecasts leave the network's space through
`Originals.to_original` (scaling undone, then `--difference` undone), and the targets and
both baselines come from the original series (`Originals.baselines`): naive repeats each
window's last observed value, seasonal naive its last observed season. MASE divides by each
series' in-sample mean absolute seasonal difference over its training part.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rnncli import metrics
from rnncli.errors import DataError
from rnncli.originals import Originals

LEVELS = tuple(range(50, 100))


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
    originals: Originals,
    y_pred_scaled: np.ndarray,
    series: np.ndarray,
    at: np.ndarray,
    *,
    ids: list[str],
    insample: list[np.ndarray],
    season: int,
    targets: list[str],
    per_series: bool = False,
) -> list[dict[str, Any]]:
    """Rows of metrics: per target (and per series when asked), model beside baselines.

    Windows are (series, origin) pairs; `insample` is each series' training part in original
    units (`insample_targets`).
    """
    if len(at) == 0:
        return []
    horizon = y_pred_scaled.shape[1]
    y_true = originals.targets(series, at, horizon)
    forecasts = {"model": originals.to_original(y_pred_scaled, series, at)}
    forecasts.update(originals.baselines(series, at, horizon, season))
    groups: list[tuple[str, np.ndarray]] = [("all", np.ones(len(at), dtype=bool))]
    if per_series and len(ids) > 1:
        groups += [(ids[s], series == s) for s in np.unique(series)]
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


def insample_targets(originals: Originals, n_train: list[int]) -> list[np.ndarray]:
    """Training-part target values (original units) of each series, in `originals` order.

    With --difference the training part starts `lag` rows into the series: those rows count too.
    """
    return [v[: n + originals.lag] for v, n in zip(originals.values, n_train, strict=True)]


def calibrate(y_true_scaled: np.ndarray, y_pred_scaled: np.ndarray) -> dict[str, Any]:
    """Half-widths (scaled units) of conformal intervals for levels 50..99 from residuals.

    With --difference these are residuals of the scaled differences: `predict` applies them
    around the rebuilt forecast (`Originals.bounds`) without the compounding that the
    reconstruction (each step beyond the lag builds on an earlier forecast step) adds, so the
    intervals of steps beyond the lag are narrower than they should be.
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
    originals: Originals,
    y_pred_scaled: np.ndarray,
    series: np.ndarray,
    at: np.ndarray,
    calibration: dict[str, Any],
    levels: list[float],
) -> list[dict[str, Any]]:
    """Share of test points inside each interval (they never saw the test part).

    The intervals are those `predict` gives (`Originals.bounds`).
    """
    horizon = y_pred_scaled.shape[1]
    y_true = originals.targets(series, at, horizon)
    out = []
    for level in levels:
        lo, hi = originals.bounds(y_pred_scaled, series, at, half_widths(calibration, level))
        inside = (y_true >= lo) & (y_true <= hi)
        out.append(
            {
                "level": level,
                "coverage": 100.0 * float(inside.mean()) if inside.size else float("nan"),
                "calibration_windows": calibration["n"],
            }
        )
    return out
