"""One direction of one recurrent layer in NumPy: SimpleRNN, LSTM and GRU as Keras 3 runs them.

`Direction` holds a layer's kernels in the layout its step reads fastest (transposed, the
gates' rows ordered and the sigmoid gates' rows halved) and runs the step loop over a block
of windows, masked steps carrying the state over (see `numpy_engine` for the masking rules).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from rnncli.errors import RnnCliError

_F32 = np.float32
# rows per block: a block's gate buffers (rows x 4*units float32) stay in the CPU cache
BLOCK_ROWS = 1024


def _relu(a: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    return np.maximum(a, 0.0, out=out)


def _linear(a: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    if out is None or out is a:
        return a
    np.copyto(out, a)
    return out


def _tanh(a: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    return np.tanh(a, out=out)


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


class Direction:
    """One direction of one recurrent layer, its Keras arrays rearranged for fast steps.

    The engine keeps every array feature-major, windows in the last axis: a state h is
    (units, n), a sequence (T, features, n). Each step is then one matmul on contiguous rows,
    ``g = K' @ [h; x_t; 1]`` with ``K' = [U; W; b]^T`` (gates*units, units + in_dim + 1),
    which gives every gate's full pre-activation at once (the transpose of Keras's
    ``x W + h U + b``), and each gate is a contiguous block of rows of ``g``: NumPy's
    element-wise loops run several times faster on those than on column slices. No
    (T, n, gates) array of input projections is ever built either (it would not fit in
    cache). The sigmoid gates' rows are halved (see `_half_sigmoid_`) and LSTM's reordered
    i, f, o, c so that the three sigmoid gates sit side by side.
    """

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
        self.in_dim = kernel.shape[0]
        self.reverse = reverse
        self.act = ACTIVATIONS[activation]
        self.tanh_act = activation == "tanh"
        if cell == "lstm":
            # Keras column order i, f, c, o -> i, f, o, c; sigmoid gates halved
            order = np.r_[0 : 2 * u, 3 * u : 4 * u, 2 * u : 3 * u]
            scale = np.ones(4 * u, dtype=_F32)
            scale[: 3 * u] = 0.5
            k = np.concatenate([recurrent_kernel, kernel, bias[None, :]])[:, order] * scale
        elif cell == "gru":
            # columns z, r (x and h parts summed), then h U_h + b_rec_h and x W_h + b_in_h
            # apart: the reset gate multiplies only the recurrent part (reset_after=True)
            zr = slice(0, 2 * u)
            hc = slice(2 * u, 3 * u)
            k = np.zeros((u + self.in_dim + 1, 4 * u), dtype=_F32)
            k[:u, zr] = recurrent_kernel[:, zr] * 0.5
            k[u:-1, zr] = kernel[:, zr] * 0.5
            k[-1, zr] = (bias[0, zr] + bias[1, zr]) * 0.5
            k[:u, 2 * u : 3 * u] = recurrent_kernel[:, hc]
            k[-1, 2 * u : 3 * u] = bias[1, hc]
            k[u:-1, 3 * u :] = kernel[:, hc]
            k[-1, 3 * u :] = bias[0, hc]
        else:
            k = np.concatenate([recurrent_kernel, kernel, bias[None, :]])
        self.kt = np.ascontiguousarray(k.T, dtype=_F32)

    def run(
        self,
        seq: np.ndarray,
        mask: np.ndarray | None,
        out: np.ndarray | None,
        zero_masked: bool,
    ) -> np.ndarray:
        """Run over seq (T, in_dim, n); return the final output h (units, n).

        With `out` (T, units, n), a view into the layer's sequence output, also write each
        step's output there, in the original time order also when running backwards (as
        Bidirectional's flip does). `mask` (T, n) bool or None (all real). `zero_masked` is
        Keras's zero_output_for_mask: a masked step outputs zeros, not the carried h.
        """
        steps, in_dim, n = seq.shape
        u = self.units
        hx = np.zeros((u + in_dim + 1, n), dtype=_F32)
        hx[-1] = 1.0
        h = hx[:u]  # a view: writing h writes the next step's matmul input
        x_slot = hx[u : u + in_dim]
        c = np.zeros((u, n), dtype=_F32) if self.cell == "lstm" else None
        g = np.empty((self.kt.shape[0], n), dtype=_F32)
        any_real: np.ndarray | None = None
        all_real: np.ndarray | None = None
        if mask is not None:
            any_real = np.asarray(mask.any(axis=1))
            all_real = np.asarray(mask.all(axis=1))
        for t in range(steps - 1, -1, -1) if self.reverse else range(steps):
            if any_real is not None and not any_real[t]:
                # nobody is real at this step: every state carries over, nothing to compute
                if out is not None:
                    out[t] = 0.0 if zero_masked else h
                continue
            x_slot[...] = seq[t]
            np.matmul(self.kt, hx, out=g)
            if c is not None:  # LSTM
                h_new, c_new = self._lstm_step(g, c)
            elif self.cell == "gru":
                h_new, c_new = self._gru_step(g, h), None
            else:
                h_new, c_new = self.act(g, out=g), None
            if all_real is None or all_real[t]:
                h[...] = h_new
                if c is not None:
                    c = c_new
                if out is not None:
                    out[t] = h
                continue
            if mask is None:  # all_real is None only without a mask
                raise RnnCliError("internal: a masked step without a mask; please report it")
            m = mask[t][None, :]
            np.copyto(h, h_new, where=m)
            if c is not None and c_new is not None:
                np.copyto(c, c_new, where=m)
            if out is not None:
                if zero_masked:
                    out[t] = 0.0
                    np.copyto(out[t], h, where=m)
                else:
                    out[t] = h
        return h.copy()

    def _lstm_step(self, g: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """LSTM (Keras gate order i, f, c, o; sigmoid recurrent activation), in Keras's layout:

            z = x W + h U + b                      (n, 4*units), W (in, 4u), U (u, 4u), b (4u,)
            i, f, o = sigmoid(z_i), sigmoid(z_f), sigmoid(z_o)
            c' = f * c + i * act(z_c)              (n, units)
            h' = o * act(c')                       (n, units)

        `g` holds z transposed (4*units, n), rows i, f, o, c with the sigmoid ones halved;
        `c` is (units, n). Returns (h', c'): h' in `g`'s memory, c' a new array.
        """
        u = self.units
        gates = g[: 3 * u]
        if self.tanh_act:
            np.tanh(g, out=g)  # the candidate's activation and the gates' tanh in one pass
            gates *= 0.5
            gates += 0.5
        else:
            _half_sigmoid_(gates)
            self.act(g[3 * u :], out=g[3 * u :])
        i, f, o, cand = g[:u], g[u : 2 * u], g[2 * u : 3 * u], g[3 * u :]
        c_new = f * c
        cand *= i
        c_new += cand
        h_new = self.act(c_new, out=cand)
        h_new *= o
        return h_new, c_new

    def _gru_step(self, g: np.ndarray, h: np.ndarray) -> np.ndarray:
        """GRU, reset_after=True (Keras's default and cuDNN's form), gate order z, r, h:

            a = x W + b_in                         (n, 3*units), W (in, 3u), b_in = bias[0]
            s = h U + b_rec                        (n, 3*units), U (u, 3u), b_rec = bias[1]
            z = sigmoid(a_z + s_z);  r = sigmoid(a_r + s_r)
            h~ = act(a_h + r * s_h)
            h' = z * h + (1 - z) * h~              (n, units)

        `g` holds, transposed, [a_z + s_z; a_r + s_r (both halved); s_h; a_h] (4*units, n);
        `h` is (units, n). Returns a new array h' (units, n).
        """
        u = self.units
        _half_sigmoid_(g[: 2 * u])
        z, r, s_h, hh = g[:u], g[u : 2 * u], g[2 * u : 3 * u], g[3 * u :]
        s_h *= r
        hh += s_h
        self.act(hh, out=hh)
        h_new = h - hh
        h_new *= z
        h_new += hh
        return h_new


__all__ = ["ACTIVATIONS", "BLOCK_ROWS", "Direction"]
