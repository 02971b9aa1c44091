"""`evaluate`: score a model on data it never saw, beside naive baselines.

By default the data the model was trained on (its recorded absolute path, so this works from
any working directory, cron's `/` included), re-split exactly as recorded. A newer file of the
same series is accepted when each series' first rows match the recorded fingerprint; then
every step after the recorded train and validation parts is test data. The windows, the way
back to original units and the baselines come from `prepare`, the path predict uses too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np

from rnncli import intervals, scoring
from rnncli.errors import DataError
from rnncli.inference import predict_scaled
from rnncli.modeldir import CALIBRATION_FILE, ModelDir, load_engine
from rnncli.prepare import (
    Prepared,
    fingerprint_problems,
    prepare,
    read_data,
    skipped_warning,
    test_origins,
)


@dataclass(frozen=True)
class EvalReport:
    rows: list[dict[str, Any]]
    coverage: list[dict[str, Any]]
    season: int
    windows: int
    prep: Prepared
    series: np.ndarray  # (N,) index into prep.ids of each scored window
    at: np.ndarray  # (N,) origin of each scored window (network rows)
    y_pred_scaled: np.ndarray
    notes: tuple[str, ...] = ()  # e.g. how many series were new to the model
    warnings: tuple[str, ...] = ()  # summaries: series ending early, series skipped


def training_source(model: ModelDir) -> tuple[str, str]:
    """(path, label) of the data the model was trained on, or a DataError saying what to pass."""
    src = model.card.source
    if src.kind == "stdin":
        raise DataError(
            f"{model.path} was trained from stdin, so its data is not on record; pass the same "
            f"CSV as DATA"
        )
    if src.kind == "npz":
        raise DataError(
            f"the model was trained from windows in {src.label}; pass the CSV they came from"
        )
    path = src.path or src.label
    if not Path(path).exists():
        raise DataError(
            f"the training data {path} is gone; pass the CSV the model was trained on as DATA"
        )
    return path, src.label


def last_origins(series: np.ndarray, at: np.ndarray, k: int) -> np.ndarray:
    """Positions of the last k window origins of each series (rolling-origin backtest)."""
    keep = [np.flatnonzero(series == s)[-k:] for s in np.unique(series)]
    return np.sort(np.concatenate(keep)) if keep else np.arange(len(at))


def evaluate(
    model: ModelDir,
    source: str | Path | IO[str] | None,
    label: str | None,
    *,
    season: int | None = None,
    backtest: int | None = None,
    levels: tuple[int, ...] = (80, 95),
    engine: str = "numpy",
    note: Callable[[str], None] | None = None,
    skip_invalid: bool = False,
) -> EvalReport:
    card = model.card
    if source is None or label is None:
        source, label = training_source(model)
    panel = read_data(card, source, str(label), str(model.path))
    prep = prepare(
        card,
        panel,
        history_only=False,
        skip_invalid=skip_invalid,
        problems=fingerprint_problems(card, panel),
    )
    series, at = test_origins(prep, card.horizon, card.min_look_back)
    if len(at) == 0:
        raise DataError(
            f"no test windows in {label}: the model's test part is empty; retrain with "
            f"--test-size, or pass a newer file with steps after the validation part"
        )
    if backtest is not None:
        keep = last_origins(series, at, backtest)
        series, at = series[keep], at[keep]
    w = card.config.window
    x, mask = prep.windows(series, at, card.look_back, w.pad)
    runner = load_engine(model, engine, note)
    # known-future inputs: their actual values at the steps forecast, from the data itself
    ahead = prep.known_ahead(series, at, card.horizon, card.columns.known_width)
    y_pred = predict_scaled(
        runner, x, mask, n_targets=prep.n_targets, normalize=w.normalize, future=ahead
    )
    m = season if season is not None else card.season
    insample = scoring.insample_targets(prep.originals, [r.n_train for r in prep.records])
    rows = scoring.score(
        prep.originals,
        y_pred,
        series,
        at,
        ids=prep.ids,
        insample=insample,
        season=m,
        targets=list(card.columns.targets),
        per_series=True,
    )
    calibration = model.read_json(CALIBRATION_FILE)
    coverage = []
    if calibration:
        usable = []
        for level in levels:
            try:
                intervals.widths(calibration, level, card.horizon, card.horizon)
                usable.append(level)
            except DataError as exc:
                if note is not None:
                    note(f"no coverage at {level} %: {exc}")
        coverage = scoring.coverage_rows(
            prep.originals, y_pred, series, at, calibration, usable, ids=prep.ids
        )
    warnings = prep.warnings + skipped_warning(prep.skipped, len(prep.ids))
    return EvalReport(rows, coverage, m, len(at), prep, series, at, y_pred, prep.notes, warnings)
