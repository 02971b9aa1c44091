from __future__ import annotations

import numpy as np
import pytest

from rnncli.config import ModelSpec
from rnncli.errors import ConfigError, DataError
from rnncli.network import build_model, disable_cudnn, model_inputs, slow_path_reasons

LOOK_BACK, N_FEATURES, HORIZON, N_TARGETS, BATCH = 6, 2, 3, 2, 4
CELLS = ("simple_rnn", "lstm", "gru")
SHAPES = {"single": (1, False), "stacked": (2, False), "bidirectional": (1, True)}


def _build(cell: str, layers: int, bidirectional: bool, masked: bool, **kw):
    spec = ModelSpec(cell=cell, units=3, layers=layers, bidirectional=bidirectional)
    return build_model(
        spec,
        look_back=LOOK_BACK,
        n_features=N_FEATURES,
        horizon=HORIZON,
        n_targets=N_TARGETS,
        masked=masked,
        **kw,
    )


def _predict(model, x, mask, masked):
    import keras

    return keras.ops.convert_to_numpy(model(model_inputs(x, mask, masked), training=False))


@pytest.fixture(scope="module")
def plain_models():
    import keras

    keras.utils.set_random_seed(0)
    return {
        (cell, shape): _build(cell, *SHAPES[shape], masked=False)
        for cell in CELLS
        for shape in SHAPES
    }


@pytest.fixture(scope="module")
def masked_models():
    """Stacked and bidirectional: the mask must reach every recurrent call, both directions."""
    import keras

    keras.utils.set_random_seed(1)
    return {cell: _build(cell, 2, True, masked=True) for cell in CELLS}


@pytest.mark.tf
@pytest.mark.parametrize("shape", list(SHAPES))
@pytest.mark.parametrize("cell", CELLS)
def test_output_shape(plain_models, cell, shape):
    model = plain_models[(cell, shape)]
    x = np.random.default_rng(0).normal(size=(BATCH, LOOK_BACK, N_FEATURES)).astype("float32")
    assert _predict(model, x, None, False).shape == (BATCH, HORIZON, N_TARGETS)
    assert tuple(model.output.shape) == (None, HORIZON, N_TARGETS)


@pytest.mark.tf
def test_layer_names_and_structure(plain_models):
    import keras

    stacked = plain_models[("lstm", "stacked")]
    names = [layer.name for layer in stacked.layers]
    assert names == ["values", "lstm_1", "lstm_2", "head", "forecast"]
    assert stacked.get_layer("lstm_1").return_sequences
    assert not stacked.get_layer("lstm_2").return_sequences
    bi = plain_models[("gru", "bidirectional")]
    wrapper = bi.get_layer("bidirectional_gru_1")
    assert isinstance(wrapper, keras.layers.Bidirectional)
    assert wrapper.forward_layer.cell.reset_after
    assert not any(isinstance(layer, keras.layers.Masking) for layer in bi.layers)


@pytest.mark.tf
def test_unmasked_model_has_single_input(plain_models):
    model = plain_models[("lstm", "single")]
    assert len(model.inputs) == 1
    assert model.inputs[0].name == "values"
    assert tuple(model.inputs[0].shape) == (None, LOOK_BACK, N_FEATURES)


@pytest.mark.tf
def test_masked_model_inputs(masked_models):
    model = masked_models["lstm"]
    assert [t.name for t in model.inputs] == ["values", "mask"]
    assert tuple(model.inputs[1].shape) == (None, LOOK_BACK)
    assert "bool" in str(model.inputs[1].dtype)


def _padding_mask(valid: list[int], side: str) -> np.ndarray:
    mask = np.zeros((len(valid), LOOK_BACK), dtype=bool)
    for row, k in enumerate(valid):
        if side == "post":
            mask[row, :k] = True
        else:
            mask[row, LOOK_BACK - k :] = True
    return mask


@pytest.mark.tf
@pytest.mark.parametrize("side", ["post", "pre"])
@pytest.mark.parametrize("cell", CELLS)
def test_masked_steps_do_not_change_prediction(masked_models, cell, side):
    model = masked_models[cell]
    rng = np.random.default_rng(2)
    mask = _padding_mask([2, 4, 6, 1], side)
    x = rng.normal(size=(4, LOOK_BACK, N_FEATURES)).astype("float32")
    x[~mask] = 0.0
    garbage = x.copy()
    garbage[~mask] = rng.normal(scale=50.0, size=garbage[~mask].shape)
    base = _predict(model, x, mask, True)
    np.testing.assert_allclose(_predict(model, garbage, mask, True), base, rtol=1e-5, atol=1e-6)
    # not vacuous: a value at a kept step does change the forecast
    changed = x.copy()
    changed[mask] += 1.0
    assert not np.allclose(_predict(model, changed, mask, True), base)


@pytest.mark.tf
def test_right_padded_false_turns_cudnn_off():
    auto = _build("lstm", 1, True, masked=True)
    assert auto.get_layer("bidirectional_lstm_1").backward_layer.use_cudnn == "auto"
    model = _build("gru", 2, True, masked=True, right_padded=False)
    for name in ("bidirectional_gru_1", "bidirectional_gru_2"):
        wrapper = model.get_layer(name)
        assert wrapper.forward_layer.use_cudnn is False
        assert wrapper.backward_layer.use_cudnn is False
    disable_cudnn(auto)
    assert auto.get_layer("bidirectional_lstm_1").forward_layer.use_cudnn is False


@pytest.mark.parametrize(
    "sizes",
    [{"look_back": 0}, {"horizon": -1}, {"n_features": 0}, {"n_targets": 1.5}],
)
def test_bad_sizes_raise_config_error(sizes):
    kw = dict(look_back=5, n_features=1, horizon=1, n_targets=1, masked=False)
    kw.update(sizes)
    with pytest.raises(ConfigError):
        build_model(ModelSpec(), **kw)


def test_bad_spec_raises_config_error():
    with pytest.raises(ConfigError, match="unknown cell"):
        build_model(
            ModelSpec(cell="transformer"),  # type: ignore[arg-type]
            look_back=5,
            n_features=1,
            horizon=1,
            n_targets=1,
            masked=False,
        )


def test_model_inputs():
    x = np.zeros((2, 5, 1), dtype="float32")
    mask = np.ones((2, 5), dtype=bool)
    assert model_inputs(x, mask, False) is x
    got = model_inputs(x, mask, True)
    assert got[0] is x and got[1] is mask
    with pytest.raises(DataError, match="mask"):
        model_inputs(x, None, True)
    with pytest.raises(DataError, match="does not match"):
        model_inputs(x, mask[:, :4], True)


def test_slow_path_reasons():
    assert slow_path_reasons(ModelSpec()) == []
    assert slow_path_reasons(ModelSpec(cell="gru", dropout=0.3), pad="post") == []
    reasons = slow_path_reasons(ModelSpec(activation="relu", recurrent_dropout=0.2))
    assert reasons == [
        "activation=relu (cuDNN needs tanh)",
        "recurrent_dropout=0.2 (cuDNN needs 0)",
    ]
    simple = slow_path_reasons(ModelSpec(cell="simple_rnn"))
    assert len(simple) == 1 and "no cuDNN kernel" in simple[0]
    assert any("pad=pre" in r for r in slow_path_reasons(ModelSpec(), pad="pre"))
    assert slow_path_reasons(ModelSpec(padding="zeros"), pad="pre") == []


@pytest.mark.tf
def test_predict_graph_path_matches_eager(masked_models):
    model = masked_models["gru"]
    mask = _padding_mask([3, 6], "pre")
    x = np.random.default_rng(3).normal(size=(2, LOOK_BACK, N_FEATURES)).astype("float32")
    got = model.predict(model_inputs(x, mask, True), verbose=0)
    np.testing.assert_allclose(got, _predict(model, x, mask, True), rtol=1e-5, atol=1e-6)


@pytest.mark.tf
@pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")  # Keras saving
def test_save_load_keeps_mask_wiring_but_not_use_cudnn(masked_models, tmp_path):
    import keras

    path = tmp_path / "model.keras"
    masked_models["lstm"].save(path)
    loaded = keras.models.load_model(path)
    mask = _padding_mask([2, 5], "pre")
    x = np.random.default_rng(4).normal(size=(2, LOOK_BACK, N_FEATURES)).astype("float32")
    garbage = x.copy()
    garbage[~mask] = 99.0
    np.testing.assert_allclose(
        _predict(loaded, garbage, mask, True), _predict(masked_models["lstm"], x, mask, True),
        rtol=1e-5, atol=1e-6,
    )  # fmt: skip
    # Keras does not serialize use_cudnn: reapply it after loading a pre-padded masked model
    wrapper = loaded.get_layer("bidirectional_lstm_1")
    assert wrapper.forward_layer.use_cudnn == "auto"
    disable_cudnn(loaded)
    assert wrapper.backward_layer.use_cudnn is False
