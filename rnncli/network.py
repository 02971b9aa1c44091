"""The recurrent network: a Keras functional model with a direct multi-step head.

Inputs: "values" (look_back, n_features) float32, when masked "mask" (look_back,) bool, and
with known-future inputs "future" (horizon, n_known) float32, in that order. The mask is
always passed explicitly to each recurrent layer (never inferred from a sentinel value with
keras.layers.Masking). Output "forecast": (batch, horizon, n_targets).

Known-future inputs (`--known`, `--calendar`) reach the network twice: as ordinary columns
of "values" over the look-back, and as "future", their values at the horizon's steps,
flattened, through one tanh layer of `units` ("future_dense": an effect need not be linear,
demand rises on cold and on hot days), and concatenated to the last recurrent layer's output
before the dense head. So each forecast step's output reads every step's known values (a
holiday on step 3 moves step 3), while the recurrent state summarises the past; a decoder
RNN over the future steps would cost a second recurrent pass for horizons that here are
short.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from rnncli.config import CELLS, ModelSpec
from rnncli.errors import ConfigError, DataError

if TYPE_CHECKING:
    import keras
    import numpy as np

CELL_CLASSES: dict[str, str] = {"simple_rnn": "SimpleRNN", "lstm": "LSTM", "gru": "GRU"}


def _check_positive(**sizes: int) -> None:
    for name, value in sizes.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ConfigError(f"model size '{name}' must be a positive integer, got {value!r}")


def _check_spec(spec: ModelSpec) -> None:
    if spec.cell not in CELLS:
        raise ConfigError(f"unknown cell {spec.cell!r}; use one of: {', '.join(CELLS)}")
    _check_positive(units=spec.units, layers=spec.layers)
    for name in ("dropout", "recurrent_dropout"):
        value = getattr(spec, name)
        if not 0.0 <= value < 1.0:
            raise ConfigError(f"option '{name}' must be in [0, 1), got {value}")


def _recurrent_layer(
    spec: ModelSpec, index: int, *, return_sequences: bool, use_cudnn: bool | str
) -> keras.layers.Layer:
    import keras

    cls = getattr(keras.layers, CELL_CLASSES[spec.cell])
    kwargs: dict[str, Any] = {
        "units": spec.units,
        "activation": spec.activation,
        "dropout": spec.dropout,
        "recurrent_dropout": spec.recurrent_dropout,
        "return_sequences": return_sequences,
        "name": f"{spec.cell}_{index}",
    }
    if spec.cell != "simple_rnn":
        kwargs["use_cudnn"] = use_cudnn
    layer = cls(**kwargs)
    if spec.bidirectional:
        layer = keras.layers.Bidirectional(layer, name=f"bidirectional_{spec.cell}_{index}")
    return layer


def build_model(
    spec: ModelSpec,
    *,
    look_back: int,
    n_features: int,
    horizon: int,
    n_targets: int,
    masked: bool,
    right_padded: bool = True,
    n_known: int = 0,
) -> keras.Model:
    """Build the (uncompiled) forecasting model described by `spec`.

    `right_padded=False` (masked windows padded at the front, pad=pre) switches cuDNN off for
    LSTM/GRU: Keras's cuDNN kernel accepts only right-padded masks and fails at run time on
    others. It changes nothing on CPU.
    """
    _check_spec(spec)
    _check_positive(
        look_back=look_back, n_features=n_features, horizon=horizon, n_targets=n_targets
    )
    import keras

    use_cudnn: bool | str = "auto" if (right_padded or not masked) else False

    values = keras.Input(shape=(look_back, n_features), dtype="float32", name="values")
    mask = keras.Input(shape=(look_back,), dtype="bool", name="mask") if masked else None
    h = values
    for i in range(1, spec.layers + 1):
        layer = _recurrent_layer(spec, i, return_sequences=i < spec.layers, use_cudnn=use_cudnn)
        h = layer(h, mask=mask) if mask is not None else layer(h)
    inputs = [values] if mask is None else [values, mask]
    if n_known:
        future = keras.Input(shape=(horizon, n_known), dtype="float32", name="future")
        flat = keras.layers.Flatten(name="future_flat")(future)
        g = keras.layers.Dense(spec.units, activation="tanh", name="future_dense")(flat)
        h = keras.layers.Concatenate(name="head_inputs")([h, g])
        inputs.append(future)
    h = keras.layers.Dense(horizon * n_targets, name="head")(h)
    out = keras.layers.Reshape((horizon, n_targets), name="forecast")(h)
    return keras.Model(
        inputs=inputs if len(inputs) > 1 else values, outputs=out, name=f"rnncli_{spec.cell}"
    )


def model_inputs(
    x: np.ndarray, mask: np.ndarray | None, masked: bool, future: np.ndarray | None = None
) -> Any:
    """What to pass to model.fit/predict: [x, mask?, future?], or x alone."""
    inputs = [x]
    if masked:
        if mask is None:
            raise DataError("this model takes a mask input; pass the window mask with the values")
        if tuple(mask.shape) != tuple(x.shape[:2]):
            raise DataError(
                f"mask shape {tuple(mask.shape)} does not match the windows' (batch, look_back) "
                f"{tuple(x.shape[:2])}; build both from the same windowing"
            )
        inputs.append(mask)
    if future is not None:
        if len(future) != len(x):
            raise DataError(
                f"{len(future)} known-future blocks for {len(x)} windows; build both from the "
                f"same windowing"
            )
        inputs.append(future)
    return inputs if len(inputs) > 1 else x


def disable_cudnn(model: keras.Model) -> None:
    """Switch cuDNN off in every LSTM/GRU of `model` (also inside Bidirectional), in place.

    Keras does not serialize `use_cudnn`, so a loaded model is back to "auto": call this after
    loading a masked model whose windows are padded at the front (pad=pre).
    """
    for layer in model.layers:
        for sub in (
            layer,
            getattr(layer, "forward_layer", None),
            getattr(layer, "backward_layer", None),
        ):
            if sub is not None and hasattr(sub, "use_cudnn"):
                sub.use_cudnn = False


def slow_path_reasons(spec: ModelSpec, *, pad: Literal["pre", "post"] | None = None) -> list[str]:
    """Why this network cannot use Keras's cuDNN kernel on a GPU ([] when it can).

    Keras 3 (TensorFlow backend) uses cuDNN for LSTM/GRU only with activation=tanh,
    recurrent_activation=sigmoid, recurrent_dropout=0, unroll=False, use_bias=True, GRU
    reset_after=True, and masks that are strictly right-padded with no fully masked row.
    build_model fixes recurrent_activation, unroll, use_bias and reset_after to eligible
    values, so only the options below can matter. Plain dropout is fine.
    `pad` is the window padding side; it matters only when spec.padding == "mask".
    """
    reasons: list[str] = []
    if spec.cell == "simple_rnn":
        reasons.append("cell=simple_rnn (SimpleRNN has no cuDNN kernel; use lstm or gru)")
    if spec.activation != "tanh":
        reasons.append(f"activation={spec.activation} (cuDNN needs tanh)")
    if spec.recurrent_dropout > 0:
        reasons.append(f"recurrent_dropout={spec.recurrent_dropout:g} (cuDNN needs 0)")
    if spec.padding == "mask" and pad == "pre" and spec.cell != "simple_rnn":
        reasons.append("pad=pre with a mask (cuDNN needs right-padded masks; use pad=post)")
    return reasons


__all__ = ["CELL_CLASSES", "build_model", "disable_cudnn", "model_inputs", "slow_path_reasons"]
