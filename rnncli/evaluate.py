"""`evaluate`: score a model on data it never saw, beside naive baselines.

By default the data the model was trained on, re-split exactly as recorded.
A newer file of the same series is accepted when each series' first rows
match the recorded fingerprint; then every step after the recorded train
and validation parts is test data.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np

from rnncli import scoring as evaluation
from rnncli.modeldir import CALIBRATION_FILE, Artifact
from rnncli.data import Panel, load_panel, series_digest
from rnncli.dataset import TEST, Dataset, build
from rnncli.errors import DataError
from rnncli.inference import predict_scaled


@dataclass
class EvalReport:
    rows: list[dict[str, Any]]
    coverage: list[dict[str, Any]]
    season: int
    windows: int
    panel: Panel
    ds: Dataset
    idx: np.ndarray
    y_pred_scaled: np.ndarray


def check_fingerprint(panel: Panel, artifact: Artifact) -> None:
    """Each series must start with exactly the rows the model was trained on."""
    recorded = artifact.meta["data"].get("fingerprint")
    if not recorded:
        return
    for s in panel.series:
        fp = recorded.get(s.id)
        if fp is None:
            known = ", ".join(list(recorded)[:10])
            raise DataError(f"series '{s.id}' is unknown to the model (it knows: {known})")
        rows = fp["rows"]
        if len(s.values) < rows:
            raise DataError(
                f"series '{s.id}' has {len(s.values)} rows, fewer than the {rows} the model was "
                f"trained on; evaluate on the training file or a newer one"
            )
        if series_digest(s.values[:rows]) != fp["sha256"]:
            raise DataError(
                f"series '{s.id}': its first {rows} rows differ from the data the model was "
                f"trained on ({fp['first']}..{fp['last']}); evaluate on the same series with "
                f"newer rows appended"
            )


def last_origins(ds: Dataset, idx: np.ndarray, k: int) -> np.ndarray:
    """The last k window origins of each series among idx (rolling-origin backtest)."""
    keep = []
    for s in np.unique(ds.series[idx]):
        rows = idx[ds.series[idx] == s]
        keep.append(rows[-k:])
    return np.sort(np.concatenate(keep)) if keep else idx


def evaluate(
    artifact: Artifact,
    source: str | Path | IO[str] | None,
    label: str | None,
    *,
    season: int | None = None,
    backtest: int | None = None,
    levels: tuple[float, ...] = (80, 95),
) -> EvalReport:
    meta = artifact.meta
    if source is None:
        label = meta["data"]["source"]
        source = label
        if str(label).endswith(".npz"):
            raise DataError(
                f"the model was trained from windows in {label}; pass the CSV they came from"
            )
    panel = load_panel(source, artifact.data_spec(), str(label))
    check_fingerprint(panel, artifact)
    window = dataclasses.replace(artifact.window_spec(), stride=1, skip_short=True)
    ds = build(panel, window, fitted=artifact.fitted())
    idx = ds.part(TEST)
    if len(idx) == 0:
        raise DataError(
            f"no test windows in {label}: the model's test part is empty; retrain with "
            f"--test-size, or pass a newer file with steps after the validation part"
        )
    if backtest is not None:
        idx = last_origins(ds, idx, backtest)
    model = artifact.model
    n_targets = ds.y.shape[-1]
    mask = ds.mask[idx] if ds.mask is not None else None
    y_pred = predict_scaled(model, ds.x[idx], mask, n_targets=n_targets, normalize=window.normalize)
    m = season if season is not None else int(meta["data"].get("season", 1))
    values = {s.id: s.values for s in panel.series}
    insample = evaluation.insample_targets(values, ds, n_targets)
    targets = list(meta["data"]["columns"]["targets"])
    rows = evaluation.score(ds, y_pred, idx, insample, m, targets, per_series=True)
    calibration = artifact.read_json(CALIBRATION_FILE)
    coverage = (
        evaluation.coverage_rows(ds, y_pred, idx, calibration, list(levels)) if calibration else []
    )
    return EvalReport(rows, coverage, m, len(idx), panel, ds, idx, y_pred)


def plot(report: EvalReport, path: Path, targets: list[str]) -> None:
    """History, actuals and forecasts of the first series and target (matplotlib)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise DataError("--plot needs matplotlib: pip install 'rnncli[plot]'") from None
    ds, idx = report.ds, report.idx
    s = int(ds.series[idx[0]])
    series = report.panel.series[[x.id for x in report.panel.series].index(ds.series_ids[s])]
    rows = idx[ds.series[idx] == s]
    sel = ds.series[idx] == s
    pred = evaluation.to_original(ds, report.y_pred_scaled[sel], rows)
    fig, ax = plt.subplots(figsize=(10, 4))
    ax.plot(series.time, series.values[:, 0], color="0.5", lw=1, label="history")
    times = ds.target_time[rows]
    step = max(1, len(rows) // 20) if times.shape[1] > 1 else 1
    for i in range(0, len(rows), step):
        ax.plot(times[i], pred[i, :, 0], color="C1", lw=1.2, label="forecast" if i == 0 else None)
    ax.set_title(f"{ds.series_ids[s]} — {targets[0]}: test forecasts")
    ax.legend()
    fig.tight_layout()
    tmp = path.with_name(f".{path.name}.tmp.png")
    fig.savefig(tmp, dpi=100)
    plt.close(fig)
    tmp.replace(path)
