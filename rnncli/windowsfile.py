"""The windows file (.npz) that `rnncli ingest` writes and `rnncli train` reads back.

It holds a `dataset.Dataset` as built (the windows, their parts and origins, the original
targets and their seasonal phases) and the spec later commands need (`dataset.spec_dict`),
written atomically, with no pickles.
"""

from __future__ import annotations

import itertools
import json
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from rnncli.atomic import atomic_open
from rnncli.config import WindowSpec
from rnncli.dataset import Dataset
from rnncli.errors import DataError
from rnncli.scaling import Scaler
from rnncli.transforms import TargetTransform


def save_npz(path: Path, ds: Dataset, spec: dict[str, Any]) -> None:
    """Write the windows and spec atomically (no pickles)."""
    if ds.n_known:
        raise DataError(
            "a windows file does not hold known-future inputs (known, calendar); train from "
            "the CSV instead"
        )
    arrays: dict[str, np.ndarray] = {
        "x": ds.x,
        "y": ds.y,
        "series": ds.series,
        "split": ds.split,
        "origin": ds.origin if ds.origin is not None else np.zeros(0, np.int64),
        "target_time": ds.target_time,
        "series_ids": np.array(ds.series_ids, dtype=str),
        "spec": np.array(json.dumps(spec)),
        # the original targets of all series, end to end, and where each one starts
        "orig_values": np.concatenate(ds.orig) if ds.orig else np.zeros((0, ds.y.shape[-1])),
        "orig_starts": np.cumsum([0] + [len(o) for o in ds.orig]),
        # the seasonal phase of each of those rows (its step ordinal modulo the season)
        "orig_ordinals": np.concatenate(ds.ordinals) if ds.ordinals else np.zeros(0, np.int64),
    }
    if ds.mask is not None:
        arrays["mask"] = ds.mask
    with atomic_open(path) as fh:  # streamed: no second copy of the windows in memory
        np.savez(fh, **arrays)  # type: ignore[arg-type]


def load_npz(path: Path) -> tuple[Dataset, dict[str, Any]]:
    """Read windows written by `save_npz`."""
    try:
        with open(path, "rb") as fh, np.load(fh, allow_pickle=False) as f:
            spec = json.loads(str(f["spec"]))
            ids = [str(s) for s in f["series_ids"]]
            values, starts, ordinal = f["orig_values"], f["orig_starts"], f["orig_ordinals"]
            orig = [values[a:b] for a, b in itertools.pairwise(starts)]
            ordinals = [ordinal[a:b] for a, b in itertools.pairwise(starts)]
            transforms = [
                TargetTransform(tuple(t["log"]), tuple(tuple(v) for v in t["season"]))
                for t in spec["transforms"]
            ]
            # the targets in the transformed space, as `build` made them (for --difference
            # and the series weights)
            base = [t.forward(v, o) for t, v, o in zip(transforms, orig, ordinals, strict=True)]
            ds = Dataset(
                f["x"],
                f["y"],
                f.get("mask"),
                f["series"],
                f["split"],
                f["target_time"],
                ids,
                Scaler.from_dict(spec["scaler"], ids),
                spec["sizes"],
                [],
                f["origin"],
                orig,
                int(spec["window"].get("difference") or 0),
                WindowSpec(**spec["window"]),
                base,
                transforms,
                ordinals,
            )
    except FileNotFoundError:
        raise DataError(f"file '{path}' not found") from None
    except (OSError, EOFError, ValueError, KeyError, TypeError, zipfile.BadZipFile) as exc:
        raise DataError(
            f"{path} is not a windows file written by 'rnncli ingest' ({exc})"
        ) from None
    return ds, spec
