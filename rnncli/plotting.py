"""Pictures of forecasts (`predict --plot`) and of the test part (`evaluate --plot`).

matplotlib is imported here only, inside the functions, and only its object API (`Figure`,
no pyplot state, the Agg canvas): `--plot` is the only path that loads it, and TensorFlow
never. The figure functions are pure (data in, `Figure` out) so tests can read their lines
and titles; `save_png` writes the file atomically.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from rnncli.atomic import atomic_open
from rnncli.errors import DataError

if TYPE_CHECKING:
    from rnncli.evaluate import EvalReport
    from rnncli.predict import Forecast

WIDTH, HEIGHT, DPI = 10.0, 4.0, 100  # 1000 x 400 pixels for one series
MAX_PANELS = 6  # series drawn when none is chosen with --series
MAX_ORIGINS = 20  # forecast origins drawn as faded lines (evenly spaced, the last included)
ACTUAL, FORECAST, BAND = "black", "tab:blue", "tab:blue"


@dataclass(frozen=True)
class ForecastPlot:
    """One series for `predict --plot`: recent history, the forecast, its bands."""

    name: str
    history_t: np.ndarray
    history_y: np.ndarray
    t: np.ndarray
    y: np.ndarray
    bands: dict[int, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)


@dataclass(frozen=True)
class HeldOutPlot:
    """One series for `evaluate --plot`: context and test actuals, the forecasts of each
    origin (or with horizon 1 the one-step-ahead path) and the interval band."""

    name: str
    context_t: np.ndarray
    context_y: np.ndarray
    actual_t: np.ndarray
    actual_y: np.ndarray
    origins: list[tuple[np.ndarray, np.ndarray]]  # per origin drawn: (times, forecast)
    n_origins: int  # origins scored (len(origins) may be a subsample)
    band: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None  # (times, lo, hi)
    band_label: str = ""


def _figure(n: int) -> tuple[Any, list[Any]]:
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise DataError("--plot needs matplotlib: pip install matplotlib") from None
    cols = min(n, 3) if n > 1 else 1
    rows = math.ceil(n / cols)
    height = HEIGHT if rows == 1 else 0.6 + 2.8 * rows
    fig = Figure(figsize=(WIDTH, height), dpi=DPI, layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False).ravel().tolist()
    for ax in axes[n:]:
        ax.set_visible(False)
    return fig, axes[:n]


def _time_axis(ax: Any, t: np.ndarray, small: bool) -> None:
    if np.issubdtype(np.asarray(t).dtype, np.datetime64):
        import matplotlib.dates as mdates

        locator = mdates.AutoDateLocator()  # type: ignore[no-untyped-call]
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))  # type: ignore[no-untyped-call]
    ax.grid(True, color="0.9", lw=0.6)
    ax.tick_params(labelsize=7 if small else 9)


def forecast_figure(
    plots: Sequence[ForecastPlot], *, target: str, time_label: str, title: str
) -> Any:
    """History, forecast and interval bands, one small panel per series."""
    fig, axes = _figure(len(plots))
    small = len(plots) > 1
    for ax, p in zip(axes, plots, strict=True):
        ax.plot(p.history_t, p.history_y, color=ACTUAL, lw=1.2, label="history")
        for i, (level, (lo, hi)) in enumerate(sorted(p.bands.items(), reverse=True)):
            ax.fill_between(
                p.t, lo, hi, color=BAND, alpha=0.15 + 0.12 * i, lw=0, label=f"{level} % interval"
            )
        # the forecast joined to the last observation, so that the line does not start in air
        ax.plot(
            np.concatenate([p.history_t[-1:], p.t]),
            np.concatenate([p.history_y[-1:], p.y]),
            color=FORECAST,
            lw=1.6,
            marker="o" if len(p.t) <= 40 else None,
            ms=2.5,
            label="forecast",
        )
        ax.set_title(p.name if small else f"{p.name}: {title}", fontsize=9 if small else 11)
        _time_axis(ax, p.history_t, small)
    return _labels(fig, axes, target, time_label, title)


def heldout_figure(
    plots: Sequence[HeldOutPlot], *, target: str, time_label: str, title: str
) -> Any:
    """The test part with some context: actuals, the forecasts and the interval band."""
    fig, axes = _figure(len(plots))
    small = len(plots) > 1
    for ax, p in zip(axes, plots, strict=True):
        ax.plot(p.context_t, p.context_y, color="0.55", lw=1.0, label="before the test part")
        if p.band is not None:
            bt, lo, hi = p.band
            ax.fill_between(bt, lo, hi, color=BAND, alpha=0.18, lw=0, label=p.band_label)
        one_path = len(p.origins) == 1 and len(p.origins[0][0]) > 1 and p.n_origins > 1
        for i, (t, y) in enumerate(p.origins):
            faded = not one_path and len(p.origins) > 1
            ax.plot(
                t,
                y,
                color=FORECAST,
                lw=0.8 if faded else 1.5,
                alpha=0.45 if faded else 1.0,
                label=None if i else _origins_label(p, one_path, small),
            )
        ax.plot(p.actual_t, p.actual_y, color=ACTUAL, lw=1.4, label="actual (test part)")
        if len(p.actual_t):
            ax.axvline(p.actual_t[0], color="0.6", lw=0.8, ls="--")
        origins = f"{p.n_origins} forecast origin{'s' if p.n_origins > 1 else ''}"
        ax.set_title(
            f"{p.name} ({origins})" if small else f"{p.name}: {title}, {origins}",
            fontsize=9 if small else 11,
        )
        _time_axis(ax, p.context_t if len(p.context_t) else p.actual_t, small)
    return _labels(fig, axes, target, time_label, title)


def _labels(fig: Any, axes: list[Any], target: str, time_label: str, title: str) -> Any:
    """Axis labels and the legend; for several panels a title over them all, the time label
    under the bottom row (above the legend) and the target's at the side."""
    small = len(axes) > 1
    if not small:
        axes[0].set_xlabel(time_label)
        axes[0].set_ylabel(target)
    _legend(fig, axes, small)
    if small:
        fig.suptitle(f"{target}: {title}", fontsize=11)
        for ax in axes[-min(3, len(axes)) :]:
            ax.set_xlabel(time_label, fontsize=8)
        fig.supylabel(target, fontsize=9)
    return fig


def _legend(fig: Any, axes: list[Any], small: bool) -> None:
    """One legend: inside the plot for one series, below the panels for several (where it
    covers no data)."""
    if not small:
        axes[0].legend(loc="best", fontsize=8, framealpha=0.85)
        return
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=len(labels), fontsize=8)


def _origins_label(p: HeldOutPlot, one_path: bool, small: bool) -> str:
    if one_path:
        return "forecast (one step ahead from each origin)"
    if small:  # one legend for every panel
        return f"forecast from each origin (at most {MAX_ORIGINS} drawn)"
    if len(p.origins) == 1:
        return "forecast"
    every = "" if len(p.origins) == p.n_origins else f", {len(p.origins)} of {p.n_origins} shown"
    return f"forecast from each origin{every}"


def save_png(fig: Any, path: Path) -> None:
    """Write the figure as a PNG with `atomic.atomic_open`: the old file or the whole new one."""
    path = Path(path)
    if path.is_dir():
        raise DataError(f"cannot write the plot to {path}: it is a directory")
    try:
        with atomic_open(path) as stream:
            fig.savefig(stream, format="png", dpi=DPI)
    except OSError as exc:
        raise DataError(f"cannot write the plot to {path}: {exc.strerror or exc}") from None


def pick(ids: Sequence[str], chosen: Sequence[str]) -> list[int]:
    """Positions of the series to draw: those chosen (--series), else the first MAX_PANELS."""
    if not chosen:
        return list(range(min(len(ids), MAX_PANELS)))
    where = {sid: i for i, sid in enumerate(ids)}
    unknown = [c for c in chosen if c not in where]
    if unknown:
        known = ", ".join(list(ids)[:10]) + (", …" if len(ids) > 10 else "")
        raise DataError(f"--series {unknown[0]} is not in the data; its series are {known}")
    return [where[c] for c in dict.fromkeys(chosen)]


# ---- from a forecast and from an evaluation ---------------------------------------------------


def _name(ids: Sequence[str], s: int, id_col: str | None, target: str) -> str:
    return str(ids[s]) if id_col is not None else target


def forecast_figure_of(fc: Forecast, chosen: Sequence[str] = ()) -> tuple[Any, list[str]]:
    """The figure of `predict --plot` (first target), and the notes on what it shows."""
    prep = fc.prep
    if prep is None:
        raise DataError("this forecast holds no history to plot")
    target = fc.targets[0]
    picks = pick(prep.ids, chosen)
    table = fc.table
    plots = []
    for s in picks:
        rows = table[table[fc.id_col] == prep.ids[s]] if fc.id_col is not None else table
        t, v = prep.times[s], prep.originals.values[s][:, 0]
        keep = min(len(t), max(4 * fc.steps, 24))
        plots.append(
            ForecastPlot(
                _name(prep.ids, s, fc.id_col, target),
                t[-keep:],
                v[-keep:],
                rows[fc.time_col].to_numpy(),
                rows[target].to_numpy(dtype=float),
                {
                    lv: (
                        rows[f"{target}_lo{lv}"].to_numpy(dtype=float),
                        rows[f"{target}_hi{lv}"].to_numpy(dtype=float),
                    )
                    for lv in fc.levels
                },
            )
        )
    notes = _shown(prep.ids, picks, chosen, fc.targets)
    title = f"forecast of the next {fc.steps} steps"
    return forecast_figure(plots, target=target, time_label=fc.time_col, title=title), notes


def _shown(
    ids: Sequence[str], picks: list[int], chosen: Sequence[str], targets: Sequence[str]
) -> list[str]:
    notes = []
    if len(ids) > len(picks) and not chosen:
        notes.append(f"--plot: {len(picks)} of {len(ids)} series drawn; choose with --series ID")
    if len(targets) > 1:
        notes.append(f"--plot: the first target ({targets[0]}) drawn")
    return notes


def heldout_figure_of(
    report: EvalReport,
    *,
    targets: Sequence[str],
    time_label: str,
    id_col: str | None,
    calibration: dict[str, Any] | None,
    chosen: Sequence[str] = (),
    level: int = 80,
) -> tuple[Any, list[str]]:
    """The figure of `evaluate --plot` (first target), and the notes on what it shows."""
    from rnncli import intervals

    prep, originals = report.prep, report.prep.originals
    horizon = report.y_pred_scaled.shape[1]
    pred = originals.to_original(report.y_pred_scaled, report.series, report.at)
    band = None
    notes: list[str] = []
    if calibration:
        try:
            half = intervals.widths(calibration, level, horizon, horizon)
            band = originals.bounds(report.y_pred_scaled, report.series, report.at, half)
        except DataError as exc:
            notes.append(f"--plot: no interval band: {exc}")
    present = [str(prep.ids[s]) for s in dict.fromkeys(report.series.tolist())]
    if chosen:
        pick(present, chosen)  # an error naming the series scored
    picks = [prep.ids.index(sid) for sid in (chosen if chosen else present[:MAX_PANELS])]
    plots = []
    for s in picks:
        sel = np.flatnonzero(report.series == s)
        first_rows = report.at[sel] + originals.lag
        t, v = prep.times[s], originals.values[s][:, 0]
        start, end = int(first_rows.min()), int(first_rows.max()) + horizon
        context = max((end - start) // 2, 2 * horizon, 12)
        lo_row = max(0, start - context)
        if horizon == 1:
            origins = [(t[first_rows], pred[sel, 0, 0])]
            b = (t[first_rows], band[0][sel, 0, 0], band[1][sel, 0, 0]) if band else None
            label = f"{level} % interval"
        else:
            shown = np.unique(np.linspace(0, len(sel) - 1, min(len(sel), MAX_ORIGINS)).round())
            origins = [
                (t[first_rows[i] : first_rows[i] + horizon], pred[sel[i], :, 0])
                for i in shown.astype(int)
            ]
            last = sel[-1]
            rows = slice(int(first_rows[-1]), int(first_rows[-1]) + horizon)
            b = (t[rows], band[0][last, :, 0], band[1][last, :, 0]) if band else None
            label = f"{level} % interval (last origin)"
        plots.append(
            HeldOutPlot(
                _name(prep.ids, s, id_col, targets[0]),
                t[lo_row : start + 1],
                v[lo_row : start + 1],
                t[start:end],
                v[start:end],
                origins,
                len(sel),
                b,
                label,
            )
        )
    notes += _shown(present, picks, chosen, targets)
    title = f"test part (horizon {horizon})"
    fig = heldout_figure(plots, target=targets[0], time_label=time_label, title=title)
    return fig, notes


__all__ = [
    "MAX_ORIGINS",
    "MAX_PANELS",
    "ForecastPlot",
    "HeldOutPlot",
    "forecast_figure",
    "forecast_figure_of",
    "heldout_figure",
    "heldout_figure_of",
    "pick",
    "save_png",
]
