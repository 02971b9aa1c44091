"""The model directory: written atomically, read back with checks.

    MODEL_DIR/
      rnncli.yaml        the model card (`rnncli.card`), schema_version first
      series.json        its per-series records, one JSON line per series (`series: series.json`
                         in the card; JSON parses a 617-series panel's records 30x faster than YAML)
      weights.npz        the network's arrays, framework-free (the NumPy engine reads them)
      model.keras        the Keras model, loaded with safe_mode=True (`--engine keras`)
      history.csv        per-epoch loss / val_loss
      metrics.json       held-out metrics beside naive baselines (written at train time)
      calibration.json   validation residual quantiles for prediction intervals

A new model is written into a hidden temporary directory beside the target and swapped into
place in one step (`renameat2(RENAME_EXCHANGE)` on Linux): at every instant MODEL_DIR is the
complete old model or the complete new one. Where the exchange is not available, the old one
is moved aside and the new one renamed in, and the old one is put back if that fails.
"""

from __future__ import annotations

import contextlib
import csv
import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from rnncli import dirswap, yamlio
from rnncli.atomic import make_parents, write_atomic
from rnncli.card import ModelCard
from rnncli.cardread import parse
from rnncli.errors import ArtifactError, describe_os_error

if TYPE_CHECKING:
    import keras

    from rnncli.engine import Engine

# libyaml's safe dumper when PyYAML has it (`yamlio` reads with libyaml's parser)
_BaseDumper: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class SafeDumper(_BaseDumper):  # type: ignore[misc]
    """Every value written out: no anchors and aliases in a card people read (and `yamlio`
    bounds what aliases may expand to)."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


CARD_MAX_BYTES = 2**30  # a 617-series card is 364 KiB


def _silent(_message: str) -> None:
    pass


META_FILE = "rnncli.yaml"
SERIES_FILE = "series.json"
WEIGHTS_FILE = "weights.npz"
MODEL_FILE = "model.keras"
HISTORY_FILE = "history.csv"
METRICS_FILE = "metrics.json"
CALIBRATION_FILE = "calibration.json"
ENGINES = ("numpy", "keras")


@dataclass(frozen=True)
class ModelDir:
    """A model directory on disk and its card (read without touching TensorFlow)."""

    path: Path
    card: ModelCard

    def read_json(self, name: str) -> dict[str, Any] | None:
        file = self.path / name
        if not file.exists():
            return None
        try:
            data = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ArtifactError(f"{file} is unreadable ({exc}); retrain the model") from None
        if not isinstance(data, dict):
            raise ArtifactError(f"{file} is not a JSON object; retrain the model")
        return data


def recover(target: Path, note: Callable[[str], None] = _silent) -> bool:
    """Put back a model a crash left hidden in the two-rename swap (`dirswap.recover`)."""
    return dirswap.recover(target, META_FILE, note)


def check_target(target: Path, force: bool, note: Callable[[str], None] = _silent) -> None:
    """Refuse to overwrite an existing model without --force (checked before training).

    A model left hidden by a crash between the two renames of the fallback swap is put back
    first (`recover`), so it counts as existing."""
    recover(target, note)
    if target.exists() and not force:
        raise ArtifactError(
            f"{target} already exists; pass --force to replace it or choose another --out"
        )
    if target.exists() and not target.is_dir():
        raise ArtifactError(f"{target} exists and is not a model directory; choose another --out")
    for parent in target.parents:
        if parent.exists() and not parent.is_dir():
            raise ArtifactError(f"cannot create {target}: {parent} is a file; choose another --out")


def save(
    target: Path,
    card: ModelCard,
    history: list[dict[str, float]],
    *,
    weights: dict[str, Any] | None,
    keras_models: list[keras.Model] | None,
    extra_json: dict[str, dict[str, Any]] | None = None,
    force: bool = False,
) -> None:
    """Write the whole directory beside `target`, then swap it into place."""
    import numpy as np

    check_target(target, force)
    dirswap.sweep(target)
    tmp = dirswap.hidden(target, "tmp")
    try:
        make_parents(target)
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        for k, keras_model in enumerate(keras_models or []):
            keras_model.save(tmp / keras_file(k))
        if weights is not None:
            with (tmp / WEIGHTS_FILE).open("wb") as fh:
                np.savez(fh, **weights)
        write_meta(tmp, card.to_dict())
        with (tmp / HISTORY_FILE).open("w", newline="", encoding="utf-8") as fh:
            fields = list(history[0]) if history else ["epoch", "loss"]
            writer = csv.DictWriter(fh, fieldnames=fields)
            writer.writeheader()
            writer.writerows(history)
        for name, data in (extra_json or {}).items():
            (tmp / name).write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        with dirswap.signals_held():
            dirswap.swap_in(tmp, target)
    except OSError as exc:
        raise ArtifactError(
            f"cannot write the model to {target}: {describe_os_error(exc)}; the previous "
            f"model (if any) is unchanged"
        ) from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def keras_file(k: int) -> str:
    """Member k's Keras file: model.keras, then model-2.keras, model-3.keras, ..."""
    return MODEL_FILE if k == 0 else f"model-{k + 1}.keras"


def write_json(path: Path, name: str, data: dict[str, Any]) -> None:
    """Replace one JSON file of a model directory atomically (`atomic.write_atomic`)."""
    write_atomic(path / name, json.dumps(data, indent=2) + "\n")


def write_meta(path: Path, meta: dict[str, Any]) -> None:
    """Write a card mapping as rnncli.yaml, its series records as series.json beside it."""
    meta = dict(meta)
    series = meta.get("series")
    if isinstance(series, list):
        lines = ",\n".join(json.dumps(s, separators=(",", ":")) for s in series)
        (path / SERIES_FILE).write_text(f"[\n{lines}\n]\n", encoding="utf-8")
        meta["series"] = SERIES_FILE
    text = yaml.dump(meta, Dumper=SafeDumper, sort_keys=False)
    (path / META_FILE).write_text(text, encoding="utf-8")


def read_meta(path: Path) -> Any:
    """The card mapping of model directory `path`, series records read back in from series.json.

    Cards of schema 1 and 2 hold their series inline. A missing or unreadable file is an
    ArtifactError naming it.
    """
    file = path / META_FILE
    meta = yamlio.read(
        file, what="model card", error=ArtifactError, max_bytes=CARD_MAX_BYTES, hint="; retrain it"
    )
    if isinstance(meta, dict) and meta.get("series") == SERIES_FILE:
        records = path / SERIES_FILE
        if not records.is_file():
            raise ArtifactError(
                f"model directory {path} is incomplete (missing {SERIES_FILE}); retrain it"
            )
        try:
            meta["series"] = json.loads(records.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ArtifactError(
                f"{records} is unreadable ({type(exc).__name__}); retrain the model"
            ) from None
    return meta


def load(path: Path, note: Callable[[str], None] = _silent) -> ModelDir:
    """Read and check the model card, without touching TensorFlow (`recover` first)."""
    recover(path, note)
    if not path.exists():
        raise ArtifactError(f"model directory {path} not found; train one with 'rnncli train'")
    if not path.is_dir():
        raise ArtifactError(f"{path} is not a model directory (made by 'rnncli train')")
    file = path / META_FILE
    if not file.is_file():
        raise ArtifactError(
            f"model directory {path} is incomplete (missing {META_FILE}); retrain it"
        )
    card = parse(read_meta(path), file)
    if not (path / WEIGHTS_FILE).is_file() and not (path / MODEL_FILE).is_file():
        raise ArtifactError(
            f"model directory {path} is incomplete (missing {WEIGHTS_FILE} and {MODEL_FILE}); "
            f"retrain it"
        )
    return ModelDir(path, card)


def engine_kind(model: ModelDir, requested: str = "numpy", note: Any = None) -> str:
    """The engine that will run: NumPy unless asked for Keras or the weights file is absent."""
    if requested not in ENGINES:
        raise ArtifactError(f"unknown engine {requested!r}; use one of: {', '.join(ENGINES)}")
    recorded = model.card.engine.weights is not None  # rnncli 0.1 (schema 1) wrote none
    if requested == "numpy" and recorded and not (model.path / WEIGHTS_FILE).is_file():
        raise ArtifactError(
            f"model directory {model.path} is incomplete (its card names {WEIGHTS_FILE}, "
            f"which is missing); retrain it, or run its model.keras with --engine keras"
        )
    if requested == "numpy" and (
        model.card.engine.network is None or not (model.path / WEIGHTS_FILE).is_file()
    ):
        if not (model.path / MODEL_FILE).is_file():
            raise ArtifactError(f"model directory {model.path} has no weights; retrain it")
        if note is not None:
            note(f"{model.path} has no {WEIGHTS_FILE} (an older model): running it with Keras")
        return "keras"
    return requested


def load_engine(model: ModelDir, requested: str = "numpy", note: Any = None) -> Engine:
    """The engine that runs this model: NumPy by default, Keras on request or as a fallback."""
    from rnncli.engine.ensemble import MedianEngine

    kind = engine_kind(model, requested, note)
    members = model.card.engine.members
    if kind == "numpy":
        from rnncli.engine.ensemble import member_prefix
        from rnncli.engine.numpy_engine import load_engine as load_numpy
        from rnncli.engine.numpy_engine import load_weights

        network = model.card.engine.network
        if network is None:  # engine_kind falls back to Keras without one
            raise ArtifactError(f"{model.path / META_FILE} has no engine.network; retrain it")
        file = model.path / WEIGHTS_FILE
        if members == 1:
            return load_numpy(network, file)
        arrays = load_weights(file)
        return MedianEngine(
            [_member(network, arrays, member_prefix(k), file) for k in range(members)]
        )
    from rnncli.engine.keras_engine import KerasEngine

    return MedianEngine([KerasEngine(load_keras(model, k)) for k in range(members)])


def member_arrays(arrays: dict[str, Any], prefix: str) -> dict[str, Any]:
    """The arrays of one ensemble member, without its `member{k}/` prefix."""
    return {name[len(prefix) :]: a for name, a in arrays.items() if name.startswith(prefix)}


def _member(network: Any, arrays: dict[str, Any], prefix: str, file: Path) -> Engine:
    from rnncli.engine.numpy_engine import NumpyEngine

    try:
        return NumpyEngine(network, member_arrays(arrays, prefix))
    except ArtifactError as exc:
        raise ArtifactError(f"weights file {file}: {exc}; retrain the model") from None


def load_keras(model: ModelDir, member: int = 0) -> keras.Model:
    """The Keras model of an ensemble member (safe mode: no arbitrary code runs)."""
    from rnncli.runtime import tensorflow

    file = model.path / keras_file(member)
    if not file.is_file():
        raise ArtifactError(f"{file} is missing; use --engine numpy or retrain the model")
    tensorflow()
    import keras

    try:
        loaded = keras.saving.load_model(file, compile=False, safe_mode=True)
    except ValueError as exc:
        if "safe_mode" in str(exc) or "Lambda" in str(exc):
            raise ArtifactError(
                f"{file} holds custom code (a Lambda layer) that safe loading refuses; "
                f"rnncli loads only models it trained itself"
            ) from None
        raise _damaged(file, exc) from None
    except Exception as exc:  # Keras raises many types for a damaged file
        raise _damaged(file, exc) from None
    card = model.card
    if card.masked and card.config.window.pad == "pre":
        from rnncli.network import disable_cudnn

        disable_cudnn(loaded)  # cuDNN takes only right-padded masks; not saved by Keras
    shapes = (
        ("takes windows of shape", "inputs", (card.look_back, card.columns.width)),
        ("forecasts blocks of shape", "outputs", (card.horizon, card.n_targets)),
    )
    for what, side, expected in shapes:
        with contextlib.suppress(AttributeError, IndexError, TypeError):
            got = tuple(getattr(loaded, side)[0].shape[1:])
            if got != expected:
                raise ArtifactError(
                    f"{file} {what} {got}, but the card says {expected}; the directory mixes "
                    f"two models: retrain it"
                )
    return loaded


def _damaged(file: Path, exc: Exception) -> ArtifactError:
    first = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
    return ArtifactError(
        f"{file} cannot be loaded ({type(exc).__name__}: {first}); the file is damaged or "
        f"incomplete: retrain the model"
    )


__all__ = [
    "CALIBRATION_FILE",
    "ENGINES",
    "HISTORY_FILE",
    "META_FILE",
    "METRICS_FILE",
    "MODEL_FILE",
    "SERIES_FILE",
    "WEIGHTS_FILE",
    "ModelDir",
    "check_target",
    "engine_kind",
    "load",
    "load_engine",
    "load_keras",
    "read_meta",
    "recover",
    "save",
    "write_json",
    "write_meta",
]
