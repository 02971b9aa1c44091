"""train end to end: CLI behaviour, reproducibility, masking, NaN guard, Ctrl-C, atomic output."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from conftest import SAMPLE, tiny_config
from typer.testing import CliRunner

from rnncli.cli import app
from rnncli.modeldir import read_meta

pytestmark = pytest.mark.tf
runner = CliRunner()
AIR = SAMPLE / "airpassengers.csv"
TINY_FLAGS = [
    "--units",
    "4",
    "--epochs",
    "2",
    "--look-back",
    "12",
    "--horizon",
    "3",
    "--ensemble",
    "1",
]


def _quiet(_msg: str) -> None:
    pass


def test_cli_train_writes_a_complete_model_directory(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["train", str(AIR), "--cell", "gru", *TINY_FLAGS])
    assert result.exit_code == 0, result.stderr
    out = tmp_path / "models" / "airpassengers"
    assert "model directory: models/airpassengers" in result.stderr
    assert "time column: month" in result.stderr
    assert "target: passengers" in result.stderr
    assert "device: CPU" in result.stderr
    names = ("model.keras", "weights.npz", "rnncli.yaml", "history.csv", "metrics.json")
    for name in (*names, "calibration.json"):
        assert (out / name).is_file(), name
    meta = read_meta(out)
    assert meta["schema_version"] == 3
    assert meta["model"]["cell"] == "gru"
    assert meta["window"]["look_back"] == 12
    assert meta["data"]["freq"] == "MS"
    assert meta["data"]["source"] == {"label": str(AIR), "path": str(AIR.resolve()), "kind": "csv"}
    (series,) = meta["series"]
    # 113 training windows: the few-windows rule differences seasonally (12 rows fewer)
    assert meta["window"]["difference"] == 12
    assert series["id"] == "series" and series["sizes"] == [104, 14, 14]
    assert len(series["fingerprint"]["sha256"]) == 64
    assert meta["device"].startswith("CPU")
    assert meta["engine"]["weights"] == "weights.npz"
    assert meta["engine"]["network"]["cell"] == "gru"
    assert 0 <= meta["engine"]["parity_max_abs"] <= 1e-5 and meta["engine"]["parity_windows"] > 0
    # stdout carries the metrics table only
    assert "naive" in result.stdout and "Error" not in result.stdout
    assert not list(tmp_path.glob("models/.*")), "temporary directories left behind"


def test_existing_model_is_kept_without_force(tmp_path: Path, air_model: Path) -> None:
    target = tmp_path / "m"
    shutil.copytree(air_model, target)
    before = (target / "model.keras").read_bytes()
    result = runner.invoke(app, ["train", str(AIR), "--out", str(target), *TINY_FLAGS])
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        f"Error: {target} already exists; pass --force to replace it or choose another --out"
    ]
    assert (target / "model.keras").read_bytes() == before


def test_failed_run_with_force_leaves_previous_model(tmp_path: Path, air_model: Path) -> None:
    target = tmp_path / "m"
    shutil.copytree(air_model, target)
    before = (target / "rnncli.yaml").read_bytes()
    bad = tmp_path / "bad.csv"
    bad.write_text("month,passengers\n1949-01,112\n1949-02,abc\n")
    result = runner.invoke(app, ["train", str(bad), "--out", str(target), "--force"])
    assert result.exit_code == 1
    assert "'abc' is not a number" in result.stderr
    assert (target / "rnncli.yaml").read_bytes() == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def _weights(path: Path) -> list[np.ndarray]:
    import keras

    return keras.saving.load_model(path / "model.keras", compile=False).get_weights()


def test_same_seed_gives_identical_weights_and_forecasts(tmp_path: Path) -> None:
    from rnncli import train as pipeline

    runs = []
    for name in ("a", "b"):
        out = tmp_path / name
        pipeline.train(tiny_config(cell="lstm"), str(AIR), str(AIR), out, note=_quiet)
        runs.append(out)
    for wa, wb in zip(_weights(runs[0]), _weights(runs[1]), strict=True):
        np.testing.assert_array_equal(wa, wb)
    metrics = [(r / "metrics.json").read_text() for r in runs]
    assert metrics[0] == metrics[1]
    other = tmp_path / "c"
    pipeline.train(tiny_config(cell="lstm", seed=8), str(AIR), str(AIR), other, note=_quiet)
    assert not np.array_equal(_weights(runs[0])[0], _weights(other)[0])


def test_masked_padding_ignores_padded_values(panel_model: Path) -> None:
    """A padded window's forecast does not depend on what sits in its padded steps."""
    from rnncli import modeldir as artifacts
    from rnncli.inference import predict_scaled

    art = artifacts.load(panel_model)
    assert art.card.masked is True
    look_back = art.card.look_back
    engine = artifacts.load_engine(art)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4, look_back, 1)).astype("float32")
    mask = np.zeros((4, look_back), dtype=bool)
    for i, real in enumerate((24, 60, 150, look_back)):
        mask[i, :real] = True  # post padding, as trained
    x[~mask] = 0.0
    base = predict_scaled(engine, x, mask, n_targets=1, normalize="last")
    noisy = x.copy()
    noisy[~mask] = rng.normal(scale=50.0, size=(int((~mask).sum()), 1))
    np.testing.assert_allclose(
        predict_scaled(engine, noisy, mask, n_targets=1, normalize="last"), base, rtol=1e-5
    )
    changed = x.copy()
    changed[0, 22, 0] += 3.0  # a real step: the forecast must move
    assert not np.allclose(
        predict_scaled(engine, changed, mask, n_targets=1, normalize="last")[0], base[0]
    )


def test_nan_loss_stops_with_a_clear_error(tmp_path: Path) -> None:
    cfg = tmp_path / "run.yaml"
    cfg.write_text(
        "scale: none\nnormalize: none\nclipnorm: null\nlearning_rate: 1.0e+6\n"
        "optimizer: sgd\nactivation: relu\ncell: simple_rnn\n"
    )
    prices = SAMPLE / "prices.csv"
    result = runner.invoke(
        app,
        [
            "train",
            str(prices),
            "--target",
            "Volume",
            "--config",
            str(cfg),
            "--out",
            str(tmp_path / "m"),
            "--epochs",
            "3",
            "--units",
            "4",
            "-q",
        ],
    )
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: the training loss became NaN")
    assert "--scale standard" in lines[0] and "--learning-rate" in lines[0]
    assert not (tmp_path / "m").exists()


def test_ctrl_c_saves_best_so_far_marked_interrupted(tmp_path: Path) -> None:
    from rnncli import train as pipeline
    from rnncli.fitting import Interrupted

    def stop_after_two(epoch: int, _logs: dict) -> None:
        if epoch == 1:
            raise KeyboardInterrupt

    out = tmp_path / "m"
    with pytest.raises(Interrupted) as info:
        pipeline.train(
            tiny_config(epochs=10), str(AIR), str(AIR), out, note=_quiet, on_epoch=stop_after_two
        )
    assert info.value.exit_code == 130
    meta = read_meta(out)
    assert meta["interrupted"] is True
    assert meta["fit"]["epochs_run"] == 2
    assert (out / "model.keras").is_file()


def test_device_gpu_without_gpu_is_an_error(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["train", str(AIR), "--device", "gpu", "--out", str(tmp_path / "m"), *TINY_FLAGS]
    )
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1].startswith("Error: --device gpu: TensorFlow sees no GPU")


def test_train_from_ingested_npz(tmp_path: Path) -> None:
    npz = tmp_path / "w.npz"
    result = runner.invoke(
        app, ["ingest", str(AIR), "--look-back", "10", "--horizon", "2", "--out", str(npz)]
    )
    assert result.exit_code == 0, result.stderr
    out = tmp_path / "m"
    result = runner.invoke(
        app, ["train", str(npz), "--out", str(out), "--epochs", "1", "--units", "3", "-q"]
    )
    assert result.exit_code == 0, result.stderr
    meta = read_meta(out)
    assert meta["window"]["look_back"] == 10 and meta["window"]["horizon"] == 2
    assert meta["data"]["columns"]["targets"] == ["passengers"]
