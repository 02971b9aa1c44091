"""From a Panel to training windows: the automatic window rules, then `build`.

Each series is split by time into train | val | test (`splits.part_sizes`). Scaling
statistics come from that series' train rows only (`scaling.fit_scale`). A window belongs
to the part that holds all of its target steps (its look-back may reach into earlier
parts); the few windows whose targets straddle two parts are labelled -1 ("none") and never
used. Keeping them keeps the origins evenly spaced, so a series without padding is windowed
as a zero-copy strided view.
"""

from __future__ import annotations

import dataclasses
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from rnncli import calendar
from rnncli.batches import ArrayWindows, StridedWindows, Windows
from rnncli.config import WindowSpec, resolve_window
from rnncli.data import Panel
from rnncli.errors import ConfigError, DataError
from rnncli.metrics import season_from_freq
from rnncli.originals import Originals
from rnncli.scaling import Scaler, fit_scale
from rnncli.splits import SPLITS, TEST, TRAIN, VAL, part_sizes
from rnncli.timestamps import step_ordinals
from rnncli.transforms import TargetTransform, network_inputs
from rnncli.transforms import fit as fit_transform
from rnncli.windows import history, origins, targets


@dataclass(frozen=True)
class Dataset:
    # (N, look_back, n_inputs) float32, scaled; with `build(windows=False)` an empty
    # (0, look_back, n_inputs): `streamed` holds the scaled series and cuts them
    x: np.ndarray
    # (N, horizon, n_targets) float32, scaled; with `build(windows=False)` an empty
    # (0, horizon, n_targets), like `target_time` (0, horizon)
    y: np.ndarray
    mask: np.ndarray | None  # (N, look_back) bool, None when nothing is padded (or not built)
    series: np.ndarray  # (N,) index into series_ids: int16 (int32 from 32,768 series on)
    split: np.ndarray  # (N,) int8: 0 train, 1 val, 2 test, -1 straddles two parts (unused)
    target_time: np.ndarray  # (N, horizon) datetime64[ns] or int64
    series_ids: list[str]
    scaler: Scaler
    sizes: dict[str, list[int]]  # per split, rows of each series
    skipped: list[str]  # series skipped as too short (--skip-short)
    origin: np.ndarray  # (N,) int32 index in its series of each window's first target
    # per series its original target values (n_original, n_targets); with --difference x and y
    # hold differences, and `origin` counts rows of the differenced series (the original row
    # of a window's first target is origin + lag)
    orig: list[np.ndarray]
    lag: int = 0
    spec: WindowSpec | None = None  # the window spec as decided (automatic values resolved)
    # per series: its targets in the transformed space (log, deseasonalised; kept only with
    # --difference, which rebuilds forecasts from them: `transformed` makes them otherwise),
    # its transform and the seasonal phase of each row (its `timestamps.step_ordinals`
    # modulo the season: all the transform reads of it, one byte a row for most seasons)
    base: list[np.ndarray] | None = None
    transforms: list[TargetTransform] | None = None
    ordinals: list[np.ndarray] | None = None
    few_windows: bool = False  # `few_windows_rule` chose seasonal differencing
    # every series' scaled network inputs (float32), cut into windows a batch at a time
    streamed: StridedWindows | None = None
    # the known-future inputs (`--known`, `--calendar`): the last `n_known` input columns,
    # which the windows also cut at each window's forecast steps (`batches.Cut.future`)
    n_known: int = 0

    def part(self, split: int) -> np.ndarray:
        """The indices (int32) of the windows in part `split`."""
        return np.arange(len(self.split), dtype=np.int32)[self.split == split]

    def windows(self) -> Windows:
        """Every window, cut a batch at a time (from the scaled series when it has them)."""
        if self.streamed is not None:
            return self.streamed
        return ArrayWindows(self.x, self.mask, self.y)

    @property
    def originals(self) -> Originals:
        """The original targets of every series and the way back to them (`originals`)."""
        return Originals(
            self.orig,
            self.scaler.center,
            self.scaler.scale,
            self.lag,
            self.base,
            self.transforms,
            self.ordinals,
        )

    def transformed(self, i: int) -> np.ndarray:
        """Series i's targets in the transformed space (log, deseasonalised)."""
        if self.base is not None:
            return self.base[i]
        if self.transforms is None or self.ordinals is None:
            return self.orig[i]
        return self.transforms[i].forward(self.orig[i], self.ordinals[i])

    def original_targets(self, idx: np.ndarray) -> np.ndarray:
        """Targets of windows idx in original units (N, horizon, n_targets)."""
        return self.originals.targets(self.series[idx], self.origin[idx], self.y.shape[1])

    def counts(self) -> dict[str, int]:
        return {name: int((self.split == i).sum()) for i, name in enumerate(SPLITS)}


def season_of(panel: Panel, spec: WindowSpec) -> int:
    """--season, else the one implied by the panel's time frequency."""
    return spec.season if spec.season is not None else season_from_freq(panel.freq)


FEW_WINDOWS = 200  # training origins below which seasonal differencing replaces deseasonalising


def training_origins(panel: Panel, spec: WindowSpec) -> int:
    """W: the training windows the panel gives (each series' training rows minus a horizon)."""
    total = 0
    for s in panel.series:
        n = len(s.values)
        try:
            n_train = part_sizes(spec, n, n, len(panel.series), 1 + spec.horizon, "")[0]
        except DataError:
            continue
        total += max(0, n_train - spec.horizon)
    return total


def few_windows_rule(panel: Panel, spec: WindowSpec) -> WindowSpec:
    """With few training windows, difference seasonally (in log space) instead of deseasonalising.

    A network fitted on fewer than FEW_WINDOWS windows (a single monthly series of a few
    years) learns little; on seasonal differences of the logged series, normalised by the
    window's last value, its zero output already means "last year's same step, times last
    year's growth" (AirPassengers: 4.4 % MAPE against ETS's 5.1 %, bench/bench_accuracy.py),
    while deseasonalised levels leave it to learn the trend from a few dozen windows. On
    larger data deseasonalising is better (M1, electricity, prices). Only with the automatic
    choices, a season, and series long enough for it.
    """
    m = spec.season or 1
    if spec.deseasonalize != "auto" or spec.difference is not None or m < 2:
        return spec
    if any(len(s.values) < 2 * m + 2 for s in panel.series):
        return spec
    if training_origins(panel, spec) >= FEW_WINDOWS:
        return spec
    return dataclasses.replace(spec, difference=m, deseasonalize="none")


def build(panel: Panel, spec: WindowSpec, *, windows: bool = True) -> Dataset:
    """Transform, split, scale and window every series of the panel, for training.

    The spec's automatic values (look-back, min look-back, season) are decided here from the
    data (`config.resolve_window`); `Dataset.spec` is the spec as decided. `windows=False`
    keeps the scaled series instead of materialising the look-back windows (training cuts
    them a batch at a time, `Dataset.windows`): `x` is then empty and `mask` None.
    """
    spec = resolve_window(spec, season_of(panel, spec))
    chosen = few_windows_rule(panel, spec)
    few_windows, spec = chosen != spec, chosen
    look_back, min_lb = spec.look_back, spec.min_look_back
    if look_back is None or min_lb is None:  # resolve_window decides both: a bug otherwise
        raise ConfigError("rnncli could not decide the look-back; pass --look-back")
    n_targets = len(panel.columns.targets)
    n_calendar, n_known = len(panel.columns.calendar), panel.columns.known_width
    lag = spec.difference or 0
    originals: list[np.ndarray] = []
    bases: list[np.ndarray] = []
    transforms: list[TargetTransform] = []
    ordinals: list[np.ndarray] = []
    parts: list[tuple[np.ndarray, ...]] = []
    ids: list[str] = []
    centers, scales, skipped = [], [], []
    sizes: dict[str, list[int]] = {name: [] for name in SPLITS}
    need = lag + min_lb + spec.horizon  # rows a series needs for one window
    # every kept series' scaled rows end to end in one buffer (then `look_back` zero rows,
    # see StridedWindows), and every window's series, part and origin in one array each:
    # filled in place, no per-series copies to concatenate
    kept = [len(s.values) - lag for s in panel.series if len(s.values) >= need]
    n_windows = sum(len(origins(n, look_back, spec.horizon, spec.stride, min_lb)) for n in kept)
    buffer: np.ndarray | None = None
    offsets = [0]
    series = np.empty(n_windows, np.int16 if len(kept) < 2**15 else np.int32)
    split = np.full(n_windows, -1, np.int8)  # -1: its targets straddle two parts
    at_all = np.empty(n_windows, np.int32)
    done = 0  # windows so far
    for s in panel.series:
        n_orig = len(s.values)
        name = f"series '{s.id}'" if panel.columns.id_col is not None else "the series"
        if n_orig < need:
            if spec.skip_short:
                skipped.append(f"{s.id} ({n_orig} steps)")
                continue
            need_text = f"look-back {min_lb} + horizon {spec.horizon}"
            if lag:
                need_text = f"difference {lag} + {need_text}"
            raise DataError(
                f"{name} has {n_orig} time steps, fewer than {need_text} = {need}; lower "
                f"--look-back (or set --min-look-back), or pass --skip-short to leave it out"
            )
        n = n_orig - lag
        n_train, n_val, n_test = part_sizes(
            spec, n_orig, n, len(panel.series), min_lb + spec.horizon, name
        )
        # the targets as an array of their own where the panel has other columns (a view of
        # one column would keep every column of the panel alive)
        target = np.ascontiguousarray(s.values[:, :n_targets], dtype=np.float64)
        ordinal = step_ordinals(s.time, panel.freq)
        encoded = calendar.encode(s.time, panel.columns.calendar, name) if n_calendar else None
        fitted = fit_series(s.values, ordinal, spec, n_targets, n_train, n_val, name, encoded)
        transform, base, values, center, scale = fitted
        if buffer is None:
            buffer = np.zeros((sum(kept) + look_back, values.shape[1]), np.float32)
        scaled = buffer[offsets[-1] : offsets[-1] + n]
        # (values - center) / scale in float64, rounded once to float32 (fit_series's
        # `values` is this function's own array)
        np.divide(np.subtract(values, center, out=values), scale, out=scaled, casting="same_kind")
        offsets.append(offsets[-1] + n)
        at = origins(n, look_back, spec.horizon, spec.stride, min_lb)
        end = at + spec.horizon
        mine = slice(done, done + len(at))
        done += len(at)
        series[mine], at_all[mine] = len(ids), at
        part_of = split[mine]
        part_of[end <= n_train] = TRAIN
        part_of[(at >= n_train) & (end <= n_train + n_val)] = VAL
        part_of[at >= n_train + n_val] = TEST
        ids.append(s.id)
        centers.append(center)
        scales.append(scale)
        for part, count in zip(SPLITS, (n_train, n_val, n_test), strict=True):
            sizes[part].append(count)
        originals.append(target)
        if lag:
            bases.append(base)
        transforms.append(transform)
        ordinals.append(_phases(ordinal, spec.season or 1))
        if windows:  # materialised: look-backs, masks, targets and their time stamps
            x, mask = history(scaled, at, look_back, spec.pad)
            y = targets(scaled, at, spec.horizon, n_targets)
            steps = at[:, None] + np.arange(spec.horizon)[None, :]
            parts.append((x, mask, y, s.time[lag:][steps]))
    if not ids or buffer is None:
        raise DataError("no series is long enough for the look-back and horizon")
    at = at_all
    if windows:  # one series: its arrays as they are; a panel: one concatenation
        joined = [p[0] if len(p) == 1 else np.concatenate(p) for p in zip(*parts, strict=True)]
        x, mask, y, times = joined
    else:  # streamed: only their shapes (the windows are cut from `buffer` a batch at a time)
        x = np.zeros((0, look_back, buffer.shape[1]), np.float32)
        mask = np.ones((0, look_back), bool)
        y = np.zeros((0, spec.horizon, n_targets), np.float32)
        times = np.zeros((0, spec.horizon), panel.series[0].time.dtype)
    scaler = Scaler(spec.scale, np.array(centers), np.array(scales))
    ds = Dataset(
        x,
        y,
        None if mask.all() else mask,
        series,
        split,
        times,
        ids,
        scaler,
        sizes,
        skipped,
        at,
        originals,
        lag,
        spec,
        bases if lag else None,
        transforms,
        ordinals,
        few_windows,
        StridedWindows(
            buffer,
            np.array(offsets, dtype=np.int64),
            series,
            at,
            look_back,
            spec.horizon,
            n_targets,
            spec.pad,
            n_known,
        ),
        n_known,
    )
    if ds.counts()["train"] == 0:
        raise DataError(
            "no training window: the training part is shorter than look-back + horizon; "
            "lower --look-back or --val-size/--test-size"
        )
    return ds


def _phases(ordinal: np.ndarray, season: int) -> np.ndarray:
    """Step ordinals modulo the season, in the smallest integer type that holds them: all a
    transform reads of them (`TargetTransform` takes every ordinal modulo its season, which
    is the spec's for every series of a training set), at a byte a row for most seasons."""
    dtype = np.uint8 if season <= 256 else np.uint16 if season <= 2**16 else np.int64
    return (ordinal % season).astype(dtype)


def fit_series(
    values: np.ndarray,
    ordinal: np.ndarray,
    spec: WindowSpec,
    n_targets: int,
    n_train: int,
    n_val: int,
    name: str,
    encoded: np.ndarray | None = None,
) -> tuple[TargetTransform, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """One series' own statistics, by the training rules: (transform, base, network inputs,
    center, scale).

    The transform (log, seasonal indices) is fitted on every row before the test part, the
    scale on the training rows (`n_train` rows of the network's, possibly differenced, series).
    Training uses it for every series, predict and evaluate for a series the model never saw.
    `encoded`: the rows' calendar encodings (`rnncli.calendar`), network inputs after the
    data columns.
    """
    lag = spec.difference or 0
    target = np.asarray(values[:, :n_targets], dtype=np.float64)
    fitted = n_train + n_val + lag  # the transform sees every row before the test part
    transform = _fit_transform(target[:fitted], ordinal[:fitted], spec, name)
    base, inputs = network_inputs(values, n_targets, transform, ordinal, lag, encoded)
    center, scale = fit_scale(
        inputs[:n_train],
        spec.scale,
        n_targets,
        logged=transform.log,
        raw_targets=target[: n_train + lag],
        differenced=bool(lag),
    )
    return transform, base, inputs, center, scale


def _fit_transform(
    train: np.ndarray, ordinal: np.ndarray, spec: WindowSpec, name: str
) -> TargetTransform:
    if spec.transform == "log" and not np.all(train > 0):
        raise DataError(
            f"{name}: --transform log needs positive values, but its training part holds "
            f"{float(train.min()):g}; use --transform auto (log only where possible) or none"
        )
    return fit_transform(
        train,
        ordinal,
        spec.season or 1,
        transform=spec.transform,
        deseasonalize=spec.deseasonalize,
    )


def spec_dict(panel: Panel, ds: Dataset) -> dict[str, Any]:
    """Everything later commands need to read the windows back and undo the scaling."""
    c = panel.columns
    if ds.spec is None or ds.transforms is None:  # build always sets both
        raise DataError("these windows carry no window spec or transforms; rebuild them")
    return {
        "source": panel.source,
        "columns": {
            "time_col": c.time_col,
            "targets": list(c.targets),
            "inputs": list(c.inputs),
            "id_col": c.id_col,
            # known-future inputs, only when there are any (a windows file holds none)
            **({"known": list(c.known)} if c.known else {}),
            **({"calendar": list(c.calendar)} if c.calendar else {}),
        },
        "freq": panel.freq,
        "window": asdict(ds.spec),
        "scaler": ds.scaler.to_dict(ds.series_ids),
        "transforms": [
            {"log": list(t.log), "season": [list(v) for v in t.season]} for t in ds.transforms
        ],
        "sizes": ds.sizes,
        "counts": ds.counts(),
        "few_windows": ds.few_windows,
    }
