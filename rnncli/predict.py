"""`predict`: forecast the steps after the last time stamp of each series in newer data.

`prepare` reads DATA with the model's columns and scales it with the recorded statistics;
for each series the window after its last observation is built exactly as in training, all
series are forecast in one engine call (`inference.predict_scaled`, NumPy by default: no
TensorFlow), and `Originals.to_original` takes the forecast back to original units. Steps
beyond the model's horizon are recursive: the forecasts are appended to each series and the
window after the new end is built again (one engine call per round, for all series at once).
The time-stamp logic is `rnncli.timestamps`; --output is written with `rnncli.atomic`.
Everything here is pure: no printing; notes and warnings are returned for the caller to show.
"""

from __future__ import annotations

import gzip
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from rnncli import atomic, tables
from rnncli.card import ModelCard
from rnncli.data import Panel, format_times
from rnncli.errors import ArtifactError, ConfigError, DataError
from rnncli.future import future_gaps, future_inputs, read_future
from rnncli.inference import predict_scaled
from rnncli.modeldir import CALIBRATION_FILE, ModelDir, load, load_engine
from rnncli.prepare import Prepared, Source, prepare, read_data, skipped_warning, windows_at
from rnncli.timestamps import future_times, position_step

if TYPE_CHECKING:
    from rnncli.engine import Engine

POSITION_COL = "position"  # name of the time column when the model has none (row positions)


@dataclass(frozen=True)
class Forecast:
    """The forecast table and what the caller should tell the user about it."""

    table: pd.DataFrame  # [id column], time column, one column per target (+ _loNN/_hiNN)
    time_col: str
    id_col: str | None
    targets: tuple[str, ...]
    levels: tuple[int, ...]
    horizon: int
    steps: int
    notes: tuple[str, ...]
    warnings: tuple[str, ...]
    prep: Prepared | None = None  # the data forecast from (its history, for --plot)
    skipped: tuple[tuple[str, str], ...] = ()  # (id, why) of the series --skip-invalid left out


def forecast_scaled(
    engine: Engine,
    values: list[np.ndarray],
    *,
    look_back: int,
    steps: int,
    pad: str,
    normalize: str,
    future: np.ndarray | None = None,
) -> np.ndarray:
    """Scaled forecasts (S, steps, n_targets) after the end of each series in `values`.

    Beyond the engine's horizon the forecasts are appended to the series (with the other
    inputs' future values) and the window after the new end is forecast: what is fed back is
    what the network saw in training (scaled differences with --difference).

    `future` (S, >= rounds x horizon, n_inputs - n_targets): the scaled non-target inputs at
    the steps after each series' end (`future.future_inputs`). Each round's known-future
    block (its last `engine.n_known` columns) is read from it; past the horizon its rows
    are fed back too. Needed when the model reads known-future inputs, or features and
    steps > horizon.
    """
    horizon, n_targets, n_known = engine.horizon, engine.n_targets, engine.n_known
    n_inputs = values[0].shape[1]
    values = [v[-look_back:] for v in values]  # only the last look-back is ever read
    series = np.arange(len(values))
    out: list[np.ndarray] = []

    def needed() -> np.ndarray:
        if future is None:
            raise ConfigError("the future values of the model's other inputs are needed")
        return future

    x, mask = windows_at(values, series, np.array([len(v) for v in values]), look_back, pad)
    for done in range(0, steps, horizon):
        if done:
            rows = out[-1].astype(np.float32)
            if n_inputs > n_targets:
                rows = np.concatenate([rows, needed()[:, done - horizon : done, :]], axis=2)
            x, mask, values = _advance(x, mask, values, rows, pad)
        block = None
        if n_known:
            ahead = needed()
            block = ahead[:, done : done + horizon, ahead.shape[2] - n_known :]
        out.append(
            predict_scaled(engine, x, mask, n_targets=n_targets, normalize=normalize, future=block)
        )
    return np.concatenate(out, axis=1)[:, :steps]


def _advance(
    x: np.ndarray, mask: np.ndarray | None, values: list[np.ndarray], rows: np.ndarray, pad: str
) -> tuple[np.ndarray, np.ndarray | None, list[np.ndarray]]:
    """The windows (and masks) after each series' end once `rows` (S, h, F) are appended, as
    `windows_at` cuts them from the longer series, without cutting again: a full window (or
    any, padded in front) drops its first h rows and takes the new ones at its end. A window
    padded at its end (`pad` post) is cut again from its series (`values`, kept for those)."""
    look_back = x.shape[1]
    rolled = np.concatenate([x, rows], axis=1)[:, -look_back:]
    if mask is None:
        return rolled, None, values
    grown = np.concatenate([mask, np.ones(rows.shape[:2], dtype=bool)], axis=1)[:, -look_back:]
    short = np.flatnonzero(~mask.all(axis=1)) if pad == "post" else np.empty(0, dtype=np.int64)
    if len(short):
        for i in short:
            values[i] = np.concatenate([values[i], rows[i]])[-look_back:]
        cut, cut_mask = windows_at(
            values, short, np.array([len(values[i]) for i in short]), look_back, pad
        )
        rolled[short] = cut
        grown[short] = cut_mask if cut_mask is not None else True
    return rolled, (None if grown.all() else grown), values


# ---- the whole command ----------------------------------------------------------------------


def _future_inputs(
    model: ModelDir,
    prep: Prepared,
    times: list[np.ndarray],
    steps: int,
    future: Source | Panel | None,
    future_label: str,
    notes: list[str],
) -> np.ndarray | None:
    """The scaled future inputs the forecast needs (None if none); notes appended.

    Known-future inputs are read at every step forecast, in whole horizons (the network
    reads a horizon's known values at once); past-only features only where the recursion
    feeds them back (past the horizon).
    """
    card = model.card
    horizon, c = card.horizon, card.columns
    rounds = math.ceil(steps / horizon)
    fed_back = (rounds - 1) * horizon  # steps whose inputs the recursion appends
    if steps > horizon:
        notes.append(
            f"steps {horizon + 1}..{steps} are beyond the model's horizon {horizon}: "
            f"forecast recursively (its own forecasts fed back)"
        )
    needs_file = bool(c.known) or bool(c.features and fed_back)
    if not needs_file:
        if future is not None:
            why = (
                f"{steps} steps need no future values"
                if steps <= horizon
                else "the model reads its targets only"
            )
            if c.calendar:
                why += " (calendar inputs come from the time stamps)"
            notes.append(f"--future ignored: {why}")
        if not c.calendar and not (c.features and fed_back):
            return None
    if needs_file and future is None:
        if c.known:
            raise DataError(
                f"the model reads {', '.join(c.known)} (known-future inputs) at each forecast "
                f"step; pass --future FILE with their values for the next "
                f"{rounds * horizon} steps (the time column, the id column of a panel, "
                f"those columns)"
            )
        raise DataError(
            f"--steps {steps} is beyond the model's horizon {horizon}, and the model "
            f"also reads {', '.join(c.features)}, whose future values are unknown; pass "
            f"--future FILE with them for the next {fed_back} steps, or --steps {horizon} "
            f"or fewer"
        )
    panel = None
    if needs_file and future is not None:  # (needed and absent is refused above)
        panel = (
            future
            if isinstance(future, Panel)
            else read_future(card, str(model.path), future, future_label)
        )
    return future_inputs(
        card,
        prep,
        times,
        panel,
        known_steps=rounds * horizon,
        feature_steps=fed_back if c.features else 0,
    )


def forecast(
    model: ModelDir,
    engine: Engine,
    prep: Prepared,
    *,
    steps: int | None = None,
    levels: tuple[int, ...] = (),
    future: Source | Panel | None = None,
    future_label: str = "--future",
) -> Forecast:
    """Forecast `steps` (default: the horizon) after each prepared series' last time stamp."""
    card = model.card
    w = card.config.window
    horizon = card.horizon
    steps = horizon if steps is None else steps
    if steps < 1:
        raise ConfigError(f"--steps must be 1 or more, got {steps}")
    targets = card.columns.targets
    notes: list[str] = list(prep.notes)
    # the time stamps of every step the network reads ahead (whole horizons); the table
    # shows the first `steps`
    times = _future_times(prep, math.ceil(steps / horizon) * horizon)
    future_scaled = _future_inputs(model, prep, times, steps, future, future_label, notes)
    times = [t[:steps] for t in times]
    calibration = _calibration(model, levels, steps, len(targets), notes)
    y = forecast_scaled(
        engine,
        prep.values,
        look_back=card.look_back,
        steps=steps,
        pad=w.pad,
        normalize=w.normalize,
        future=future_scaled,
    )
    series = np.arange(len(prep.ids))
    at = np.array([len(v) for v in prep.values])
    point = prep.originals.to_original(y, series, at)
    _check_finite(point, prep.ids)
    # with --difference the widths of the differenced target, applied around the rebuilt
    # forecast (without the reference forecasts' own uncertainty)
    bands = {level: prep.originals.bounds(y, series, at, calibration[level]) for level in levels}
    table = _table(card, prep, times, point, bands)
    return Forecast(
        table,
        card.columns.time_col or POSITION_COL,
        card.columns.id_col,
        targets,
        tuple(levels),
        horizon,
        steps,
        tuple(notes),
        prep.warnings + skipped_warning(prep.skipped, len(prep.ids)),
        prep,
        prep.skipped,
    )


def _future_times(prep: Prepared, steps: int) -> list[np.ndarray]:
    """The forecast's time stamps per series; series that end together share one date range."""
    memo: dict[tuple[Any, str | None, int], np.ndarray] = {}
    out = []
    for t, f in zip(prep.times, prep.freqs, strict=True):
        key = (t[-1], f, position_step(t) if f is None else 1)
        if key not in memo:
            memo[key] = future_times(key[0], f, steps, key[2])
        out.append(memo[key])
    return out


def _check_finite(point: np.ndarray, ids: list[str]) -> None:
    """A forecast that overflowed (inf) or is undefined (NaN) is an error, never a row."""
    bad = np.argwhere(~np.isfinite(point))
    if len(bad):
        i, step = int(bad[0][0]), int(bad[0][1]) + 1
        raise DataError(
            f"the forecast of series {ids[i]} at step {step} is not a finite number (it "
            f"overflowed): the model diverges on this data; compare DATA with the training "
            f"data, forecast fewer --steps, or retrain"
        )


def _calibration(
    model: ModelDir, levels: tuple[int, ...], steps: int, n_targets: int, notes: list[str]
) -> dict[int, np.ndarray]:
    """Half-widths (steps, n_targets) in scaled units per level (`intervals.widths`)."""
    if not levels:
        return {}
    from rnncli import intervals

    horizon = model.card.horizon
    file = model.path / CALIBRATION_FILE
    data = model.read_json(CALIBRATION_FILE)
    if data is None:
        raise ArtifactError(
            f"{model.path} has no {CALIBRATION_FILE} (needed for --intervals); retrain the model"
        )
    out = {}
    for level in levels:
        try:
            widths = intervals.widths(data, level, steps, horizon)
        except (KeyError, TypeError, ValueError, AttributeError):
            raise ArtifactError(f"{file} is malformed; retrain the model") from None
        if widths.shape != (steps, n_targets):
            raise ArtifactError(
                f"{file} does not match the model (shape {widths.shape}, expected "
                f"{(steps, n_targets)}); retrain the model"
            )
        out[level] = widths
    if intervals.calibrated_on_training(data):
        notes.append(
            "intervals calibrated on the training windows (--calibrate-on train): too narrow"
        )
    if intervals.reused_last_width(data, steps, horizon):
        notes.append(
            f"intervals beyond step {horizon} reuse the width of step {horizon} (a model from "
            f"before recursive calibration; retrain to calibrate them)"
        )
    elif steps > horizon:
        notes.append(
            f"intervals of steps {horizon + 1}..{steps} are calibrated on the recursion run "
            f"over the {data.get('n')} calibration windows"
        )
    return out


def _table(
    card: ModelCard,
    prep: Prepared,
    times: list[np.ndarray],
    point: np.ndarray,
    bands: dict[int, tuple[np.ndarray, np.ndarray]],
) -> pd.DataFrame:
    steps = point.shape[1]
    columns: dict[str, Any] = {}
    if card.columns.id_col is not None:
        columns[card.columns.id_col] = np.repeat(np.array(prep.ids, dtype=object), steps)
    columns[card.columns.time_col or POSITION_COL] = np.concatenate(times)
    for t, name in enumerate(card.columns.targets):
        columns[name] = point[:, :, t].reshape(-1)
        for level, (lo, hi) in bands.items():
            columns[f"{name}_lo{level}"] = lo[:, :, t].reshape(-1)
            columns[f"{name}_hi{level}"] = hi[:, :, t].reshape(-1)
    return pd.DataFrame(columns)


def predict(
    model_dir: Path,
    source: Source,
    label: str,
    *,
    steps: int | None = None,
    levels: tuple[int, ...] = (),
    future: Source | None = None,
    future_label: str = "--future",
    engine: str = "numpy",
    note: Callable[[str], None] | None = None,
    skip_invalid: bool = False,
) -> Forecast:
    """Model directory + DATA -> Forecast. The data is checked before the engine loads."""
    model = load(model_dir, note or (lambda _m: None))
    panel = read_data(model.card, source, label, str(model.path))
    ahead: Source | Panel | None = future
    problems: list[tuple[str, str]] = []
    if skip_invalid and future is not None and model.card.columns.known:
        # a series the future file has no rows for cannot be forecast: --skip-invalid
        # leaves it out like a series too short (the file is read once, here)
        ahead = read_future(model.card, str(model.path), future, future_label)
        problems = _without_future(model.card, panel, ahead, future_label)
    prep = prepare(model.card, panel, skip_invalid=skip_invalid, problems=problems)
    if isinstance(ahead, Panel):  # and a series lacking one of the steps forecast, likewise
        horizon = model.card.horizon
        need = math.ceil((steps or horizon) / horizon) * horizon
        gaps = _without_steps(model.card, prep, ahead, need, future_label)
        if gaps:
            prep = prepare(model.card, panel, skip_invalid=True, problems=problems + gaps)
    runner = load_engine(model, engine, note)  # after the data checks
    return forecast(
        model, runner, prep, steps=steps, levels=levels, future=ahead, future_label=future_label
    )


def _without_future(
    card: ModelCard, panel: Panel, future: Panel, future_label: str
) -> list[tuple[str, str]]:
    """(id, why) of DATA's series without rows in the future file (known-future inputs)."""
    have = {s.id for s in future.series}
    known = ", ".join(card.columns.known)
    return [
        (
            s.id,
            f"{future_label} has no rows for series '{s.id}'; the model reads {known} "
            f"(known-future inputs) at each forecast step",
        )
        for s in panel.series
        if s.id not in have
    ]


def _without_steps(
    card: ModelCard, prep: Prepared, future: Panel, need: int, future_label: str
) -> list[tuple[str, str]]:
    """(id, why) of the prepared series whose rows in the future file miss one of the next
    `need` steps (the known-future inputs are read at each)."""
    times = _future_times(prep, need)
    known = ", ".join(card.columns.known)
    return [
        (
            sid,
            f"{future_label} has no row for series '{sid}' at {when} ({n} of the next {need} "
            f"steps missing); the model reads {known} (known-future inputs) at each",
        )
        for sid, when, n in future_gaps(future, prep.ids, times, need)
    ]


# ---- output ---------------------------------------------------------------------------------


def rows(fc: Forecast) -> list[dict[str, Any]]:
    """The table as a list of plain dicts (time stamps as text), for rendering."""
    frame = fc.table
    columns = [
        format_times(frame[c].to_numpy()) if c == fc.time_col else frame[c].tolist()
        for c in frame.columns
    ]
    names = [str(c) for c in frame.columns]
    return [dict(zip(names, values, strict=True)) for values in zip(*columns, strict=True)]


OUTPUT_KINDS = ("csv", "csv.gz", "json", "parquet")  # what --output writes, by extension


def output_kind(path: Path, fmt: str | None) -> str:
    """What --output writes at `path`: its extension's kind (`tables.output_kind`), which a
    --format given beside it must match (never one format under another's name)."""
    kind = tables.output_kind(Path(path), OUTPUT_KINDS, "the forecast")
    if fmt is not None and fmt != kind.removesuffix(".gz"):
        raise ConfigError(
            f"--format {fmt} does not match --output {path} ({kind}); drop --format (the "
            f"extension decides) or name the file .{fmt}"
        )
    return kind


def parquet(fc: Forecast) -> bytes:
    """The forecast table as a Parquet file (time stamps as timestamps, positions as integers)."""
    return tables.parquet_bytes(fc.table)


def write_atomic(path: Path, data: str | bytes, *, gzipped: bool = False) -> None:
    """Write the forecast to `path` with `atomic.write_atomic`: the old file or the whole new one.

    Missing parent directories are created; a failure is an OSError naming the file (which
    is left as it was).
    """
    if gzipped:
        raw = data.encode("utf-8") if isinstance(data, str) else data
        data = gzip.compress(raw, mtime=0)
    atomic.write_atomic(Path(path), data)


__all__ = [
    "Forecast",
    "forecast",
    "forecast_scaled",
    "output_kind",
    "parquet",
    "predict",
    "rows",
    "write_atomic",
]
