"""Training speed and memory of rnncli against a plain Keras script of the same model.

    .venv/bin/python bench/bench_train.py                 # throughput + M1 wall time (~15 min)
    .venv/bin/python bench/bench_train.py --memory        # + peak RSS at 1M and 10M rows
    .venv/bin/python bench/bench_train.py --workers --no-throughput --no-m1   # two workers
    .venv/bin/python bench/bench_train.py --rows 3000 --epochs 3 --repeats 1 --no-m1   # quick

Run it with `nice` on a shared machine; every table compares against a reference measured in
the same run.

1. Throughput at equal batch size. Data: the first --rows rows of the half-hourly Victoria
   electricity demand (/work/shared/data/vic_elec_halfhourly.csv): target demand_mw, feature
   temperature_c, look-back 64, horizon 1, rnncli's windows (80/10/10 split, standard
   scaling, per-window level normalisation) saved once to an .npz. 64 units, Adam + MSE.
   - plain Keras: `keras.Sequential([keras.Input((64, 2)), keras.layers.LSTM(64),
     keras.layers.Dense(1)])`, `compile("adam", "mse")`, `fit(x, y, batch_size=B, epochs=E,
     verbose=0)` in a fresh interpreter with TensorFlow's defaults (as a tutorial writes it).
   - rnncli: `fitting.Loop` as `rnncli train` runs it (XLA on CPU, op determinism off,
     16 steps per call, batches cut from the windows per call, clipnorm 1.0); and with
     `--no-xla` (op determinism on).
   - paired: plain Keras and rnncli's loop in ONE process, one epoch each in turn, so that
     bursts of load from other sessions hit both alike: the median ratio of their epoch times
     is the figure to trust on a shared machine.
   Throughput counts the training part of epochs 2..E (epoch 1 compiles; shown apart).
2. Wall time to early stop on M1 monthly (617 series, the train rows of
   /work/shared/data/m1_monthly.csv, horizon 18): `rnncli train m1.csv --id-col series_id
   --horizon 18` with every other default (5 members, early stopping, refit), process wall
   time, and again with `--jobs 1` (the members in turn, not side by side), against a plain
   Keras script (the LSTM above, on rnncli's same training windows,
   zeros for padding) training the same number of epochs (every member's, plus the refit's
   on all windows) with the same batch size and the validation windows scored each epoch.
3. (--memory) Peak RSS and seconds per epoch for panels of --memory-rows rows (the
   half-hourly series tiled: each series a copy of the 52,608 rows, demand + temperature),
   look-back 64, horizon 1: rnncli's streamed batches (`build(windows=False)`, cut per call,
   with the default series weights looked up per batch, as `rnncli train` runs) against
   materialising the windows (`build()` + the training part's normalised copy, as
   rnncli did before). Each case runs in its own process (peak RSS = its
   `getrusage(RUSAGE_SELF).ru_maxrss`); seconds per epoch are extrapolated from --memory-calls
   calls of 16 steps after the first (a 10M-row epoch takes 13-20 minutes here). Each case runs in
   `rnncli train`'s order: the panel read and built (then let go), then TensorFlow imported
   and the model built; "TensorFlow" is the RSS that import and model added.
4. (--workers) `--distribute multiworker` with two local worker processes on loopback ports
   (TF_CONFIG), each pinned to one core, against one process using both cores: `rnncli train`
   on the first --workers-rows rows of the half-hourly data (target demand_mw, feature
   temperature_c, look-back 64, horizon 1, LSTM 64, one member, --no-refit, --patience 0) at
   global batch 128, with XLA (the default on a CPU: under a strategy only each worker's
   gradients are compiled) and with --no-xla. Seconds per epoch are the difference of the
   card's fit seconds between a 9-epoch and a 3-epoch run, over 6 (start-up and compilation
   cancel out).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
RNNCLI = str(Path(PY).with_name("rnncli"))
SHARED = Path("/work/shared/data")
CSV = SHARED / "vic_elec_halfhourly.csv"
if not CSV.exists():
    CSV = ROOT / "sample_data" / "vic_elec_halfhourly.csv"
M1 = SHARED / "m1_monthly.csv"
TIME_COL, TARGET, FEATURE = "time_utc", "demand_mw", "temperature_c"
KERAS_CLASS = {"simple_rnn": "SimpleRNN", "lstm": "LSTM", "gru": "GRU"}
CELLS = ("lstm", "gru")


# ---- worker side (a fresh interpreter per measurement) ---------------------------------------


def _rss_mb() -> float:
    """Current resident set size (MB) of this process."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _plain_model(cell: str, look_back: int, n_features: int, units: int, horizon: int) -> Any:
    import keras

    layer = getattr(keras.layers, KERAS_CLASS[cell])
    model = keras.Sequential(
        [keras.Input((look_back, n_features)), layer(units), keras.layers.Dense(horizon)]
    )
    model.compile("adam", "mse")
    return model


def _rnncli_loop(cell: str, job: dict[str, Any], x_shape: tuple, xla: bool) -> tuple[Any, Any]:
    """rnncli's model and training loop, as `train.train` makes them."""
    from rnncli import fitting
    from rnncli.config import build_config
    from rnncli.network import build_model
    from rnncli.runtime import tensorflow

    run = build_config(
        {
            "cell": cell,
            "units": job["units"],
            "look_back": int(x_shape[1]),
            "horizon": job.get("horizon", 1),
            "batch_size": job["batch_size"],
            "loss": "mse",
            "seed": job["seed"],
        }
    )
    fitting.seed_everything(job["seed"], deterministic=not xla)
    model = build_model(
        run.model,
        look_back=int(x_shape[1]),
        n_features=int(x_shape[2]),
        horizon=job.get("horizon", 1),
        n_targets=1,
        masked=job.get("masked", False),
    )
    fitting.compile_model(model, run.train)
    strategy = tensorflow().distribute.get_strategy()
    return model, fitting.Loop(model, run.train, strategy, xla=xla)


def _epoch_timer() -> Any:
    import keras

    class Timer(keras.callbacks.Callback):  # type: ignore[misc]
        """The training part of each epoch (to the end of its last batch)."""

        def __init__(self) -> None:
            super().__init__()
            self.train: list[float] = []
            self._t0 = self._t1 = 0.0

        def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
            self._t0 = time.perf_counter()

        def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
            self._t1 = time.perf_counter()

        def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
            self.train.append(self._t1 - self._t0)

    return Timer()


def _peak_flops(reps: int = 5, n: int = 2048) -> float:
    import tensorflow as tf

    a = tf.random.normal((n, n))
    b = tf.random.normal((n, n))
    tf.linalg.matmul(a, b).numpy()
    best = float("inf")
    for _ in range(reps):
        t = time.perf_counter()
        tf.linalg.matmul(a, b).numpy()
        best = min(best, time.perf_counter() - t)
    return 2 * n**3 / best


def _throughput_worker(job: dict[str, Any]) -> dict[str, Any]:
    import numpy as np

    from rnncli import runtime
    from rnncli.batches import ArrayWindows
    from rnncli.fitting import Part, threads_per_op

    if job["mode"] == "plain":  # TensorFlow's defaults (oneDNN on), as a tutorial runs it
        import tensorflow  # noqa: F401
    else:
        runtime.select_device("cpu")  # imports TensorFlow the way rnncli does (oneDNN off)
        # and its threads per op, as `rnncli train` sets them (for the whole process: a
        # paired plain Keras fit runs with them too)
        rule = threads_per_op(job["units"], job["batch_size"], job.get("xla", True), "CPU")
        runtime.op_threads(rule)
    data = np.load(job["npz"])
    x, y = data["x_train"], data["y_train"]
    out: dict[str, Any] = {"cells": {}, "peak": _peak_flops() if job.get("peak") else None}
    for cell in job["cells"]:
        row: dict[str, Any] = {"n": len(x)}
        if job["mode"] in ("plain", "paired"):
            plain = _plain_model(cell, x.shape[1], x.shape[2], job["units"], 1)
            timer = _epoch_timer()
        if job["mode"] in ("rnncli", "paired"):
            _model, loop = _rnncli_loop(cell, job, x.shape, job.get("xla", True))
            part = Part(ArrayWindows(x, None, y), np.arange(len(x)), None)
            rng = np.random.default_rng(job["seed"])
        plain_s, rnncli_s = [], []
        for epoch in range(job["epochs"]):
            order = ("plain", "rnncli") if epoch % 2 == 0 else ("rnncli", "plain")
            for which in order:
                if which == "plain" and job["mode"] in ("plain", "paired"):
                    plain.fit(
                        x, y.reshape(len(y), -1), batch_size=job["batch_size"], epochs=1,
                        verbose=0, callbacks=[timer],
                    )  # fmt: skip
                    plain_s.append(timer.train[-1])
                elif which == "rnncli" and job["mode"] in ("rnncli", "paired"):
                    t = time.perf_counter()
                    loop.epoch(part, job["batch_size"], rng)
                    rnncli_s.append(time.perf_counter() - t)
        row.update(plain_s=plain_s, rnncli_s=rnncli_s)
        out["cells"][cell] = row
    return out


def _m1_plain_worker(job: dict[str, Any]) -> dict[str, Any]:
    """The plain Keras script on rnncli's M1 windows: the same epochs and batch size."""
    import numpy as np

    started = time.perf_counter()
    import keras

    data = np.load(job["npz"])
    x, y, xv, yv = data["x_train"], data["y_train"], data["x_val"], data["y_val"]
    xa, ya = data["x_all"], data["y_all"]
    import_s = time.perf_counter() - started
    t = time.perf_counter()
    keras.utils.set_random_seed(1)
    model = _plain_model("lstm", x.shape[1], x.shape[2], 64, y.shape[1])
    model.fit(
        x, y.reshape(len(y), -1), validation_data=(xv, yv.reshape(len(yv), -1)),
        batch_size=job["batch_size"], epochs=job["epochs"], verbose=0,
    )  # fmt: skip
    if job["refit_epochs"]:
        model.fit(
            xa, ya.reshape(len(ya), -1), batch_size=job["batch_size"],
            epochs=job["refit_epochs"], verbose=0,
        )  # fmt: skip
    return {"import_s": import_s, "fit_s": time.perf_counter() - t}


def _tiled_panel(rows: int) -> Any:
    """`rows` rows of half-hourly demand + temperature: the real series tiled into a panel."""
    import numpy as np

    from rnncli.columns import Columns
    from rnncli.config import DataSpec
    from rnncli.data import Panel, Series, load_panel

    spec = DataSpec(time_col=TIME_COL, target=(TARGET,), features=(FEATURE,))
    one = load_panel(str(CSV), spec, str(CSV))
    s = one.series[0]
    series, left, k = [], rows, 0
    while left > 0:
        n = min(left, len(s.values))
        series.append(
            Series(f"s{k}", s.time[:n].copy(), np.array(s.values[:n]), s.first_line[:n].copy())
        )
        left, k = left - n, k + 1
    columns = Columns(TIME_COL, (TARGET,), (TARGET, FEATURE), "series")
    return Panel("tiled", columns, tuple(series), one.freq, ())


def _memory_worker(job: dict[str, Any]) -> dict[str, Any]:
    import numpy as np

    from rnncli import runtime
    from rnncli.batches import ArrayWindows
    from rnncli.config import build_config
    from rnncli.dataset import build
    from rnncli.fitting import Part, threads_per_op
    from rnncli.splits import TRAIN
    from rnncli.train import _arrays, _insample_scales
    from rnncli.weighting import series_weights

    # in `rnncli train`'s order: the data read and built, then TensorFlow and the model
    lb = job["look_back"]
    panel = _tiled_panel(job["rows"])
    series_mb = sum(s.values.nbytes for s in panel.series) / 2**20
    run = build_config({"look_back": lb, "horizon": 1, "min_look_back": 1, "season": 48})
    t = time.perf_counter()
    if job["stream"]:  # as `rnncli train`: the panel as read is let go once built, and
        ds = build(panel, run.window, windows=False)  # the default series weights looked up
        del panel
        idx = ds.part(TRAIN)
        weights = series_weights(ds.series[idx], _insample_scales(ds, 48), "scaled")
        train = Part(ds.windows(), idx, weights, "last", True, ds.series)
    else:
        ds = build(panel, run.window)
        x, y, mask = _arrays(ds.windows(), ds.part(TRAIN), "last")
        train = Part(ArrayWindows(x, mask, y), np.arange(len(x)), None, "none", True)
    build_s = time.perf_counter() - t
    before = _rss_mb()
    runtime.select_device("cpu")
    runtime.op_threads(threads_per_op(job["units"], job["batch_size"], True, "CPU"))
    _model, loop = _rnncli_loop("lstm", {**job, "masked": True}, (0, lb, 2), True)
    tf_mb = _rss_mb() - before
    rng = np.random.default_rng(0)
    loop.epoch(train, job["batch_size"], rng, limit=1)  # compiles
    t = time.perf_counter()
    calls = job["calls"]
    loop.epoch(train, job["batch_size"], rng, limit=calls)
    per_step = (time.perf_counter() - t) / (calls * 16)
    steps = -(-len(train) // job["batch_size"])
    return {
        "rows": job["rows"],
        "windows": len(train),
        "series_mb": series_mb,
        "tf_mb": tf_mb,
        "peak_mb": _peak_mb(),
        "build_s": build_s,
        "epoch_s": per_step * steps,
    }


def worker(job: dict[str, Any]) -> dict[str, Any]:
    if job["mode"] == "m1plain":
        return _m1_plain_worker(job)
    if job["mode"] == "memory":
        return _memory_worker(job)
    return _throughput_worker(job)


# ---- parent side -------------------------------------------------------------------------------


def run_worker(job: dict[str, Any], env_onednn: str | None = None) -> dict[str, Any]:
    env = dict(os.environ)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    env["CUDA_VISIBLE_DEVICES"] = "-1"
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env.pop("TF_ENABLE_ONEDNN_OPTS", None)
    if env_onednn is not None:
        env["TF_ENABLE_ONEDNN_OPTS"] = env_onednn
    t, cpu = time.perf_counter(), _children_cpu()
    proc = subprocess.run(
        [PY, __file__, "--worker", json.dumps(job)], capture_output=True, text=True, env=env
    )
    cpu = _children_cpu() - cpu
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr[-4000:])
        raise SystemExit(f"worker failed ({proc.returncode}): {job['mode']}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    result["wall_s"] = time.perf_counter() - t
    result["cpu_s"] = cpu
    return result


def _children_cpu() -> float:
    """CPU seconds (user + system) of the finished child processes so far."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _windows_npz(csv: Path, options: dict[str, Any], npz: Path, *, all_windows: bool) -> dict:
    """rnncli's training (and validation, and all) windows, level-normalised, to an .npz."""
    import numpy as np

    from rnncli.config import build_config
    from rnncli.data import load_panel
    from rnncli.dataset import build
    from rnncli.splits import TRAIN, VAL
    from rnncli.train import _arrays

    run = build_config(options)
    panel = load_panel(str(csv), run.data, str(csv))
    ds = build(panel, run.window, windows=False)
    windows = ds.windows()
    parts = {"train": ds.part(TRAIN), "val": ds.part(VAL)}
    if all_windows:
        parts["all"] = np.arange(len(windows))
    arrays = {}
    for name, idx in parts.items():
        x, y, _mask = _arrays(windows, idx, run.window.normalize)
        arrays[f"x_{name}"], arrays[f"y_{name}"] = x, y
    np.savez(npz, **arrays)
    return {k: len(v) for k, v in parts.items()} | {"n_features": windows.n_inputs}


def median(values: list[float]) -> float:
    return statistics.median(values)


def throughput_tables(args: argparse.Namespace, tmp: Path) -> None:
    from rnncli.fitting import ONE_THREAD_PER_OP

    lines = CSV.read_text(encoding="utf-8").splitlines()
    csv = tmp / "vic.csv"
    csv.write_text("\n".join(lines[: args.rows + 1]) + "\n", encoding="utf-8")
    options = {
        "time_col": TIME_COL, "target": [TARGET], "features": [FEATURE],
        "look_back": args.look_back, "min_look_back": args.look_back, "horizon": 1,
        "scale": "standard", "transform": "none", "deseasonalize": "none",
        "val_size": 0.1, "test_size": 0.1,
    }  # fmt: skip
    npz = tmp / "vic.npz"
    sizes = _windows_npz(csv, options, npz, all_windows=False)
    cells = [c for c in args.cells.split(",") if c]
    print(
        f"data: first {args.rows} rows of {CSV.name} -> {sizes['train']} training windows x "
        f"look-back {args.look_back} x {sizes['n_features']} features; {args.units} units, "
        f"{args.epochs} epochs, {args.repeats} process(es) per variant; machine shared with "
        "other sessions (nice)",
        flush=True,
    )
    base = {
        "npz": str(npz), "epochs": args.epochs, "units": args.units, "seed": args.seed,
        "cells": cells,
    }  # fmt: skip
    variants = {
        "plain": {"mode": "plain"},
        "rnncli": {"mode": "rnncli", "xla": True},
        "rnncli_noxla": {"mode": "rnncli", "xla": False},
        "paired": {"mode": "paired", "xla": True},
        "paired_onednn": {"mode": "paired", "xla": True, "onednn": "1"},
    }
    batches = [int(b) for b in args.batch_sizes.split(",")]
    results: dict[tuple[str, int], list[dict]] = {}
    peaks = []
    for rep in range(args.repeats):
        for batch in batches:
            order = list(variants) if rep % 2 == 0 else list(reversed(variants))
            for name in order:
                job = {**base, **variants[name], "batch_size": batch}
                job["peak"] = name == "plain" and batch == batches[0]
                r = run_worker(job, job.pop("onednn", None))
                if r["peak"]:
                    peaks.append(r["peak"])
                results.setdefault((name, batch), []).append(r)
                print(f"  rep {rep + 1} batch {batch} {name}: {r['wall_s']:.1f} s", flush=True)

    def rate(name: str, batch: int, cell: str, key: str) -> list[float]:
        out = []
        for r in results[(name, batch)]:
            c = r["cells"][cell]
            later = c[key][1:]
            out.append(c["n"] * len(later) / sum(later))
        return out

    def paired(batch: int, cell: str, name: str = "paired") -> float:
        ratios = []
        for r in results[(name, batch)]:
            c = r["cells"][cell]
            ratios += [p / q for p, q in zip(c["plain_s"][1:], c["rnncli_s"][1:], strict=True)]
        return median(ratios)

    def first(name: str, batch: int, cell: str, key: str) -> float:
        return median([r["cells"][cell][key][0] for r in results[(name, batch)]])

    peak = max(peaks)
    gates = {"simple_rnn": 1, "lstm": 4, "gru": 3}
    print()
    print(
        f"### Training throughput at equal batch size (windows/s, epochs 2..{args.epochs}; best "
        f"of {args.repeats} processes, median in brackets)"
    )
    print()
    print(
        "| cell | batch | plain Keras | rnncli (XLA) | rnncli --no-xla | ratio rnncli/plain "
        "(best) | **paired ratio** (same process) | paired, oneDNN on | share of matmul peak "
        "(plain / rnncli) | epoch 1 s (plain / rnncli) |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for cell in cells:
        flops = 3 * (2 * args.look_back * gates[cell] * args.units * (2 + args.units))
        for b in batches:
            pl, rn = rate("plain", b, cell, "plain_s"), rate("rnncli", b, cell, "rnncli_s")
            nx = rate("rnncli_noxla", b, cell, "rnncli_s")
            print(
                f"| {cell} | {b} | {max(pl):,.0f} ({median(pl):,.0f}) | {max(rn):,.0f} "
                f"({median(rn):,.0f}) | {max(nx):,.0f} ({median(nx):,.0f}) "
                f"| {max(rn) / max(pl):.2f} | {paired(b, cell):.2f} "
                f"| {paired(b, cell, 'paired_onednn'):.2f} "
                f"| {100 * max(pl) * flops / peak:.1f}% / {100 * max(rn) * flops / peak:.1f}% "
                f"| {first('plain', b, cell, 'plain_s'):.1f} / "
                f"{first('rnncli', b, cell, 'rnncli_s'):.1f} |"
            )
    print()
    print(
        f"matmul peak {peak / 1e9:.1f} GFLOP/s (2048^2 float32, best of 5). Paired: plain Keras "
        "fit and rnncli's loop in one process, one epoch each in turn, median of plain epoch "
        "time / rnncli epoch time, with rnncli's TF_ENABLE_ONEDNN_OPTS=0 (its runtime sets it), "
        "and with oneDNN on for both (TensorFlow's default, which the separate plain Keras "
        "processes use). rnncli: 16 steps per call, XLA, op determinism off (the default on "
        "CPU), one thread per op where batch x units <= "
        f"{ONE_THREAD_PER_OP:,} (`fitting.threads_per_op`, as `rnncli train`; in the paired "
        "process the plain fit runs with it too); --no-xla: op determinism on, TensorFlow's "
        "threads. Epoch 1 includes tracing (and XLA's compile)."
    )


def m1_table(args: argparse.Namespace, tmp: Path) -> None:
    import csv as csvlib

    import pandas as pd
    import yaml

    raw = pd.read_csv(M1)
    k = raw["t"].to_numpy() - 1
    raw["month"] = [f"{1970 + i // 12}-{i % 12 + 1:02d}-01" for i in k]
    train = raw[raw["split"] == "train"][["series_id", "month", "value"]]
    csv = tmp / "m1.csv"
    train.to_csv(csv, index=False)
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": "-1", "TF_CPP_MIN_LOG_LEVEL": "3"}
    runs = []
    for extra in ([], ["--jobs", "1"]):  # the members side by side (the default here), in turn
        out = tmp / f"m1_model{len(runs)}"
        cmd = [RNNCLI, "train", str(csv), "--id-col", "series_id", "--horizon", "18",
               "--out", str(out), "--force", "--quiet", *extra]  # fmt: skip
        t, cpu = time.perf_counter(), _children_cpu()
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
        wall, cpu = time.perf_counter() - t, _children_cpu() - cpu
        if proc.returncode != 0:
            sys.stderr.write(proc.stderr[-4000:])
            raise SystemExit("rnncli train on M1 failed")
        card = yaml.safe_load((out / "rnncli.yaml").read_text(encoding="utf-8"))
        first = tmp / "m1_model0" / "weights.npz"
        same = (out / "weights.npz").read_bytes() == first.read_bytes()
        runs.append((card, wall, cpu, same))
    card, wall, cpu, _same = runs[0]
    with open(tmp / "m1_model0" / "history.csv", encoding="utf-8") as fh:
        history = list(csvlib.DictReader(fh))
    members = card["train"]["ensemble"]
    refit = 3 * members if card["fit"].get("refit") else 0
    batch = card["train"]["batch_size"]
    sizes = _windows_npz(
        csv,
        {"id_col": "series_id", "horizon": 18, "time_col": "month", "target": ["value"]},
        tmp / "m1.npz",
        all_windows=True,
    )
    plain = run_worker(
        {"mode": "m1plain", "npz": str(tmp / "m1.npz"), "batch_size": batch,
         "epochs": len(history), "refit_epochs": refit},
    )  # fmt: skip
    print()
    print("### M1 monthly (617 series, horizon 18): wall time to early stop")
    print()
    print(
        "| run | windows (train / all) | batch | epochs (validated + refit) | fit s "
        "| process wall s | process CPU s |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    for run_card, run_wall, run_cpu, _same in runs:
        jobs = run_card["train"]["jobs"]
        how = f"side by side in {jobs} processes" if jobs > 1 else "in turn, `--jobs 1`"
        print(
            f"| `rnncli train` (defaults: {members} members {how}, early stopping, refit) "
            f"| {sizes['train']:,} / {sizes['all']:,} | {batch} | {len(history)} + {refit} "
            f"| {run_card['fit']['seconds']:.1f} | {run_wall:.1f} | {run_cpu:.1f} |"
        )
    print(
        f"| plain Keras script, same windows and epochs | {sizes['train']:,} / {sizes['all']:,} "
        f"| {batch} | {len(history)} + {refit} | {plain['fit_s']:.1f} | {plain['wall_s']:.1f} "
        f"| {plain['cpu_s']:.1f} |"
    )
    print()
    print(
        f"xla {card['engine'].get('xla')}, deterministic {card['engine'].get('deterministic')}; "
        f"epochs per member: {', '.join(str(sum(1 for h in history if h.get('member', '1') == str(m + 1))) for m in range(members))}. "  # noqa: E501
        f"weights of the two rnncli runs identical: {'yes' if runs[1][3] else 'NO'}. "
        "rnncli's process wall time includes start-up, reading the CSV, the windows, "
        "scoring and saving; the plain script's includes only start-up and fit. Process CPU "
        "s (user + system, all threads) is the steadier figure on a shared machine."
    )


def memory_table(args: argparse.Namespace) -> None:
    rows = [int(r) for r in args.memory_rows.split(",")]
    job = {"mode": "memory", "look_back": 64, "units": 64, "batch_size": 128, "seed": 1,
           "calls": args.memory_calls}  # fmt: skip
    small = run_worker({**job, "rows": 10_000, "stream": True})
    fixed = small["peak_mb"]
    print()
    print(
        "### Memory: peak RSS and seconds per epoch, streamed batches vs materialised windows "
        "(LSTM 64, look-back 64, horizon 1, batch 128)"
    )
    print()
    print(
        "| rows | training windows | series MB (float64) | streamed: peak MB | "
        "streamed: s/epoch | materialised: peak MB | materialised: s/epoch | goal: 2 x series + "
        "fixed, MB |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n in rows:
        s = run_worker({**job, "rows": n, "stream": True})
        need_gb = 3 * s["windows"] * 64 * 2 * 4 / 2**30
        if n > args.materialise_max:
            m = None
            mat = f"not run (needs ~{need_gb:.0f} GB) | -"
        else:
            m = run_worker({**job, "rows": n, "stream": False})
            mat = f"{m['peak_mb']:,.0f} | {m['epoch_s']:,.0f}"
        print(
            f"| {n:,} | {s['windows']:,} | {s['series_mb']:,.0f} "
            f"| {s['peak_mb']:,.0f} | {s['epoch_s']:,.0f} | {mat} "
            f"| {2 * s['series_mb'] + fixed:,.0f} |",
            flush=True,
        )
    print()
    print(
        "Peak MB: the case's own process (getrusage ru_maxrss). s/epoch: extrapolated from "
        f"{args.memory_calls} calls of 16 steps after the compiling one. Materialised: "
        "`dataset.build` with windows, then the training part's level-normalised copy (what "
        f"rnncli did before the streamed batches); run only up to {args.materialise_max:,} rows. "
        f"Fixed: the peak of the same streamed run on 10,000 rows ({fixed:,.0f} MB: Python, "
        f"TensorFlow ({small['tf_mb']:,.0f} MB for its import and the model), XLA's compile). "
        "Series MB: "
        "the panel's values as read (float64, rows x 2 columns)."
    )


def _free_ports(n: int) -> list[int]:
    import socket

    socks = [socket.socket() for _ in range(n)]
    try:
        for sock in socks:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in socks]
    finally:
        for sock in socks:
            sock.close()


def _fit_seconds(cmd: list[str], out: Path, workers: int) -> tuple[float, int]:
    """The chief's card fit seconds and training windows of `cmd` run alone, or as
    `workers` processes pinned to one core each."""
    import yaml

    env = {**os.environ, "CUDA_VISIBLE_DEVICES": "-1", "TF_CPP_MIN_LOG_LEVEL": "3"}
    env.pop("TF_CONFIG", None)
    procs = []
    if workers == 1:
        procs.append(
            subprocess.Popen(
                [*cmd, "--out", str(out)],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
        )
    else:
        cluster = {"worker": [f"127.0.0.1:{port}" for port in _free_ports(workers)]}
        for k in range(workers):
            task = {"cluster": cluster, "task": {"type": "worker", "index": k}}
            procs.append(
                subprocess.Popen(
                    ["taskset", "-c", str(k % (os.cpu_count() or 1)), *cmd,
                     "--distribute", "multiworker", "--out", f"{out}-{k}"],
                    env={**env, "TF_CONFIG": json.dumps(task)},
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE,
                )
            )  # fmt: skip
    errors = [proc.communicate()[1] for proc in procs]
    for proc, err in zip(procs, errors, strict=True):
        if proc.returncode != 0:
            sys.stderr.write(err.decode()[-3000:])
            raise SystemExit("rnncli train failed")
    chief = out if workers == 1 else Path(f"{out}-0")
    card = yaml.safe_load((chief / "rnncli.yaml").read_text(encoding="utf-8"))
    return float(card["fit"]["seconds"]), int(card["data"]["windows"]["train"])


def workers_table(args: argparse.Namespace, tmp: Path) -> None:
    lines = CSV.read_text(encoding="utf-8").splitlines()
    csv = tmp / "vic_workers.csv"
    csv.write_text("\n".join(lines[: args.workers_rows + 1]) + "\n", encoding="utf-8")
    base = [RNNCLI, "train", str(csv), "--time-col", TIME_COL, "--target", TARGET,
            "--features", FEATURE, "--look-back", "64", "--horizon", "1", "--units", "64",
            "--batch-size", "128", "--ensemble", "1", "--patience", "0", "--no-refit",
            "--force", "--quiet"]  # fmt: skip
    rows = []
    for label, workers, xla in (
        ("one process, both cores, XLA (the default)", 1, "--xla"),
        ("two workers, one core each, XLA gradients (the default)", 2, "--xla"),
        ("two workers, one core each, --no-xla", 2, "--no-xla"),
        ("one process, both cores, --no-xla", 1, "--no-xla"),
    ):
        short = _fit_seconds([*base, xla, "--epochs", "3"], tmp / "w3", workers)[0]
        long, windows = _fit_seconds([*base, xla, "--epochs", "9"], tmp / "w9", workers)
        rows.append((label, (long - short) / 6, windows))
    print()
    print(
        f"### Two local workers (--distribute multiworker) against one process: first "
        f"{args.workers_rows} rows, {rows[0][2]:,} training windows, LSTM 64, global batch 128"
    )
    print()
    print("| run | s per epoch | windows/s | vs one process, XLA |")
    print("|---|---:|---:|---:|")
    for label, per_epoch, windows in rows:
        print(
            f"| {label} | {per_epoch:.2f} | {windows / per_epoch:,.0f} "
            f"| {rows[0][1] / per_epoch:.2f}x |"
        )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rows", type=int, default=6000, help="CSV rows for throughput")
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--batch-sizes", default="64,128", help="comma list (default 64,128)")
    p.add_argument("--units", type=int, default=64)
    p.add_argument("--look-back", type=int, default=64)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--repeats", type=int, default=2, help="processes per variant")
    p.add_argument("--cells", default=",".join(CELLS))
    p.add_argument("--no-throughput", action="store_true")
    p.add_argument("--no-m1", action="store_true", help="skip the M1 wall-time table")
    p.add_argument("--memory", action="store_true", help="add the peak RSS table (slow)")
    p.add_argument("--memory-rows", default="1000000,10000000")
    p.add_argument("--memory-calls", type=int, default=5)
    p.add_argument("--materialise-max", type=int, default=1_000_000)
    p.add_argument("--workers", action="store_true", help="add the two-worker table")
    p.add_argument("--workers-rows", type=int, default=20000)
    p.add_argument("--worker", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.worker:
        print(json.dumps(worker(json.loads(args.worker))))
        return
    if args.epochs < 2:
        p.error("--epochs must be at least 2 (epoch 1 is excluded from throughput)")
    with tempfile.TemporaryDirectory(prefix="bench_train_") as tmpdir:
        tmp = Path(tmpdir)
        if not args.no_throughput:
            throughput_tables(args, tmp)
        if not args.no_m1:
            m1_table(args, tmp)
        if args.memory:
            memory_table(args)
        if args.workers:
            workers_table(args, tmp)


if __name__ == "__main__":
    main()
