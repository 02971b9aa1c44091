"""`train` end to end: data -> windows -> model -> fit -> held-out scores -> model directory."""

from __future__ import annotations

import dataclasses
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import numpy as np

from rnncli import modeldir, scoring
from rnncli.card import Columns, DataSource, EngineRecord, FitSummary, ModelCard, SeriesRecord
from rnncli.config import RunConfig, build_config
from rnncli.data import Panel, format_time, load_panel, series_digest
from rnncli.dataset import TEST, TRAIN, VAL, Dataset, build, load_npz, spec_dict
from rnncli.errors import TrainingError
from rnncli.fitting import FitResult, Interrupted, ProgressHook, compile_model, fit
from rnncli.inference import normalize_windows, predict_scaled
from rnncli.metrics import season_from_freq

if TYPE_CHECKING:
    from rnncli.engine import Engine

Note = Callable[[str], None]


def silent(_message: str) -> None:
    """The default `note`: library calls say nothing unless the caller asks."""


@dataclass
class TrainOutcome:
    path: Path
    device: str
    fit: FitResult
    counts: dict[str, int]
    metrics: list[dict[str, Any]]
    params: int


def load_training_data(
    source: str | Path | IO[str], label: str, run: RunConfig, note: Note = silent
) -> tuple[Panel | None, Dataset, dict[str, Any], RunConfig]:
    """CSV (windowed here) or an .npz from `rnncli ingest` (its window spec wins).

    Says through `note` what was picked automatically and which series were skipped.
    """
    if str(label).endswith(".npz"):
        ds, spec = load_npz(Path(label))
        flat = run.to_flat()
        flat.update(spec["window"])
        c = spec["columns"]
        flat.update(
            time_col=c["time_col"],
            target=c["targets"],
            id_col=c["id_col"],
            features=[f for f in c["inputs"] if f not in c["targets"]],
        )
        return None, ds, spec, build_config(flat)
    panel = load_panel(source, run.data, label)
    for line in panel.notes:
        note(line)
    ds = build(panel, run.window)
    for skipped in ds.skipped:
        note(f"Warning: skipped series {skipped}: too short for look-back + horizon")
    return panel, ds, spec_dict(panel, run.window, ds), run


def _arrays(ds: Dataset, idx: np.ndarray, normalize: str) -> tuple[Any, np.ndarray, Any]:
    """(x, y, mask) for windows idx, level-normalised when asked."""
    n_targets = ds.y.shape[-1]
    mask = ds.mask[idx] if ds.mask is not None else None
    x, lv = normalize_windows(ds.x[idx], mask, n_targets, normalize)
    return x, ds.y[idx] - lv[:, None, :], mask


PARITY_TOLERANCE = 1e-5  # max |numpy - keras| in scaled units that the card accepts
PARITY_WINDOWS = 256  # windows the engines are compared on


def _source(source: str | Path | IO[str], label: str) -> DataSource:
    if not isinstance(source, (str, Path)):
        return DataSource(str(label), None, "stdin")
    kind = "npz" if str(label).endswith(".npz") else "csv"
    return DataSource(str(label), str(Path(source).resolve()), kind)


def _records(ds: Dataset, panel: Panel | None) -> tuple[SeriesRecord, ...]:
    """One record per series: sizes, scaling statistics and (from a CSV) its fingerprint."""
    by_id = {s.id: s for s in panel.series} if panel is not None else {}
    out = []
    for i, sid in enumerate(ds.series_ids):
        record = SeriesRecord(
            sid,
            int(ds.sizes["train"][i]),
            int(ds.sizes["val"][i]),
            int(ds.sizes["test"][i]),
            tuple(float(v) for v in ds.scaler.center[i]),
            tuple(float(v) for v in ds.scaler.scale[i]),
        )
        s = by_id.get(sid)
        if s is not None:
            record = dataclasses.replace(
                record,
                rows=len(s.values),
                first=format_time(s.time[0]),
                last=format_time(s.time[-1]),
                sha256=series_digest(s.values),
            )
        out.append(record)
    return tuple(out)


def check_parity(keras_engine: Engine, numpy_engine: Engine, x: np.ndarray, mask: Any) -> float:
    """Max |NumPy - Keras| on up to PARITY_WINDOWS windows; a TrainingError above tolerance."""
    from rnncli.engine import parity

    n = min(len(x), PARITY_WINDOWS)
    pick = np.linspace(0, len(x) - 1, n).astype(int) if len(x) else np.zeros(0, int)
    diff = parity(keras_engine, numpy_engine, x[pick], mask[pick] if mask is not None else None)
    if not diff <= PARITY_TOLERANCE:
        raise TrainingError(
            f"the NumPy engine disagrees with Keras by {diff:.3g} (tolerance "
            f"{PARITY_TOLERANCE:g}) on this model; nothing was saved: please report it, with "
            f"the options used"
        )
    return diff


def train(
    run: RunConfig,
    source: str | Path | IO[str],
    label: str,
    out: Path,
    *,
    force: bool = False,
    note: Note = silent,
    on_epoch: ProgressHook | None = None,
    on_start: Callable[[], None] | None = None,
) -> TrainOutcome:
    from rnncli import runtime
    from rnncli.engine import NetworkSpec
    from rnncli.engine.keras_engine import KerasEngine, export_weights
    from rnncli.engine.numpy_engine import NumpyEngine
    from rnncli.fitting import seed_everything
    from rnncli.network import build_model, model_inputs, slow_path_reasons

    modeldir.check_target(out, force)
    panel, ds, spec, run = load_training_data(source, label, run, note)
    w, m, t = run.window, run.model, run.train
    counts = ds.counts()
    note(
        f"windows: {counts['train']} train, {counts['val']} val, {counts['test']} test "
        f"(look-back {w.look_back}, horizon {w.horizon})"
    )
    device = runtime.select_device(t.device)
    note(f"device: {device}")
    if device.startswith("GPU"):
        reasons = slow_path_reasons(m, pad=w.pad)
        if reasons:
            note(
                "Warning: these options keep the GPU off the fast cuDNN kernel: "
                + "; ".join(reasons)
            )
    seed_everything(t.seed)
    n_targets = ds.y.shape[-1]
    masked = ds.mask is not None and m.padding == "mask"
    network = NetworkSpec(
        cell=m.cell,
        units=m.units,
        layers=m.layers,
        bidirectional=m.bidirectional,
        activation=m.activation,
        look_back=w.look_back,
        n_features=ds.x.shape[-1],
        horizon=w.horizon,
        n_targets=n_targets,
        masked=masked,
    )
    model = build_model(
        m,
        look_back=w.look_back,
        n_features=ds.x.shape[-1],
        horizon=w.horizon,
        n_targets=n_targets,
        masked=masked,
        right_padded=w.pad == "post",
    )
    compile_model(model, t)

    def inputs(idx: np.ndarray) -> tuple[Any, np.ndarray]:
        x, y, mask = _arrays(ds, idx, w.normalize)
        return model_inputs(x, mask, masked), y

    val_idx = ds.part(VAL)
    val = inputs(val_idx) if len(val_idx) else None
    if on_start is not None:
        on_start()
    result = fit(model, inputs(ds.part(TRAIN)), val, t, on_epoch)

    keras_engine = KerasEngine(model)
    weights = export_weights(model, network)
    numpy_engine = NumpyEngine(network, weights)
    calib_idx = val_idx if len(val_idx) else ds.part(TRAIN)
    x_check, _y, mask_check = _arrays(ds, calib_idx, w.normalize)
    diff = check_parity(keras_engine, numpy_engine, x_check, mask_check if masked else None)

    def predict(idx: np.ndarray) -> np.ndarray:
        mask = ds.mask[idx] if ds.mask is not None else None
        return predict_scaled(
            numpy_engine, ds.x[idx], mask, n_targets=n_targets, normalize=w.normalize
        )

    season = season_from_freq(spec.get("freq"))
    calibration = scoring.calibrate(ds.y[calib_idx], predict(calib_idx))
    calibration["source"] = "val" if len(val_idx) else "train (no validation windows: too narrow)"
    test_idx = ds.part(TEST)
    rows: list[dict[str, Any]] = []
    if panel is not None and len(test_idx):
        insample = scoring.insample_targets(ds.originals, list(ds.sizes["train"]))
        rows = scoring.score(
            ds.originals,
            predict(test_idx),
            ds.series[test_idx],
            ds.origin[test_idx],
            ids=ds.series_ids,
            insample=insample,
            season=season,
            targets=list(spec["columns"]["targets"]),
        )
    c = spec["columns"]
    card = ModelCard(
        created=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        config=run,
        columns=Columns(c["time_col"], tuple(c["targets"]), tuple(c["inputs"]), c["id_col"]),
        source=_source(source, label),
        freq=spec.get("freq"),
        season=season,
        scale_method=w.scale,
        masked=masked,
        series=_records(ds, panel),
        windows=counts,
        fit=FitSummary(
            len(result.history),
            result.best_epoch,
            float(result.best_loss),
            result.stopped_early,
            round(result.seconds, 3),
            result.interrupted,
        ),
        params=int(model.count_params()),
        device=device,
        versions=_versions(),
        engine=EngineRecord(
            weights=modeldir.WEIGHTS_FILE,
            network=network,
            parity_max_abs=diff,
            parity_windows=min(len(calib_idx), PARITY_WINDOWS),
        ),
    )
    extra = {modeldir.CALIBRATION_FILE: calibration}
    if rows:
        extra[modeldir.METRICS_FILE] = {"split": "test", "season": season, "rows": rows}
    modeldir.save(
        out, card, result.history, weights=weights, keras_model=model, extra_json=extra, force=force
    )
    if result.interrupted:
        raise Interrupted(
            f"training interrupted; the best model so far was saved to {out} (marked interrupted)"
        )
    return TrainOutcome(out, device, result, counts, rows, int(model.count_params()))


def _versions() -> dict[str, str]:
    import keras
    import tensorflow as tf

    from rnncli import __version__

    return {
        "rnncli": __version__,
        "python": sys.version.split()[0],
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "numpy": np.__version__,
        "platform": platform.platform(),
    }
