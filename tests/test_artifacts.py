"""The model directory: errors as one line through the CLI, atomic save, safe loading."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from rnncli import modeldir as artifacts
from rnncli.modeldir import (
    CALIBRATION_FILE,
    HISTORY_FILE,
    META_FILE,
    METRICS_FILE,
    MODEL_FILE,
    SCHEMA_VERSION,
    load_meta,
)
from rnncli.cli import app
from rnncli.errors import ArtifactError


def inspect(path: Path):
    return CliRunner().invoke(app, ["inspect-weights", str(path)], env={"NO_COLOR": "1"})


def one_line_error(result, *fragments: str) -> str:
    """The command failed with exit 1 and one line `Error: ...` on stderr, nothing on stdout."""
    assert result.exit_code == 1, (result.stdout, result.stderr)
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ")
    for fragment in fragments:
        assert fragment in lines[0]
    return lines[0]


def snapshot(path: Path) -> dict[str, bytes]:
    """Every file under path (relative name -> bytes)."""
    return {
        str(p.relative_to(path)): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()
    }


def hidden(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if p.name.startswith("."))


@pytest.fixture
def air_copy(air_model: Path, tmp_path: Path) -> Path:
    """A copy of the trained AirPassengers model directory that a test may damage."""
    return Path(shutil.copytree(air_model, tmp_path / "air"))


# ---- load_meta errors, through `rnncli inspect-weights` (one line, exit 1) -------------------


def test_missing_directory(tmp_path: Path) -> None:
    one_line_error(inspect(tmp_path / "nope"), "not found", "rnncli train")


def test_file_instead_of_directory(tmp_path: Path) -> None:
    file = tmp_path / "model.keras"
    file.write_bytes(b"not a directory")
    one_line_error(inspect(file), "is not a model directory")


def test_empty_directory(tmp_path: Path) -> None:
    one_line_error(inspect(tmp_path), "incomplete", MODEL_FILE, META_FILE, "retrain")


@pytest.mark.tf
@pytest.mark.parametrize("name", [MODEL_FILE, META_FILE])
def test_missing_required_file(air_copy: Path, name: str) -> None:
    (air_copy / name).unlink()
    line = one_line_error(inspect(air_copy), "incomplete", f"missing {name})", "retrain")
    other = META_FILE if name == MODEL_FILE else MODEL_FILE
    assert other not in line


@pytest.mark.tf
def test_newer_schema_version(air_copy: Path) -> None:
    meta_file = air_copy / META_FILE
    meta = yaml.safe_load(meta_file.read_text(encoding="utf-8"))
    assert meta["schema_version"] == SCHEMA_VERSION
    text = meta_file.read_text(encoding="utf-8")
    meta_file.write_text(
        text.replace(f"schema_version: {SCHEMA_VERSION}\n", "schema_version: 99\n", 1),
        encoding="utf-8",
    )
    assert yaml.safe_load(meta_file.read_text(encoding="utf-8"))["schema_version"] == 99
    one_line_error(inspect(air_copy), "newer rnncli", "schema 99", "upgrade rnncli")


@pytest.mark.tf
@pytest.mark.parametrize(
    "damage",
    [
        lambda data: b"\x00garbage\xff" * 100,  # not a zip at all
        lambda data: data[: len(data) // 2],  # truncated (an interrupted copy)
        lambda data: b"",
    ],
    ids=["garbage", "truncated", "empty"],
)
def test_corrupt_model_file(air_copy: Path, damage) -> None:
    file = air_copy / MODEL_FILE
    file.write_bytes(damage(file.read_bytes()))
    one_line_error(inspect(air_copy), str(file), "damaged", "retrain")


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("schema_version: [1\n", "is unreadable (ParserError)"),
        ("- 1\n- 2\n", "is not an rnncli model description"),
        ("created: today\n", "is not an rnncli model description"),
        ("schema_version: 99\n", "newer rnncli"),
    ],
)
def test_load_meta_bad_description(tmp_path: Path, text: str, fragment: str) -> None:
    (tmp_path / MODEL_FILE).write_bytes(b"")
    (tmp_path / META_FILE).write_text(text, encoding="utf-8")
    with pytest.raises(ArtifactError) as info:
        load_meta(tmp_path)
    assert fragment in str(info.value)
    assert "\n" not in str(info.value)


def test_load_meta_reads_description(tmp_path: Path) -> None:
    (tmp_path / MODEL_FILE).write_bytes(b"")
    (tmp_path / META_FILE).write_text("schema_version: 1\nparams: 3\n", encoding="utf-8")
    artifact = load_meta(tmp_path)
    assert artifact.meta == {"schema_version": 1, "params": 3}
    assert artifact.model is None


def test_read_json(tmp_path: Path) -> None:
    (tmp_path / MODEL_FILE).write_bytes(b"")
    (tmp_path / META_FILE).write_text("schema_version: 1\n", encoding="utf-8")
    artifact = load_meta(tmp_path)
    assert artifact.read_json(METRICS_FILE) is None
    artifacts.write_json(tmp_path, METRICS_FILE, {"rows": [1, 2]})
    assert artifact.read_json(METRICS_FILE) == {"rows": [1, 2]}
    assert hidden(tmp_path) == []
    (tmp_path / METRICS_FILE).write_text("{broken", encoding="utf-8")
    with pytest.raises(ArtifactError, match=r"unreadable .*retrain"):
        artifact.read_json(METRICS_FILE)


# ---- save(): atomic replacement ---------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_model():
    import keras

    from rnncli.runtime import tensorflow

    tensorflow()
    inputs = keras.Input((3, 1))
    outputs = keras.layers.Dense(1, name="head")(keras.layers.Flatten()(inputs))
    return keras.Model(inputs, outputs)


HISTORY = [{"epoch": 1, "loss": 0.5, "val_loss": 0.6}, {"epoch": 2, "loss": 0.25, "val_loss": 0.3}]


def save(target: Path, model, note: str, force: bool = False, **kw) -> None:
    extra = kw.pop("extra", {METRICS_FILE: {"rows": []}, CALIBRATION_FILE: {"n": 1}})
    artifacts.save(target, model, {"note": note}, HISTORY, extra, force=force, **kw)


@pytest.mark.tf
def test_save_writes_everything(tiny_model, tmp_path: Path) -> None:
    target = tmp_path / "deep" / "er" / "model"
    save(target, tiny_model, "first")
    assert sorted(p.name for p in target.iterdir()) == sorted(
        [MODEL_FILE, META_FILE, HISTORY_FILE, METRICS_FILE, CALIBRATION_FILE]
    )
    text = (target / META_FILE).read_text(encoding="utf-8")
    assert text.startswith(f"schema_version: {SCHEMA_VERSION}\n")
    assert yaml.safe_load(text) == {"schema_version": SCHEMA_VERSION, "note": "first"}
    assert (target / HISTORY_FILE).read_text(encoding="utf-8").splitlines() == [
        "epoch,loss,val_loss",
        "1,0.5,0.6",
        "2,0.25,0.3",
    ]
    assert json.loads((target / METRICS_FILE).read_text(encoding="utf-8")) == {"rows": []}
    assert hidden(target.parent) == []
    loaded = artifacts.load(target)
    assert loaded.meta["note"] == "first"
    assert loaded.model.count_params() == tiny_model.count_params() == 4


@pytest.mark.tf
def test_save_refuses_existing_target_without_force(tiny_model, tmp_path: Path) -> None:
    target = tmp_path / "model"
    save(target, tiny_model, "first")
    before = snapshot(target)
    with pytest.raises(ArtifactError, match="already exists; pass --force"):
        save(target, tiny_model, "second")
    assert snapshot(target) == before
    assert hidden(tmp_path) == []


@pytest.mark.tf
def test_save_refuses_a_file_even_with_force(tiny_model, tmp_path: Path) -> None:
    target = tmp_path / "model"
    target.write_text("precious", encoding="utf-8")
    with pytest.raises(ArtifactError, match="not a model directory"):
        save(target, tiny_model, "first", force=True)
    assert target.read_text(encoding="utf-8") == "precious"


@pytest.mark.tf
def test_save_with_force_replaces(tiny_model, tmp_path: Path) -> None:
    target = tmp_path / "model"
    save(target, tiny_model, "first")
    (target / "stale.txt").write_text("from an older run", encoding="utf-8")
    save(target, tiny_model, "second", force=True, extra={})
    assert load_meta(target).meta["note"] == "second"
    assert not (target / "stale.txt").exists()
    assert not (target / METRICS_FILE).exists()
    assert hidden(tmp_path) == []


@pytest.mark.tf
def test_failure_while_saving_model_keeps_previous(tiny_model, tmp_path, monkeypatch) -> None:
    target = tmp_path / "model"
    save(target, tiny_model, "first")
    before = snapshot(target)

    def boom(*_args, **_kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(tiny_model, "save", boom)
    with pytest.raises(RuntimeError, match="disk full"):
        save(target, tiny_model, "second", force=True)
    assert snapshot(target) == before
    assert hidden(tmp_path) == []


@pytest.mark.tf
def test_failure_after_model_saved_keeps_previous(tiny_model, tmp_path) -> None:
    target = tmp_path / "model"
    save(target, tiny_model, "first")
    before = snapshot(target)
    with pytest.raises(TypeError):  # not JSON serialisable, written after model.keras
        save(target, tiny_model, "second", force=True, extra={METRICS_FILE: {"x": object()}})
    assert snapshot(target) == before
    assert hidden(tmp_path) == []


@pytest.mark.tf
def test_failure_at_the_final_rename_keeps_previous(tiny_model, tmp_path, monkeypatch) -> None:
    """The previous model is moved aside first; if the new one cannot take its place, it is
    put back rather than left hidden."""
    target = tmp_path / "model"
    save(target, tiny_model, "first")
    before = snapshot(target)
    real_rename = Path.rename

    def rename(self: Path, to):
        if ".tmp-" in self.name:
            raise OSError("rename failed")
        return real_rename(self, to)

    monkeypatch.setattr(Path, "rename", rename)
    with pytest.raises(OSError, match="rename failed"):
        save(target, tiny_model, "second", force=True)
    monkeypatch.undo()
    assert snapshot(target) == before
    assert hidden(tmp_path) == []


# ---- loading is safe ---------------------------------------------------------------------------


@pytest.mark.tf
def test_load_uses_safe_mode(air_model: Path, monkeypatch) -> None:
    import keras

    calls: list[tuple[tuple, dict]] = []

    def fake_load_model(*args, **kwargs):
        calls.append((args, kwargs))
        return "the model"

    monkeypatch.setattr(keras.saving, "load_model", fake_load_model)
    artifact = artifacts.load(air_model)
    assert artifact.model == "the model"
    assert len(calls) == 1
    args, kwargs = calls[0]
    assert kwargs.get("safe_mode") is True
    assert Path(args[0] if args else kwargs["filepath"]) == air_model / MODEL_FILE


@pytest.mark.tf
def test_load_refuses_code_in_the_model_file(tmp_path: Path) -> None:
    """A Lambda layer carries Python bytecode: safe mode refuses to run it."""
    import keras

    from rnncli.runtime import tensorflow

    tensorflow()
    inputs = keras.Input((2,))
    model = keras.Model(inputs, keras.layers.Lambda(lambda x: x * 2.0)(inputs))
    target = tmp_path / "lambda"
    artifacts.save(target, model, {}, [])
    with pytest.raises(ArtifactError, match=r"cannot be loaded .*Lambda.*arbitrary code"):
        artifacts.load(target)
