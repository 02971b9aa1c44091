"""Run configuration: frozen dataclasses, YAML loading and validation.

One flat namespace of option names serves the CLI flags, the YAML file
(`--config run.yaml`) and `--print-config`: a key in the file is the flag's
name with `_` for `-` (``look_back: 30``). Flags given on the command line
override the file.
"""

from __future__ import annotations

import dataclasses
import math
import re
import types
import typing
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Literal

import yaml

from rnncli import calendar
from rnncli.errors import ConfigError, brief

Cell = Literal["simple_rnn", "lstm", "gru"]
CELL_ALIASES = {"simple": "simple_rnn", "simplernn": "simple_rnn", "rnn": "simple_rnn"}
CELLS: tuple[str, ...] = ("simple_rnn", "lstm", "gru")
# PyYAML follows YAML 1.1, which reads `1e-3` (no dot) as a string: accept it as a float
_EXP_FLOAT = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)[eE][-+]?\d+")


@dataclass(frozen=True)
class DataSpec:
    """Which columns of the CSV mean what."""

    time_col: str | None = None
    target: tuple[str, ...] = ()
    features: tuple[str, ...] = ()  # past-only (observed) inputs: values up to the origin
    id_col: str | None = None
    fill: Literal["ffill", "interpolate", "drop"] | None = None
    time_format: str | None = None  # strftime codes of the time column (e.g. %Y%m%d)
    # known-future inputs: columns whose values are known for the forecast steps too (seen
    # over the look-back and at every forecast step), and calendar inputs computed from the
    # time stamps (`rnncli.calendar`)
    known: tuple[str, ...] = ()
    calendar: tuple[str, ...] = ()


@dataclass(frozen=True)
class WindowSpec:
    """How series become look-back windows, splits and scaled values.

    None means the automatic rule (`resolve_window`, `splits.part_sizes`), decided from the
    data when the windows are built; the model card records what was decided.
    """

    look_back: int | None = None  # auto: ceil(1.25 * max(horizon, season))
    horizon: int = 1
    stride: int = 1
    min_look_back: int | None = None  # auto: 1 (every origin with a real step; padded, masked)
    pad: Literal["pre", "post"] = "post"
    val_size: float | None = None  # auto: one horizon (panels of 100+), else max(H, 10 %)
    test_size: float | None = None  # auto: as val_size
    scale: Literal["auto", "standard", "minmax", "none"] = "auto"
    normalize: Literal["none", "last"] = "last"
    transform: Literal["auto", "log", "none"] = "auto"  # auto: log for positive targets
    # auto: with >= 2 seasons of training data, unless the windows are few
    # (`dataset.few_windows_rule`: then seasonal differences); yes: never the rule
    deseasonalize: Literal["auto", "yes", "none"] = "auto"
    season: int | None = None  # auto: from the time frequency (12 monthly, 7 daily, ...)
    skip_short: bool = False
    difference: int | None = None  # seasonal differencing lag of the targets (None: off)


@dataclass(frozen=True)
class ModelSpec:
    """The recurrent network."""

    cell: Cell = "lstm"
    units: int = 64
    layers: int = 1
    bidirectional: bool = False
    activation: Literal["tanh", "relu", "linear"] = "tanh"
    dropout: float = 0.0
    recurrent_dropout: float = 0.0
    padding: Literal["mask", "zeros"] = "mask"


@dataclass(frozen=True)
class TrainSpec:
    """The optimisation."""

    optimizer: Literal["adam", "rmsprop", "sgd"] = "adam"
    learning_rate: float = 1e-3
    loss: Literal["mse", "mae", "huber"] = "mae"
    epochs: int = 100
    batch_size: int | None = None  # auto: min(128, max(8, training windows // 8))
    patience: int = 10
    clipnorm: float | None = 1.0
    clipvalue: float | None = None
    seed: int = 42
    device: Literal["auto", "cpu", "gpu"] = "auto"
    # each window's weight in the loss: scaled = 1 / (windows of its series x the series'
    # in-sample seasonal MAE in the network's space), so every series counts equally in the
    # units MASE scores; equal = 1 / windows of its series; none = 1
    series_weight: Literal["scaled", "equal", "none"] = "scaled"
    ensemble: int = 5  # members trained with seeds seed, seed+1, ...; forecasts: their median
    # processes training the members side by side (bit-identical to one by one); auto (None):
    # `parallel.auto_jobs` (a small network on a CPU, 5,000+ training windows: one per core)
    jobs: int | None = None
    # after early stopping and scoring, REFIT_EPOCHS more epochs on the windows before the test
    # part (it stays held out); auto (None): when the seasonal-differencing rule for few
    # windows is off
    refit: bool | None = None
    # XLA-compiled training steps; auto (None): on a CPU, except with --distribute mirrored
    # (TensorFlow's op determinism is then off: it would disable XLA; repeated CPU runs stay
    # bit-identical)
    xla: bool | None = None
    # none: one device; mirrored: tf.distribute.MirroredStrategy over the local GPUs;
    # multiworker: MultiWorkerMirroredStrategy over the machines TF_CONFIG names
    distribute: Literal["none", "mirrored", "multiworker"] = "none"
    # which windows calibrate the prediction intervals: the validation part (never fitted);
    # train is allowed when asked for, and labelled (training residuals are too small)
    calibrate_on: Literal["val", "train"] = "val"


SPEC_CLASSES: tuple[type, ...] = (DataSpec, WindowSpec, ModelSpec, TrainSpec)


@dataclass(frozen=True)
class RunConfig:
    data: DataSpec = DataSpec()
    window: WindowSpec = WindowSpec()
    model: ModelSpec = ModelSpec()
    train: TrainSpec = TrainSpec()

    def to_flat(self) -> dict[str, Any]:
        """All options as one flat mapping (tuples as lists), for YAML."""
        out: dict[str, Any] = {}
        for part in (self.data, self.window, self.model, self.train):
            for f in fields(part):
                value = getattr(part, f.name)
                out[f.name] = list(value) if isinstance(value, tuple) else value
        return out


def _field_types() -> dict[str, tuple[type, Any]]:
    """Map every option name to (owning spec class, resolved type hint)."""
    out: dict[str, tuple[type, Any]] = {}
    for cls in SPEC_CLASSES:
        hints = typing.get_type_hints(cls)
        for f in fields(cls):
            out[f.name] = (cls, hints[f.name])
    return out


OPTION_TYPES = _field_types()


def _describe(hint: Any) -> str:
    origin = typing.get_origin(hint)
    if origin is Literal:
        return " | ".join(repr(a) for a in typing.get_args(hint))
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_describe(a) for a in typing.get_args(hint))
    if origin is tuple:
        return "list of " + _describe(typing.get_args(hint)[0])
    if hint is type(None):
        return "null"
    return getattr(hint, "__name__", str(hint))


def _coerce(key: str, value: Any, hint: Any) -> Any:
    """Check `value` against `hint`; return it in canonical form or raise ConfigError."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        for arg in typing.get_args(hint):
            try:
                return _coerce(key, value, arg)
            except ConfigError:
                continue
        raise ConfigError(f"option '{key}' must be {_describe(hint)}, got {brief(value)}")
    if hint is type(None):
        if value is None:
            return None
    elif origin is Literal:
        if key == "cell" and isinstance(value, str):
            value = CELL_ALIASES.get(value.lower(), value.lower())
        if value in typing.get_args(hint):
            return value
    elif origin is tuple:
        items = [value] if isinstance(value, str) else value
        if isinstance(items, (list, tuple)) and all(isinstance(v, str) for v in items):
            return tuple(items)
    elif hint is bool:
        if isinstance(value, bool):
            return value
    elif hint is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    elif hint is float:
        if isinstance(value, str) and _EXP_FLOAT.fullmatch(value.strip()):
            value = float(value)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
    elif hint is str:
        if isinstance(value, str):
            return value
    raise ConfigError(f"option '{key}' must be {_describe(hint)}, got {brief(value)}")


def build_config(options: dict[str, Any]) -> RunConfig:
    """Validate a flat option mapping (from YAML and/or flags) into a RunConfig."""
    unknown = sorted(set(options) - set(OPTION_TYPES))
    if unknown:
        valid = ", ".join(sorted(OPTION_TYPES))
        raise ConfigError(f"unknown option '{unknown[0]}'; valid options are: {valid}")
    parts: dict[type, dict[str, Any]] = {cls: {} for cls in SPEC_CLASSES}
    for key, value in options.items():
        cls, hint = OPTION_TYPES[key]
        parts[cls][key] = _coerce(key, value, hint)
    if "calendar" in parts[DataSpec]:  # 'month,dayofweek' or a list: checked names
        parts[DataSpec]["calendar"] = calendar.parse(parts[DataSpec]["calendar"])
    config = RunConfig(*(cls(**parts[cls]) for cls in SPEC_CLASSES))
    validate(config)
    return config


def _positive(name: str, value: int | float | None, allow_zero: bool = False) -> None:
    if value is None:
        return
    if value < 0 or (value == 0 and not allow_zero):
        bound = "0 or more" if allow_zero else "greater than 0"
        raise ConfigError(f"option '{name}' must be {bound}, got {value}")


MAX_INT = 2**31 - 1  # every count must fit the int32 of a tensor shape


def _finite(config: RunConfig) -> None:
    """Every number fits a tensor: integers in int32, floats finite (`.inf` or `1e400`)."""
    for part in (config.data, config.window, config.model, config.train):
        for f in fields(part):
            value = getattr(part, f.name)
            if isinstance(value, bool):
                continue
            if isinstance(value, int) and abs(value) > MAX_INT:
                raise ConfigError(
                    f"option '{f.name}' is too large: at most {MAX_INT:,}, got {brief(value)}"
                )
            if isinstance(value, float) and not math.isfinite(value):
                raise ConfigError(f"option '{f.name}' must be a finite number, got {value}")


def validate(config: RunConfig) -> None:
    """Range checks that types alone cannot express."""
    _finite(config)
    w, m, t = config.window, config.model, config.train
    for name in ("look_back", "horizon", "stride"):
        _positive(name, getattr(w, name))
    _positive("min_look_back", w.min_look_back)
    _positive("difference", w.difference)
    _positive("season", w.season)
    _positive("ensemble", t.ensemble)
    _positive("jobs", t.jobs)
    if w.min_look_back is not None and w.look_back is not None and w.min_look_back > w.look_back:
        raise ConfigError(
            f"option 'min_look_back' ({w.min_look_back}) must not exceed "
            f"'look_back' ({w.look_back})"
        )
    for name in ("val_size", "test_size"):
        _positive(name, getattr(w, name), allow_zero=True)
    for name in ("units", "layers"):
        _positive(name, getattr(m, name))
    for name in ("dropout", "recurrent_dropout"):
        value = getattr(m, name)
        if not 0.0 <= value < 1.0:
            raise ConfigError(f"option '{name}' must be in [0, 1), got {value}")
    for name in ("learning_rate", "epochs", "batch_size", "clipnorm", "clipvalue"):
        _positive(name, getattr(t, name))
    _positive("patience", t.patience, allow_zero=True)


REFIT_EPOCHS = 3


def auto_look_back(horizon: int, season: int) -> int:
    """The default look-back: 1.25 x the longer of the horizon and the season (at least 2)."""
    return max(2, math.ceil(1.25 * max(horizon, season)))


def auto_batch_size(n_windows: int) -> int:
    """The default batch: an eighth of the training windows, between 8 and 128."""
    return min(128, max(8, n_windows // 8))


def resolve_window(spec: WindowSpec, season: int) -> WindowSpec:
    """The spec with its automatic look-back, min look-back and season decided."""
    look_back = spec.look_back or auto_look_back(spec.horizon, season)
    min_look_back = spec.min_look_back if spec.min_look_back is not None else 1
    return dataclasses.replace(
        spec, look_back=look_back, min_look_back=min(min_look_back, look_back), season=season
    )


CONFIG_MAX_BYTES = 2**20  # a config file is a few lines; this refuses a data file given by mistake


def load_yaml(path: Path) -> dict[str, Any]:
    """Read a flat YAML mapping of options (`yamlio.read`: safe, bounded, no duplicate keys)."""
    from rnncli import yamlio

    data = yamlio.read(
        path, what="config file", error=ConfigError, max_bytes=CONFIG_MAX_BYTES, hint=""
    )
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"config file {path} must be a mapping of option: value")
    return {str(k).replace("-", "_"): v for k, v in data.items()}


PATH_KEYS = ("data", "out")  # a config file's DATA and --out (train): paths, not options


def split_paths(options: dict[str, Any], base: Path) -> tuple[dict[str, Any], dict[str, str]]:
    """The options without `PATH_KEYS`, and those as paths resolved against `base` (the
    config file's folder, so a run file works from any working directory)."""
    rest = {k: v for k, v in options.items() if k not in PATH_KEYS}
    paths = {}
    for key in PATH_KEYS:
        if key not in options:
            continue
        value = options[key]
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(f"option '{key}' must be a path, got {value!r}")
        paths[key] = value if value == "-" else str((base / value).resolve())
    return rest, paths


def merge(file_options: dict[str, Any], flag_options: dict[str, Any]) -> RunConfig:
    """Flags that were given (not None) override the file; the rest keep defaults."""
    merged = dict(file_options)
    merged.update({k: v for k, v in flag_options.items() if v is not None and v != ()})
    return build_config(merged)


def dump_yaml(config: RunConfig, paths: dict[str, str] | None = None) -> str:
    """The config as YAML that `--config` reads back; `paths` (data, out) first."""
    return yaml.safe_dump({**(paths or {}), **config.to_flat()}, sort_keys=False)


def replace(config: RunConfig, **changes: Any) -> RunConfig:
    """Return a copy with flat options changed (validated again)."""
    flat = config.to_flat()
    flat.update(changes)
    return build_config(flat)


__all__ = [
    "CELLS",
    "ConfigError",
    "DataSpec",
    "ModelSpec",
    "RunConfig",
    "TrainSpec",
    "WindowSpec",
    "build_config",
    "dump_yaml",
    "load_yaml",
    "merge",
    "replace",
]
