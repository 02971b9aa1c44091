"""`train` end to end: data -> windows -> model -> fit -> held-out scores -> model directory."""

from __future__ import annotations

import platform
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np

from rnncli import modeldir as artifacts, scoring as evaluation
from rnncli.config import RunConfig, build_config
from rnncli.data import Panel, format_time, load_panel, series_digest
from rnncli.dataset import TEST, TRAIN, VAL, Dataset, build, load_npz, spec_dict
from rnncli.inference import normalize_windows, predict_scaled
from rnncli.metrics import season_from_freq
from rnncli.fitting import FitResult, Interrupted, ProgressHook, compile_model, fit

Note = Callable[[str], None]


@dataclass
class TrainOutcome:
    path: Path
    device: str
    fit: FitResult
    counts: dict[str, int]
    metrics: list[dict[str, Any]]
    params: int


def fingerprint(panel: Panel) -> dict[str, Any]:
    """Per series: length, first/last time and a SHA-256 of its values (to recognise it later)."""
    out = {}
    for s in panel.series:
        out[s.id] = {
            "rows": len(s.values),
            "first": format_time(s.time[0]),
            "last": format_time(s.time[-1]),
            "sha256": series_digest(s.values),
        }
    return out


def load_training_data(
    source: str | Path | IO[str], label: str, run: RunConfig, note: Note = print
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


def train(
    run: RunConfig,
    source: str | Path | IO[str],
    label: str,
    out: Path,
    *,
    force: bool = False,
    note: Note = print,
    on_epoch: ProgressHook | None = None,
    on_start: Callable[[], None] | None = None,
) -> TrainOutcome:
    from rnncli import runtime
    from rnncli.network import build_model, model_inputs, slow_path_reasons
    from rnncli.fitting import seed_everything

    artifacts.check_target(out, force)
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

    def predict(idx: np.ndarray) -> np.ndarray:
        mask = ds.mask[idx] if ds.mask is not None else None
        return predict_scaled(model, ds.x[idx], mask, n_targets=n_targets, normalize=w.normalize)

    season = season_from_freq(spec.get("freq"))
    calib_idx = val_idx if len(val_idx) else ds.part(TRAIN)
    calibration = evaluation.calibrate(ds.y[calib_idx], predict(calib_idx))
    calibration["source"] = "val" if len(val_idx) else "train (no validation windows: too narrow)"
    test_idx = ds.part(TEST)
    rows: list[dict[str, Any]] = []
    if panel is not None and len(test_idx):
        values = {s.id: s.values for s in panel.series}
        insample = evaluation.insample_targets(values, ds, n_targets)
        rows = evaluation.score(
            ds, predict(test_idx), test_idx, insample, season, list(spec["columns"]["targets"])
        )
    meta = {
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "interrupted": result.interrupted,
        "data": {
            "source": str(label),
            "columns": spec["columns"],
            "fill": run.data.fill,
            "freq": spec.get("freq"),
            "season": season,
            "series": ds.series_ids,
            "sizes": ds.sizes,
            "windows": counts,
            "fingerprint": fingerprint(panel) if panel is not None else None,
        },
        "window": asdict(w),
        "model": asdict(m),
        "train": asdict(t),
        "masked": masked,
        "scaler": ds.scaler.to_dict(ds.series_ids),
        "fit": {
            "epochs_run": len(result.history),
            "best_epoch": result.best_epoch,
            "best_loss": result.best_loss,
            "stopped_early": result.stopped_early,
            "seconds": round(result.seconds, 3),
        },
        "params": int(model.count_params()),
        "device": device,
        "versions": _versions(),
    }
    extra = {artifacts.CALIBRATION_FILE: calibration}
    if rows:
        extra[artifacts.METRICS_FILE] = {"split": "test", "season": season, "rows": rows}
    artifacts.save(out, model, meta, result.history, extra, force=force)
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
