"""Windows cut a batch at a time from the scaled series: training never holds all windows.

A panel's windows overlap: a look-back of L steps repeats every row L times. `StridedWindows`
keeps one copy of the scaled series (every series end to end, float32) and, for any window
indices, gathers their look-back, mask and targets, as `windows.history` and
`windows.targets` would (the same values, padding and masks), only for those windows. Peak
memory is the series plus a few batches. `ArrayWindows` serves windows already materialised
(an .npz from `rnncli ingest`) through the same `cut`.

`model_batch` then applies the per-window level normalisation and returns what the network
takes: `[values, mask?, future?]`, and the targets. With known-future inputs (the last
`n_known` input columns) a window's `future` is those columns at its forecast steps.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

import numpy as np

from rnncli.inference import normalize_windows


@dataclass(frozen=True)
class Cut:
    """Windows as the network's space holds them: not yet level-normalised."""

    x: np.ndarray  # (n, look_back, n_inputs) float32, padded steps 0
    mask: np.ndarray | None  # (n, look_back) bool; None when no window is padded
    y: np.ndarray  # (n, horizon, n_targets) float32
    future: np.ndarray | None = None  # (n, horizon, n_known) float32; None: no known inputs


class Windows(Protocol):
    """Any window indices -> their arrays; `padded`: whether any window has padded steps."""

    @property
    def padded(self) -> bool: ...

    @property
    def n_inputs(self) -> int: ...

    def __len__(self) -> int: ...

    def cut(self, idx: np.ndarray) -> Cut: ...


@dataclass(frozen=True)
class StridedWindows:
    """Windows cut from one array of every series' scaled rows.

    `values` holds the series end to end (series s from row `offsets[s]`) followed by
    `look_back` zero rows (so a post-padded window's gather never leaves the array). Window i
    belongs to series `series[i]` and its first target is that series' row `origin[i]` (the
    Dataset's own arrays, not copies); its history has min(origin, look_back) real steps.
    """

    values: np.ndarray  # (rows + look_back, n_inputs) float32
    offsets: np.ndarray  # (n_series + 1,) int64
    series: np.ndarray  # (N,)
    origin: np.ndarray  # (N,)
    look_back: int
    horizon: int
    n_targets: int
    pad: Literal["pre", "post"] = "post"
    n_known: int = 0  # the last n_known input columns are known-future inputs

    @property
    def padded(self) -> bool:
        return bool(len(self.origin)) and bool(self.origin.min() < self.look_back)

    @property
    def n_inputs(self) -> int:
        return int(self.values.shape[1])

    def __len__(self) -> int:
        return len(self.origin)

    def cut(self, idx: np.ndarray) -> Cut:
        steps = np.arange(self.look_back)
        origin = self.origin[idx].astype(np.int64)
        start = self.offsets[self.series[idx]] + origin
        real = np.minimum(origin, self.look_back)
        if self.pad == "post":  # real steps first: rows start - real ..., then zeros
            first = start - real
            mask = steps[None, :] < real[:, None]
        else:  # zeros first, the real steps end the window
            first = start - self.look_back
            mask = steps[None, :] >= (self.look_back - real)[:, None]
        rows = np.maximum(first[:, None] + steps[None, :], 0)
        x = self.values[rows]  # one gather: (n, look_back, n_inputs)
        if not self.padded:
            out_mask = None
        else:
            x[~mask] = 0.0
            out_mask = mask
        ahead = start[:, None] + np.arange(self.horizon)[None, :]
        y = self.values[ahead, : self.n_targets]
        future = self.values[ahead, self.n_inputs - self.n_known :] if self.n_known else None
        return Cut(x, out_mask, y, future)


@dataclass(frozen=True)
class ArrayWindows:
    """Materialised windows (x, mask, y), cut by indexing."""

    x: np.ndarray
    mask: np.ndarray | None
    y: np.ndarray
    future: np.ndarray | None = None

    @property
    def padded(self) -> bool:
        return self.mask is not None

    @property
    def n_inputs(self) -> int:
        return int(self.x.shape[-1])

    def __len__(self) -> int:
        return len(self.x)

    def cut(self, idx: np.ndarray) -> Cut:
        return Cut(
            np.asarray(self.x[idx], dtype=np.float32),
            None if self.mask is None else self.mask[idx],
            np.asarray(self.y[idx], dtype=np.float32),
            None if self.future is None else np.asarray(self.future[idx], dtype=np.float32),
        )


def model_batch(
    windows: Windows, idx: np.ndarray, normalize: str, masked: bool
) -> tuple[list[np.ndarray], np.ndarray]:
    """The network's inputs ([values, mask?, future?]) and level-normalised targets."""
    c = windows.cut(idx)
    n_targets = c.y.shape[-1]
    x, level = normalize_windows(c.x, c.mask, n_targets, normalize)
    inputs = [np.ascontiguousarray(x, dtype=np.float32)]
    if masked:
        if c.mask is None:
            inputs.append(np.ones(x.shape[:2], dtype=bool))
        else:
            inputs.append(c.mask)
    if c.future is not None:
        inputs.append(np.ascontiguousarray(c.future, dtype=np.float32))
    return inputs, np.ascontiguousarray(c.y - level[:, None, :], dtype=np.float32)


__all__ = ["ArrayWindows", "Cut", "StridedWindows", "Windows", "model_batch"]
