"""The `--future` file: the inputs a forecast reads at the steps after each series' end.

`read_future` reads the future values of the model's feature and known-future inputs from a
`--future` file (the model's time and id columns, the columns present); `future_values` picks
them at each series' next time stamps (a missing column, series or step is one line naming
the first and the count; `future_gaps` lists the series missing a step, for --skip-invalid);
`future_inputs` assembles, scaled as the model's inputs, every non-target input the forecast
needs (calendar inputs computed from the future time stamps).
"""

from __future__ import annotations

import numpy as np

from rnncli import calendar
from rnncli.card import ModelCard
from rnncli.config import DataSpec
from rnncli.data import Panel, Series, format_time, load_panel, read_table
from rnncli.errors import DataError
from rnncli.prepare import Prepared, Source, check_roles, roles_of


def read_future(card: ModelCard, model_name: str, source: Source, label: str) -> Panel:
    """The --future file: the model's time and id columns and its feature and known columns
    (those present; `future_values` says which are missing)."""
    spec = card.data_spec()
    frame = read_table(source, label)
    header = [str(c) for c in frame.columns]
    wanted = tuple(c for c in (*spec.features, *spec.known) if c in header)
    if not wanted:
        needed = ", ".join((*spec.known, *spec.features))
        raise DataError(
            f"{label} has none of the columns the forecast reads ahead ({needed}); its "
            f"columns: {', '.join(header)}"
        )
    # the columns wanted are read as 'targets', so that none is picked automatically
    fspec = DataSpec(spec.time_col, wanted, (), spec.id_col, None, spec.time_format)
    check_roles(frame, roles_of(DataSpec(spec.time_col, (), (), spec.id_col)), label, model_name)
    return load_panel(frame, fspec, label, with_freq=False)


def future_values(
    panel: Panel,
    ids: list[str],
    times: list[np.ndarray],
    columns: tuple[str, ...],
    need: int,
    what: str,
) -> np.ndarray:
    """Values (S, need, len(columns)) of `columns` at each series' next `need` time stamps.

    A missing column, series or step is one DataError naming the first and how many there
    are; `what` says what they are for.
    """
    label = panel.source
    have = panel.columns.targets
    absent = [c for c in columns if c not in have]
    if absent:
        raise DataError(
            f"{label} has no column '{absent[0]}' ({len(absent)} of {len(columns)} missing: "
            f"{', '.join(absent)}); {what}"
        )
    pick = [have.index(c) for c in columns]
    by_id = {s.id: s for s in panel.series}
    named = panel.columns.id_col is not None
    lost = [sid for sid in ids if sid not in by_id]
    if lost:
        first = f"series '{lost[0]}'" if named else "the series"
        raise DataError(
            f"{label} has no rows for {first} ({len(lost)} of {len(ids)} series missing); {what}"
        )
    out = np.empty((len(ids), need, len(columns)))
    gaps: list[tuple[str, str, int]] = []
    for i, sid in enumerate(ids):
        rows = _rows_at(panel, by_id[sid], times[i][:need])
        if (rows < 0).any():
            gaps.append(_gap(sid, times[i][:need], rows))
            continue
        out[i] = by_id[sid].values[rows][:, pick]
    if gaps:
        sid, when, _n = gaps[0]
        where = f"series '{sid}'" if named else "the series"
        missing = sum(n for _sid, _when, n in gaps)
        over = f" over {len(gaps)} series" if named else ""
        raise DataError(
            f"{label} has no row for {where} at {when} ({missing} missing step"
            f"{'s' if missing != 1 else ''} in all{over}); {what}"
        )
    return out


def future_gaps(
    panel: Panel, ids: list[str], times: list[np.ndarray], need: int
) -> list[tuple[str, str, int]]:
    """(id, the first time stamp missing, how many are) of each series in `panel` that lacks
    a row at one of its next `need` time stamps (series it has no rows for are not listed)."""
    by_id = {s.id: s for s in panel.series}
    gaps = []
    for sid, t in zip(ids, times, strict=True):
        if sid in by_id:
            rows = _rows_at(panel, by_id[sid], t[:need])
            if (rows < 0).any():
                gaps.append(_gap(sid, t[:need], rows))
    return gaps


def _rows_at(panel: Panel, s: Series, wanted: np.ndarray) -> np.ndarray:
    """Rows of `s` at the time stamps `wanted` (row positions without a time column), -1
    where it has none."""
    if panel.columns.time_col is None:
        rows = np.arange(len(wanted), dtype=np.int64)
        return np.where(rows < len(s.values), rows, -1)
    if s.time.dtype != wanted.dtype:
        raise DataError(
            f"{panel.source}: time column '{panel.columns.time_col}' is not like DATA's "
            f"(dates against numbers); give the same kind of time stamps"
        )
    pos = {t: j for j, t in enumerate(s.time.tolist())}
    return np.array([pos.get(t, -1) for t in wanted.tolist()], dtype=np.int64)


def _gap(sid: str, wanted: np.ndarray, rows: np.ndarray) -> tuple[str, str, int]:
    """(id, the first time stamp without a row, as text, how many have none)."""
    lost = rows < 0
    return sid, format_time(wanted[int(np.argmax(lost))]), int(lost.sum())


def future_inputs(
    card: ModelCard,
    prep: Prepared,
    times: list[np.ndarray],
    panel: Panel | None,
    *,
    known_steps: int,
    feature_steps: int,
) -> np.ndarray:
    """Scaled non-target inputs (S, known_steps, F - T) at the steps after each series' end.

    Known-future data columns come from the --future `panel` for `known_steps` steps, the
    calendar encodings from the future time stamps `times`, the past-only features from the
    panel for the first `feature_steps` (what the recursion feeds back; NaN after them, never
    read). The columns are in the network's order: features, known, calendar.
    """
    c = card.columns
    n_targets, n_features = len(c.targets), len(c.features)
    out = np.full((len(prep.ids), known_steps, c.width - n_targets), np.nan)
    if panel is not None and c.known:
        out[:, :, n_features : n_features + len(c.known)] = future_values(
            panel,
            prep.ids,
            times,
            c.known,
            known_steps,
            f"the model reads {', '.join(c.known)} at each of the next {known_steps} steps "
            f"(whole horizons of {card.horizon}): give their values in it",
        )
    if panel is not None and c.features and feature_steps:
        out[:, :feature_steps, :n_features] = future_values(
            panel,
            prep.ids,
            times,
            c.features,
            feature_steps,
            f"forecasting past the horizon feeds back {', '.join(c.features)} for the next "
            f"{feature_steps} steps: give their values in it, or ask for --steps "
            f"{card.horizon} or fewer",
        )
    if c.calendar:
        for i, t in enumerate(times):
            out[i, :, len(c.inputs) - n_targets :] = calendar.encode(t[:known_steps], c.calendar)
    center = prep.originals.center[:, None, n_targets:]
    scale = prep.originals.scale[:, None, n_targets:]
    return ((out - center) / scale).astype(np.float32)


__all__ = ["future_gaps", "future_inputs", "future_values", "read_future"]
