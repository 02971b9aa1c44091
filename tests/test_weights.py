from __future__ import annotations

import json

import numpy as np
import pytest

from rnncli.config import ModelSpec
from rnncli.network import build_model
from rnncli.weights import breakdown, report_to_dict

pytestmark = pytest.mark.tf


def _functional(layer, look_back: int, n_features: int, head: bool):
    import keras

    x = keras.Input((look_back, n_features))
    h = layer(x)
    if head:
        h = keras.layers.Dense(1, name="head")(h)
    return keras.Model(x, h)


@pytest.fixture(scope="module")
def lstm32():
    import keras

    return _functional(keras.layers.LSTM(32, name="lstm"), 10, 7, head=True)


@pytest.fixture(scope="module")
def gru4():
    import keras

    return _functional(keras.layers.GRU(4, name="gru"), 5, 2, head=False)


@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("layers", [1, 2])
@pytest.mark.parametrize("cell", ["simple_rnn", "lstm", "gru"])
def test_total_matches_count_params(cell, layers, bidirectional):
    spec = ModelSpec(cell=cell, units=3, layers=layers, bidirectional=bidirectional)
    model = build_model(spec, look_back=4, n_features=2, horizon=2, n_targets=2, masked=True)
    report = breakdown(model)
    assert report.total == model.count_params()
    recurrent = [layer for layer in report.layers if layer.kind == "recurrent"]
    assert len(recurrent) == layers
    for layer in recurrent:
        assert layer.total == sum(p.total for p in layer.parts)
        expected = ["forward", "backward"] if bidirectional else [""]
        assert [p.direction for p in layer.parts] == expected
        for part in layer.parts:
            assert part.total == sum(t.count for t in part.tensors)
    # the second layer reads the first one's output (doubled when bidirectional)
    if layers == 2:
        assert recurrent[1].parts[0].input_dim == 3 * (2 if bidirectional else 1)
    assert [layer.kind for layer in report.layers][-1] == "dense"


def test_simple_rnn_64_known_figures():
    import keras

    model = _functional(keras.layers.SimpleRNN(64, name="rnn"), 20, 1, head=True)
    report = breakdown(model)
    rnn, head = report.layers
    assert rnn.total == 4224 and rnn.class_name == "SimpleRNN"
    assert [t.formula for t in rnn.parts[0].tensors] == ["1 × 64 × 1", "64 × 64 × 1", "64 × 1"]
    assert rnn.parts[0].gates == ("hidden",)
    assert head.total == 65 and head.kind == "dense"
    assert report.total == 4289 == model.count_params()


def test_linear_simple_rnn_1_values():
    import keras

    model = _functional(keras.layers.SimpleRNN(1, activation="linear", name="rnn"), 3, 1, False)
    layer = model.get_layer("rnn")
    layer.set_weights([np.array([[0.5]]), np.array([[0.25]]), np.array([0.125])])
    report = breakdown(model)
    assert report.total == 3 == model.count_params()
    part = report.layers[0].parts[0]
    assert [(t.name, t.count) for t in part.tensors] == [
        ("kernel", 1),
        ("recurrent_kernel", 1),
        ("bias", 1),
    ]
    data = report_to_dict(report, values=True)
    hidden = data["layers"][0]["parts"][0]["values"]["hidden"]
    assert hidden == {"kernel": [[0.5]], "recurrent_kernel": [[0.25]], "bias": [0.125]}
    kernel, recurrent, bias = layer.get_weights()
    assert hidden["kernel"] == kernel.tolist()
    assert hidden["recurrent_kernel"] == recurrent.tolist()
    assert hidden["bias"] == bias.tolist()


def test_lstm_32_on_7_features(lstm32):
    report = breakdown(lstm32)
    lstm, head = report.layers
    part = lstm.parts[0]
    assert lstm.total == 5120
    assert part.gates == ("input", "forget", "cell", "output")
    assert (part.input_dim, part.units) == (7, 32)
    assert [(t.count, t.formula) for t in part.tensors] == [
        (896, "7 × 32 × 4"),
        (4096, "32 × 32 × 4"),
        (128, "32 × 4"),
    ]
    assert head.total == 33
    assert [(t.name, t.shape, t.count) for t in head.parts[0].tensors] == [
        ("kernel", (32, 1), 32),
        ("bias", (1,), 1),
    ]
    assert report.total == 5153 == lstm32.count_params()


def test_lstm_forget_gate_block(lstm32):
    kernel, recurrent, bias = lstm32.get_layer("lstm").get_weights()
    part = breakdown(lstm32).layers[0].parts[0]
    forget = part.per_gate()["forget"]
    np.testing.assert_array_equal(forget["kernel"], kernel[:, 32:64])
    np.testing.assert_array_equal(forget["recurrent_kernel"], recurrent[:, 32:64])
    np.testing.assert_array_equal(forget["bias"], bias[32:64])
    assert forget["kernel"].shape == (7, 32)
    # LSTM's unit_forget_bias initialises the forget bias to 1, the others to 0
    np.testing.assert_array_equal(forget["bias"], np.ones(32))
    values = report_to_dict(breakdown(lstm32), values=True)["layers"][0]["parts"][0]["values"]
    assert list(values) == ["input", "forget", "cell", "output"]
    np.testing.assert_array_equal(np.array(values["forget"]["kernel"]), kernel[:, 32:64])


def test_gru_4_on_2_features(gru4):
    report = breakdown(gru4)
    part = report.layers[0].parts[0]
    assert part.gates == ("update", "reset", "candidate")
    kernel, recurrent, bias = part.tensors
    assert (kernel.shape, kernel.count, kernel.formula) == ((2, 12), 24, "2 × 4 × 3")
    assert (recurrent.shape, recurrent.count, recurrent.formula) == ((4, 12), 48, "4 × 4 × 3")
    assert (bias.shape, bias.count, bias.formula) == ((2, 12), 24, "2 × 4 × 3")
    assert "recurrent bias" in bias.note
    assert report.total == 96 == gru4.count_params()
    # per-gate bias block keeps both rows: [input bias, recurrent bias]
    assert part.per_gate()["reset"]["bias"].shape == (2, 4)


def test_bidirectional_report_and_json():
    import keras

    layer = keras.layers.Bidirectional(keras.layers.GRU(4), name="bi")
    model = _functional(layer, 5, 2, head=True)
    report = breakdown(model)
    bi = report.layers[0]
    assert bi.class_name == "Bidirectional(GRU)"
    assert [p.direction for p in bi.parts] == ["forward", "backward"]
    assert bi.total == 192 and bi.formula == "2 × 96"
    assert report.total == model.count_params() == 192 + 9
    data = report_to_dict(report, values=True)
    text = json.dumps(data)
    assert json.loads(text)["total"] == 201
    plain = report_to_dict(report)
    assert "values" not in plain["layers"][0]["parts"][0]
    assert plain["layers"][0]["parts"][1]["tensors"][2]["shape"] == [2, 12]
