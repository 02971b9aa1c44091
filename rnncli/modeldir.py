"""The model directory: written atomically, read back with checks.

    MODEL_DIR/
      model.keras        Keras native format, loaded with safe_mode=True
      rnncli.yaml        everything predict needs (schema_version first)
      history.csv        per-epoch loss / val_loss
      metrics.json       held-out metrics beside naive baselines (written at train time)
      calibration.json   validation residual quantiles for prediction intervals

A new model is written into a hidden temporary directory beside the
target and renamed into place; the previous model, if any, is moved aside
first and deleted only once the new one is in place. An interrupted or
failed run leaves the previous model untouched and no half-written one.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from rnncli.atomic import write_atomic
from rnncli.config import DataSpec, WindowSpec
from rnncli.dataset import Fitted, Scaler
from rnncli.errors import ArtifactError

if TYPE_CHECKING:
    import keras

SCHEMA_VERSION = 1
MODEL_FILE = "model.keras"
META_FILE = "rnncli.yaml"
HISTORY_FILE = "history.csv"
METRICS_FILE = "metrics.json"
CALIBRATION_FILE = "calibration.json"
REQUIRED = (MODEL_FILE, META_FILE)


@dataclass
class Artifact:
    path: Path
    meta: dict[str, Any]
    model: keras.Model | None = None

    def data_spec(self) -> DataSpec:
        """The column roles recorded at training, to read newer data the same way."""
        c = self.meta["data"]["columns"]
        features = tuple(f for f in c["inputs"] if f not in c["targets"])
        return DataSpec(
            c["time_col"], tuple(c["targets"]), features, c["id_col"], self.meta["data"].get("fill")
        )

    def window_spec(self) -> WindowSpec:
        return WindowSpec(**self.meta["window"])

    def fitted(self) -> dict[str, Fitted]:
        """Per series: recorded split sizes and scaling statistics."""
        sizes = self.meta["data"]["sizes"]
        ids = self.meta["data"]["series"]
        scaler = Scaler.from_dict(self.meta["scaler"], ids)
        return {
            sid: Fitted(sizes["train"][i], sizes["val"][i], scaler.center[i], scaler.scale[i])
            for i, sid in enumerate(ids)
        }

    def read_json(self, name: str) -> dict[str, Any] | None:
        file = self.path / name
        if not file.exists():
            return None
        try:
            return json.loads(file.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise ArtifactError(f"{file} is unreadable ({exc}); retrain the model") from None


def check_target(target: Path, force: bool) -> None:
    """Refuse to overwrite an existing model without --force (checked before training)."""
    if target.exists() and not force:
        raise ArtifactError(
            f"{target} already exists; pass --force to replace it or choose another --out"
        )
    if target.exists() and not target.is_dir():
        raise ArtifactError(f"{target} exists and is not a model directory; choose another --out")


def save(
    target: Path,
    model: keras.Model,
    meta: dict[str, Any],
    history: list[dict[str, float]],
    extra_json: dict[str, dict[str, Any]] | None = None,
    force: bool = False,
) -> None:
    """Write the whole directory beside `target`, then rename it into place."""
    check_target(target, force)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.parent / f".{target.name}.tmp-{os.getpid()}"
    old = target.parent / f".{target.name}.old-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        tmp.mkdir()
        model.save(tmp / MODEL_FILE)
        meta = {"schema_version": SCHEMA_VERSION, **meta}
        (tmp / META_FILE).write_text(yaml.safe_dump(meta, sort_keys=False), encoding="utf-8")
        with (tmp / HISTORY_FILE).open("w", newline="", encoding="utf-8") as fh:
            fields = list(history[0]) if history else ["epoch", "loss"]
            writer = csv.DictWriter(fh, fieldnames=fields)
            writer.writeheader()
            writer.writerows(history)
        for name, data in (extra_json or {}).items():
            (tmp / name).write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        if target.exists():
            target.rename(old)
        try:
            tmp.rename(target)
        except BaseException:
            if old.exists() and not target.exists():
                old.rename(target)  # put the previous model back
            raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    shutil.rmtree(old, ignore_errors=True)


def write_json(path: Path, name: str, data: dict[str, Any]) -> None:
    """Replace one JSON file of a model directory atomically (`atomic.write_atomic`)."""
    write_atomic(path / name, json.dumps(data, indent=2) + "\n")


def load_meta(path: Path) -> Artifact:
    """Read and check rnncli.yaml without touching TensorFlow."""
    if not path.exists():
        raise ArtifactError(f"model directory {path} not found; train one with 'rnncli train'")
    if not path.is_dir():
        raise ArtifactError(f"{path} is not a model directory (made by 'rnncli train')")
    missing = [name for name in REQUIRED if not (path / name).is_file()]
    if missing:
        raise ArtifactError(
            f"model directory {path} is incomplete (missing {', '.join(missing)}); retrain it"
        )
    try:
        meta = yaml.safe_load((path / META_FILE).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ArtifactError(f"{path / META_FILE} is unreadable ({type(exc).__name__})") from None
    if not isinstance(meta, dict) or "schema_version" not in meta:
        raise ArtifactError(f"{path / META_FILE} is not an rnncli model description")
    version = meta["schema_version"]
    if not isinstance(version, int) or isinstance(version, bool):
        raise ArtifactError(f"{path / META_FILE}: schema_version {version!r} is not a number")
    if version > SCHEMA_VERSION:
        raise ArtifactError(
            f"{path} was written by a newer rnncli (schema {version}, this one reads up to "
            f"{SCHEMA_VERSION}); upgrade rnncli"
        )
    return Artifact(path, meta)


def load(path: Path) -> Artifact:
    """Read the model directory and the Keras model (safe mode: no arbitrary code runs)."""
    artifact = load_meta(path)
    from rnncli.runtime import tensorflow

    tensorflow()
    import keras

    try:
        artifact.model = keras.saving.load_model(path / MODEL_FILE, compile=False, safe_mode=True)
    except Exception as exc:  # Keras raises many types for a damaged file
        first = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
        raise ArtifactError(
            f"{path / MODEL_FILE} cannot be loaded ({type(exc).__name__}: {first}); "
            f"the file is damaged or incomplete: retrain the model"
        ) from None
    if artifact.meta.get("masked") and artifact.meta.get("window", {}).get("pad") == "pre":
        from rnncli.network import disable_cudnn

        disable_cudnn(artifact.model)  # cuDNN takes only right-padded masks; not saved by Keras
    return artifact
