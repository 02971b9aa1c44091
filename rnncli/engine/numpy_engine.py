"""Keras 3's forward pass for rnncli's networks, in NumPy: predictions without TensorFlow.

The network is the one `rnncli.network.build_model` builds: ``layers`` recurrent layers
(SimpleRNN, LSTM or GRU, each optionally Bidirectional with merge_mode="concat"), the lower
ones returning sequences, then Dense ``head`` and a reshape to (horizon, n_targets).
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
so whatever padding value they hold (even NaN) does not matter.

The arithmetic is float32, as in Keras; parity with Keras is within ~1e-6 on tiny networks.
"""

from __future__ import annotations

import zipfile
import zlib
from collections.abc import Callable, Mapping
from os import PathLike
from pathlib import Path
from typing import BinaryIO

import numpy as np

from rnncli.engine import NetworkSpec, weight_shapes
from rnncli.errors import ArtifactError, DataError

_F32 = np.float32
# rows per block: a block's gate buffers (rows x 4*units float32) stay in the CPU cache
BLOCK_ROWS = 2048


def _relu(a: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    return np.maximum(a, 0.0, out=out if out is not None else None)


def _linear(a: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    if out is None or out is a:
        return a
    np.copyto(out, a)
    return out


def _tanh(a: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    return np.tanh(a, out=out) if out is not None else np.tanh(a)


ACTIVATIONS: dict[str, Callable[..., np.ndarray]] = {
    "tanh": _tanh,
    "relu": _relu,
    "linear": _linear,
}


def _half_sigmoid_(a: np.ndarray) -> None:
    """sigmoid in place, for pre-activations already halved: sigmoid(z) = (1 + tanh(z/2)) / 2.

    The weights of the sigmoid gates are halved once at load time (exact in binary floating
    point), so a gate costs one tanh and never overflows as exp(-z) would for large -z.
    """
    np.tanh(a, out=a)
    a *= 0.5
    a += 0.5


class _Direction:
    """One direction of one recurrent layer: the Keras arrays rearranged for fast steps."""

    def __init__(
        self,
        cell: str,
        activation: str,
        units: int,
        kernel: np.ndarray,
        recurrent_kernel: np.ndarray,
        bias: np.ndarray,
        reverse: bool,
    ) -> None:
        self.cell = cell
        self.units = u = units
        self.reverse = reverse
        self.act = ACTIVATIONS[activation]
        self.tanh_act = activation == "tanh"
        if cell == "lstm":
            # Keras column order i, f, c, o -> i, f, o, c: the sigmoid gates side by side
            order = np.r_[0 : 2 * u, 3 * u : 4 * u, 2 * u : 3 * u]
            scale = np.ones(4 * u, dtype=_F32)
            scale[: 3 * u] = 0.5
            self.w = np.ascontiguousarray(kernel[:, order] * scale)
            self.u = np.ascontiguousarray(recurrent_kernel[:, order] * scale)
            self.b_in = np.ascontiguousarray(bias[order] * scale)
            self.b_rec = None
        elif cell == "gru":
            # columns z, r, h: z and r are sigmoid gates, halved; bias rows input, recurrent
            scale = np.ones(3 * u, dtype=_F32)
            scale[: 2 * u] = 0.5
            self.w = np.ascontiguousarray(kernel * scale)
            self.u = np.ascontiguousarray(recurrent_kernel * scale)
            self.b_in = np.ascontiguousarray(bias[0] * scale)
            self.b_rec = np.ascontiguousarray(bias[1] * scale)
        else:
            self.w = np.ascontiguousarray(kernel)
            self.u = np.ascontiguousarray(recurrent_kernel)
            self.b_in = np.ascontiguousarray(bias)
            self.b_rec = None

    def run(
        self,
        seq: np.ndarray,
        mask: np.ndarray | None,
        out: np.ndarray | None,
        zero_masked: bool,
    ) -> np.ndarray:
        """Run over seq (T, n, in) time-major; return the final output h (n, units).

        With `out` (T, n, units), a view into the layer's sequence output, also write each
        step's output there in the original time order. `mask` (T, n) bool or None (all
        real). `zero_masked` is Keras's zero_output_for_mask.
        """
        steps, n, in_dim = seq.shape
        u = self.units
        # the input half of every gate for all steps at once: one large matmul
        xw = (seq.reshape(steps * n, in_dim) @ self.w).reshape(steps, n, -1)
        xw += self.b_in
        h = np.zeros((n, u), dtype=_F32)
        c = np.zeros((n, u), dtype=_F32) if self.cell == "lstm" else None
        g = np.empty((n, self.u.shape[1]), dtype=_F32)
        if mask is None:
            any_real = all_real = None
        else:
            any_real = mask.any(axis=1)
            all_real = mask.all(axis=1)
        order = range(steps - 1, -1, -1) if self.reverse else range(steps)
        for t in order:
            if any_real is not None and not any_real[t]:
                # nobody is real at this step: every state carries over, nothing to compute
                if out is not None:
                    out[t] = 0.0 if zero_masked else h
                continue
            if self.cell == "lstm":
                h_new, c_new = self._lstm_step(xw[t], h, c, g)
            elif self.cell == "gru":
                h_new, c_new = self._gru_step(xw[t], h, g), None
            else:
                h_new, c_new = self._simple_step(xw[t], h, g), None
            if all_real is None or all_real[t]:
                h, c = h_new, c_new
                if out is not None:
                    out[t] = h
                continue
            m = mask[t][:, None]
            np.copyto(h, h_new, where=m)
            if c is not None:
                np.copyto(c, c_new, where=m)
            if out is not None:
                if zero_masked:
                    out[t] = 0.0
                    np.copyto(out[t], h, where=m)
                else:
                    out[t] = h
        return h

    def _simple_step(self, xw_t: np.ndarray, h: np.ndarray, g: np.ndarray) -> np.ndarray:
        """SimpleRNN: h' = act(x W + h U + b).

        x (n, in), W kernel (in, units), U recurrent_kernel (units, units), b (units,);
        x W + b is precomputed in xw_t (n, units). Returns a new array h' (n, units).
        """
        np.matmul(h, self.u, out=g)
        g += xw_t
        return self.act(g, out=np.empty_like(h))

    def _lstm_step(
        self, xw_t: np.ndarray, h: np.ndarray, c: np.ndarray, g: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """LSTM (Keras gate order i, f, c, o; sigmoid recurrent activation):

            z = x W + h U + b                      (n, 4*units), W (in, 4u), U (u, 4u), b (4u,)
            i, f, o = sigmoid(z_i), sigmoid(z_f), sigmoid(z_o)
            c' = f * c + i * act(z_c)              (n, units)
            h' = o * act(c')                       (n, units)

        Internally the columns are stored i, f, o, c with the sigmoid ones halved (see
        `_half_sigmoid_`). x W + b is precomputed in xw_t. Returns new arrays (h', c').
        """
        u = self.units
        np.matmul(h, self.u, out=g)
        g += xw_t
        gates = g[:, : 3 * u]
        if self.tanh_act:
            np.tanh(g, out=g)  # the candidate's activation and the gates' tanh at once
            gates *= 0.5
            gates += 0.5
        else:
            _half_sigmoid_(gates)
            self.act(g[:, 3 * u :], out=g[:, 3 * u :])
        i, f, o, cand = g[:, :u], g[:, u : 2 * u], g[:, 2 * u : 3 * u], g[:, 3 * u :]
        c_new = f * c
        cand *= i
        c_new += cand
        h_new = self.act(c_new, out=np.empty_like(c_new))
        h_new *= o
        return h_new, c_new

    def _gru_step(self, xw_t: np.ndarray, h: np.ndarray, g: np.ndarray) -> np.ndarray:
        """GRU, reset_after=True (Keras's default and cuDNN's form), gate order z, r, h:

            a = x W + b_in                         (n, 3*units), W (in, 3u), b_in = bias[0]
            r_ = h U + b_rec                       (n, 3*units), U (u, 3u), b_rec = bias[1]
            z = sigmoid(a_z + r_z);  r = sigmoid(a_r + r_r)
            h~ = act(a_h + r * r_h)
            h' = z * h + (1 - z) * h~              (n, units)

        a is precomputed in xw_t. Returns a new array h' (n, units).
        """
        u = self.units
        np.matmul(h, self.u, out=g)
        g += self.b_rec
        zr = g[:, : 2 * u]
        zr += xw_t[:, : 2 * u]
        _half_sigmoid_(zr)
        z, r, hh = g[:, :u], g[:, u : 2 * u], g[:, 2 * u :]
        hh *= r
        hh += xw_t[:, 2 * u :]
        self.act(hh, out=hh)
        h_new = h - hh
        h_new *= z
        h_new += hh
        return h_new


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
        self.block_rows = max(1, int(block_rows))
        self._layers: list[list[_Direction]] = []
        for i in range(1, spec.layers + 1):
            directions = []
            for direction in spec.directions:
                p = f"rnn{i}/{direction}"
                directions.append(
                    _Direction(
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
        self._head_kernel = arrays["head/kernel"]
        self._head_bias = arrays["head/bias"]

    def predict(self, x: np.ndarray, mask: np.ndarray | None) -> np.ndarray:
        """Forecasts (N, horizon, n_targets) float32; see `rnncli.engine.Engine.predict`."""
        spec = self.spec
        x = np.asarray(x, dtype=_F32)
        want = (spec.look_back, spec.n_features)
        if x.ndim != 3 or x.shape[1:] != want:
            raise DataError(
                f"windows have shape {x.shape}, this model takes (N, {want[0]}, {want[1]}) "
                "(look_back, features); build them with the model's own windowing"
            )
        n = len(x)
        if not spec.masked or mask is None:
            mask = None
        else:
            mask = np.asarray(mask, dtype=bool)
            if mask.shape != x.shape[:2]:
                raise DataError(
                    f"mask shape {mask.shape} does not match the windows' (batch, look_back) "
                    f"{x.shape[:2]}; build both from the same windowing"
                )
            if mask.all():
                mask = None
        out = np.empty((n, spec.horizon * spec.n_targets), dtype=_F32)
        for start in range(0, n, self.block_rows):
            stop = min(start + self.block_rows, n)
            m = None if mask is None else mask[start:stop]
            last = self._recurrent(x[start:stop], m)
            np.matmul(last, self._head_kernel, out=out[start:stop])
        out += self._head_bias
        return out.reshape(n, spec.horizon, spec.n_targets)

    def _recurrent(self, x: np.ndarray, mask: np.ndarray | None) -> np.ndarray:
        """The recurrent stack on one block: x (n, T, F) -> last layer's output (n, out_dim)."""
        seq = np.ascontiguousarray(x.transpose(1, 0, 2))  # time-major (T, n, F)
        mask_tm = None if mask is None else np.ascontiguousarray(mask.T)
        steps, n, _ = seq.shape
        u = self.spec.units
        bidirectional = self.spec.bidirectional
        n_layers = len(self._layers)
        for index, directions in enumerate(self._layers):
            last_layer = index == n_layers - 1
            if last_layer:
                finals = [d.run(seq, mask_tm, None, False) for d in directions]
                return finals[0] if len(finals) == 1 else np.concatenate(finals, axis=1)
            nxt = np.empty((steps, n, u * len(directions)), dtype=_F32)
            for k, d in enumerate(directions):
                # Bidirectional forces zero_output_for_mask on for sequence outputs
                d.run(seq, mask_tm, nxt[:, :, k * u : (k + 1) * u], bidirectional)
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
        np.savez(path, **plain)
        return
    from rnncli.atomic import atomic_open

    with atomic_open(Path(path)) as fh:
        np.savez(fh, **plain)


def load_weights(path: str | PathLike[str]) -> dict[str, np.ndarray]:
    """All arrays of a weights file; ArtifactError (one line, naming it) if it cannot be read."""
    try:
        with open(path, "rb") as fh:  # ours to close, also when np.load fails half-way
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
    "ACTIVATIONS",
    "BLOCK_ROWS",
    "NumpyEngine",
    "check_weights",
    "load_engine",
    "load_weights",
    "save_weights",
]
