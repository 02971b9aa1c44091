"""`train` end to end: data -> windows -> model -> fit -> held-out scores -> model directory."""

from __future__ import annotations

import dataclasses
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import numpy as np

from rnncli import modeldir, scoring
from rnncli.batches import Windows
from rnncli.card import Columns, DataSource, EngineRecord, FitSummary, ModelCard, SeriesRecord
from rnncli.columns import pick_columns
from rnncli.config import (
    REFIT_EPOCHS,
    RunConfig,
    WindowSpec,
    auto_batch_size,
    build_config,
)
from rnncli.data import Panel, format_time, load_panel, read_table, series_digest
from rnncli.dataset import Dataset, build, spec_dict
from rnncli.engine.ensemble import member_prefix
from rnncli.errors import TrainingError
from rnncli.fitting import FitResult, Interrupted, Part, ProgressHook
from rnncli.inference import normalize_windows, predict_scaled
from rnncli.members import Check, Members, jobs_for
from rnncli.splits import PANEL_SERIES, TEST, TRAIN, VAL
from rnncli.timestamps import check_series
from rnncli.weighting import insample_scale, series_weights
from rnncli.windowsfile import load_npz

if TYPE_CHECKING:
    from rnncli.engine import Engine

Note = Callable[[str], None]
INTERRUPTED_SUFFIX = ".interrupted"  # where an interrupted run saves beside an existing model


def silent(_message: str) -> None:
    """The default `note`: library calls say nothing unless the caller asks."""


@dataclass
class TrainOutcome:
    path: Path
    device: str
    fit: FitResult
    counts: dict[str, int]
    metrics: list[dict[str, Any]]
    params: int
    metrics_split: str = "test"  # the part `metrics` score: test, or val without a test part


def load_training_data(
    source: str | Path | IO[str],
    label: str,
    run: RunConfig,
    note: Note = silent,
    *,
    windows: bool = False,
) -> tuple[Panel | None, Dataset, dict[str, Any], RunConfig]:
    """CSV (windowed here) or an .npz from `rnncli ingest` (its window spec wins).

    A CSV's windows are materialised only with `windows` (ingest writes them); training
    cuts them from the scaled series a batch at a time (`Dataset.windows`).

    Says through `note` what was picked automatically and which series were skipped.
    """
    if str(label).endswith(".npz"):
        ds, spec = load_npz(Path(label))
        flat = run.to_flat()
        flat.update(spec["window"])
        c = spec["columns"]
        flat.update(
            time_col=c["time_col"],
            target=c["targets"],
            id_col=c["id_col"],
            features=[f for f in c["inputs"] if f not in c["targets"]],
        )
        ds = dataclasses.replace(ds, few_windows=bool(spec.get("few_windows")))
        return None, ds, spec, build_config(flat)
    panel = load_panel(source, run.data, label)
    for line in panel.notes:
        note(line)
    if run.data.fill != "drop":  # rows dropped for missing values leave gaps on purpose
        check_times(panel)
    ds = build(panel, run.window, windows=windows)
    if ds.few_windows and ds.spec is not None:
        note(
            f"few training windows ({ds.counts()['train']}): seasonal differences "
            f"(lag {ds.spec.difference}) instead of deseasonalising"
            + (", no refit" if run.train.refit is None else "")
        )
    if ds.skipped:  # one line, however many (--skip-short)
        listed = ", ".join(ds.skipped[:5]) + (", …" if len(ds.skipped) > 5 else "")
        note(
            f"Warning: skipped {len(ds.skipped)} series too short for look-back + horizon "
            f"(--skip-short): {listed}"
        )
    return panel, ds, spec_dict(panel, ds), dataclasses.replace(run, window=decided(ds)[0])


def pin_columns(run: RunConfig, data: str) -> RunConfig:
    """`run` with the columns detected in `data` written out (time, targets, id), as train
    would pick them: for --print-config, so the printed run reads the file the same way."""
    columns, _notes = pick_columns(read_table(data, data), run.data, data)
    pinned = dataclasses.replace(
        run.data, time_col=columns.time_col, target=columns.targets, id_col=columns.id_col
    )
    return dataclasses.replace(run, data=pinned)


def check_times(panel: Panel) -> None:
    """The time checks predict applies (`timestamps.check_series`), on every step of every
    series: a file a model was trained on is always one it can forecast from."""
    if panel.columns.time_col is None:
        return
    for s in panel.series:
        if panel.freq is None and len(s.time) < 3:
            continue  # no frequency to tell: the too-short rule (or --skip-short) decides
        where = f"{panel.source}: series '{s.id}'" if panel.columns.id_col else panel.source
        check_series(s.time, panel.freq, where, "the data's")


def decided(ds: Dataset) -> tuple[WindowSpec, int]:
    """The window spec `build` decided and its look-back; an error if it has none (a bug)."""
    if ds.spec is None or ds.spec.look_back is None:
        raise TrainingError("internal: the windows have no decided look-back")
    return ds.spec, ds.spec.look_back


def decisions(ds: Dataset, given: WindowSpec) -> list[str]:
    """Lines for stderr: what the automatic rules decided, and each part left without windows
    (a warning naming the option to change)."""
    w, look_back = decided(ds)
    out = []
    if given.look_back is None:
        out.append(
            f"look-back {look_back}: 1.25 x the longer of horizon {w.horizon} and season "
            f"{w.season or 1} (set --look-back)"
        )
    padded = int((ds.origin < look_back).sum())  # a window has `origin` steps before it
    if padded:
        shortest = min(len(o) for o in ds.orig)
        which = "the shortest series has" if len(ds.orig) > 1 else "the series has"
        out.append(
            f"padded: {padded} of {len(ds.origin)} windows have fewer than {look_back} real "
            f"steps (masked; {which} {shortest}; --min-look-back {w.min_look_back})"
        )
    counts, n_series = ds.counts(), len(ds.series_ids)
    if counts["val"] == 0:
        why = (
            "--val-size 0"
            if given.val_size == 0
            else f"the series are too short to hold out {w.horizon} steps beside a training "
            f"window; set --val-size"
        )
        out.append(
            f"Warning: no validation windows ({why}): early stopping watches the training loss"
        )
    if counts["test"] == 0 and given.test_size != 0:
        if given.test_size is None and n_series >= PANEL_SERIES:
            out.append(
                f"no test part: a panel of {n_series} series is scored on its "
                f"{counts['val']} validation windows (set --test-size to hold out a test part)"
            )
        else:
            scored = "the validation part is scored instead" if counts["val"] else "no scores"
            out.append(
                "Warning: no test windows (the series are too short for a test part beside "
                f"the training and validation parts): {scored}; set --test-size"
            )
    return out


def _arrays(windows: Windows, idx: np.ndarray, normalize: str) -> tuple[Any, np.ndarray, Any]:
    """(x, y, mask) for windows idx, level-normalised when asked."""
    c = windows.cut(idx)
    x, lv = normalize_windows(c.x, c.mask, c.y.shape[-1], normalize)
    return x, c.y - lv[:, None, :], c.mask


PARITY_WINDOWS = 256  # windows the engines are compared on
# the intervals' calibration windows, at most (evenly spread over the part: a big panel's
# validation part would otherwise be cut, forecast and recursed whole, at once)
CALIBRATION_WINDOWS = 20_000
SCORE_CHUNK = 65_536  # windows cut and forecast at a time when scoring


def _source(source: str | Path | IO[str], label: str) -> DataSource:
    if not isinstance(source, (str, Path)):
        return DataSource(str(label), None, "stdin")
    kind = "npz" if str(label).endswith(".npz") else "csv"
    return DataSource(str(label), str(Path(source).resolve()), kind)


def _records(ds: Dataset, panel: Panel | None) -> tuple[SeriesRecord, ...]:
    """One record per series: sizes, scaling statistics and (from a CSV) its fingerprint."""
    by_id = {s.id: s for s in panel.series} if panel is not None else {}
    out = []
    for i, sid in enumerate(ds.series_ids):
        transform = ds.transforms[i] if ds.transforms is not None else None
        record = SeriesRecord(
            sid,
            int(ds.sizes["train"][i]),
            int(ds.sizes["val"][i]),
            int(ds.sizes["test"][i]),
            tuple(float(v) for v in ds.scaler.center[i]),
            tuple(float(v) for v in ds.scaler.scale[i]),
            log=transform.log if transform is not None else (),
            season=transform.season if transform is not None else (),
        )
        s = by_id.get(sid)
        if s is not None:
            record = dataclasses.replace(
                record,
                rows=len(s.values),
                first=format_time(s.time[0]),
                last=format_time(s.time[-1]),
                sha256=series_digest(s.values),
            )
        out.append(record)
    return tuple(out)


def spread(idx: np.ndarray, most: int) -> np.ndarray:
    """Up to `most` of the windows idx, evenly spread (all of them when they are fewer)."""
    n = min(len(idx), most)
    return idx[np.linspace(0, len(idx) - 1, n).astype(int)] if len(idx) else idx[:0]


def parity_pick(idx: np.ndarray) -> np.ndarray:
    """The windows the engines are compared on: up to PARITY_WINDOWS of idx."""
    return spread(idx, PARITY_WINDOWS)


def _calibration(
    ds: Dataset, windows: Windows, idx: np.ndarray, engine: Engine, w: Any, on_train: bool
) -> dict[str, Any]:
    """calibration.json from windows idx (`intervals.calibrate`): their residuals per step,
    and past the horizon those of the recursion run from their origins for as far as the
    calibration part (training, or validation) holds actual values."""
    from rnncli import intervals
    from rnncli.predict import forecast_scaled

    source = "train" if on_train else "val"
    horizon, n_targets = ds.y.shape[1], ds.y.shape[2]
    n_series = len(np.unique(ds.series[idx]))
    if not len(idx):
        return intervals.empty(source, n_series, horizon, w.stride)
    series, origin = ds.series[idx], ds.origin[idx]
    cut = windows.cut(idx)
    direct = cut.y - predict_scaled(
        engine, cut.x, cut.mask, n_targets=n_targets, normalize=w.normalize, future=cut.future
    )
    sizes = np.array(ds.sizes["train"]) + (0 if on_train else np.array(ds.sizes["val"]))
    end = sizes[series]  # network rows of each window's calibration part end here
    steps = min(int((end - origin).max()), horizon + intervals.MAX_RECURSIVE_STEPS)
    recursive = None
    st = ds.streamed  # each series' scaled rows (None from an .npz: no recursion then)
    if steps > horizon and st is not None:
        rows = [st.values[st.offsets[s] : st.offsets[s + 1]] for s in series]
        # whole horizons: a known-future block is read a horizon at a time (rows past the
        # series' end repeat its last, and score nothing)
        ahead = origin[:, None] + np.arange(-(-steps // horizon) * horizon)[None, :]
        actual = np.stack(
            [r[np.minimum(a, len(r) - 1)] for r, a in zip(rows, ahead, strict=True)]
        )  # (n, steps, n_inputs): targets to score, and the other inputs' values fed back
        pred = forecast_scaled(
            engine,
            [r[:o] for r, o in zip(rows, origin, strict=True)],
            look_back=w.look_back,
            steps=steps,
            pad=w.pad,
            normalize=w.normalize,
            future=actual[:, :, n_targets:] if actual.shape[2] > n_targets else None,
        )
        residual = (actual[:, :steps, :n_targets] - pred).astype(np.float64)
        residual[ahead[:, :steps] >= end[:, None]] = np.nan
        recursive = residual[:, horizon:]
    return intervals.calibrate(
        direct.astype(np.float64),
        recursive,
        source=source,
        n_series=n_series,
        horizon=horizon,
        stride=w.stride,
    )


def train(
    run: RunConfig,
    source: str | Path | IO[str],
    label: str,
    out: Path,
    *,
    force: bool = False,
    note: Note = silent,
    on_epoch: ProgressHook | None = None,
    on_start: Callable[[], None] | None = None,
) -> TrainOutcome:
    from rnncli import distribute, runtime
    from rnncli.engine import NetworkSpec
    from rnncli.engine.ensemble import MedianEngine
    from rnncli.fitting import threads_per_op
    from rnncli.network import slow_path_reasons

    modeldir.check_target(out, force, note)
    given = run.window  # before the automatic values are decided
    panel, ds, spec, run = load_training_data(source, label, run, note)
    # what the card needs of the data as read, then let it go: training holds only the
    # windows' scaled series (`Dataset.streamed`) and the original targets
    records, from_file = _records(ds, panel), panel is not None
    del panel
    w, m, t = run.window, run.model, run.train
    look_back = decided(ds)[1]
    counts = ds.counts()
    note(
        f"windows: {counts['train']} train, {counts['val']} val, {counts['test']} test "
        f"(look-back {look_back}, horizon {w.horizon})"
    )
    for line in decisions(ds, given):
        note(line)
    c = spec["columns"]
    known = [*c.get("known", ()), *(f"{n} (calendar)" for n in c.get("calendar", ()))]
    if known:
        note(f"known-future inputs: {', '.join(known)}, read at each of the {w.horizon} steps")
    train_idx, val_idx = ds.part(TRAIN), ds.part(VAL)
    batch = t.batch_size if t.batch_size is not None else auto_batch_size(len(train_idx))
    t = dataclasses.replace(t, batch_size=batch)
    run = dataclasses.replace(run, train=t)
    device = runtime.select_device(t.device)
    note(f"device: {device}")
    xla = distribute.uses_xla(t.distribute, t.xla, device)
    threads = runtime.op_threads(threads_per_op(m.units, batch, xla, device))
    plan = distribute.plan(t.distribute, xla)  # before any TensorFlow op runs
    if plan.workers > 1:
        note(f"worker {plan.rank + 1} of {plan.workers}" + (" (chief)" if plan.chief else ""))
    if device.startswith("GPU"):
        reasons = slow_path_reasons(m, pad=w.pad)
        if reasons:
            note(
                "Warning: these options keep the GPU off the fast cuDNN kernel: "
                + "; ".join(reasons)
            )
    n_targets = ds.y.shape[-1]
    windows = ds.windows()
    masked = windows.padded and m.padding == "mask"
    n_known = ds.n_known
    network = NetworkSpec(
        cell=m.cell,
        units=m.units,
        layers=m.layers,
        bidirectional=m.bidirectional,
        activation=m.activation,
        look_back=look_back,
        n_features=windows.n_inputs,
        horizon=w.horizon,
        n_targets=n_targets,
        masked=masked,
        n_known=n_known,
    )
    season = ds.spec.season if ds.spec is not None and ds.spec.season else 1
    few_windows = ds.few_windows
    scales = _insample_scales(ds, season) if t.series_weight == "scaled" else None

    def inputs(idx: np.ndarray) -> Part:
        weights = series_weights(ds.series[idx], scales, t.series_weight)
        return Part(windows, idx, weights, w.normalize, masked, ds.series)

    train_data = inputs(train_idx)
    val = inputs(val_idx) if len(val_idx) else None
    check_idx = parity_pick(val_idx if len(val_idx) else train_idx)
    x_check, _y, mask_check = _arrays(windows, check_idx, w.normalize)
    future_check = windows.cut(check_idx).future
    if on_start is not None:
        on_start()

    shape = {  # build_model's arguments besides the model options
        "look_back": look_back,
        "n_features": windows.n_inputs,
        "horizon": w.horizon,
        "n_targets": n_targets,
        "masked": masked,
        "right_padded": w.pad == "post",
        "n_known": n_known,
    }
    check = Check(x_check, mask_check if masked else None, future_check)
    trainer = Members(m, shape, network, plan, check, threads)
    refit = t.refit if t.refit is not None else not few_windows
    refit = refit and len(val_idx) > 0
    more = dataclasses.replace(t, epochs=REFIT_EPOCHS, patience=0)

    def refit_windows() -> Part:
        """The refit's windows: those whose targets end before the test part."""
        before_test = np.add(ds.sizes["train"], ds.sizes["val"])[ds.series]
        return inputs(np.flatnonzero(ds.origin + w.horizon <= before_test).astype(np.int32))

    jobs = jobs_for(t, device, threads, len(train_idx), windows)
    t = dataclasses.replace(t, jobs=jobs)  # the card records what ran (the weights are alike)
    run = dataclasses.replace(run, train=t)
    # side by side, each worker refits its members right after them; in turn, after scoring
    every = refit_windows() if refit and jobs > 1 else None
    planned = (every, more) if every is not None else None
    members = trainer.train(t, train_data, val, planned, jobs, on_epoch, note)
    ensemble = MedianEngine([member.engine for member in members])

    def predict(idx: np.ndarray) -> np.ndarray:
        out = []
        for a in range(0, max(len(idx), 1), SCORE_CHUNK):  # a few batches' memory at a time
            c = windows.cut(idx[a : a + SCORE_CHUNK])
            pred = predict_scaled(
                ensemble, c.x, c.mask, n_targets=n_targets, normalize=w.normalize, future=c.future
            )
            out.append(pred)
        return out[0] if len(out) == 1 else np.concatenate(out)

    on_train = t.calibrate_on == "train"
    calib_all = train_idx if on_train else val_idx
    calib_idx = spread(calib_all, CALIBRATION_WINDOWS)
    if len(calib_idx) < len(calib_all):
        note(
            f"intervals calibrated on {len(calib_idx)} of the {len(calib_all)} "
            f"{'training' if on_train else 'validation'} windows, evenly spread"
        )
    calibration = _calibration(ds, windows, calib_idx, ensemble, w, on_train)
    if on_train:
        note(
            "intervals calibrated on the training windows (--calibrate-on train): they are "
            "too narrow"
        )
    elif not len(val_idx):
        note(
            "no validation windows: predict --intervals will be refused (retrain with "
            "--val-size N, or --calibrate-on train)"
        )
    if calibration["n"]:
        from rnncli.intervals import summary

        note(summary(calibration))
    test_idx = ds.part(TEST)
    # the held-out scores: the test part, else (a big panel's default) the validation part,
    # which only early stopping has seen
    scored, scored_split = (test_idx, "test") if len(test_idx) else (val_idx, "val")
    rows: list[dict[str, Any]] = []
    if from_file and len(scored):
        insample = scoring.insample_targets(ds.originals, list(ds.sizes["train"]))
        rows = scoring.score(
            ds.originals,
            predict(scored),
            ds.series[scored],
            ds.origin[scored],
            ids=ds.series_ids,
            insample=insample,
            season=season,
            targets=list(spec["columns"]["targets"]),
        )
    fits = [member.result for member in members]
    refit = refit and not any(mb.result.interrupted for mb in members)
    if refit:
        # the saved networks also learn the validation part: REFIT_EPOCHS more epochs on the
        # training and validation windows, after early stopping restored the best weights.
        # The test part stays held out, so `evaluate` scores it honestly with the saved
        # networks; the scores and intervals above are those of the networks before the refit
        # (windows whose targets end before the test part: the parts' own and those across
        # the train/val boundary). Worker processes (--jobs) ran it right after each member.
        every = every if every is not None else refit_windows()
        kept = f"; the {len(test_idx)} test windows stay held out" if len(test_idx) else ""
        note(f"refit: {REFIT_EPOCHS} more epochs on {len(every)} train and val windows{kept}")
        refitted = trainer.refit(members, t, every, more)
        if refitted is not None:
            members = refitted
        else:
            refit = False
            note("Warning: refit interrupted: the networks as early stopping left them are saved")
    result = _summary(fits)  # the fits that validation watched (history.csv)
    if trainer.seconds is not None:
        result.seconds = trainer.seconds  # not the sum of the members' times: side by side
    params = sum(int(member.model.count_params()) for member in members)
    card = ModelCard(
        created=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        config=run,
        columns=Columns(
            c["time_col"],
            tuple(c["targets"]),
            tuple(c["inputs"]),
            c["id_col"],
            tuple(c.get("known", ())),
            tuple(c.get("calendar", ())),
        ),
        source=_source(source, label),
        freq=spec.get("freq"),
        season=season,
        scale_method=w.scale,
        masked=masked,
        series=records,
        windows=counts,
        fit=FitSummary(
            len(result.history),
            result.best_epoch,
            float(result.best_loss),
            result.stopped_early,
            round(result.seconds, 3),
            result.interrupted,
            refit,
        ),
        params=params,
        device=device,
        versions=_versions(),
        engine=EngineRecord(
            weights=modeldir.WEIGHTS_FILE,
            network=network,
            parity_max_abs=max(member.parity for member in members),
            parity_windows=len(x_check),
            members=len(members),
            xla=plan.xla,
            deterministic=not plan.xla,
            op_threads=threads,
        ),
    )
    extra = {modeldir.CALIBRATION_FILE: calibration}
    if rows:
        extra[modeldir.METRICS_FILE] = {"split": scored_split, "season": season, "rows": rows}
    digest = weights_digest([member.arrays for member in members])
    if plan.workers > 1:
        note(f"worker {plan.rank + 1}: weights sha256 {digest}")
    if not plan.chief:  # the chief alone writes the model directory
        return TrainOutcome(out, device, result, counts, rows, params, scored_split)
    # an interrupted run never replaces a model: it is saved beside it, at NAME.interrupted
    beside = result.interrupted and out.exists()
    dest = out.with_name(out.name + INTERRUPTED_SUFFIX) if beside else out
    modeldir.save(
        dest,
        card,
        result.history,
        weights=_weights_file([member.arrays for member in members]),
        keras_models=[member.model for member in members],
        extra_json=extra,
        force=force or dest != out,
    )
    if result.interrupted and dest != out:
        raise Interrupted(
            f"training interrupted; {out} is unchanged; the best model so far was saved to "
            f"{dest} (marked interrupted): move it to {out} to use it"
        )
    if result.interrupted:
        raise Interrupted(
            f"training interrupted; the best model so far was saved to {out} (marked interrupted)"
        )
    return TrainOutcome(out, device, result, counts, rows, params, scored_split)


def weights_digest(arrays: list[dict[str, np.ndarray]]) -> str:
    """SHA-256 of the members' arrays (names, shapes, bytes): equal on workers that agree."""
    import hashlib

    h = hashlib.sha256()
    for one in arrays:
        for name in sorted(one):
            a = np.ascontiguousarray(one[name])
            h.update(f"{name}{a.shape}{a.dtype}".encode())
            h.update(a.tobytes())
    return h.hexdigest()


def _weights_file(arrays: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """One model's arrays as they are; an ensemble's under `member{k}/`."""
    if len(arrays) == 1:
        return arrays[0]
    return {member_prefix(k) + name: a for k, one in enumerate(arrays) for name, a in one.items()}


def _summary(results: list[FitResult]) -> FitResult:
    """The members' fits as one: all their epochs (history rows carry the member), the first
    member's best epoch, the mean best loss, the total time."""
    if len(results) == 1:
        return results[0]
    history = [{"member": k + 1, **row} for k, r in enumerate(results) for row in r.history]
    return FitResult(
        history=history,
        best_epoch=results[0].best_epoch,
        best_loss=float(np.mean([r.best_loss for r in results])),
        interrupted=any(r.interrupted for r in results),
        stopped_early=all(r.stopped_early for r in results),
        seconds=sum(r.seconds for r in results),
    )


def _insample_scales(ds: Dataset, season: int) -> np.ndarray:
    """Per series: MASE's denominator over its training part, in the network's space."""
    n_targets = ds.y.shape[-1]
    out = []
    for i in range(len(ds.series_ids)):
        rows = ds.sizes["train"][i]
        part = ds.transformed(i)[: rows + ds.lag]
        if ds.lag:
            part = part[ds.lag :] - part[: -ds.lag]
        part = (part - ds.scaler.center[i, :n_targets]) / ds.scaler.scale[i, :n_targets]
        out.append(insample_scale(part, season))
    return np.array(out)


def _versions() -> dict[str, str]:
    import keras
    import tensorflow as tf

    from rnncli import __version__

    return {
        "rnncli": __version__,
        "python": sys.version.split()[0],
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "numpy": np.__version__,
        "platform": platform.platform(),
    }
