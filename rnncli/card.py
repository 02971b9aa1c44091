"""The model card: a trained model's facts as frozen, typed records, and how they are written.

Every other module reads a trained model's facts through `ModelCard` (never through a raw
mapping): the run configuration, the column roles, where the data came from, one
`SeriesRecord` per series (split sizes, scaling statistics, fingerprint), the fit summary and
the engine record (the framework-free weights file and its parity check against Keras).

`cardread.parse` reads a card back, checking every key as it reads.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from rnncli.columns import Columns
from rnncli.config import DataSpec, RunConfig
from rnncli.engine import NetworkSpec
from rnncli.errors import ArtifactError
from rnncli.transforms import TargetTransform

SCHEMA_VERSION = 3  # 3: series records in series.json (`modeldir`); 2: inline


@dataclass(frozen=True)
class DataSource:
    """Where the training data came from: `label` as typed, `path` absolute (None: stdin)."""

    label: str
    path: str | None
    kind: str  # "csv" | "npz" | "stdin"


@dataclass(frozen=True)
class SeriesRecord:
    """One series as the model saw it: split sizes, scaling statistics, fingerprint.

    Sizes count rows of the series the network reads (after `--difference`, the differenced
    one). The fingerprint (`rows`, `first`, `last`, `sha256` of the original values) is
    None when the model was trained from an .npz of windows.
    """

    id: str
    n_train: int
    n_val: int
    n_test: int
    center: tuple[float, ...]
    scale: tuple[float, ...]
    rows: int | None = None
    first: str | None = None
    last: str | None = None
    sha256: str | None = None
    log: tuple[bool, ...] = ()  # per target: logged (`transforms`); () for none
    season: tuple[tuple[float, ...], ...] = ()  # per target: seasonal indices; () for none

    def transform(self, n_targets: int) -> TargetTransform:
        """This series' target transform (identity for a card without one)."""
        log = self.log or (False,) * n_targets
        season = self.season or ((),) * n_targets
        return TargetTransform(log, season)


@dataclass(frozen=True)
class FitSummary:
    epochs_run: int
    best_epoch: int
    best_loss: float
    stopped_early: bool
    seconds: float
    interrupted: bool = False
    refit: bool = False  # the saved networks were refitted on the windows before the test part


@dataclass(frozen=True)
class EngineRecord:
    """The framework-free weights: file name, network, and the parity check against Keras."""

    weights: str | None = None  # file in the model directory, None: Keras only
    network: NetworkSpec | None = None
    parity_max_abs: float | None = None  # max |numpy - keras| in scaled units
    parity_windows: int = 0
    xla: bool = False
    deterministic: bool = True
    members: int = 1  # --ensemble: networks whose median is the forecast
    op_threads: int = 0  # threads per TensorFlow op while training; 0: TensorFlow's default


@dataclass(frozen=True)
class ModelCard:
    created: str
    config: RunConfig
    columns: Columns
    source: DataSource
    freq: str | None
    season: int
    scale_method: str
    masked: bool
    series: tuple[SeriesRecord, ...]
    windows: Mapping[str, int]
    fit: FitSummary
    params: int
    device: str
    versions: Mapping[str, str]
    engine: EngineRecord = field(default_factory=EngineRecord)
    schema_version: int = SCHEMA_VERSION

    # ---- derived facts -------------------------------------------------------------------

    @property
    def ids(self) -> list[str]:
        return [r.id for r in self.series]

    @property
    def horizon(self) -> int:
        return self.config.window.horizon

    @property
    def look_back(self) -> int:
        look_back = self.config.window.look_back
        if look_back is None:  # parse() refuses a card without one
            raise ArtifactError("the model card has no window.look_back; retrain the model")
        return look_back

    @property
    def lag(self) -> int:
        return self.config.window.difference or 0

    @property
    def min_look_back(self) -> int:
        """The fewest real steps a window may have: --min-look-back, 1 for a masked model."""
        w = self.config.window
        if w.min_look_back is not None:
            return w.min_look_back
        return 1 if self.masked else self.look_back

    @property
    def fingerprinted(self) -> bool:
        return any(r.sha256 is not None for r in self.series)

    def data_spec(self) -> DataSpec:
        """The column roles, to read newer data exactly as the training data was read."""
        c = self.columns
        d = self.config.data
        return DataSpec(
            c.time_col,
            c.targets,
            c.features,
            c.id_col,
            d.fill,
            d.time_format,
            known=c.known,
            calendar=c.calendar,
        )

    @property
    def n_targets(self) -> int:
        return len(self.columns.targets)

    def record(self, sid: str) -> SeriesRecord | None:
        return self._by_id().get(sid)

    def _by_id(self) -> dict[str, SeriesRecord]:
        cache = self.__dict__.get("_index")
        if cache is None:
            cache = {r.id: r for r in self.series}
            object.__setattr__(self, "_index", cache)
        return cache

    def stats(self, ids: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Recorded (center, scale), each (len(ids), n_inputs), rows in `ids` order."""
        rows = [self._by_id()[sid] for sid in ids]
        center = np.array([r.center for r in rows], dtype=np.float64)
        scale = np.array([r.scale for r in rows], dtype=np.float64)
        return center, scale

    # ---- writing -------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The YAML-safe mapping written as rnncli.yaml (schema_version first)."""
        flat = self.config.to_flat()
        e = self.engine
        return {
            "schema_version": SCHEMA_VERSION,
            "created": self.created,
            "interrupted": self.fit.interrupted,
            "data": {
                "source": asdict(self.source),
                "columns": {
                    "time_col": self.columns.time_col,
                    "targets": list(self.columns.targets),
                    "inputs": list(self.columns.inputs),
                    "id_col": self.columns.id_col,
                    # written only when used, so other models' cards are as before
                    **({"known": list(self.columns.known)} if self.columns.known else {}),
                    **({"calendar": list(self.columns.calendar)} if self.columns.calendar else {}),
                },
                "fill": flat["fill"],
                "time_format": flat["time_format"],
                "freq": self.freq,
                "season": self.season,
                "windows": dict(self.windows),
            },
            "window": {k: flat[k] for k in _keys("window", self.config)},
            "model": {k: flat[k] for k in _keys("model", self.config)},
            "train": {k: flat[k] for k in _keys("train", self.config)},
            "masked": self.masked,
            "scale": self.scale_method,
            "series": [_series_dict(r) for r in self.series],
            "fit": {k: v for k, v in asdict(self.fit).items() if k != "interrupted"},
            "params": self.params,
            "device": self.device,
            "engine": {
                "weights": e.weights,
                "network": e.network.to_dict() if e.network is not None else None,
                "parity_max_abs": e.parity_max_abs,
                "parity_windows": e.parity_windows,
                "xla": e.xla,
                "deterministic": e.deterministic,
                "members": e.members,
                "op_threads": e.op_threads,
            },
            "versions": dict(self.versions),
        }


def _keys(part: str, config: RunConfig) -> list[str]:
    return list(asdict(getattr(config, part)))


def _series_dict(r: SeriesRecord) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": r.id,
        "sizes": [r.n_train, r.n_val, r.n_test],
        "center": list(r.center),
        "scale": list(r.scale),
    }
    if r.sha256 is not None:
        out["fingerprint"] = {"rows": r.rows, "first": r.first, "last": r.last, "sha256": r.sha256}
    if any(r.log) or any(r.season):
        out["transform"] = {"log": list(r.log), "season": [list(v) for v in r.season]}
    return out


__all__ = [
    "SCHEMA_VERSION",
    "Columns",
    "DataSource",
    "EngineRecord",
    "FitSummary",
    "ModelCard",
    "SeriesRecord",
]
