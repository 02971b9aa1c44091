"""Keras 3's forward pass for rnncli's networks, in NumPy: predictions without TensorFlow.

The network is the one `rnncli.network.build_model` builds: ``layers`` recurrent layers
(SimpleRNN, LSTM or GRU, each optionally Bidirectional with merge_mode="concat"), the lower
ones returning sequences, then Dense ``head`` and a reshape to (horizon, n_targets). With
known-future inputs the head reads the last layer's output followed by g = tanh(f @ Wf + bf),
f the known-future block (horizon, n_known) flattened step by step (layer ``future_dense``):
out = [h, g] @ W + b, computed as h @ W[:out_dim] + g @ W[out_dim:] + b.
Arrays are named as `rnncli.engine` documents (`weight_shapes`). Dropout is an inference
no-op and has no counterpart here.

Masks follow Keras 3 (keras/src/backend/tensorflow/rnn.py, the loop Keras runs on CPU and
whenever cuDNN cannot): at a masked step the cell's result is discarded, so the state (h, and
c for LSTM) carries over unchanged, and the step's output is the previous step's output (zeros
before the first real step) -- which equals the carried h. A Bidirectional wrapper sets
``zero_output_for_mask = return_sequences`` on both its layers, so inside it a sequence
output is zero at masked steps instead; the last layer (no sequences) still ends on the last
real step's h. The backward layer reads the steps in reverse order (mask reversed with them)
and its sequence output is flipped back to the original order before the concat
[forward, backward]. A fully masked row never updates its state: the recurrent output is
zeros and the forecast is the head's bias. Masked steps' inputs are never read into a state,
so whatever padding value they hold (even NaN) does not matter. (On a GPU, Keras's cuDNN
kernel gives zeros at padded steps of a unidirectional sequence too; no forecast depends on
those values, because every layer gets the mask and skips those steps.)

The arithmetic is float32, as in Keras; parity with Keras is within ~1e-6 on tiny networks.
Speed: the matmuls go to NumPy's BLAS. OpenBLAS threads them, which pays on idle cores but
stalls when the cores are busy with other work (its threads spin waiting for each other);
OPENBLAS_NUM_THREADS=1, set before NumPy is imported, gives steady single-core speed, which
already beats Keras's CPU loop for an LSTM of 64 units.
"""

from __future__ import annotations

import zipfile
import zlib
from collections.abc import Mapping
from os import PathLike
from pathlib import Path
from typing import BinaryIO

import numpy as np
from threadpoolctl import threadpool_limits

from rnncli.engine import NetworkSpec, weight_shapes
from rnncli.engine.cells import BLOCK_ROWS, Direction
from rnncli.errors import ArtifactError, DataError

_F32 = np.float32


def check_weights(spec: NetworkSpec, weights: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The arrays `spec` needs, as float32, after checking names, shapes and values.

    ArtifactError naming the first array that is missing, unexpected, of the wrong shape,
    not numeric or not finite.
    """
    expected = weight_shapes(spec)
    for name in weights:
        if name not in expected:
            raise ArtifactError(f"unexpected weight array '{name}' for this network")
    out: dict[str, np.ndarray] = {}
    for name, shape in expected.items():
        if name not in weights:
            raise ArtifactError(f"weight array '{name}' is missing")
        a = np.asarray(weights[name])
        if a.dtype.kind not in "fiu":
            raise ArtifactError(f"weight array '{name}' has dtype {a.dtype}, expected float32")
        if a.shape != shape:
            raise ArtifactError(
                f"weight array '{name}' has shape {a.shape}, expected {shape} for this network"
            )
        a = np.ascontiguousarray(a, dtype=_F32)
        if not np.isfinite(a).all():
            raise ArtifactError(f"weight array '{name}' holds NaN or infinite values")
        out[name] = a
    return out


class NumpyEngine:
    """The network in NumPy, float32, vectorised over windows; loops over time steps.

    Windows are processed in blocks of `block_rows` (all layers per block) so that the
    per-step working set stays in cache.
    """

    def __init__(
        self,
        spec: NetworkSpec,
        weights: Mapping[str, np.ndarray],
        *,
        block_rows: int = BLOCK_ROWS,
    ) -> None:
        arrays = check_weights(spec, weights)
        self.spec = spec
        self.horizon = spec.horizon
        self.n_targets = spec.n_targets
        self.masked = spec.masked
        self.n_known = spec.n_known
        self.block_rows = max(1, int(block_rows))
        self._layers: list[list[Direction]] = []
        for i in range(1, spec.layers + 1):
            directions = []
            for direction in spec.directions:
                p = f"rnn{i}/{direction}"
                directions.append(
                    Direction(
                        spec.cell,
                        spec.activation,
                        spec.units,
                        arrays[f"{p}/kernel"],
                        arrays[f"{p}/recurrent_kernel"],
                        arrays[f"{p}/bias"],
                        reverse=direction == "backward",
                    )
                )
            self._layers.append(directions)
        # the head's rows for the recurrent output, and those for the known-future block
        self._head_kernel = np.ascontiguousarray(arrays["head/kernel"][: spec.out_dim])
        self._head_known = np.ascontiguousarray(arrays["head/kernel"][spec.out_dim :])
        self._head_bias = arrays["head/bias"]
        if spec.n_known:
            self._future_kernel = arrays["future/kernel"]
            self._future_bias = arrays["future/bias"]

    def predict(
        self, x: np.ndarray, mask: np.ndarray | None, future: np.ndarray | None = None
    ) -> np.ndarray:
        """Forecasts (N, horizon, n_targets) float32; see `rnncli.engine.Engine.predict`."""
        spec = self.spec
        x, mask = self._inputs(x, mask)
        known = self._future(future, len(x))
        n = len(x)
        out = np.empty((n, spec.horizon * spec.n_targets), dtype=_F32)
        # one BLAS thread: each step's matmul is small, and OpenBLAS's threads spin waiting
        # for each other (3x slower here, far worse on a busy machine: bench/bench_predict.py)
        with threadpool_limits(limits=1, user_api="blas"):
            for start in range(0, n, self.block_rows):
                stop = min(start + self.block_rows, n)
                m = None if mask is None else mask[start:stop]
                last = self._recurrent(x[start:stop], m, None)
                np.matmul(last.T, self._head_kernel, out=out[start:stop])
            if known is not None:
                hidden = known @ self._future_kernel
                hidden += self._future_bias
                out += np.tanh(hidden, out=hidden) @ self._head_known
        out += self._head_bias
        return out.reshape(n, spec.horizon, spec.n_targets)

    def _future(self, future: np.ndarray | None, n: int) -> np.ndarray | None:
        """The known-future block flattened to (n, horizon * n_known) float32, checked."""
        spec = self.spec
        if not spec.n_known:
            return None
        want = (n, spec.horizon, spec.n_known)
        if future is None:
            raise DataError(
                f"this model reads {spec.n_known} known-future input(s) at each of its "
                f"{spec.horizon} forecast steps; pass their values with the windows"
            )
        future = np.asarray(future, dtype=_F32)
        if future.shape != want:
            raise DataError(
                f"known-future inputs have shape {future.shape}, this model takes {want} "
                "(windows, horizon, known inputs)"
            )
        return future.reshape(n, spec.horizon * spec.n_known)

    def _inputs(
        self, x: np.ndarray, mask: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """x as float32 after a shape check, and the mask, None when it masks nothing."""
        spec = self.spec
        x = np.asarray(x, dtype=_F32)
        want = (spec.look_back, spec.n_features)
        if x.ndim != 3 or x.shape[1:] != want:
            raise DataError(
                f"windows have shape {x.shape}, this model takes (N, {want[0]}, {want[1]}) "
                "(look_back, features); build them with the model's own windowing"
            )
        if not spec.masked or mask is None:
            return x, None
        mask = np.asarray(mask, dtype=bool)
        if mask.shape != x.shape[:2]:
            raise DataError(
                f"mask shape {mask.shape} does not match the windows' (batch, look_back) "
                f"{x.shape[:2]}; build both from the same windowing"
            )
        return x, (None if mask.all() else mask)

    def layer_outputs(self, x: np.ndarray, mask: np.ndarray | None) -> list[np.ndarray]:
        """Every recurrent layer's output, to check the engine against Keras layer by layer.

        Lower layers give their sequence output (N, T, width), masked steps included; the
        last layer gives (N, width). Same input conventions as `predict`, one block.
        """
        x, mask = self._inputs(x, mask)
        collect: list[np.ndarray] = []
        self._recurrent(x, mask, collect)
        return collect

    def _recurrent(
        self, x: np.ndarray, mask: np.ndarray | None, collect: list[np.ndarray] | None
    ) -> np.ndarray:
        """The recurrent stack on one block: x (n, T, F) -> last layer's output (out_dim, n).

        With `collect`, each layer's output is appended to it in Keras's layout.
        """
        seq = np.ascontiguousarray(x.transpose(1, 2, 0))  # (T, F, n)
        mask_tm = None if mask is None else np.ascontiguousarray(mask.T)
        steps, _, n = seq.shape
        u = self.spec.units
        bidirectional = self.spec.bidirectional
        n_layers = len(self._layers)
        for index, directions in enumerate(self._layers):
            if index == n_layers - 1:
                finals = [d.run(seq, mask_tm, None, False) for d in directions]
                last = finals[0] if len(finals) == 1 else np.concatenate(finals, axis=0)
                if collect is not None:
                    collect.append(np.ascontiguousarray(last.T))
                return last
            nxt = np.empty((steps, u * len(directions), n), dtype=_F32)
            for k, d in enumerate(directions):
                # Bidirectional forces zero_output_for_mask on for sequence outputs
                d.run(seq, mask_tm, nxt[:, k * u : (k + 1) * u], bidirectional)
            if collect is not None:
                collect.append(np.ascontiguousarray(nxt.transpose(2, 0, 1)))
            seq = nxt
        raise AssertionError("unreachable: a network has at least one layer")


# ---- weights file ----------------------------------------------------------------------------


def save_weights(path: str | PathLike[str] | BinaryIO, arrays: Mapping[str, np.ndarray]) -> None:
    """Write `arrays` as an uncompressed .npz (no pickled objects) to a path or binary file.

    A path is written atomically (readers see the old file or the new one) and as named:
    no ".npz" is appended, unlike np.savez with a bare name.
    """
    plain = {name: np.ascontiguousarray(a) for name, a in arrays.items()}
    for name, a in plain.items():
        if a.dtype == object:
            raise ValueError(f"weight array '{name}' has dtype object; only numbers are saved")
    if hasattr(path, "write"):
        np.savez(path, **plain)  # type: ignore[arg-type]
        return
    from rnncli.atomic import atomic_open

    with atomic_open(Path(path)) as fh:
        np.savez(fh, **plain)  # type: ignore[arg-type]


def load_weights(path: str | PathLike[str]) -> dict[str, np.ndarray]:
    """All arrays of a weights file; ArtifactError (one line, naming it) if it cannot be read."""
    try:
        with open(path, "rb") as fh:  # ours to close, also when np.load fails half-way
            if fh.read(4) != b"PK\x03\x04":  # an .npz is a zip archive
                raise ValueError("not an .npz archive")
            fh.seek(0)
            data = np.load(fh, allow_pickle=False)
            if not isinstance(data, np.lib.npyio.NpzFile):
                raise ValueError("not an .npz archive")
            with data:
                return {name: data[name] for name in data.files}
    except FileNotFoundError:
        raise ArtifactError(
            f"weights file {path} is missing; retrain the model (rnncli train) to write it"
        ) from None
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile, zlib.error) as e:
        reason = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise ArtifactError(
            f"weights file {path} is unreadable ({reason}); retrain the model (rnncli train)"
        ) from None


def load_engine(spec: NetworkSpec, path: str | PathLike[str]) -> NumpyEngine:
    """A NumpyEngine from a weights file written by `save_weights`.

    ArtifactError, one line naming the file, when it is missing, corrupt or does not fit
    `spec` (a wrong or missing array).
    """
    arrays = load_weights(path)
    try:
        return NumpyEngine(spec, arrays)
    except ArtifactError as e:
        raise ArtifactError(
            f"weights file {path}: {e}; it does not match the model, retrain it (rnncli train)"
        ) from None


__all__ = [
    "NumpyEngine",
    "check_weights",
    "load_engine",
    "load_weights",
    "save_weights",
]
