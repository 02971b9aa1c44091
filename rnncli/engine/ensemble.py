"""Several trained networks as one engine: the median of their forecasts, step by step.

Members are trained with seeds seed, seed + 1, ... on the same windows (`--ensemble N`);
their median is taken in the network's (scaled) space. Every later transform back to
original units is increasing in each value (unscaling, adding the season, exp), so for an
odd N this is the median of the members' forecasts in original units too (with
`--difference` the rebuilt steps beyond the lag also carry earlier steps, an approximation).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from rnncli.engine import Engine


class MedianEngine:
    """An Engine whose forecast is the element-wise median of its members' forecasts."""

    def __init__(self, members: Sequence[Engine]) -> None:
        if not members:
            raise ValueError("an ensemble needs at least one member")
        self.members = list(members)
        first = self.members[0]
        self.horizon, self.n_targets, self.masked = first.horizon, first.n_targets, first.masked
        self.n_known = first.n_known

    def predict(
        self, x: np.ndarray, mask: np.ndarray | None, future: np.ndarray | None = None
    ) -> np.ndarray:
        if len(self.members) == 1:
            return self.members[0].predict(x, mask, future)
        outs = np.stack([m.predict(x, mask, future) for m in self.members])
        return np.median(outs, axis=0).astype(np.float32)


def member_prefix(k: int) -> str:
    """Weight names of member k in weights.npz: `member{k}/...` (none for a single model)."""
    return f"member{k}/"


__all__ = ["MedianEngine", "member_prefix"]
