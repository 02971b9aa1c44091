"""`predict`: forecast the steps after the last time stamp of each series in newer data.

The data is read with the columns recorded at training and scaled with the recorded
per-series statistics (never refitted). For each series the window ending at its last
observation is built exactly as in training (`windows.history` at origin n, padded and
masked when the model allows short histories), all series are forecast in one call of
`forecast.predict_scaled`, and the scaling is undone. Steps beyond the model's horizon
are recursive: the forecasts are appended to each series and the window slides on (one
model call per round, for all series at once). The time-stamp logic (the steps after a
series' end, frequencies, gaps, checks against the training data) is `rnncli.timestamps`;
--output is written with `rnncli.atomic`. Everything here is pure: no printing; notes and
warnings are returned for the caller to show.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from rnncli import modeldir as artifacts, atomic
from rnncli.config import DataSpec
from rnncli.data import Panel, format_times
from rnncli.dataset import Scaler
from rnncli.differencing import difference, reconstruct
from rnncli.errors import ArtifactError, ConfigError, DataError
from rnncli.prepare import Source, read_data, read_future
from rnncli.timestamps import (
    check_kind,
    check_steps,
    ends_before,
    future_times,
    position_step,
    series_freq,
)
from rnncli.windows import history

if TYPE_CHECKING:
    import keras

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


@dataclass(frozen=True)
class Prepared:
    """DATA ready for the model: one entry per series, in DATA order."""

    ids: list[str]
    times: list[np.ndarray]  # per series: its time stamps (datetime64[ns] or int64)
    scaled: list[np.ndarray]  # per series: (n, n_inputs) float32, recorded scaling
    scaler: Scaler  # recorded statistics of these series, rows in `ids` order
    freqs: list[str | None]  # per series: pandas frequency of its dates, None for positions
    warnings: tuple[str, ...]
    # --difference N: `scaled` holds the scaled differences, and `tails` per series its last N
    # original target values (N, n_targets), from which the forecast is rebuilt
    tails: list[np.ndarray] | None = None


# ---- model directory -----------------------------------------------------------------------


def check_meta(artifact: artifacts.Artifact) -> None:
    """The keys predict reads, present and well-formed (else a one-line ArtifactError)."""
    meta = artifact.meta
    try:
        c = meta["data"]["columns"]
        ok = (
            isinstance(c["targets"], list)
            and isinstance(c["inputs"], list)
            and c["inputs"][: len(c["targets"])] == c["targets"]
            and isinstance(meta["window"]["look_back"], int)
            and isinstance(meta["window"]["horizon"], int)
            and meta["window"]["pad"] in ("pre", "post")
            and isinstance(meta["scaler"]["series"], dict)
        )
    except (KeyError, TypeError):
        ok = False
    if not ok:
        raise ArtifactError(
            f"{artifact.path / artifacts.META_FILE} lacks what predict needs (columns, window, "
            f"scaler); retrain the model"
        )


def load_model(path: Path) -> artifacts.Artifact:
    """The model directory with its Keras model (`artifacts.load`), checked for predict."""
    artifact = artifacts.load(path)
    check_meta(artifact)
    return artifact


# ---- DATA -> scaled arrays ------------------------------------------------------------------


def prepare(artifact: artifacts.Artifact, panel: Panel) -> Prepared:
    """Match DATA's series to the model's, check their times, scale with recorded statistics."""
    meta = artifact.meta
    w = meta["window"]
    look_back = int(w["look_back"])
    min_lb = w.get("min_look_back")
    if min_lb is None:
        min_lb = 1 if meta.get("masked") else look_back
    lag = int(w.get("difference") or 0)
    n_targets = len(meta["data"]["columns"]["targets"])
    recorded = meta["scaler"]["series"]
    fingerprint = meta["data"].get("fingerprint") or {}
    label = panel.source
    ids = [s.id for s in panel.series]
    unknown = [sid for sid in ids if sid not in recorded]
    if unknown:
        known = ", ".join(list(recorded)[:10]) + (", …" if len(recorded) > 10 else "")
        raise DataError(
            f"{label}: series '{unknown[0]}' is unknown to the model (it knows: {known}); "
            f"a model forecasts only the series it was trained on"
        )
    time_col = meta["data"]["columns"]["time_col"]
    recorded_freq = meta["data"].get("freq")
    dates = time_col is not None and all(s.time.dtype.kind == "M" for s in panel.series)
    if time_col is not None:
        check_kind(dates, recorded_freq, fingerprint, label, time_col)
    scaler = Scaler.from_dict(meta["scaler"], ids)
    warns: list[str] = []
    scaled: list[np.ndarray] = []
    times: list[np.ndarray] = []
    freqs: list[str | None] = []
    tails: list[np.ndarray] = []
    for i, s in enumerate(panel.series):
        where = f"{label}: series '{s.id}'" if panel.columns.id_col else label
        n = len(s.values)
        if n < min_lb + lag:
            need = f"look-back {look_back}" + (
                f" (at least {min_lb} with padding)" if min_lb < look_back else ""
            )
            if lag:
                need += f" + difference {lag}"
            raise DataError(
                f"{where} has {n} time steps, fewer than the model's {need}; "
                f"give more history for it"
            )
        time = s.time if time_col is not None else np.arange(n, dtype=np.int64)
        freq = series_freq(time, recorded_freq, where) if dates else None
        check_steps(time[max(n - look_back - lag, 0) :], freq, where)
        if time_col is not None:
            older = ends_before(time, fingerprint.get(s.id, {}).get("last"), dates, where)
            if older is not None:
                warns.append(older)
        times.append(time)
        freqs.append(freq)
        values = s.values
        if lag:
            tails.append(np.asarray(values[n - lag :, :n_targets], dtype=np.float64))
            values = difference(values, n_targets, lag)
        scaled.append(scaler.transform(values, i).astype(np.float32))
    return Prepared(ids, times, scaled, scaler, freqs, tuple(warns), tails if lag else None)


# ---- windows and the recursion --------------------------------------------------------------


def layout(buf: np.ndarray, real: np.ndarray, pad: str) -> tuple[np.ndarray, np.ndarray]:
    """Right-aligned buffers (S, L, F) with `real` (S,) real steps -> (x, mask) padded `pad`.

    For each series this is `windows.history` at origin n of its last `real` steps (the
    window after its end, padded and masked as in training), for all series at once.
    """
    look_back = buf.shape[1]
    steps = np.arange(look_back)
    if pad == "pre":
        mask = steps[None, :] >= (look_back - real)[:, None]
        x = buf
    else:
        index = (steps[None, :] + (look_back - real)[:, None]) % look_back
        x = np.take_along_axis(buf, index[:, :, None], axis=1)
        mask = steps[None, :] < real[:, None]
    x = np.where(mask[:, :, None], x, np.zeros((), dtype=buf.dtype))
    return np.ascontiguousarray(x), mask


def last_windows(
    scaled: list[np.ndarray], look_back: int, pad: str
) -> tuple[np.ndarray, np.ndarray]:
    """The window after the last observation of each series (`windows.history` at origin n).

    Returns x (S, L, F) and mask (S, L).
    """
    parts = [history(v, np.array([len(v)]), look_back, pad) for v in scaled]
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def forecast_scaled(
    model: keras.Model,
    scaled: list[np.ndarray],
    *,
    look_back: int,
    horizon: int,
    n_targets: int,
    steps: int,
    pad: str,
    normalize: str,
    future: np.ndarray | None = None,
) -> np.ndarray:
    """Scaled forecasts (S, steps, n_targets); beyond `horizon`, the forecasts are fed back.

    With --difference, `scaled` and the forecasts are scaled differences: what is fed back is
    what the model saw in training; `forecast` rebuilds the values afterwards.

    `future` (S, >= steps - horizon, n_features - n_targets): scaled feature values of the
    future steps, needed when the model has features and steps > horizon.
    """
    from rnncli.inference import predict_scaled

    n_inputs = scaled[0].shape[1]
    # each series' last window right-aligned (the pad=pre layout) with its real length: the
    # forecasts are appended on the right, and `layout` gives the model's windows each round
    buf, _ = last_windows(scaled, look_back, "pre")
    real = np.array([min(len(v), look_back) for v in scaled])
    out: list[np.ndarray] = []
    for done in range(0, steps, horizon):
        if done:
            rows = out[-1].astype(buf.dtype)
            if n_inputs > n_targets:
                if future is None:
                    raise ConfigError(
                        "the future values of the features are needed past the horizon"
                    )
                rows = np.concatenate([rows, future[:, done - horizon : done, :]], axis=2)
            buf = np.concatenate([buf, rows], axis=1)[:, -look_back:]
            real = np.minimum(real + horizon, look_back)
        x, mask = layout(buf, real, pad)
        out.append(predict_scaled(model, x, mask, n_targets=n_targets, normalize=normalize))
    return np.concatenate(out, axis=1)[:, :steps]


# ---- --future -------------------------------------------------------------------------------


# ---- the whole command ----------------------------------------------------------------------


def _future_features(
    artifact: artifacts.Artifact,
    prep: Prepared,
    times: list[np.ndarray],
    steps: int,
    future: Source | None,
    future_label: str,
    notes: list[str],
) -> np.ndarray | None:
    """The scaled future feature values the recursion needs (None if none); notes appended."""
    horizon = int(artifact.meta["window"]["horizon"])
    features = artifact.data_spec().features
    if steps <= horizon:
        if future is not None:
            notes.append(f"--future ignored: {steps} steps need no future values")
        return None
    notes.append(
        f"steps {horizon + 1}..{steps} are beyond the model's horizon {horizon}: "
        f"forecast recursively (its own forecasts fed back)"
    )
    if not features:
        if future is not None:
            notes.append("--future ignored: the model reads its targets only")
        return None
    need = (math.ceil(steps / horizon) - 1) * horizon
    if future is None:
        raise DataError(
            f"--steps {steps} is beyond the model's horizon {horizon}, and the model "
            f"also reads {', '.join(features)}, whose future values are unknown; pass "
            f"--future FILE with them for the next {need} steps, or --steps {horizon} "
            f"or fewer"
        )
    return read_future(artifact, future, future_label, prep.ids, prep.scaler, times, need)


def forecast(
    artifact: artifacts.Artifact,
    prep: Prepared,
    *,
    steps: int | None = None,
    levels: tuple[int, ...] = (),
    future: Source | None = None,
    future_label: str = "--future",
) -> Forecast:
    """Forecast `steps` (default: the horizon) after each prepared series' last time stamp."""
    w = artifact.meta["window"]
    look_back, horizon, pad = int(w["look_back"]), int(w["horizon"]), w["pad"]
    steps = horizon if steps is None else steps
    if steps < 1:
        raise ConfigError(f"--steps must be 1 or more, got {steps}")
    spec = artifact.data_spec()
    targets = spec.target
    notes: list[str] = []
    calibration = _calibration(artifact, levels, horizon, len(targets))
    times = [
        future_times(t[-1], f, steps, position_step(t) if f is None else 1)
        for t, f in zip(prep.times, prep.freqs, strict=True)
    ]
    future_scaled = _future_features(artifact, prep, times, steps, future, future_label, notes)
    if levels and steps > horizon:
        notes.append(
            f"intervals beyond step {horizon} reuse the width of step {horizon} (the last one "
            f"calibrated)"
        )
    if artifact.model is None:
        raise ArtifactError(f"{artifact.path}: the Keras model is not loaded")
    y = forecast_scaled(
        artifact.model,
        prep.scaled,
        look_back=look_back,
        horizon=horizon,
        n_targets=len(targets),
        steps=steps,
        pad=pad,
        normalize=w.get("normalize", "none"),
        future=future_scaled,
    )
    series = np.arange(len(prep.ids))
    point = prep.scaler.inverse_targets(y.astype(np.float64), series)
    if prep.tails is not None:  # --difference: forecast differences -> values
        point = reconstruct(point, np.stack(prep.tails))
    table = _table(prep, spec, times, point, calibration, levels, horizon)
    time_col = spec.time_col or POSITION_COL
    return Forecast(
        table,
        time_col,
        spec.id_col,
        targets,
        tuple(levels),
        horizon,
        steps,
        tuple(notes),
        prep.warnings,
    )


def _calibration(
    artifact: artifacts.Artifact, levels: tuple[int, ...], horizon: int, n_targets: int
) -> dict[int, np.ndarray]:
    """Half-widths (horizon, n_targets) in scaled units per level."""
    if not levels:
        return {}
    from rnncli.scoring import half_widths

    data = artifact.read_json(artifacts.CALIBRATION_FILE)
    if data is None:
        raise ArtifactError(
            f"{artifact.path} has no {artifacts.CALIBRATION_FILE} (needed for --intervals); "
            f"retrain the model"
        )
    out = {}
    for level in levels:
        try:
            widths = half_widths(data, level)
        except (KeyError, TypeError):
            raise ArtifactError(
                f"{artifact.path / artifacts.CALIBRATION_FILE} is malformed; retrain the model"
            ) from None
        if widths.shape != (horizon, n_targets):
            raise ArtifactError(
                f"{artifact.path / artifacts.CALIBRATION_FILE} does not match the model "
                f"(shape {widths.shape}, expected {(horizon, n_targets)}); retrain the model"
            )
        out[level] = widths
    return out


def _table(
    prep: Prepared,
    spec: DataSpec,
    times: list[np.ndarray],
    point: np.ndarray,
    calibration: dict[int, np.ndarray],
    levels: tuple[int, ...],
    horizon: int,
) -> pd.DataFrame:
    steps = point.shape[1]
    columns: dict[str, Any] = {}
    if spec.id_col is not None:
        columns[spec.id_col] = np.repeat(np.array(prep.ids, dtype=object), steps)
    columns[spec.time_col or POSITION_COL] = np.concatenate(times)
    step_of = np.minimum(np.arange(steps), horizon - 1)
    for t, name in enumerate(spec.target):
        columns[name] = point[:, :, t].reshape(-1)
        for level in levels:
            # scaled half-width of each step (the last calibrated one past the horizon),
            # times each series' scale of this target; with --difference, of the differenced
            # target, applied around the rebuilt forecast (without the reference forecasts'
            # own uncertainty)
            half = calibration[level][step_of, t][None, :] * prep.scaler.scale[:, t][:, None]
            columns[f"{name}_lo{level}"] = (point[:, :, t] - half).reshape(-1)
            columns[f"{name}_hi{level}"] = (point[:, :, t] + half).reshape(-1)
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
    artifact: artifacts.Artifact | None = None,
) -> Forecast:
    """Model directory + DATA -> Forecast. The data is checked before TensorFlow starts."""
    meta_only = artifacts.load_meta(model_dir) if artifact is None else artifact
    check_meta(meta_only)
    panel = read_data(meta_only, source, label)
    prep = prepare(meta_only, panel)  # data errors before the (slow) model load
    if artifact is None:
        artifact = load_model(model_dir)
    return forecast(
        artifact, prep, steps=steps, levels=levels, future=future, future_label=future_label
    )


# ---- output ---------------------------------------------------------------------------------


def rows(fc: Forecast) -> list[dict[str, Any]]:
    """The table as a list of plain dicts (time stamps as text), for rendering."""
    frame = fc.table.copy()
    frame[fc.time_col] = format_times(frame[fc.time_col].to_numpy())
    return frame.to_dict(orient="records")


def write_atomic(path: Path, text: str) -> None:
    """Write the forecast to `path` with `atomic.write_atomic`: the old file or the whole new one.

    A failure is a DataError that names the file (and leaves it as it was).
    """
    path = Path(path)
    if path.is_dir():
        raise DataError(f"cannot write the forecast to {path}: it is a directory")
    try:
        atomic.write_atomic(path, text)
    except OSError as exc:
        raise DataError(f"cannot write the forecast to {path}: {exc.strerror or exc}") from None


__all__ = [
    "Forecast",
    "forecast",
    "forecast_scaled",
    "layout",
    "load_model",
    "predict",
    "read_data",
    "rows",
    "write_atomic",
]
