"""The model directory: errors as one line through the CLI, atomic save, safe loading."""

from __future__ import annotations

import io
import json
import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from rnncli import dirswap
from rnncli import modeldir as artifacts
from rnncli.card import SCHEMA_VERSION
from rnncli.cli import app
from rnncli.errors import ArtifactError
from rnncli.modeldir import (
    CALIBRATION_FILE,
    HISTORY_FILE,
    META_FILE,
    METRICS_FILE,
    MODEL_FILE,
    SERIES_FILE,
    WEIGHTS_FILE,
    read_meta,
    write_meta,
)
from rnncli.modeldir import load as load_meta


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
    one_line_error(inspect(tmp_path), "incomplete", META_FILE, "retrain")


@pytest.mark.tf
def test_missing_card(air_copy: Path) -> None:
    (air_copy / META_FILE).unlink()
    one_line_error(inspect(air_copy), "incomplete", f"missing {META_FILE})", "retrain")


@pytest.mark.tf
def test_missing_both_weight_files(air_copy: Path) -> None:
    (air_copy / MODEL_FILE).unlink()
    (air_copy / WEIGHTS_FILE).unlink()
    one_line_error(inspect(air_copy), "incomplete", WEIGHTS_FILE, MODEL_FILE, "retrain")


@pytest.mark.tf
@pytest.mark.parametrize(
    "edit, fragment",
    [
        (lambda m: m.pop("series"), "'series' is missing"),
        (lambda m: m["series"][0].update(center="x"), "'series[0].center' must be list"),
        (lambda m: m["series"][0].update(scale=[1.0, 2.0]), "must hold 1 finite numbers"),
        (lambda m: m["data"]["columns"].update(targets=[]), "targets first"),
        (lambda m: m["window"].update(look_back="ten"), "option 'look_back' must be int"),
        (lambda m: m["engine"]["network"].update(units=-1), "'units' must be a positive"),
        (lambda m: m.pop("fit"), "'fit' is missing"),
    ],
    ids=["series", "center", "scale", "targets", "look_back", "network", "fit"],
)
def test_damaged_card_is_one_line_naming_the_key(air_copy: Path, edit, fragment: str) -> None:
    file = air_copy / META_FILE
    meta = read_meta(air_copy)
    edit(meta)
    write_meta(air_copy, meta)
    for command in (["inspect-weights"], ["evaluate"], ["predict"]):
        args = [*command, str(air_copy)] + (
            ["sample_data/airpassengers.csv"] if command == ["predict"] else []
        )
        result = CliRunner().invoke(app, args, env={"NO_COLOR": "1"})
        line = one_line_error(result, fragment)
        assert str(file) in line


@pytest.mark.tf
def test_card_round_trips(air_model: Path) -> None:
    from rnncli.cardread import parse

    card = load_meta(air_model).card
    again = parse(yaml.safe_load(yaml.safe_dump(card.to_dict())), air_model / META_FILE)
    assert again == card
    assert card.engine.parity_max_abs is not None and card.engine.parity_max_abs <= 1e-5
    assert card.source.path == str((Path("sample_data") / "airpassengers.csv").resolve())


def test_schema_1_cards_still_load(tmp_path: Path) -> None:
    """A model directory written by rnncli 0.1 (rnncli.yaml schema 1, model.keras only)."""
    (tmp_path / MODEL_FILE).write_bytes(b"")
    (tmp_path / META_FILE).write_text(SCHEMA_1, encoding="utf-8")
    model = load_meta(tmp_path)
    card = model.card
    assert card.schema_version == 1 and card.ids == ["series"]
    assert card.columns.targets == ("passengers",) and card.look_back == 12
    r = card.series[0]
    assert (r.n_train, r.n_val, r.n_test) == (116, 14, 14)
    assert r.center == (250.0,) and r.scale == (80.0,) and r.rows == 144
    assert card.source.label == "sample_data/airpassengers.csv" and card.source.path is None
    assert artifacts.engine_kind(model, "numpy") == "keras"  # no weights.npz: Keras runs it


SCHEMA_1 = """\
schema_version: 1
created: 2026-11-30T10:00:00+0000
interrupted: false
data:
  source: sample_data/airpassengers.csv
  columns: {time_col: month, targets: [passengers], inputs: [passengers], id_col: null}
  fill: null
  freq: MS
  season: 12
  series: [series]
  sizes: {train: [116], val: [14], test: [14]}
  windows: {train: 101, val: 12, test: 12}
  fingerprint:
    series: {rows: 144, first: '1949-01-01', last: '1960-12-01', sha256: abc}
window: {look_back: 12, horizon: 3, stride: 1, min_look_back: null, pad: post, val_size: 0.1,
  test_size: 0.1, scale: standard, normalize: last, skip_short: false, difference: null}
model: {cell: lstm, units: 4, layers: 1, bidirectional: false, activation: tanh, dropout: 0.0,
  recurrent_dropout: 0.0, padding: mask}
train: {optimizer: adam, learning_rate: 0.001, loss: mse, epochs: 3, batch_size: 32,
  patience: 10, clipnorm: 1.0, clipvalue: null, seed: 7, device: auto}
masked: false
scaler:
  method: standard
  series:
    series: {center: [250.0], scale: [80.0]}
fit: {epochs_run: 3, best_epoch: 3, best_loss: 0.5, stopped_early: false, seconds: 1.0}
params: 100
device: CPU
versions: {rnncli: 0.1.0}
"""


@pytest.mark.tf
def test_series_records_live_in_series_json(air_copy: Path) -> None:
    """rnncli.yaml names series.json; a missing or damaged one is one line naming it."""
    meta = yaml.safe_load((air_copy / META_FILE).read_text(encoding="utf-8"))
    assert meta["series"] == SERIES_FILE
    lines = (air_copy / SERIES_FILE).read_text(encoding="utf-8").splitlines()
    assert lines[0] == "[" and lines[-1] == "]" and len(lines) == 3  # one line per series
    (air_copy / SERIES_FILE).write_text("[{", encoding="utf-8")
    one_line_error(inspect(air_copy), str(air_copy / SERIES_FILE), "unreadable", "retrain")
    (air_copy / SERIES_FILE).unlink()
    one_line_error(inspect(air_copy), "incomplete", f"missing {SERIES_FILE})", "retrain")


@pytest.mark.tf
def test_schema_2_cards_with_inline_series_still_load(air_model: Path, tmp_path: Path) -> None:
    """rnncli 0.2 wrote the series records inside rnncli.yaml: the same forecast comes out."""
    old = Path(shutil.copytree(air_model, tmp_path / "v2"))
    meta = read_meta(old)
    meta["schema_version"] = 2
    (old / META_FILE).write_text(yaml.safe_dump(meta, sort_keys=False), encoding="utf-8")
    (old / SERIES_FILE).unlink()
    assert load_meta(old).card.series == load_meta(air_model).card.series
    data = "sample_data/airpassengers.csv"
    runs = [CliRunner().invoke(app, ["predict", str(m), data]) for m in (air_model, old)]
    assert runs[0].exit_code == runs[1].exit_code == 0, runs[1].stderr
    assert runs[0].stdout == runs[1].stdout and runs[0].stdout.count("\n") > 1


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
    result = CliRunner().invoke(
        app, ["inspect-weights", str(air_copy), "--engine", "keras"], env={"NO_COLOR": "1"}
    )
    one_line_error(result, str(file), "damaged", "retrain")
    file = air_copy / WEIGHTS_FILE
    file.write_bytes(damage(file.read_bytes()))
    one_line_error(inspect(air_copy), str(file), "retrain")


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("schema_version: [1\n", "is not valid YAML at line 2"),
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


def test_read_json(tmp_path: Path) -> None:
    (tmp_path / MODEL_FILE).write_bytes(b"")
    (tmp_path / META_FILE).write_text(SCHEMA_1, encoding="utf-8")
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
    inputs = keras.Input((12, 1))  # the air model's card: look-back 12, one input, horizon 3
    head = keras.layers.Dense(3, name="head")(keras.layers.Flatten()(inputs))
    outputs = keras.layers.Reshape((3, 1))(head)
    return keras.Model(inputs, outputs)


HISTORY = [{"epoch": 1, "loss": 0.5, "val_loss": 0.6}, {"epoch": 2, "loss": 0.25, "val_loss": 0.3}]


@pytest.fixture(scope="module")
def card(air_model: Path):
    return load_meta(air_model).card


def save(target: Path, model, note: str, force: bool = False, **kw) -> None:
    """Save `model` with a card whose `created` field carries `note`."""
    import dataclasses

    extra = kw.pop("extra", {METRICS_FILE: {"rows": []}, CALIBRATION_FILE: {"n": 1}})
    card = dataclasses.replace(CARD[0], created=note)
    artifacts.save(
        target,
        card,
        HISTORY,
        weights=None,
        keras_models=[model],
        extra_json=extra,
        force=force,
        **kw,
    )


CARD: list = []


@pytest.fixture(autouse=True)
def _card(request: pytest.FixtureRequest) -> None:
    if "tiny_model" in request.fixturenames and not CARD:
        CARD.append(request.getfixturevalue("card"))


@pytest.mark.tf
def test_save_writes_everything(tiny_model, tmp_path: Path) -> None:
    target = tmp_path / "deep" / "er" / "model"
    save(target, tiny_model, "first")
    assert sorted(p.name for p in target.iterdir()) == sorted(
        [MODEL_FILE, META_FILE, SERIES_FILE, HISTORY_FILE, METRICS_FILE, CALIBRATION_FILE]
    )
    text = (target / META_FILE).read_text(encoding="utf-8")
    assert text.startswith(f"schema_version: {SCHEMA_VERSION}\n")
    assert yaml.safe_load(text)["created"] == "first"
    assert (target / HISTORY_FILE).read_text(encoding="utf-8").splitlines() == [
        "epoch,loss,val_loss",
        "1,0.5,0.6",
        "2,0.25,0.3",
    ]
    assert json.loads((target / METRICS_FILE).read_text(encoding="utf-8")) == {"rows": []}
    assert hidden(target.parent) == []
    loaded = artifacts.load(target)
    assert loaded.card.created == "first"
    assert artifacts.load_keras(loaded).count_params() == tiny_model.count_params() == 39


@pytest.mark.tf
def test_save_removes_what_killed_saves_left(tiny_model, tmp_path: Path) -> None:
    """A save killed with SIGKILL leaves .NAME.tmp-PID@HOST (and, after its first rename,
    .NAME.old-PID@HOST); the next save removes this machine's of processes now gone (also
    those named without a host, as earlier versions did), not a live one's nor another
    machine's."""
    import subprocess

    from rnncli.atomic import host_name

    proc = subprocess.Popen(["true"])
    proc.wait()  # a process id that has exited
    target = tmp_path / "model"
    save(target, tiny_model, "first")
    here = host_name()
    left = [tmp_path / f".model.{kind}-{proc.pid}@{here}" for kind in ("tmp", "old")]
    left.append(tmp_path / f".model.tmp-{proc.pid}")  # an earlier version's name
    live = tmp_path / f".model.tmp-{os.getppid()}@{here}"
    elsewhere = tmp_path / f".model.tmp-{proc.pid}@{here}-x"  # a shared directory
    for path in [*left, live, elsewhere]:
        path.mkdir()
        (path / "part").write_text("x")
    save(target, tiny_model, "second", force=True)
    assert hidden(tmp_path) == sorted([live.name, elsewhere.name])
    assert artifacts.load(target).card.created == "second"


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
    assert load_meta(target).card.created == "second"
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
    monkeypatch.setattr(tiny_model, "save", lambda *_a, **_k: _raise(OSError(28, "No space left")))
    with pytest.raises(ArtifactError, match=r"no space left.*previous model .* is unchanged"):
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


def _raise(exc: BaseException):
    raise exc


@pytest.mark.tf
def test_the_swap_is_one_exchange(tiny_model, tmp_path, monkeypatch) -> None:
    """With renameat2(RENAME_EXCHANGE) there is no instant without a model at the target."""
    target = tmp_path / "model"
    save(target, tiny_model, "first")
    seen: list[bool] = []
    real = dirswap._exchange

    def exchange(a: Path, b: Path) -> bool:
        done = real(a, b)
        seen.append(done)
        assert load_meta(b).card.created == ("second" if done else "first")
        return done

    monkeypatch.setattr(dirswap, "_exchange", exchange)
    save(target, tiny_model, "second", force=True)
    assert seen == [True]  # Linux: the exchange is available
    assert load_meta(target).card.created == "second"
    assert hidden(tmp_path) == []


@pytest.mark.tf
def test_failure_at_the_final_rename_keeps_previous(tiny_model, tmp_path, monkeypatch) -> None:
    """Without the exchange the previous model is moved aside first; if the new one cannot
    take its place, it is put back rather than left hidden."""
    target = tmp_path / "model"
    save(target, tiny_model, "first")
    before = snapshot(target)
    monkeypatch.setattr(dirswap, "_exchange", lambda a, b: False)
    real_rename = Path.rename

    def rename(self: Path, to):
        if ".tmp-" in self.name:
            raise OSError("rename failed")
        return real_rename(self, to)

    monkeypatch.setattr(Path, "rename", rename)
    with pytest.raises(ArtifactError, match="rename failed"):
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
    assert artifacts.load_keras(artifacts.load(air_model)) == "the model"
    assert len(calls) == 1
    args, kwargs = calls[0]
    assert kwargs.get("safe_mode") is True
    assert Path(args[0] if args else kwargs["filepath"]) == air_model / MODEL_FILE


@pytest.mark.tf
def test_load_refuses_code_in_the_model_file(tmp_path: Path, card) -> None:
    """A Lambda layer carries Python bytecode: safe mode refuses to run it."""
    import keras

    from rnncli.runtime import tensorflow

    tensorflow()
    CARD[:] = [card]
    inputs = keras.Input((2,))
    model = keras.Model(inputs, keras.layers.Lambda(lambda x: x * 2.0)(inputs))
    target = tmp_path / "lambda"
    artifacts.save(target, CARD[0], [], weights=None, keras_models=[model])
    with pytest.raises(ArtifactError, match=r"custom code \(a Lambda layer\).*refuses"):
        artifacts.load_keras(artifacts.load(target))


OLD_WINDOW_KEYS = [
    "look_back",
    "horizon",
    "stride",
    "min_look_back",
    "pad",
    "val_size",
    "test_size",
    "scale",
    "normalize",
    "skip_short",
    "difference",
]
OLD_TRAIN_KEYS = [
    "optimizer",
    "learning_rate",
    "loss",
    "epochs",
    "batch_size",
    "patience",
    "clipnorm",
    "clipvalue",
    "seed",
    "device",
]


def as_release_0_1(model: Path, target: Path) -> Path:
    """A copy of `model` as rnncli 0.1 wrote it: rnncli.yaml schema 1, no weights.npz."""
    shutil.copytree(model, target)
    (target / WEIGHTS_FILE).unlink()
    meta = read_meta(target)
    data, series = meta["data"], meta["series"]
    ids = [s["id"] for s in series]
    old = {
        "schema_version": 1,
        "created": meta["created"],
        "interrupted": meta["interrupted"],
        "data": {
            "source": data["source"]["label"],
            "columns": data["columns"],
            "fill": data["fill"],
            "freq": data["freq"],
            "season": data["season"],
            "series": ids,
            "sizes": {k: [s["sizes"][i] for s in series] for i, k in enumerate(SPLIT_NAMES)},
            "windows": data["windows"],
            "fingerprint": {s["id"]: s["fingerprint"] for s in series},
        },
        "window": {k: meta["window"][k] for k in OLD_WINDOW_KEYS},
        "model": meta["model"],
        "train": {k: meta["train"][k] for k in OLD_TRAIN_KEYS},
        "masked": meta["masked"],
        "scaler": {
            "method": meta["scale"],
            "series": {s["id"]: {"center": s["center"], "scale": s["scale"]} for s in series},
        },
        "fit": {k: v for k, v in meta["fit"].items() if k != "refit"},
        "params": meta["params"],
        "device": meta["device"],
        "versions": meta["versions"],
    }
    (target / META_FILE).write_text(yaml.safe_dump(old, sort_keys=False), encoding="utf-8")
    (target / SERIES_FILE).unlink()
    return target


SPLIT_NAMES = ("train", "val", "test")


@pytest.mark.tf
def test_a_model_from_release_0_1_still_predicts_and_evaluates(
    air_model: Path, tmp_path: Path
) -> None:
    old = as_release_0_1(air_model, tmp_path / "old")
    data = str(Path(__file__).resolve().parent.parent / "sample_data" / "airpassengers.csv")
    runner = CliRunner()
    now = runner.invoke(app, ["predict", str(air_model), data, "--steps", "5", "-f", "csv"])
    then = runner.invoke(app, ["predict", str(old), data, "--steps", "5", "-f", "csv"])
    assert then.exit_code == 0, then.stderr
    assert "has no weights.npz (an older model): running it with Keras" in then.stderr
    # the same forecast (Keras there, NumPy here: equal to float32 rounding)
    a, b = (pd.read_csv(io.StringIO(r.stdout)) for r in (then, now))
    assert a["month"].tolist() == b["month"].tolist()
    np.testing.assert_allclose(a["passengers"], b["passengers"], rtol=1e-6)
    result = runner.invoke(app, ["evaluate", str(old), data, "-f", "json"])
    assert result.exit_code == 0, result.stderr
    fresh = runner.invoke(app, ["evaluate", str(air_model), data, "-f", "json"])
    for x, y in zip(
        json.loads(result.stdout)["metrics"], json.loads(fresh.stdout)["metrics"], strict=True
    ):
        assert x.keys() == y.keys()
        for key, value in x.items():
            assert value == (
                pytest.approx(y[key], rel=1e-5) if isinstance(value, float) else y[key]
            )


@pytest.mark.tf
def test_recover_puts_back_another_machines_interrupted_swap(tiny_model, tmp_path: Path) -> None:
    """Nothing at NAME and .NAME.old-PID@HOST of another machine (a shared directory): its
    process cannot be asked, so recover waits out the swap's window, then puts the model
    back, and leaves that machine's half-written new model for it to remove."""
    import time

    from rnncli.atomic import host_name

    target = tmp_path / "model"
    save(target, tiny_model, "first")
    other = f"4242@{host_name()}-elsewhere"
    target.rename(tmp_path / f".model.old-{other}")
    (tmp_path / f".model.tmp-{other}").mkdir()
    notes: list[str] = []
    start = time.monotonic()
    assert artifacts.recover(target, notes.append)
    assert time.monotonic() - start >= 2.0  # it waited out the window
    assert artifacts.load(target).card.created == "first"
    assert hidden(tmp_path) == [f".model.tmp-{other}"]
    assert notes and notes[0].startswith(f"recovered {target} from .model.old-{other}")
