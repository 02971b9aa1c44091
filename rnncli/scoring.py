"""Held-out accuracy beside naive baselines, and the coverage of the intervals.

All metrics are computed in original units: forecasts leave the network's space through
`Originals.to_original` (scaling undone, then `--difference` undone), and the targets and
both baselines come from the original series (`Originals.baselines`): naive repeats each
window's last observed value, seasonal naive its last observed season. MASE divides by each
series' in-sample mean absolute seasonal difference over its training part.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from rnncli import intervals, metrics
from rnncli.errors import DataError
from rnncli.originals import Originals

# an actual this close to zero (relative to the series' mean absolute training value) makes
# the percentage error of that point explode: such a series is left out of MAPE
NEAR_ZERO = 0.01
METRICS = ("mae", "rmse", "mape", "smape", "mase")


@dataclass(frozen=True)
class SeriesScores:
    """One series' metrics per method, each an array (n_targets,); NaN where undefined."""

    by_method: dict[str, dict[str, np.ndarray]]
    notes: list[str]  # per target: why a metric is undefined ('' when all are defined)


def _mase_reason(insample: np.ndarray, season: int, t: int) -> str:
    x = insample[:, t]
    if len(x) < season + 1:
        return f"MASE undefined: training part of {len(x)} steps is too short for season {season}"
    return f"MASE undefined: training part constant at lag {season}"


def _series_scores(
    y_true: np.ndarray,
    forecasts: dict[str, np.ndarray],
    insample: np.ndarray,
    season: int,
) -> SeriesScores:
    """Metrics of one series' windows (n, horizon, T) for every method."""
    n_targets = y_true.shape[-1]
    level = np.mean(np.abs(insample), axis=0) if len(insample) else np.zeros(n_targets)
    near_zero = np.any(np.abs(y_true) <= NEAR_ZERO * level, axis=(0, 1))
    mase_ok = np.ones(n_targets, dtype=bool)
    by_method: dict[str, dict[str, np.ndarray]] = {}
    for name, fc in forecasts.items():
        try:
            mase = metrics.mase(y_true, fc, insample, season)
        except DataError:  # a training part too short for the season, or constant
            mase, mase_ok = np.full(n_targets, np.nan), np.zeros(n_targets, dtype=bool)
        by_method[name] = {
            "mae": metrics.mae(y_true, fc),
            "rmse": metrics.rmse(y_true, fc),
            "mape": np.where(near_zero, np.nan, metrics.mape(y_true, fc)),
            "smape": metrics.smape(y_true, fc),
            "mase": mase,
        }
    notes = []
    for t in range(n_targets):
        why = []
        if near_zero[t]:
            why.append("MAPE left out: actuals near zero (see MASE)")
        if not mase_ok[t]:
            why.append(_mase_reason(insample, season, t))
        notes.append("; ".join(why))
    return SeriesScores(by_method, notes)


def _ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.divide(a, b, out=np.full(a.shape, np.nan), where=b > 0)


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
    units (`insample_targets`). Each series is scored on its own windows; the "all" row is
    the mean over series of each series' metric (the M-competition convention: every series
    counts once, whatever its scale or number of windows), over the series where the metric
    is defined (`n_series` says how many); a series' `note` says why one is not.
    """
    if len(at) == 0:
        return []
    horizon = y_pred_scaled.shape[1]
    y_true = originals.targets(series, at, horizon)
    forecasts = {"model": originals.to_original(y_pred_scaled, series, at)}
    forecasts.update(originals.baselines(series, at, horizon, season))
    present = [int(s) for s in np.unique(series)]
    each = {}
    for s in present:
        sel = series == s
        each[s] = _series_scores(
            y_true[sel], {k: v[sel] for k, v in forecasts.items()}, insample[s], season
        )
    windows = {s: int((series == s).sum()) for s in present}
    rows: list[dict[str, Any]] = []
    groups: list[tuple[str, list[int]]] = [("all", present)]
    if per_series and len(ids) > 1:
        groups += [(ids[s], [s]) for s in present]
    for t, target in enumerate(targets):
        for group, members in groups:
            values = {
                name: {
                    k: np.array([each[s].by_method[name][k][t] for s in members]) for k in METRICS
                }
                for name in forecasts
            }
            for name in forecasts:
                row: dict[str, Any] = {"series": group, "target": target, "method": name}
                row["windows"] = sum(windows[s] for s in members)
                row["n_series"] = len(members)
                for k in METRICS:
                    v = values[name][k]
                    row[k] = float(np.mean(v[~np.isnan(v)])) if (~np.isnan(v)).any() else None
                if name == "model":
                    for base in ("naive", "seasonal_naive"):
                        if base in values:
                            ratio = _ratio(values["model"]["mae"], values[base]["mae"])
                            ok = ~np.isnan(ratio)
                            row[f"mae_vs_{base}"] = float(ratio[ok].mean()) if ok.any() else None
                    row["note"] = _group_note(members, each, t, ids, group)
                rows.append(row)
    return rows


def _group_note(
    members: list[int], each: dict[int, SeriesScores], t: int, ids: list[str], group: str
) -> str:
    """Why a series' metric is missing; for "all", how many series each mean leaves out."""
    if group != "all" or len(members) == 1:
        return each[members[0]].notes[t]
    n = len(members)
    parts = []
    no_mape = [ids[s] for s in members if "MAPE left out" in each[s].notes[t]]
    no_mase = [ids[s] for s in members if "MASE undefined" in each[s].notes[t]]
    if no_mape:
        parts.append(
            f"MAPE over {n - len(no_mape)} of {n} series ({len(no_mape)} with actuals near "
            f"zero, where MAPE explodes: see MASE)"
        )
    if no_mase:
        parts.append(f"MASE over {n - len(no_mase)} of {n} series ({len(no_mase)} undefined)")
    return "; ".join(parts)


def notes(rows: list[dict[str, Any]], limit: int = 10) -> list[str]:
    """The notes of the model rows ("series · target: why"), the "all" rows first; past
    `limit` series notes, how many more there are."""
    noted = [r for r in rows if r.get("method") == "model" and r.get("note")]
    noted.sort(key=lambda r: r["series"] != "all")
    lines = [f"{r['series']} · {r['target']}: {r['note']}" for r in noted[:limit]]
    if len(noted) > limit:
        lines.append(f"... and {len(noted) - limit} more notes (--format json shows them all)")
    return lines


def insample_targets(originals: Originals, n_train: list[int]) -> list[np.ndarray]:
    """Training-part target values (original units) of each series, in `originals` order.

    With --difference the training part starts `lag` rows into the series: those rows count too.
    """
    return [v[: n + originals.lag] for v, n in zip(originals.values, n_train, strict=True)]


def coverage_rows(
    originals: Originals,
    y_pred_scaled: np.ndarray,
    series: np.ndarray,
    at: np.ndarray,
    calibration: dict[str, Any],
    levels: list[int],
    ids: list[str] | None = None,
) -> list[dict[str, Any]]:
    """Share (%) of test points inside each interval, overall and (given `ids` of a panel)
    per series; the intervals are those `predict` gives (`Originals.bounds`), calibrated on
    windows that never saw the test part."""
    horizon = y_pred_scaled.shape[1]
    y_true = originals.targets(series, at, horizon)
    groups: list[tuple[str, np.ndarray]] = [("all", np.ones(len(at), dtype=bool))]
    if ids is not None and len(ids) > 1:
        groups += [(ids[s], series == s) for s in np.unique(series)]
    source = "training" if intervals.calibrated_on_training(calibration) else "validation"
    out = []
    for level in levels:
        half = intervals.widths(calibration, level, horizon, horizon)
        lo, hi = originals.bounds(y_pred_scaled, series, at, half)
        inside = (y_true >= lo) & (y_true <= hi)
        for group, sel in groups:
            points = inside[sel]
            out.append(
                {
                    "series": group,
                    "level": level,
                    "coverage": 100.0 * float(points.mean()) if points.size else None,
                    "points": int(points.size),
                    "calibration_windows": int(calibration["n"]),
                    "calibrated_on": source,
                }
            )
    return out
