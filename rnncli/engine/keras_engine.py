"""The Keras side of the engine seam: a keras.Model as an Engine, and its weights for NumPy.

`export_weights` is how a trained model's arrays reach `NumpyEngine`: it reads them by the
layer names `rnncli.network.build_model` gives and returns them under the flat names
`rnncli.engine.weight_shapes` documents, checked against the spec.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from rnncli.engine import NetworkSpec
from rnncli.errors import ArtifactError, DataError

if TYPE_CHECKING:
    import keras

BATCH_SIZE = 1024


class KerasEngine:
    """A forecasting keras.Model behind the Engine protocol.

    Up to `BATCH_SIZE` windows go through predict_on_batch (predict() sets up a dataset per
    call, ~0.2 s); more go through predict() in batches of `BATCH_SIZE`.
    """

    def __init__(self, model: keras.Model) -> None:
        self.model = model
        out_shape = tuple(model.outputs[0].shape)
        self.horizon = int(out_shape[1])
        self.n_targets = int(out_shape[2])
        # inputs by position, as `network.build_model` orders them: values, mask?, future?
        # (a bool input is the mask; a (horizon, K) float input after the values the future)
        later = model.inputs[1:]
        self.masked = any(str(i.dtype) == "bool" for i in later)
        known = [i for i in later if str(i.dtype) != "bool"]
        self.n_known = int(known[0].shape[-1]) if known else 0

    def predict(
        self, x: np.ndarray, mask: np.ndarray | None, future: np.ndarray | None = None
    ) -> np.ndarray:
        """Forecasts (N, horizon, n_targets) float32; see `rnncli.engine.Engine.predict`."""
        from rnncli.network import model_inputs

        x = np.asarray(x, dtype=np.float32)
        if len(x) == 0:
            return np.zeros((0, self.horizon, self.n_targets), dtype=np.float32)
        if self.masked:
            mask = np.ones(x.shape[:2], dtype=bool) if mask is None else np.asarray(mask, bool)
        if self.n_known:
            if future is None:
                raise DataError(
                    f"this model reads {self.n_known} known-future input(s) at each forecast "
                    "step; pass their values with the windows"
                )
            future = np.asarray(future, dtype=np.float32)
        else:
            future = None
        inputs = model_inputs(x, mask, self.masked, future)
        if len(x) <= BATCH_SIZE:
            out = self.model.predict_on_batch(inputs)
        else:
            out = self.model.predict(inputs, batch_size=BATCH_SIZE, verbose=0)
        return np.asarray(out, dtype=np.float32)


def _numpy(variable: object) -> np.ndarray:
    import keras

    return np.asarray(keras.ops.convert_to_numpy(variable), dtype=np.float32)


CLASS_NAMES = {"simple_rnn": "SimpleRNN", "lstm": "LSTM", "gru": "GRU"}


def _check_layer(layer: keras.layers.Layer, spec: NetworkSpec, name: str) -> None:
    """The settings NumPy hard-codes or reads from `spec`, as the Keras layer has them."""
    config = layer.get_config()
    want = {
        "class": CLASS_NAMES[spec.cell],
        "units": spec.units,
        "activation": spec.activation,
        "use_bias": True,
    }
    got = {
        "class": type(layer).__name__,
        "units": config.get("units"),
        "activation": config.get("activation"),
        "use_bias": config.get("use_bias"),
    }
    if spec.cell != "simple_rnn":
        want["recurrent_activation"] = "sigmoid"
        got["recurrent_activation"] = config.get("recurrent_activation")
    if spec.cell == "gru":
        want["reset_after"] = True
        got["reset_after"] = config.get("reset_after")
    for key, value in want.items():
        if got[key] != value:
            raise ArtifactError(
                f"layer '{name}' has {key}={got[key]!r}, its network spec says {value!r}; "
                "the NumPy engine cannot run it"
            )


def export_weights(model: keras.Model, spec: NetworkSpec) -> dict[str, np.ndarray]:
    """The model's arrays under the engine's flat names (see `rnncli.engine`), float32.

    Layers are found by name: ``{cell}_{i}`` or ``bidirectional_{cell}_{i}`` (its
    forward_layer and backward_layer) and ``head``. ArtifactError, naming the layer or array,
    when the model does not have the architecture `spec` describes.
    """
    from rnncli.engine.numpy_engine import check_weights

    arrays: dict[str, np.ndarray] = {}
    for i in range(1, spec.layers + 1):
        name = f"bidirectional_{spec.cell}_{i}" if spec.bidirectional else f"{spec.cell}_{i}"
        try:
            layer = model.get_layer(name)
        except ValueError:
            raise ArtifactError(
                f"the model has no layer '{name}'; it does not match its network spec "
                f"({spec.layers} x {spec.cell}{', bidirectional' if spec.bidirectional else ''})"
            ) from None
        if spec.bidirectional:
            parts = {"forward": layer.forward_layer, "backward": layer.backward_layer}
        else:
            parts = {"forward": layer}
        for direction, sub in parts.items():
            _check_layer(sub, spec, name)
            cell = sub.cell
            prefix = f"rnn{i}/{direction}"
            arrays[f"{prefix}/kernel"] = _numpy(cell.kernel)
            arrays[f"{prefix}/recurrent_kernel"] = _numpy(cell.recurrent_kernel)
            arrays[f"{prefix}/bias"] = _numpy(cell.bias)
    if spec.n_known:
        dense = model.get_layer("future_dense")
        arrays["future/kernel"] = _numpy(dense.kernel)
        arrays["future/bias"] = _numpy(dense.bias)
    head = model.get_layer("head")
    arrays["head/kernel"] = _numpy(head.kernel)
    arrays["head/bias"] = _numpy(head.bias)
    return check_weights(spec, arrays)


__all__ = ["BATCH_SIZE", "KerasEngine", "export_weights"]
