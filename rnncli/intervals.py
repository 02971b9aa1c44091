"""Prediction intervals: split-conformal half-widths per forecast step, and what they need.

At train time the networks that never saw the held-out parts forecast the calibration
windows (the validation part; the training windows only with `--calibrate-on train`). Steps
1..horizon come straight from each window's forecast; steps past the horizon are calibrated
the way `predict` makes them: the recursion (forecasts fed back) run from each calibration
origin, its residuals taken per step wherever the calibration part still holds the actual
value. For each level the half-width of a step is the ⌈(n+1)·level/100⌉-th smallest absolute
residual of its n windows (scaled units; `Originals.bounds` applies them in each series' own
units). A level whose rank exceeds n cannot be calibrated by those windows and is refused
with what would give enough, never quietly widened to the largest residual.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from rnncli.errors import DataError

LEVELS = tuple(range(50, 100))
MAX_RECURSIVE_STEPS = 200  # recursive steps calibrated at train time (and --steps refused past)


def needed_windows(level: float) -> int:
    """The fewest calibration windows n with ⌈(n+1)·level/100⌉ ≤ n."""
    n = max(1, math.floor(level / (100.0 - level)) - 1)
    while math.ceil(round((n + 1) * level / 100.0, 9)) > n:
        n += 1
    return n


def max_level(n: int) -> int:
    """The highest whole level (50..99) that n calibration windows support; 0 if none."""
    return max((lv for lv in LEVELS if needed_windows(lv) <= n), default=0)


def _widths(residuals: np.ndarray) -> tuple[list[int], dict[str, list[Any]]]:
    """Per step the windows with a residual, and per level the half-widths (None: too few).

    `residuals` (n, steps, T), NaN where a window has no actual at that step.
    """
    absolute = np.abs(residuals)
    counts = (~np.isnan(absolute[:, :, 0])).sum(axis=0).astype(int).tolist()
    ordered = np.sort(absolute, axis=0)  # NaN sort last
    levels: dict[str, list[Any]] = {}
    for level in LEVELS:
        per_step: list[Any] = []
        for j, n in enumerate(counts):
            k = math.ceil(round((n + 1) * level / 100.0, 9))
            per_step.append(ordered[k - 1, j].tolist() if 1 <= k <= n else None)
        levels[str(level)] = per_step
    return counts, levels


def calibrate(
    direct: np.ndarray,
    recursive: np.ndarray | None,
    *,
    source: str,
    n_series: int,
    horizon: int,
    stride: int,
) -> dict[str, Any]:
    """calibration.json: the direct widths of steps 1..horizon from `direct` residuals
    (n, horizon, T) and, when given, the recursive ones of the steps past the horizon from
    `recursive` (n, steps - horizon, T; NaN where the calibration part ends)."""
    _, levels = _widths(direct)
    out: dict[str, Any] = {
        "n": len(direct),
        "units": "scaled",
        "source": source,
        "series": n_series,
        "horizon": horizon,
        "stride": stride,
        # every window has all its horizon steps: one count, and a level either has all
        # its steps or none
        "levels": {k: v for k, v in levels.items() if all(w is not None for w in v)},
    }
    if recursive is not None and recursive.shape[1]:
        rec_counts, rec_levels = _widths(recursive)
        out["recursive"] = {"n": rec_counts, "levels": rec_levels}
    return out


def empty(source: str, n_series: int, horizon: int, stride: int) -> dict[str, Any]:
    """calibration.json of a model without calibration windows."""
    return {
        "n": 0,
        "units": "scaled",
        "source": source,
        "series": n_series,
        "horizon": horizon,
        "stride": stride,
        "levels": {},
    }


def val_size_for(calibration: dict[str, Any], windows: int, step: int) -> int:
    """The --val-size (steps per series) whose validation windows give `windows` residuals at
    0-based `step` (< horizon: direct; past it, the recursion's)."""
    series = max(1, int(calibration.get("series") or 1))
    stride = max(1, int(calibration.get("stride") or 1))
    horizon = int(calibration.get("horizon") or 1)
    per_series = math.ceil(windows / series)
    return max(horizon, step + 1) + (per_series - 1) * stride


def _source(calibration: dict[str, Any]) -> str:
    return "training" if calibrated_on_training(calibration) else "validation"


def widths(calibration: dict[str, Any], level: int, steps: int, horizon: int) -> np.ndarray:
    """Half-widths (steps, T) in scaled units of the `level` % interval, or a DataError that
    says how many calibration windows there are and what would give enough."""
    n = int(calibration.get("n", 0))
    if n == 0:
        raise DataError(
            "the model has no validation windows to calibrate --intervals on; retrain with "
            "--val-size N (steps per series; e.g. --val-size "
            f"{val_size_for(calibration, needed_windows(level), horizon - 1)}), or with "
            "--calibrate-on train (training residuals: intervals too narrow)"
        )
    need = needed_windows(level)
    key = str(int(level))
    direct = calibration.get("levels", {}).get(key)
    if n < need or direct is None:
        top = max_level(n)
        instead = f", or ask for levels up to {top}" if top else ""
        raise DataError(
            f"--intervals {level} needs at least {need} calibration windows; the model has "
            f"{n} ({_source(calibration)} windows); retrain with --val-size "
            f"{val_size_for(calibration, need, horizon - 1)} or more{instead}"
        )
    out = np.asarray(direct, dtype=np.float64)
    if steps <= horizon:
        return out[:steps]
    recursive = calibration.get("recursive")
    if recursive is None:  # a model from before recursive calibration: the last step's width
        return out[np.minimum(np.arange(steps), horizon - 1)]
    rec = recursive["levels"].get(key, [])
    ok = 0
    while ok < min(steps - horizon, len(rec)) and rec[ok] is not None:
        ok += 1
    if ok < steps - horizon:
        counts = recursive["n"]
        have = counts[ok] if ok < len(counts) else 0
        raise DataError(
            f"--intervals {level} at step {horizon + ok + 1} (past the horizon {horizon}, "
            f"recursive) needs {need} calibration windows that reach it; the "
            f"{_source(calibration)} part has {have}; ask for --steps {horizon + ok} or "
            f"fewer, or retrain with --val-size "
            f"{val_size_for(calibration, need, steps - 1)} or more"
        )
    return np.concatenate([out, np.asarray(rec[: steps - horizon], dtype=np.float64)])


def reused_last_width(calibration: dict[str, Any], steps: int, horizon: int) -> bool:
    """True when steps past the horizon reuse the last step's width (an older model)."""
    return steps > horizon and "recursive" not in calibration


def summary(calibration: dict[str, Any]) -> str:
    """One line for train: the levels the calibration windows support, and what gives 95 %."""
    n = int(calibration.get("n", 0))
    top = max_level(n)
    line = f"intervals: {n} {_source(calibration)} windows calibrate levels up to {top} %"
    if top < 95:
        horizon = int(calibration.get("horizon") or 1)
        line += f"; 95 % needs --val-size {val_size_for(calibration, 19, horizon - 1)}"
    return line


def calibrated_on_training(calibration: dict[str, Any]) -> bool:
    # rnncli before 0.3 wrote "train (no validation windows: too narrow)"
    return str(calibration.get("source", "")).startswith("train")


__all__ = [
    "LEVELS",
    "MAX_RECURSIVE_STEPS",
    "calibrate",
    "calibrated_on_training",
    "empty",
    "max_level",
    "needed_windows",
    "reused_last_width",
    "summary",
    "val_size_for",
    "widths",
]
