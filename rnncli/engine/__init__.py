"""The seam between rnncli and whatever runs a trained network forward.

An `Engine` turns windows into forecasts. Two implement it: `keras_engine.KerasEngine` (the
Keras model itself, needs TensorFlow) and `numpy_engine.NumpyEngine` (the same arithmetic in
NumPy, so that `predict` can run without importing TensorFlow: seconds of start-up saved).
`NetworkSpec` is everything the NumPy engine needs to know about the architecture besides the
arrays; it is stored as plain YAML-safe values next to the weights.

Weight naming (the flat mapping `keras_engine.export_weights` writes and `NumpyEngine` reads;
`weight_shapes(spec)` gives every name with its shape):

- ``rnn{i}/{direction}/kernel``            (in_dim, k*units)
- ``rnn{i}/{direction}/recurrent_kernel``  (units, k*units)
- ``rnn{i}/{direction}/bias``              (k*units,), for GRU (2, 3*units): input and
  recurrent bias rows (reset_after=True)

  ``i`` is the recurrent layer, 1 = the one that reads the values (Keras layer
  ``{cell}_{i}``, or ``bidirectional_{cell}_{i}``); ``direction`` is ``forward``, plus
  ``backward`` for a Bidirectional layer; ``k`` is the number of gates (SimpleRNN 1, LSTM 4
  in Keras's order i, f, c, o; GRU 3 in order z, r, h); ``in_dim`` is n_features for layer 1,
  else the layer below's output width (units, or 2*units when bidirectional).
- with known-future inputs (n_known > 0): ``future/kernel`` (horizon*n_known, units) and
  ``future/bias`` (units,): the tanh Dense layer ``future_dense`` over the known-future
  block (horizon, n_known) flattened row-major (step by step), as Keras's Flatten gives it.
- ``head/kernel`` (out_dim [+ units], horizon*n_targets) and ``head/bias``
  (horizon*n_targets,): the Dense layer ``head``; its output is reshaped to (horizon,
  n_targets) row-major, as Keras's Reshape does. Its input is the last recurrent layer's
  output, followed (with known-future inputs) by ``future_dense``'s output, as Keras's
  Concatenate gives it.

This module imports no TensorFlow or Keras (ruff's TID253 keeps it that way): the NumPy path
must stay importable on its own.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any, Protocol

import numpy as np

from rnncli.errors import ArtifactError, brief

ENGINE_CELLS: tuple[str, ...] = ("simple_rnn", "lstm", "gru")
ENGINE_ACTIVATIONS: tuple[str, ...] = ("tanh", "relu", "linear")
GATES: dict[str, int] = {"simple_rnn": 1, "lstm": 4, "gru": 3}


class Engine(Protocol):
    """Runs a trained forecasting network forward on windows."""

    horizon: int
    n_targets: int
    masked: bool
    n_known: int  # columns of the known-future block; 0: the network takes none

    def predict(
        self, x: np.ndarray, mask: np.ndarray | None, future: np.ndarray | None = None
    ) -> np.ndarray:
        """Forecasts (N, horizon, n_targets) float32 for windows x (N, look_back, n_features).

        `mask` (N, look_back) bool marks the real steps; None means all are real. A network
        built without a mask input (masked=False) ignores it: it was trained on zero-padded
        windows and reads the padding as values. `future` (N, horizon, n_known): the scaled
        known-future inputs at the forecast steps, required when n_known > 0.
        """
        ...


_INT_KEYS = ("units", "layers", "look_back", "n_features", "horizon", "n_targets")
_BOOL_KEYS = ("bidirectional", "masked")
_OPTIONAL_KEYS = ("n_known",)  # absent from cards written before known-future inputs


def _bad(key: str, want: str, value: Any) -> ArtifactError:
    return ArtifactError(
        f"network spec key '{key}' must be {want}, got {brief(value)}; "
        "the model directory is damaged or from another rnncli version: retrain the model"
    )


@dataclass(frozen=True)
class NetworkSpec:
    """The architecture `rnncli.network.build_model` built, as the NumPy engine needs it.

    Validated on construction (so every instance is runnable) with ArtifactError, because a
    bad spec almost always comes from a damaged or foreign model directory.
    """

    cell: str
    units: int
    layers: int
    bidirectional: bool
    activation: str
    look_back: int
    n_features: int
    horizon: int
    n_targets: int
    masked: bool
    n_known: int = 0  # known-future columns concatenated (per forecast step) to the head

    def __post_init__(self) -> None:
        if self.cell not in ENGINE_CELLS:
            raise _bad("cell", " | ".join(ENGINE_CELLS), self.cell)
        if self.activation not in ENGINE_ACTIVATIONS:
            raise _bad("activation", " | ".join(ENGINE_ACTIVATIONS), self.activation)
        for key in _INT_KEYS:
            value = getattr(self, key)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise _bad(key, "a positive integer", value)
        if isinstance(self.n_known, bool) or not isinstance(self.n_known, int) or self.n_known < 0:
            raise _bad("n_known", "0 or a positive integer", self.n_known)
        for key in _BOOL_KEYS:
            value = getattr(self, key)
            if not isinstance(value, bool):
                raise _bad(key, "true or false", value)

    @property
    def directions(self) -> tuple[str, ...]:
        return ("forward", "backward") if self.bidirectional else ("forward",)

    @property
    def out_dim(self) -> int:
        """Width of a recurrent layer's output: units per direction, concatenated."""
        return self.units * len(self.directions)

    def to_dict(self) -> dict[str, Any]:
        """Plain str/int/bool values, safe for yaml.safe_dump (n_known only when > 0, so a
        network without known-future inputs is recorded as before)."""
        out = asdict(self)
        if not self.n_known:
            del out["n_known"]
        return out

    @classmethod
    def from_dict(cls, d: Any) -> NetworkSpec:
        """The inverse of `to_dict`; ArtifactError (one line, naming the key) on bad input."""
        if not isinstance(d, dict):
            raise ArtifactError(
                f"network spec must be a mapping, got {type(d).__name__}; "
                "the model directory is damaged: retrain the model"
            )
        names = [f.name for f in fields(cls)]
        for key in d:
            if key not in names:
                raise ArtifactError(
                    f"network spec has unknown key {key!r}; the model was written by another "
                    "rnncli version: retrain the model"
                )
        for key in names:
            if key not in d and key not in _OPTIONAL_KEYS:
                raise ArtifactError(
                    f"network spec is missing key '{key}'; the model directory is damaged or "
                    "from another rnncli version: retrain the model"
                )
        return cls(**{key: d[key] for key in names if key in d})


def weight_shapes(spec: NetworkSpec) -> dict[str, tuple[int, ...]]:
    """Every array the network needs, by name (see the module docstring), with its shape."""
    k = GATES[spec.cell]
    shapes: dict[str, tuple[int, ...]] = {}
    in_dim = spec.n_features
    for i in range(1, spec.layers + 1):
        for direction in spec.directions:
            prefix = f"rnn{i}/{direction}"
            shapes[f"{prefix}/kernel"] = (in_dim, k * spec.units)
            shapes[f"{prefix}/recurrent_kernel"] = (spec.units, k * spec.units)
            shapes[f"{prefix}/bias"] = (
                (2, 3 * spec.units) if spec.cell == "gru" else (k * spec.units,)
            )
        in_dim = spec.out_dim
    if spec.n_known:
        shapes["future/kernel"] = (spec.horizon * spec.n_known, spec.units)
        shapes["future/bias"] = (spec.units,)
    shapes["head/kernel"] = (
        spec.out_dim + (spec.units if spec.n_known else 0),
        spec.horizon * spec.n_targets,
    )
    shapes["head/bias"] = (spec.horizon * spec.n_targets,)
    return shapes


def parity(
    a: Engine, b: Engine, x: np.ndarray, mask: np.ndarray | None, future: np.ndarray | None = None
) -> float:
    """Largest absolute difference between two engines' forecasts for the same windows."""
    pa = np.asarray(a.predict(x, mask, future), dtype=np.float64)
    pb = np.asarray(b.predict(x, mask, future), dtype=np.float64)
    if pa.shape != pb.shape:
        raise ValueError(f"engines disagree on the forecast shape: {pa.shape} vs {pb.shape}")
    return float(np.max(np.abs(pa - pb))) if pa.size else 0.0


__all__ = [
    "ENGINE_ACTIVATIONS",
    "ENGINE_CELLS",
    "GATES",
    "Engine",
    "NetworkSpec",
    "parity",
    "weight_shapes",
]
