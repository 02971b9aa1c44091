"""`rnncli inspect-weights`: parameter counts per gate as a table, JSON or CSV, and the weights."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from rnncli import modeldir as artifacts
from rnncli import weights
from rnncli.cli import app

pytestmark = pytest.mark.tf

LSTM_GATES = ("input", "forget", "cell", "output")


def inspect(*args: object):
    result = CliRunner().invoke(app, ["inspect-weights", *map(str, args)], env={"NO_COLOR": "1"})
    assert result.exit_code == 0, (result.stdout, result.stderr)
    return result


@pytest.fixture(scope="module")
def air_keras(air_model: Path):
    return artifacts.load_keras(artifacts.load(air_model))


def grand_total(table: str) -> int:
    lines = [line for line in table.splitlines() if "grand total" in line]
    assert len(lines) == 1, table
    return int(re.findall(r"\d+", lines[0].split("grand total", 1)[1])[-1])


def test_table(air_model: Path, air_keras) -> None:
    result = inspect(air_model)
    table = result.stdout
    assert f"parameters of {air_model}" in table
    assert ", ".join(LSTM_GATES) in table
    for word in ("kernel", "recurrent_kernel", "bias", "LSTM", "Dense", "layer total"):
        assert word in table
    assert grand_total(table) == air_keras.count_params()
    assert result.stderr == ""


def test_json(air_model: Path, air_keras) -> None:
    data = json.loads(inspect(air_model, "--format", "json").stdout)
    assert data["total"] == air_keras.count_params()
    assert data["total"] == sum(layer["total"] for layer in data["layers"])
    lstm = next(layer for layer in data["layers"] if layer["kind"] == "recurrent")
    part = lstm["parts"][0]
    assert part["gates"] == list(LSTM_GATES)
    assert part["cell"] == "lstm"
    units, input_dim = part["units"], part["input_dim"]
    counts = {t["name"]: t["count"] for t in part["tensors"]}
    assert counts == {
        "kernel": input_dim * units * 4,
        "recurrent_kernel": units * units * 4,
        "bias": units * 4,
    }
    assert "values" not in part


def test_json_values_are_the_keras_weights_per_gate(air_model: Path, air_keras) -> None:
    import keras

    data = json.loads(inspect(air_model, "--format", "json", "--values").stdout)
    lstm_layer = next(x for x in air_keras.layers if isinstance(x, keras.layers.LSTM))
    part = next(x for x in data["layers"] if x["name"] == lstm_layer.name)["parts"][0]
    units = part["units"]
    kernel, recurrent, bias = (np.asarray(w.numpy()) for w in lstm_layer.cell.weights)
    for g, gate in enumerate(LSTM_GATES):
        cols = slice(g * units, (g + 1) * units)
        block = part["values"][gate]
        assert np.allclose(block["kernel"], kernel[:, cols])
        assert np.allclose(block["recurrent_kernel"], recurrent[:, cols])
        assert np.allclose(block["bias"], bias[cols])


def test_csv(air_model: Path, air_keras) -> None:
    rows = list(csv.DictReader(io.StringIO(inspect(air_model, "--format", "csv").stdout)))
    assert rows[-1]["class"] == "grand total"
    assert int(rows[-1]["params"]) == air_keras.count_params()
    tensors = [r for r in rows if r["weights"]]
    assert sum(int(r["params"]) for r in tensors) == air_keras.count_params()


def test_values_blocks(air_model: Path, air_keras) -> None:
    text = inspect(air_model, "--values").stdout
    lstm = next(layer for layer in air_keras.layers if type(layer).__name__ == "LSTM")
    units = lstm.cell.units
    for gate in LSTM_GATES:
        assert f"{lstm.name} · gate {gate} · kernel (1, {units}):" in text
        assert f"{lstm.name} · gate {gate} · recurrent_kernel ({units}, {units}):" in text
        assert f"{lstm.name} · gate {gate} · bias ({units},):" in text
    assert "head · kernel" in text and "head · bias" in text
    assert grand_total(text) == air_keras.count_params()  # the table comes first


# ---- the classic: a linear SimpleRNN(1) learns to add its inputs -----------------------------


@pytest.fixture(scope="module")
def adder():
    """h_t = W x_t + U h_{t-1} + b sums a sequence exactly when W = U = 1 and b = 0."""
    import keras

    from rnncli.runtime import tensorflow

    tensorflow()
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.integers(0, 10, size=(2000, 3, 1)).astype("float32")
    y = x.sum(axis=1)
    model = keras.Sequential(
        [
            keras.Input((3, 1)),
            # unroll: three steps need no while loop, which makes the first epoch much faster
            keras.layers.SimpleRNN(1, activation="linear", use_bias=True, unroll=True),
        ]
    )
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss="mse", steps_per_execution=125)
    model.fit(x, y, epochs=10, batch_size=16, verbose=0)
    return model


def test_simple_rnn_learns_to_add(adder) -> None:
    report = weights.breakdown(adder)
    assert report.total == adder.count_params() == 3
    (layer,) = report.layers
    assert layer.class_name == "SimpleRNN"
    (part,) = layer.parts
    assert part.gates == ("hidden",)
    blocks = part.per_gate()["hidden"]
    assert blocks["kernel"].shape == (1, 1)
    assert blocks["kernel"].item() == pytest.approx(1.0, abs=0.05)  # W
    assert blocks["recurrent_kernel"].item() == pytest.approx(1.0, abs=0.05)  # U
    assert blocks["bias"].item() == pytest.approx(0.0, abs=0.05)  # b
    assert adder.predict(np.array([[[3.0], [4.0], [5.0]]]), verbose=0).item() == pytest.approx(
        12.0, abs=0.2
    )


def test_simple_rnn_weights_report(adder) -> None:
    report = weights.breakdown(adder)
    assert report.total == 3
    data = weights.report_to_dict(report, values=True)
    assert data["total"] == 3
    hidden = data["layers"][0]["parts"][0]["values"]["hidden"]
    assert hidden["kernel"][0][0] == pytest.approx(1.0, abs=0.05)
    assert hidden["recurrent_kernel"][0][0] == pytest.approx(1.0, abs=0.05)
    assert hidden["bias"][0] == pytest.approx(0.0, abs=0.05)
    text = weights.format_values(report)
    assert "· gate hidden · kernel (1, 1):" in text
    assert "· gate hidden · recurrent_kernel (1, 1):" in text
    assert "· gate hidden · bias (1,):" in text


@pytest.mark.tf
def test_numpy_and_keras_reports_agree(air_model: Path, panel_model: Path) -> None:
    """inspect-weights reads weights.npz by default; it shows what Keras's model holds."""
    for model in (air_model, panel_model):
        fast = inspect(model, "--format", "json", "--values")
        slow = inspect(model, "--format", "json", "--values", "--engine", "keras")
        assert json.loads(fast.stdout) == json.loads(slow.stdout)
