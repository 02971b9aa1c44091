"""`predict`: forecast the steps after the last time stamp of each series in newer data.

The data is read with the columns recorded at training and scaled with the recorded
per-series statistics (never refitted). For each series the window ending at its last
observation is built exactly as in training (`windows.history` at origin n, padded and
masked when the model allows short histories), all series are forecast in one call of
`forecast.predict_scaled`, and the scaling is undone. Steps beyond the model's horizon
are recursive: the forecasts are appended to each series and the window slides on (one
model call per round, for all series at once). Everything here is pure: no printing;
notes and warnings are returned for the caller to show.
"""

from __future__ import annotations

import contextlib
import io
import math
import os
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from rnncli import artifacts
from rnncli.config import DataSpec
from rnncli.data import Panel, Series, format_time, infer_freq, load_panel
from rnncli.dataset import Scaler
from rnncli.errors import ArtifactError, ConfigError, DataError
from rnncli.windows import history

if TYPE_CHECKING:
    import keras

Source = str | Path | IO[str]
POSITION_COL = "position"  # name of the time column when the model has none (row positions)
B_MAX_GAP_DAYS = 4  # business days: Fri -> Tue (a Monday holiday) is still one step


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


# ---- model directory -----------------------------------------------------------------------


def data_spec(meta: dict[str, Any]) -> DataSpec:
    """The column roles recorded at training, to read newer data the same way."""
    c = meta["data"]["columns"]
    features = tuple(f for f in c["inputs"] if f not in c["targets"])
    return DataSpec(
        c["time_col"], tuple(c["targets"]), features, c["id_col"], meta["data"].get("fill")
    )


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
    """The model directory with its Keras model, cuDNN off where its masks need that."""
    artifact = artifacts.load(path)
    check_meta(artifact)
    if artifact.meta.get("masked") and artifact.meta["window"]["pad"] == "pre":
        from rnncli.models import disable_cudnn

        disable_cudnn(artifact.model)
    return artifact


# ---- reading DATA ---------------------------------------------------------------------------


def _read_text(source: Source, label: str) -> str:
    if isinstance(source, (str, Path)):
        path = Path(source)
        if not path.exists():
            raise DataError(f"file '{label}' not found; check the path (or pass - to read stdin)")
        if path.is_dir():
            raise DataError(f"'{label}' is a directory, not a CSV file")
        try:
            return path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError:
            raise DataError(f"{label} is not a readable CSV: it is not UTF-8 text") from None
        except OSError as exc:
            raise DataError(f"cannot read {label}: {exc.strerror or exc}") from None
    try:
        return source.read()
    except UnicodeDecodeError:
        raise DataError(f"{label} is not a readable CSV: it is not UTF-8 text") from None


def _header(text: str) -> list[str] | None:
    try:
        head = pd.read_csv(io.StringIO(text), nrows=0, skipinitialspace=True)
    except Exception:  # unreadable: load_panel says why, with the line
        return None
    return [str(c).strip() for c in head.columns]


def read_csv(
    source: Source, label: str, spec: DataSpec, roles: dict[str, str], model_name: str
) -> Panel:
    """load_panel with the model's columns, after checking that DATA has them all."""
    text = _read_text(source, label)
    header = _header(text)
    if header is not None:
        for name, role in roles.items():
            if name not in header:
                raise DataError(
                    f"column '{name}' ({role} of model {model_name}) is not in {label}; "
                    f"its columns: {', '.join(header)}; give data with the columns the model "
                    f"was trained on"
                )
    return load_panel(io.StringIO(text), spec, label)


def _roles(spec: DataSpec) -> dict[str, str]:
    roles: dict[str, str] = {}
    if spec.time_col is not None:
        roles[spec.time_col] = "the time column"
    if spec.id_col is not None:
        roles[spec.id_col] = "the series id column"
    roles.update({t: "a target" for t in spec.target})
    roles.update({f: "a feature" for f in spec.features})
    return roles


def read_data(artifact: artifacts.Artifact, source: Source, label: str) -> Panel:
    """DATA read with the columns recorded in the model directory."""
    spec = data_spec(artifact.meta)
    return read_csv(source, label, spec, _roles(spec), str(artifact.path))


# ---- time stamps ----------------------------------------------------------------------------


def _offset(freq: str) -> pd.DateOffset:
    try:
        return pd.tseries.frequencies.to_offset(freq)
    except ValueError:
        raise ArtifactError(
            f"the model's recorded frequency {freq!r} is not one pandas knows"
        ) from None


def future_times(last: Any, freq: str | None, steps: int, step: int = 1) -> np.ndarray:
    """The `steps` time stamps after `last`.

    Datetimes continue the pandas frequency `freq` (business days skip weekends: a Friday
    is followed by a Monday; 'MS' gives month starts); integer positions (freq None)
    continue in steps of `step`.
    """
    if freq is None:
        return int(last) + step * np.arange(1, steps + 1, dtype=np.int64)
    off = _offset(freq)
    start = pd.Timestamp(last) + off
    return pd.date_range(start=start, periods=steps, freq=off).to_numpy(dtype="datetime64[ns]")


def _nominal(prev: pd.DatetimeIndex, off: pd.DateOffset) -> np.ndarray:
    """Length of one step of `off` at each of `prev` (months differ, hours do not)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PerformanceWarning: offsets not vectorised
        base = pd.DatetimeIndex([off.rollback(t) for t in prev]) if len(prev) else prev
        return np.asarray(((base + off) - base).to_numpy(dtype="timedelta64[ns]"))


def check_steps(time: np.ndarray, freq: str | None, where: str) -> None:
    """DataError at the first step that is not one step of `freq` (a gap, or too short).

    Business days ('B') allow up to 4 calendar days (holidays: Fri -> Tue); other
    frequencies allow 0.5x to 1.5x the nominal step. Integer positions use their median step.
    """
    if len(time) < 2:
        return
    step = np.diff(time)
    if time.dtype.kind != "M":
        nominal = np.full(len(step), max(int(np.median(step)), 1), dtype=np.float64)
        size = step.astype(np.float64)
    elif freq == "B":
        day = np.timedelta64(1, "D")
        bad = np.flatnonzero((step > B_MAX_GAP_DAYS * day) | (step < day))
        if bad.size:
            i = int(bad[0])
            raise DataError(
                f"{where}: a gap in time from {format_time(time[i])} to "
                f"{format_time(time[i + 1])} (more than {B_MAX_GAP_DAYS} days for business "
                f"days); fill the missing rows (the model expects one row per business day)"
            )
        return
    else:
        nominal = _nominal(pd.DatetimeIndex(time[:-1]), _offset(freq)).astype(np.float64)
        size = step.astype("timedelta64[ns]").astype(np.float64)
    bad = np.flatnonzero((size > 1.5 * nominal) | (size < 0.5 * nominal))
    if bad.size:
        i = int(bad[0])
        what = "a gap in time" if size[i] > nominal[i] else "a step shorter than one time step"
        unit = f"frequency {freq}" if freq else f"step {int(nominal[i])}"
        raise DataError(
            f"{where}: {what} from {format_time(time[i])} to {format_time(time[i + 1])} "
            f"(the model's {unit}); give one row per time step, without missing steps"
        )


def _parse_recorded(text: str, dates: bool) -> Any:
    return pd.Timestamp(text).to_datetime64() if dates else int(text)


# ---- DATA -> scaled arrays ------------------------------------------------------------------


def prepare(artifact: artifacts.Artifact, panel: Panel) -> Prepared:
    """Match DATA's series to the model's, check their times, scale with recorded statistics."""
    meta = artifact.meta
    w = meta["window"]
    look_back = int(w["look_back"])
    min_lb = w.get("min_look_back")
    if min_lb is None:
        min_lb = 1 if meta.get("masked") else look_back
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
    if time_col is not None and (fingerprint or recorded_freq is not None):
        trained_dates = recorded_freq is not None or any(
            not str(f.get("last", "0")).lstrip("-").isdigit() for f in fingerprint.values()
        )
        if trained_dates != dates:
            trained, given = ("dates", "numbers") if trained_dates else ("numbers", "dates")
            raise DataError(
                f"{label}: time column '{time_col}' holds {given}, but the model was trained "
                f"on {trained} in it; give the same kind of time stamps"
            )
    warns: list[str] = []
    scaled: list[np.ndarray] = []
    times: list[np.ndarray] = []
    freqs: list[str | None] = []
    for s in panel.series:
        where = f"{label}: series '{s.id}'" if panel.columns.id_col else label
        n = len(s.values)
        if n < min_lb:
            need = f"look-back {look_back}" + (
                f" (at least {min_lb} with padding)" if min_lb < look_back else ""
            )
            raise DataError(
                f"{where} has {n} time steps, fewer than the model's {need}; "
                f"give more history for it"
            )
        time = s.time if time_col is not None else np.arange(n, dtype=np.int64)
        freq = None
        if dates:
            freq = recorded_freq or infer_freq(time)
            if freq is None:
                raise DataError(
                    f"{where}: cannot tell the frequency of its time stamps (the model has "
                    f"none recorded); give at least 3 regular time steps"
                )
        check_steps(time[max(n - look_back, 0) :], freq, where)
        last_trained = fingerprint.get(s.id, {}).get("last")
        if last_trained is not None and time_col is not None:
            with contextlib.suppress(ValueError, TypeError):
                trained_end = _parse_recorded(str(last_trained), dates)
                if time[-1] < trained_end:
                    warns.append(
                        f"{where} ends at {format_time(time[-1])}, before the end of the "
                        f"training data ({format_time(trained_end)}): is the data older than "
                        f"the model?"
                    )
        times.append(time)
        freqs.append(freq)
        scaled.append(_scale(s, recorded[s.id]))
    scaler = Scaler.from_dict(meta["scaler"], ids)
    return Prepared(ids, times, scaled, scaler, freqs, tuple(warns))


def _scale(s: Series, stats: dict[str, Any]) -> np.ndarray:
    center = np.asarray(stats["center"], dtype=np.float64)
    scale = np.asarray(stats["scale"], dtype=np.float64)
    return ((s.values - center) / scale).astype(np.float32)


# ---- windows and the recursion --------------------------------------------------------------


def layout(buf: np.ndarray, real: np.ndarray, pad: str) -> tuple[np.ndarray, np.ndarray]:
    """Right-aligned buffers (S, L, F) with `real` (S,) real steps -> (x, mask) padded `pad`."""
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
    """The window after the last observation of each series (origin n): (S, L, F), (S, L)."""
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

    `future` (S, >= steps - horizon, n_features - n_targets): scaled feature values of the
    future steps, needed when the model has features and steps > horizon.
    """
    from rnncli.forecast import predict_scaled

    n_inputs = scaled[0].shape[1]
    x, mask = last_windows(scaled, look_back, pad)
    # the same windows right-aligned (pad=pre layout) with their real lengths, to slide on
    buf, _ = last_windows(scaled, look_back, "pre")
    real = np.array([min(len(v), look_back) for v in scaled])
    out: list[np.ndarray] = []
    done = 0
    while True:
        y = predict_scaled(model, x, mask, n_targets=n_targets, normalize=normalize)
        out.append(y)
        done += horizon
        if done >= steps:
            break
        rows = y.astype(buf.dtype)
        if n_inputs > n_targets:
            if future is None:
                raise ConfigError("the future values of the features are needed past the horizon")
            rows = np.concatenate([rows, future[:, done - horizon : done, :]], axis=2)
        buf = np.concatenate([buf, rows], axis=1)[:, -look_back:]
        real = np.minimum(real + horizon, look_back)
        x, mask = layout(buf, real, pad)
    return np.concatenate(out, axis=1)[:, :steps]


# ---- --future -------------------------------------------------------------------------------


def read_future(
    artifact: artifacts.Artifact,
    source: Source,
    label: str,
    prep: Prepared,
    future: list[np.ndarray],
    need: int,
) -> np.ndarray:
    """Scaled feature values (S, need, n_features) at the future times of each series."""
    spec = data_spec(artifact.meta)
    fspec = DataSpec(spec.time_col, spec.features, (), spec.id_col, None)
    roles = _roles(DataSpec(spec.time_col, (), spec.features, spec.id_col))
    panel = read_csv(source, label, fspec, roles, str(artifact.path))
    by_id = {s.id: s for s in panel.series}
    n_targets = len(spec.target)
    out = []
    for i, sid in enumerate(prep.ids):
        where = f"series '{sid}'" if spec.id_col else "the series"
        s = by_id.get(sid)
        if s is None:
            raise DataError(f"{label} has no rows for {where}; give its future feature values")
        wanted = future[i][:need]
        if spec.time_col is None:
            if len(s.values) < need:
                raise DataError(
                    f"{label} has {len(s.values)} rows for {where}, the forecast needs {need}"
                )
            rows = np.arange(need)
        else:
            if s.time.dtype != wanted.dtype:
                raise DataError(f"{label}: time column '{spec.time_col}' is not like DATA's")
            pos = {t: j for j, t in enumerate(s.time.tolist())}
            missing = [t for t in wanted.tolist() if t not in pos]
            if missing:
                stamp = wanted[[t not in pos for t in wanted.tolist()]][0]
                raise DataError(
                    f"{label} has no row for {where} at {format_time(stamp)}; the forecast "
                    f"needs the features at the next {need} time steps"
                )
            rows = np.array([pos[t] for t in wanted.tolist()])
        center = prep.scaler.center[i, n_targets:]
        scale = prep.scaler.scale[i, n_targets:]
        out.append(((s.values[rows] - center) / scale).astype(np.float32))
    return np.stack(out)


# ---- the whole command ----------------------------------------------------------------------


def _time_step(time: np.ndarray) -> int:
    if len(time) < 2:
        return 1
    return max(int(np.median(np.diff(time))), 1)


def forecast(
    artifact: artifacts.Artifact,
    panel: Panel,
    *,
    steps: int | None = None,
    levels: tuple[int, ...] = (),
    future: Source | None = None,
    future_label: str = "--future",
) -> Forecast:
    """Forecast `steps` (default: the horizon) after each series' last time stamp."""
    meta = artifact.meta
    w = meta["window"]
    look_back, horizon, pad = int(w["look_back"]), int(w["horizon"]), w["pad"]
    steps = horizon if steps is None else steps
    if steps < 1:
        raise ConfigError(f"--steps must be 1 or more, got {steps}")
    spec = data_spec(meta)
    targets, features = spec.target, spec.features
    prep = prepare(artifact, panel)
    notes: list[str] = []
    calibration = _calibration(artifact, levels, horizon, len(targets))
    times = [
        future_times(t[-1], f, steps, _time_step(t) if f is None else 1)
        for t, f in zip(prep.times, prep.freqs, strict=True)
    ]
    future_scaled = None
    if steps > horizon:
        notes.append(
            f"steps {horizon + 1}..{steps} are beyond the model's horizon {horizon}: "
            f"forecast recursively (its own forecasts fed back)"
        )
        if features:
            need = (math.ceil(steps / horizon) - 1) * horizon
            if future is None:
                raise DataError(
                    f"--steps {steps} is beyond the model's horizon {horizon}, and the model "
                    f"also reads {', '.join(features)}, whose future values are unknown; pass "
                    f"--future FILE with them for the next {need} steps, or --steps {horizon} "
                    f"or fewer"
                )
            future_scaled = read_future(artifact, future, future_label, prep, times, need)
        elif future is not None:
            notes.append("--future ignored: the model reads its targets only")
    elif future is not None:
        notes.append(f"--future ignored: {steps} steps need no future values")
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
    from rnncli.evaluation import half_widths

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
            # times each series' scale of this target
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
    prepare(meta_only, panel)  # data errors before the (slow) model load
    if artifact is None:
        artifact = load_model(model_dir)
    return forecast(
        artifact, panel, steps=steps, levels=levels, future=future, future_label=future_label
    )


# ---- output ---------------------------------------------------------------------------------


def format_times(values: np.ndarray) -> list[str]:
    """Time stamps as text: dates alone when every one is at midnight, else ISO date-times."""
    if values.dtype.kind != "M":
        return [str(int(v)) for v in values]
    index = pd.DatetimeIndex(values)
    if (index == index.normalize()).all():
        return [t.date().isoformat() for t in index]
    return [t.isoformat() for t in index]


def rows(fc: Forecast) -> list[dict[str, Any]]:
    """The table as a list of plain dicts (time stamps as text), for rendering."""
    frame = fc.table.copy()
    frame[fc.time_col] = format_times(frame[fc.time_col].to_numpy())
    return frame.to_dict(orient="records")


def write_atomic(path: Path, text: str) -> None:
    """Write `text` to `path` via a temporary file in the same directory and os.replace.

    A reader sees the old file or the complete new one, never a partial one; on failure the
    temporary file is removed and `path` is untouched.
    """
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise DataError(f"cannot write the forecast to {path}: it is a directory")
    if path.exists():
        mode = path.stat().st_mode & 0o777
    else:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    try:
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise DataError(f"cannot write the forecast to {path}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise DataError(f"cannot write the forecast to {path}: {exc.strerror or exc}") from None
        raise


__all__ = [
    "Forecast",
    "data_spec",
    "forecast",
    "forecast_scaled",
    "future_times",
    "layout",
    "load_model",
    "predict",
    "read_data",
    "rows",
    "write_atomic",
]
