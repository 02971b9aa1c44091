"""Reading newer data for a trained model: its recorded columns, and --future features.

DATA must hold every column the model was trained with (extra columns are ignored); a
missing one is an error naming its role. `read_future` reads the future values of the
model's feature inputs, scaled with the recorded statistics, for recursive forecasts.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import IO

import numpy as np
import pandas as pd

from rnncli import modeldir as artifacts
from rnncli.config import DataSpec
from rnncli.data import Panel, check_file, format_time, load_panel
from rnncli.dataset import Scaler
from rnncli.errors import DataError

Source = str | Path | IO[str]


def _read_text(source: Source, label: str) -> str:
    if isinstance(source, (str, Path)):
        path = Path(source)
        check_file(path, label)
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
    spec = artifact.data_spec()
    return read_csv(source, label, spec, _roles(spec), str(artifact.path))


def read_future(
    artifact: artifacts.Artifact,
    source: Source,
    label: str,
    ids: list[str],
    scaler: Scaler,
    future: list[np.ndarray],
    need: int,
) -> np.ndarray:
    """Scaled feature values (S, need, n_features) at the future times of each series."""
    spec = artifact.data_spec()
    fspec = DataSpec(spec.time_col, spec.features, (), spec.id_col, None)
    roles = _roles(DataSpec(spec.time_col, (), spec.features, spec.id_col))
    panel = read_csv(source, label, fspec, roles, str(artifact.path))
    by_id = {s.id: s for s in panel.series}
    n_targets = len(spec.target)
    out = []
    for i, sid in enumerate(ids):
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
        center = scaler.center[i, n_targets:]
        scale = scaler.scale[i, n_targets:]
        out.append(((s.values[rows] - center) / scale).astype(np.float32))
    return np.stack(out)
