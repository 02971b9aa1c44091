"""Chronological splits: the parts of a series (train | val | test) and their sizes.

Each series is split by time; the automatic sizes depend on the horizon, the series' length
and how many series the panel has (`part_sizes`).
"""

from __future__ import annotations

from rnncli.config import WindowSpec
from rnncli.data import resolve_size
from rnncli.errors import DataError

SPLITS = ("train", "val", "test")
TRAIN, VAL, TEST = 0, 1, 2


PANEL_SERIES = 100  # from this many series on, the automatic parts are one horizon each


def part_sizes(
    spec: WindowSpec, n_orig: int, n: int, n_series: int, min_train: int, name: str
) -> tuple[int, int, int]:
    """(train, val, test) rows of one series (n rows, n_orig before differencing).

    Explicit sizes are fractions or counts of the original series' final steps. Automatic
    sizes: for a panel of PANEL_SERIES or more, a validation part of one horizon and no test
    part (its hundreds of validation windows are scored instead; on M1 holding out a second
    horizon cost 0.025 MASE, bench/bench_accuracy.py); else the larger of the horizon and
    10 % of the series for each. A part is given only while the training part keeps
    `min_train` rows (one full window), so a short series trains on all its windows.
    """
    panel = n_series >= PANEL_SERIES
    auto = spec.horizon if panel else max(spec.horizon, round(0.1 * n_orig))
    sizes = []
    left = n
    for size, flag in ((spec.val_size, "val-size"), (spec.test_size, "test-size")):
        if size is None and flag == "test-size" and panel:
            part = 0  # a big panel's last horizon is worth more in training than held out twice
        elif size is None:
            part = auto if left - auto >= min_train else 0
        else:
            part = resolve_size(size, n_orig, flag)
        sizes.append(part)
        left -= part
    if left < 2:
        raise DataError(
            f"{name} has {n_orig} steps: nothing left to train on after val "
            f"{sizes[0]} + test {sizes[1]}; lower --val-size or --test-size"
        )
    return left, sizes[0], sizes[1]


__all__ = ["PANEL_SERIES", "SPLITS", "TEST", "TRAIN", "VAL", "part_sizes"]
