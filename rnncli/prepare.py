"""One preparation path for evaluate and predict: (model card, newer data) -> network arrays.

DATA is read with the model's recorded columns (extra columns are ignored; a missing one is an
error naming its role). Each series is matched to its `SeriesRecord`, its time stamps are
checked against the model's frequency, it is differenced (`--difference`) and scaled with the
recorded statistics, never refitted. `Prepared` then hands out windows at whatever origins a
command needs (`windows.history`, exactly as in training): predict asks for the one after each
series' end, evaluate for every origin of the test part. Its `originals` is the one way back to
original units and the one source of the naive baselines.

The `--future` file is read by `future.py`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np
import pandas as pd

from rnncli import calendar
from rnncli.card import ModelCard, SeriesRecord
from rnncli.config import DataSpec
from rnncli.data import Panel, Series, load_panel, read_table, series_digest
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
    check_roles(frame, roles, label, model_name)
    return load_panel(frame, spec, label, with_freq=False)


def check_roles(frame: pd.DataFrame, roles: dict[str, str], label: str, model_name: str) -> None:
    for name, role in roles.items():
        if name not in frame.columns:
            raise DataError(
                f"column '{name}' ({role} of model {model_name}) is not in {label}; "
                f"its columns: {', '.join(map(str, frame.columns))}; give data with the columns "
                f"the model was trained on"
            )


def roles_of(spec: DataSpec) -> dict[str, str]:
    roles: dict[str, str] = {}
    if spec.time_col is not None:
        roles[spec.time_col] = "the time column"
    if spec.id_col is not None:
        roles[spec.id_col] = "the series id column"
    roles.update({t: "a target" for t in spec.target})
    roles.update({f: "a feature" for f in spec.features})
    roles.update({k: "a known-future input" for k in spec.known})
    return roles


def read_data(card: ModelCard, source: Source, label: str, model_name: str) -> Panel:
    """DATA read with the columns recorded in the model card."""
    spec = card.data_spec()
    return read_csv(source, label, spec, roles_of(spec), model_name)


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
    notes: tuple[str, ...] = ()  # e.g. how many series were new to the model
    skipped: tuple[tuple[str, str], ...] = ()  # (id, why) of series left out (--skip-invalid)

    @property
    def n_targets(self) -> int:
        return self.originals.n_targets

    def windows(
        self, series: np.ndarray, at: np.ndarray, look_back: int, pad: str
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Windows at origins `at` of `series`, as in training (see `windows_at`)."""
        return windows_at(self.values, series, at, look_back, pad)

    def known_ahead(
        self, series: np.ndarray, at: np.ndarray, horizon: int, width: int
    ) -> np.ndarray | None:
        """The known-future blocks (N, horizon, width) at origins `at`, from the data itself
        (evaluate: the actual rows of the steps forecast); None when width is 0."""
        if not width:
            return None
        out = np.empty((len(at), horizon, width), dtype=np.float32)
        for s, group in _groups(series):
            known = self.values[s][:, -width:]
            out[group] = known[at[group][:, None] + np.arange(horizon)[None, :]]
        return out


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


def fingerprint_problems(card: ModelCard, panel: Panel) -> list[tuple[str, str]]:
    """For evaluate: (id, why) of each series that does not start with exactly the rows the
    model was trained on (evaluate scores only what follows them)."""
    out = []
    for s in panel.series:
        r = card.record(s.id)
        if r is None or r.sha256 is None or r.rows is None:
            continue
        if len(s.values) < r.rows:
            out.append(
                (
                    s.id,
                    f"series '{s.id}' has {len(s.values)} rows, fewer than the {r.rows} the "
                    f"model was trained on; evaluate on the training file or a newer one",
                )
            )
        elif series_digest(s.values[: r.rows]) != r.sha256:
            out.append(
                (
                    s.id,
                    f"series '{s.id}': its first {r.rows} rows differ from the data the model "
                    f"was trained on ({r.first}..{r.last}); evaluate on the same series with "
                    f"newer rows appended",
                )
            )
    return out


def _too_short(card: ModelCard, n: int, where: str) -> DataError | None:
    """The error for a series with fewer steps than the model needs, else None."""
    if n >= card.min_look_back + card.lag:
        return None
    need = f"look-back {card.look_back}" + (
        f" (at least {card.min_look_back} with padding)"
        if card.min_look_back < card.look_back
        else ""
    )
    if card.lag:
        need += f" + difference {card.lag}"
    return DataError(
        f"{where} has {n} time steps, fewer than the model's {need}; give more history for it"
    )


def new_record(
    card: ModelCard,
    values: np.ndarray,
    ordinal: np.ndarray,
    sid: str,
    where: str,
    evaluate: bool,
    encoded: np.ndarray | None = None,
) -> SeriesRecord:
    """A series the model never saw, with statistics from its own history by the training
    rules (`dataset.fit_series`): for predict from all of it (all of it is past); for
    evaluate from the rows before its last horizon, which is its test part."""
    from rnncli.dataset import fit_series

    n = len(values) - card.lag
    n_test = card.horizon if evaluate else 0
    n_train = n - n_test
    if n_train < max(card.min_look_back, 2):
        need = max(card.min_look_back, 2) + n_test + card.lag
        raise DataError(
            f"{where} is new to the model and has {len(values)} time steps; it needs {need} "
            f"(its statistics come from its own history"
            + (", its last horizon is scored" if evaluate else "")
            + "); give more history for it"
        )
    spec = card.config.window
    transform, _base, _inputs, center, scale = fit_series(
        values, ordinal, spec, card.n_targets, n_train, 0, where, encoded
    )
    return SeriesRecord(
        sid,
        n_train,
        0,
        n_test,
        tuple(float(v) for v in center),
        tuple(float(v) for v in scale),
        log=transform.log,
        season=transform.season,
    )


def summary(messages: list[str], what: str) -> str | None:
    """One line for many per-series messages: the message itself, or the count and the first."""
    if not messages:
        return None
    if len(messages) == 1:
        return messages[0]
    return f"{len(messages)} series {what}; the first: {messages[0]}"


def skipped_warning(skipped: tuple[tuple[str, str], ...], kept: int) -> tuple[str, ...]:
    """One line for the series --skip-invalid left out (none when none was)."""
    if not skipped:
        return ()
    total = kept + len(skipped)
    return (
        f"skipped {len(skipped)} of {total} series that cannot be forecast (the first: "
        f"{skipped[0][1]}); --verbose lists them",
    )


def prepare(
    card: ModelCard,
    panel: Panel,
    *,
    history_only: bool = True,
    skip_invalid: bool = False,
    problems: list[tuple[str, str]] | None = None,
) -> Prepared:
    """Match DATA's series to the model's, check their times, difference and scale them.

    `history_only` (predict): only the last look-back of each series must be regular in time;
    evaluate passes False and every step is checked. A series the model never saw gets its
    statistics from its own history (`new_record`). A series that cannot be forecast (too
    short, a gap) fails the call, naming the first and the count, unless `skip_invalid`: then
    it is left out and listed in `Prepared.skipped`. `problems` are (id, why) the caller
    found already (evaluate: `fingerprint_problems`).
    """
    lag, n_targets = card.lag, len(card.columns.targets)
    n_calendar = len(card.columns.calendar)
    label = panel.source
    time_col = card.columns.time_col
    dates = time_col is not None and all(s.time.dtype.kind == "M" for s in panel.series)
    if time_col is not None:
        lasts = {r.id: {"last": r.last} for r in card.series if r.last is not None}
        check_kind(dates, card.freq, lasts, label, time_col)
    older: list[str] = []
    problems = list(problems or [])
    bad = {sid for sid, _why in problems}
    new: list[str] = []
    ids, records, values, times, freqs, originals = [], [], [], [], [], []
    bases: list[np.ndarray] = []
    transforms: list[TargetTransform] = []
    ordinals: list[np.ndarray] = []
    for s in panel.series:
        if s.id in bad:
            continue
        where = f"series '{s.id}'" if panel.columns.id_col else label
        try:
            record, time, freq, ordinal = _checked(card, s, where, dates, history_only)
        except DataError as exc:
            problems.append((s.id, str(exc)))
            continue
        encoded = calendar.encode(time, card.columns.calendar, where) if n_calendar else None
        if record is None:
            new.append(s.id)
            record = new_record(card, s.values, ordinal, s.id, where, not history_only, encoded)
        elif time_col is not None:
            late = ends_before(time, record.last, dates, where)
            if late is not None:
                older.append(late)
        transform = record.transform(n_targets)
        base, inputs = network_inputs(s.values, n_targets, transform, ordinal, lag, encoded)
        center, scale = np.array(record.center), np.array(record.scale)
        ids.append(s.id)
        values.append(((inputs - center) / scale).astype(np.float32))
        originals.append(np.asarray(s.values[:, :n_targets], dtype=np.float64))
        bases.append(base)
        transforms.append(transform)
        ordinals.append(ordinal)
        records.append(record)
        times.append(time)
        freqs.append(freq)
    _refuse(problems, len(panel.series), label, bool(panel.columns.id_col), skip_invalid)
    warns = [w for w in [summary(older, "end before the end of their training data")] if w]
    notes = []
    if new:
        notes.append(
            f"{len(new)} of {len(ids)} series new to the model (first: {new[0]}): scaled "
            f"from their own history"
        )
    center = np.array([r.center for r in records], dtype=np.float64)
    scale = np.array([r.scale for r in records], dtype=np.float64)
    return Prepared(
        ids,
        records,
        times,
        values,
        freqs,
        Originals(originals, center, scale, lag, bases, transforms, ordinals),
        tuple(warns),
        tuple(notes),
        tuple(problems),
    )


def _checked(
    card: ModelCard, s: Series, where: str, dates: bool, history_only: bool
) -> tuple[SeriesRecord | None, np.ndarray, str | None, np.ndarray]:
    """One series' record (None: new to the model), times, frequency and step ordinals, after
    the checks training applied too; DataError for a series that cannot be forecast."""
    n = len(s.values)
    short = _too_short(card, n, where)
    if short is not None:
        raise short
    time = s.time if card.columns.time_col is not None else np.arange(n, dtype=np.int64)
    freq = series_freq(time, card.freq, where) if dates else None
    if card.config.data.fill != "drop":  # as at training (`train.check_times`)
        first = max(n - card.look_back - card.lag, 0) if history_only else 0
        check_steps(time[first:], freq, where)
    return card.record(s.id), time, freq, step_ordinals(time, card.freq)


def _refuse(
    problems: list[tuple[str, str]], total: int, label: str, panel: bool, skip_invalid: bool
) -> None:
    """DataError for the series that cannot be forecast, unless they are to be skipped."""
    if not problems:
        return
    first = problems[0][1]
    if not panel:
        raise DataError(first)
    n = len(problems)
    if n == total:
        raise DataError(
            f"{label}: no series can be forecast"
            + (f" ({n} cannot)" if n > 1 else "")
            + f"; the first: {first}"
        )
    if not skip_invalid:
        raise DataError(
            f"{label}: {n} of {total} series cannot be forecast; the first: {first}; pass "
            f"--skip-invalid to forecast the other {total - n}"
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


__all__ = [
    "Prepared",
    "Source",
    "check_roles",
    "fingerprint_problems",
    "prepare",
    "read_csv",
    "read_data",
    "roles_of",
    "skipped_warning",
    "test_origins",
    "windows_at",
]
