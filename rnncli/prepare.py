"""One preparation path for evaluate and predict: (model card, newer data) -> network arrays.

DATA is read with the model's recorded columns (extra columns are ignored; a missing one is an
error naming its role). Each series is matched to its `SeriesRecord`, its time stamps are
checked against the model's frequency, it is differenced (`--difference`) and scaled with the
recorded statistics, never refitted. `Prepared` then hands out windows at whatever origins a
command needs (`windows.history`, exactly as in training): predict asks for the one after each
series' end, evaluate for every origin of the test part. Its `originals` is the one way back to
original units and the one source of the naive baselines.

`read_future` reads the future values of the model's feature inputs, scaled the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np

from rnncli.card import ModelCard, SeriesRecord
from rnncli.config import DataSpec
from rnncli.data import Panel, format_time, load_panel, read_table, series_digest
from rnncli.errors import DataError
from rnncli.originals import Originals
from rnncli.timestamps import check_kind, check_steps, ends_before, series_freq, step_ordinals
from rnncli.transforms import TargetTransform, network_inputs
from rnncli.windows import history

Source = str | Path | IO[str]


# ---- reading DATA with the model's columns ---------------------------------------------------


def read_csv(
    source: Source, label: str, spec: DataSpec, roles: dict[str, str], model_name: str
) -> Panel:
    """load_panel with the model's columns, after checking that DATA has them all."""
    frame = read_table(source, label)
    for name, role in roles.items():
        if name not in frame.columns:
            raise DataError(
                f"column '{name}' ({role} of model {model_name}) is not in {label}; "
                f"its columns: {', '.join(map(str, frame.columns))}; give data with the columns "
                f"the model was trained on"
            )
    return load_panel(frame, spec, label, with_freq=False)


def _roles(spec: DataSpec) -> dict[str, str]:
    roles: dict[str, str] = {}
    if spec.time_col is not None:
        roles[spec.time_col] = "the time column"
    if spec.id_col is not None:
        roles[spec.id_col] = "the series id column"
    roles.update({t: "a target" for t in spec.target})
    roles.update({f: "a feature" for f in spec.features})
    return roles


def read_data(card: ModelCard, source: Source, label: str, model_name: str) -> Panel:
    """DATA read with the columns recorded in the model card."""
    spec = card.data_spec()
    return read_csv(source, label, spec, _roles(spec), model_name)


# ---- the prepared series ---------------------------------------------------------------------


@dataclass(frozen=True)
class Prepared:
    """DATA ready for the network: one entry per series, in DATA order."""

    ids: list[str]
    records: list[SeriesRecord]
    times: list[np.ndarray]  # per series: its time stamps (datetime64[ns] or int64 positions)
    values: list[np.ndarray]  # per series: (n, n_inputs) float32, differenced and scaled
    freqs: list[str | None]  # per series: pandas frequency of its dates, None for positions
    originals: Originals
    warnings: tuple[str, ...]

    @property
    def n_targets(self) -> int:
        return self.originals.n_targets

    def windows(
        self, series: np.ndarray, at: np.ndarray, look_back: int, pad: str
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Windows at origins `at` of `series`, as in training (see `windows_at`)."""
        return windows_at(self.values, series, at, look_back, pad)


def windows_at(
    values: list[np.ndarray], series: np.ndarray, at: np.ndarray, look_back: int, pad: str
) -> tuple[np.ndarray, np.ndarray | None]:
    """Windows x (N, L, F) and masks (N, L) at origins `at` of series `values[series]`.

    Each is `windows.history` of its series, exactly as in training. The mask is None when no
    window is padded.
    """
    n_inputs = values[0].shape[1]
    x = np.empty((len(at), look_back, n_inputs), dtype=np.float32)
    mask = np.empty((len(at), look_back), dtype=bool)
    for s, group in _groups(series):
        x[group], mask[group] = history(values[s], at[group], look_back, pad)  # type: ignore[arg-type]
    return x, (None if mask.all() else mask)


def _groups(series: np.ndarray) -> list[tuple[int, np.ndarray]]:
    """(series index, positions) for each series present, in first-appearance order."""
    _, first = np.unique(series, return_index=True)
    return [(int(series[i]), np.flatnonzero(series == series[i])) for i in np.sort(first)]


def _unknown(card: ModelCard, ids: list[str], label: str) -> None:
    unknown = [sid for sid in ids if card.record(sid) is None]
    if unknown:
        known = ", ".join(card.ids[:10]) + (", …" if len(card.ids) > 10 else "")
        raise DataError(
            f"{label}: series '{unknown[0]}' is unknown to the model (it knows: {known}); "
            f"a model forecasts only the series it was trained on"
        )


def check_fingerprint(card: ModelCard, panel: Panel) -> None:
    """For evaluate: each series must start with exactly the rows the model was trained on."""
    for s in panel.series:
        r = card.record(s.id)
        if r is None or r.sha256 is None or r.rows is None:
            continue
        if len(s.values) < r.rows:
            raise DataError(
                f"series '{s.id}' has {len(s.values)} rows, fewer than the {r.rows} the model "
                f"was trained on; evaluate on the training file or a newer one"
            )
        if series_digest(s.values[: r.rows]) != r.sha256:
            raise DataError(
                f"series '{s.id}': its first {r.rows} rows differ from the data the model was "
                f"trained on ({r.first}..{r.last}); evaluate on the same series with newer rows "
                f"appended"
            )


def prepare(card: ModelCard, panel: Panel, *, history_only: bool = True) -> Prepared:
    """Match DATA's series to the model's, check their times, difference and scale them.

    `history_only` (predict): only the last look-back of each series must be regular in time;
    evaluate passes False and every step is checked.
    """
    look_back, lag, n_targets = card.look_back, card.lag, len(card.columns.targets)
    label = panel.source
    ids = [s.id for s in panel.series]
    _unknown(card, ids, label)
    time_col = card.columns.time_col
    dates = time_col is not None and all(s.time.dtype.kind == "M" for s in panel.series)
    if time_col is not None:
        lasts = {r.id: {"last": r.last} for r in card.series if r.last is not None}
        check_kind(dates, card.freq, lasts, label, time_col)
    center, scale = card.stats(ids)
    warns: list[str] = []
    records, values, times, freqs, originals = [], [], [], [], []
    bases: list[np.ndarray] = []
    transforms: list[TargetTransform] = []
    ordinals: list[np.ndarray] = []
    for i, s in enumerate(panel.series):
        where = f"{label}: series '{s.id}'" if panel.columns.id_col else label
        n = len(s.values)
        if n < card.min_look_back + lag:
            need = f"look-back {look_back}" + (
                f" (at least {card.min_look_back} with padding)"
                if card.min_look_back < look_back
                else ""
            )
            if lag:
                need += f" + difference {lag}"
            raise DataError(
                f"{where} has {n} time steps, fewer than the model's {need}; "
                f"give more history for it"
            )
        record = card.record(s.id)
        assert record is not None  # _unknown checked it
        time = s.time if time_col is not None else np.arange(n, dtype=np.int64)
        freq = series_freq(time, card.freq, where) if dates else None
        if card.config.data.fill != "drop":  # as at training (`train.check_times`)
            check_steps(time[max(n - look_back - lag, 0) :] if history_only else time, freq, where)
        if time_col is not None:
            older = ends_before(time, record.last, dates, where)
            if older is not None:
                warns.append(older)
        target = np.asarray(s.values[:, :n_targets], dtype=np.float64)
        transform = record.transform(n_targets)
        ordinal = step_ordinals(time, card.freq)
        base, inputs = network_inputs(s.values, n_targets, transform, ordinal, lag)
        values.append(((inputs - center[i]) / scale[i]).astype(np.float32))
        originals.append(target)
        bases.append(base)
        transforms.append(transform)
        ordinals.append(ordinal)
        records.append(record)
        times.append(time)
        freqs.append(freq)
    return Prepared(
        ids,
        records,
        times,
        values,
        freqs,
        Originals(
            originals,
            center,
            scale,
            lag,
            bases,
            transforms,
            ordinals,
        ),
        tuple(warns),
    )


def test_origins(prep: Prepared, horizon: int, min_look_back: int) -> tuple[np.ndarray, ...]:
    """(series, origin) of every window whose targets lie after the recorded val part."""
    series, at = [], []
    for i, (r, v) in enumerate(zip(prep.records, prep.values, strict=True)):
        first = max(r.n_train + r.n_val, min_look_back)
        origins = np.arange(first, len(v) - horizon + 1, dtype=np.int64)
        series.append(np.full(len(origins), i, dtype=np.int64))
        at.append(origins)
    return np.concatenate(series), np.concatenate(at)


# ---- --future --------------------------------------------------------------------------------


def read_future(
    card: ModelCard,
    model_name: str,
    source: Source,
    label: str,
    prep: Prepared,
    future: list[np.ndarray],
    need: int,
) -> np.ndarray:
    """Scaled feature values (S, need, n_features) at the future times of each series."""
    spec = card.data_spec()
    fspec = DataSpec(spec.time_col, spec.features, (), spec.id_col, None, spec.time_format)
    roles = _roles(DataSpec(spec.time_col, (), spec.features, spec.id_col))
    panel = read_csv(source, label, fspec, roles, model_name)
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
            found = [pos.get(t, -1) for t in wanted.tolist()]
            if -1 in found:
                raise DataError(
                    f"{label} has no row for {where} at {format_time(wanted[found.index(-1)])}; "
                    f"the forecast needs the features at the next {need} time steps"
                )
            rows = np.array(found)
        center = prep.originals.center[i, n_targets:]
        scale = prep.originals.scale[i, n_targets:]
        out.append(((s.values[rows] - center) / scale).astype(np.float32))
    return np.stack(out)


__all__ = [
    "Prepared",
    "Source",
    "check_fingerprint",
    "prepare",
    "read_csv",
    "read_data",
    "read_future",
    "test_origins",
    "windows_at",
]
