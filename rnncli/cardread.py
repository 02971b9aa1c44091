"""Reading `rnncli.yaml` back into a `ModelCard`, every key checked as it is read.

A missing key or a value of the wrong type is one `ArtifactError` naming the file and the
key. Cards written by rnncli 0.1 (schema 1) are read too; their engine record is empty, so
they run on the Keras engine. Schema 2 holds its series records inline, schema 3 in
series.json (`modeldir` reads it in first).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from rnncli.calendar import parse as parse_calendar
from rnncli.card import (
    SCHEMA_VERSION,
    DataSource,
    EngineRecord,
    FitSummary,
    ModelCard,
    SeriesRecord,
)
from rnncli.columns import Columns
from rnncli.config import RunConfig, build_config
from rnncli.engine import NetworkSpec
from rnncli.errors import ArtifactError, ConfigError, brief

T = TypeVar("T")


class _Reader:
    """Typed look-ups into the parsed YAML; every failure names the file and the key."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, key: str, what: str) -> ArtifactError:
        return ArtifactError(f"{self.path}: {key} {what}; retrain the model")

    def get(self, data: Any, key: str, kind: type[T] | tuple[type, ...], where: str = "") -> Any:
        name = f"{where}.{key}" if where else key
        if not isinstance(data, dict) or key not in data:
            raise self.fail(f"'{name}'", "is missing")
        value = data[key]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        if float in kinds and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
            names = " or ".join("null" if k is type(None) else k.__name__ for k in kinds)
            raise self.fail(f"'{name}'", f"must be {names}, got {brief(value)}")
        return value

    def optional(self, data: Any, key: str, kind: type | tuple[type, ...], where: str) -> Any:
        if not isinstance(data, dict) or data.get(key) is None:
            return None
        return self.get(data, key, kind, where)

    def strings(self, data: Any, key: str, where: str) -> tuple[str, ...]:
        items = self.get(data, key, list, where)
        if not all(isinstance(v, str) for v in items):
            raise self.fail(f"'{where}.{key}'", "must be a list of names")
        return tuple(items)

    def floats(
        self, data: Any, key: str, where: str, n: int, positive: bool = False
    ) -> tuple[float, ...]:
        items = self.get(data, key, list, where)
        try:
            values = tuple(float(v) for v in items)
        except (TypeError, ValueError):
            raise self.fail(f"'{where}.{key}'", "must be a list of numbers") from None
        if len(values) != n or not all(np.isfinite(values)):
            raise self.fail(f"'{where}.{key}'", f"must hold {n} finite numbers")
        if positive and not all(v > 0 for v in values):  # a scale divides
            raise self.fail(f"'{where}.{key}'", f"must hold {n} numbers greater than 0")
        return values


def _config(r: _Reader, meta: dict[str, Any], columns: Columns) -> RunConfig:
    flat: dict[str, Any] = {}
    for part in ("window", "model", "train"):
        flat.update(r.get(meta, part, dict))
    data = r.get(meta, "data", dict)
    flat.update(
        time_col=columns.time_col,
        target=list(columns.targets),
        features=list(columns.features),
        id_col=columns.id_col,
        fill=data.get("fill"),
        time_format=data.get("time_format"),  # absent before rnncli 0.3: None
        known=list(columns.known),
        calendar=list(columns.calendar),
    )
    try:
        config = build_config(flat)
    except ConfigError as exc:
        raise ArtifactError(f"{r.path}: {exc}; retrain the model") from None
    if config.window.look_back is None:
        raise r.fail("'window.look_back'", "is missing")
    return config


def _columns(r: _Reader, data: dict[str, Any]) -> Columns:
    c = r.get(data, "columns", dict, "data")
    where = "data.columns"
    targets = r.strings(c, "targets", where)
    inputs = r.strings(c, "inputs", where)
    if not targets or inputs[: len(targets)] != targets:
        raise r.fail(f"'{where}'", "must list the targets first among the inputs")
    # known-future columns (absent before them): the last inputs; calendar: checked names
    known = r.strings(c, "known", where) if c.get("known") is not None else ()
    if known and inputs[len(inputs) - len(known) :] != known:
        raise r.fail(f"'{where}.known'", "must be the last of the inputs")
    names = r.strings(c, "calendar", where) if c.get("calendar") is not None else ()
    try:
        calendar = parse_calendar(names)
    except ConfigError as exc:
        raise r.fail(f"'{where}.calendar'", str(exc)) from None
    return Columns(
        r.optional(c, "time_col", str, where),
        targets,
        inputs,
        r.optional(c, "id_col", str, where),
        known,
        calendar,
    )


def _source(r: _Reader, data: dict[str, Any]) -> DataSource:
    raw = data.get("source")
    if isinstance(raw, dict):
        label = r.get(raw, "label", str, "data.source")
        return DataSource(
            label, r.optional(raw, "path", str, "data.source"), r.get(raw, "kind", str)
        )
    label = r.get(data, "source", str, "data")  # schema 1: the label as typed
    kind = "stdin" if label == "<stdin>" else ("npz" if label.endswith(".npz") else "csv")
    return DataSource(label, None, kind)


def _transform(
    r: _Reader, tf: dict[str, Any], where: str, n_targets: int
) -> tuple[tuple[bool, ...], tuple[tuple[float, ...], ...]]:
    if not tf:
        return (), ()
    log = r.get(tf, "log", list, where)
    season = r.get(tf, "season", list, where)
    ok = len(log) == n_targets and all(isinstance(v, bool) for v in log)
    ok = ok and len(season) == n_targets and all(isinstance(v, list) for v in season)
    try:
        indices = tuple(tuple(float(x) for x in v) for v in season)
    except (TypeError, ValueError):
        ok = False
    if not ok or not all(np.isfinite(v).all() for v in indices if v):
        raise r.fail(f"'{where}'", f"must hold log and season for {n_targets} target(s)")
    return tuple(log), indices


def _series_v2(
    r: _Reader, meta: dict[str, Any], n_inputs: int, n_targets: int
) -> tuple[SeriesRecord, ...]:
    out = []
    for i, item in enumerate(r.get(meta, "series", list)):
        where = f"series[{i}]"
        sizes = r.get(item, "sizes", list, where)
        if len(sizes) != 3 or not all(isinstance(v, int) and v >= 0 for v in sizes):
            raise r.fail(f"'{where}.sizes'", "must be three counts [train, val, test]")
        fp = r.optional(item, "fingerprint", dict, where) or {}
        tf = r.optional(item, "transform", dict, where) or {}
        log, season = _transform(r, tf, f"{where}.transform", n_targets)
        out.append(
            SeriesRecord(
                str(r.get(item, "id", (str, int), where)),
                sizes[0],
                sizes[1],
                sizes[2],
                r.floats(item, "center", where, n_inputs),
                r.floats(item, "scale", where, n_inputs, positive=True),
                fp.get("rows"),
                fp.get("first"),
                fp.get("last"),
                fp.get("sha256"),
                log,
                season,
            )
        )
    if not out:
        raise r.fail("'series'", "is empty")
    return tuple(out)


def _series_v1(
    r: _Reader, meta: dict[str, Any], n_inputs: int, n_targets: int
) -> tuple[SeriesRecord, ...]:
    """rnncli 0.1: ids, sizes and fingerprints under data, statistics under scaler.series."""
    data = r.get(meta, "data", dict)
    ids = [str(s) for s in r.get(data, "series", list, "data")]
    sizes = r.get(data, "sizes", dict, "data")
    stats = r.get(r.get(meta, "scaler", dict), "series", dict, "scaler")
    prints = data.get("fingerprint") or {}
    out = []
    for i, sid in enumerate(ids):
        row = stats.get(sid)
        if row is None:
            raise r.fail(f"'scaler.series.{sid}'", "is missing")
        try:
            n = [int(sizes[name][i]) for name in ("train", "val", "test")]
        except (KeyError, IndexError, TypeError, ValueError):
            raise r.fail("'data.sizes'", "does not match the series") from None
        fp = prints.get(sid) or {}
        out.append(
            SeriesRecord(
                sid,
                n[0],
                n[1],
                n[2],
                r.floats(row, "center", f"scaler.series.{sid}", n_inputs),
                r.floats(row, "scale", f"scaler.series.{sid}", n_inputs, positive=True),
                fp.get("rows"),
                fp.get("first"),
                fp.get("last"),
                fp.get("sha256"),
            )
        )
    return tuple(out)


def _engine(r: _Reader, meta: dict[str, Any]) -> EngineRecord:
    raw = meta.get("engine")
    if not isinstance(raw, dict):
        return EngineRecord()
    network = raw.get("network")
    try:
        spec = NetworkSpec.from_dict(network) if network is not None else None
    except ArtifactError as exc:
        raise ArtifactError(f"{r.path}: engine.{exc}") from None
    parity = r.optional(raw, "parity_max_abs", float, "engine")
    return EngineRecord(
        r.optional(raw, "weights", str, "engine"),
        spec,
        parity,
        int(raw.get("parity_windows") or 0),
        bool(raw.get("xla", False)),
        bool(raw.get("deterministic", True)),
        int(r.optional(raw, "members", int, "engine") or 1),
        int(r.optional(raw, "op_threads", int, "engine") or 0),
    )


def parse(meta: Any, path: Path) -> ModelCard:
    """The validated card from the parsed YAML of `path` (for messages)."""
    r = _Reader(path)
    if not isinstance(meta, dict) or "schema_version" not in meta:
        raise ArtifactError(f"{path} is not an rnncli model description; retrain the model")
    version = meta["schema_version"]
    if not isinstance(version, int) or isinstance(version, bool):
        raise ArtifactError(f"{path}: schema_version {brief(version)} is not a number")
    if version > SCHEMA_VERSION:
        raise ArtifactError(
            f"{path} was written by a newer rnncli (schema {version}, this one reads up to "
            f"{SCHEMA_VERSION}); upgrade rnncli"
        )
    data = r.get(meta, "data", dict)
    columns = _columns(r, data)
    config = _config(r, meta, columns)
    reader: Callable[[_Reader, dict[str, Any], int, int], tuple[SeriesRecord, ...]]
    reader = _series_v1 if version < 2 else _series_v2
    series = reader(r, meta, columns.width, len(columns.targets))
    scale = meta.get("scale") or (meta.get("scaler") or {}).get("method") or "standard"
    fit = r.get(meta, "fit", dict)
    return ModelCard(
        created=str(meta.get("created", "")),
        config=config,
        columns=columns,
        source=_source(r, data),
        freq=r.optional(data, "freq", str, "data"),
        season=int(r.optional(data, "season", int, "data") or 1),
        scale_method=str(scale),
        masked=bool(r.get(meta, "masked", bool)),
        series=series,
        windows=dict(data.get("windows") or {}),
        fit=FitSummary(
            int(r.get(fit, "epochs_run", int, "fit")),
            int(r.get(fit, "best_epoch", int, "fit")),
            float(r.get(fit, "best_loss", float, "fit")),
            bool(r.get(fit, "stopped_early", bool, "fit")),
            float(r.get(fit, "seconds", float, "fit")),
            bool(meta.get("interrupted", False)),
            bool(fit.get("refit", False)),
        ),
        params=int(r.get(meta, "params", int)),
        device=str(meta.get("device", "")),
        versions={str(k): str(v) for k, v in (meta.get("versions") or {}).items()},
        engine=_engine(r, meta),
        schema_version=version,
    )


__all__ = ["parse"]
