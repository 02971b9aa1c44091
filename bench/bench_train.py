"""Training throughput of rnncli against a plain Keras script of the same model.

    .venv/bin/python bench/bench_train.py                   # 6,000 rows, 5 epochs, 3 repeats
    .venv/bin/python bench/bench_train.py --rows 2000 --epochs 3 --repeats 1   # quick

Data: the first --rows rows of the half-hourly Victoria electricity demand
(/work/shared/data/vic_elec_halfhourly.csv): target demand_mw, feature temperature_c,
look-back 64, horizon 1, rnncli's default 80/10/10 chronological split, standard scaling
fitted on the training part and per-window level normalisation (--normalize last), all
made by rnncli itself (`data.load_panel` + `dataset.build` + the arrays `pipeline.train`
feeds to fit). Both sides are fitted on exactly these training windows (saved once to an
.npz), batch size 64, 5 epochs, 64 units, Adam + MSE, shuffle on.

Each measurement runs in its own Python process (TensorFlow's op determinism cannot be
switched off once on, and TF_ENABLE_ONEDNN_OPTS is read at import):

- plain Keras: `keras.Sequential([keras.Input((64, 2)), keras.layers.LSTM(64),
  keras.layers.Dense(1)])`, `compile("adam", "mse")`, `fit(x, y, batch_size=64, epochs=5,
  verbose=0)`, as a tutorial writes it, in a fresh interpreter with TensorFlow's defaults.
- rnncli fit: what `pipeline.train` does around the fit: `runtime.select_device`,
  `training.seed_everything`, `models.build_model`, `training.compile_model` (rnncli's
  defaults: Adam 1e-3, clipnorm 1.0) and `training.fit` with the validation windows, as
  `rnncli train` runs it.
- rnncli fit, determinism off: the same with `keras.utils.set_random_seed` only (what
  `seed_everything` does minus `tf.config.experimental.enable_op_determinism()`).
- paired: both models above in ONE process with rnncli's settings (oneDNN off, determinism
  on), each fitted one epoch at a time in turn (plain, rnncli, then rnncli, plain, ...), so
  that bursts of load from other processes hit both alike; the ratio of their epoch times
  isolates what rnncli's code path itself (clipnorm, callback, model shape) costs.
- `rnncli train`: the whole command (`rnncli train CSV ... --quiet`), process wall time:
  interpreter start, imports, CSV, windows, fit with validation, test metrics, save.

Throughput counts only the training part of epochs 2..E (epoch 1 traces and compiles the
step function; its time is printed separately), timed by a callback from on_epoch_begin to
the last on_train_batch_end (validation excluded), added to the model's own fit call; for
rnncli the callback list is rnncli's plus this timer. (With the TensorFlow backend Keras
calls batch hooks synchronously and converts the logs to floats each batch whether or not
a callback has batch hooks, so the timer's own hook costs a Python call per batch.) Each
variant runs --repeats times (processes interleaved, the order reversed every other repeat);
the tables show the best (the machine is shared: contention only slows a run down) and the
median in brackets. Because wall time on a shared machine is noisy, two steadier measures
sit beside it: windows per CPU-second of the process (time.process_time over the same
span), and the paired same-process ratio.

Share of matmul peak: the machine's float32 matmul rate is measured in the same run
(tf.linalg.matmul of two 2048 x 2048 float32 matrices, best of several, FLOP/s = 2n^3/t,
with TensorFlow's default oneDNN setting and with it off; the higher is the peak). Model
FLOPs per training window = 3 x forward, forward = 2 x look_back x gates x units x
(n_features + units) + 2 x units x horizon (gates: SimpleRNN 1, GRU 3, LSTM 4).

--explain adds one-factor ablations (one cell) showing where a difference comes from.
"""

from __future__ import annotations

import argparse
import json
import os
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
CSV = Path("/work/shared/data/vic_elec_halfhourly.csv")
if not CSV.exists():
    CSV = ROOT / "sample_data" / "vic_elec_halfhourly.csv"
TIME_COL, TARGET, FEATURE = "time_utc", "demand_mw", "temperature_c"
HORIZON = 1
GATES = {"simple_rnn": 1, "lstm": 4, "gru": 3}
KERAS_CLASS = {"simple_rnn": "SimpleRNN", "lstm": "LSTM", "gru": "GRU"}
CELLS = ("simple_rnn", "lstm", "gru")


# ---- worker side (a fresh interpreter per measurement) ---------------------------------------


def _timer() -> Any:
    import keras

    class EpochTimer(keras.callbacks.Callback):
        """Training part of each epoch: from epoch begin to the end of its last training batch.

        (Validation, and the set-up of the validation dataset that a fit call does at the
        end of its first epoch, come after that and are timed apart.)
        """

        def __init__(self) -> None:
            super().__init__()
            self.train: list[float] = []
            self.val: list[float] = []
            self.cpu: list[float] = []  # process CPU seconds (all threads) of the training part
            self._t0 = self._t1 = self._c0 = self._c1 = 0.0

        def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
            self._c0 = time.process_time()
            self._t0 = time.perf_counter()

        def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
            self._t1 = time.perf_counter()
            self._c1 = time.process_time()

        def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
            t = time.perf_counter()
            self.train.append(self._t1 - self._t0)
            self.val.append(t - self._t1)
            self.cpu.append(self._c1 - self._c0)

    return EpochTimer()


def _with_timer(model: Any, timer: Any) -> None:
    """Add `timer` to whatever callbacks the caller passes to this model's fit."""
    fit = model.fit

    def timed_fit(*args: Any, callbacks: Any = None, **kwargs: Any) -> Any:
        return fit(*args, callbacks=[*(callbacks or []), timer], **kwargs)

    object.__setattr__(model, "fit", timed_fit)


def _peak(reps: int = 7, n: int = 2048, per_rep: int = 3) -> dict[str, Any]:
    import tensorflow as tf

    a = tf.random.normal((n, n), dtype=tf.float32)
    b = tf.random.normal((n, n), dtype=tf.float32)
    tf.linalg.matmul(a, b).numpy()  # warm up
    best = float("inf")
    for _ in range(reps):
        t = time.perf_counter()
        for _ in range(per_rep):
            c = tf.linalg.matmul(a, b)
        c[0, 0].numpy()
        best = min(best, (time.perf_counter() - t) / per_rep)
    return {"flops": 2 * n**3 / best, "seconds": best}


def _onednn() -> bool | None:
    try:
        from tensorflow.python.util import _pywrap_util_port

        return bool(_pywrap_util_port.IsMklEnabled())
    except Exception:  # private API: absent in some builds
        return None


def _determinism() -> bool | None:
    try:
        from tensorflow.python.framework import config

        return bool(config.is_op_determinism_enabled())
    except Exception:  # private API
        return None


def _plain_model(cell: str, look_back: int, n_features: int, units: int, knobs: dict) -> Any:
    import keras

    layer = getattr(keras.layers, KERAS_CLASS[cell])
    if knobs.get("functional"):  # the shape of rnncli's model: functional API + Reshape head
        inp = keras.Input((look_back, n_features), name="values")
        h = layer(units)(inp)
        h = keras.layers.Dense(HORIZON)(h)
        out = keras.layers.Reshape((HORIZON, 1))(h)
        return keras.Model(inp, out)
    return keras.Sequential(
        [keras.Input((look_back, n_features)), layer(units), keras.layers.Dense(HORIZON)]
    )


def _plain_fit(model: Any, x: Any, y: Any, val: Any, job: dict, knobs: dict, timer: Any) -> None:
    import math

    import keras

    callbacks = [timer]
    if knobs.get("guard"):  # rnncli's per-batch NaN check

        class BatchCheck(keras.callbacks.Callback):
            def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
                loss = (logs or {}).get("loss")
                if loss is not None and not math.isfinite(float(loss)):
                    self.model.stop_training = True

        callbacks.insert(0, BatchCheck())

    def shape(a: Any) -> Any:  # Sequential's Dense head gives (N, 1); rnncli's Reshape (N, 1, 1)
        return a if knobs.get("functional") else a.reshape(len(a), -1)

    model.fit(
        x,
        shape(y),
        batch_size=job["batch_size"],
        epochs=job.get("fit_epochs", job["epochs"]),
        verbose=0,
        callbacks=callbacks,
        validation_data=(val[0], shape(val[1])) if knobs.get("val") else None,
    )


def _plain_compiled(cell: str, x: Any, job: dict, knobs: dict) -> Any:
    import keras

    model = _plain_model(cell, x.shape[1], x.shape[2], job["units"], knobs)
    clip = knobs.get("clipnorm")
    model.compile(optimizer=keras.optimizers.Adam(clipnorm=clip) if clip else "adam", loss="mse")
    return model


def _rnncli_run(cell: str, x: Any, job: dict, epochs: int) -> Any:
    from rnncli.config import build_config

    return build_config(
        {
            "cell": cell,
            "units": job["units"],
            "look_back": int(x.shape[1]),
            "horizon": HORIZON,
            "epochs": epochs,
            "batch_size": job["batch_size"],
            "patience": 0,
            "seed": job["seed"],
            "loss": "mse",  # as the plain script trains
        }
    )


def _rnncli_compiled(run: Any, x: Any) -> Any:
    from rnncli import fitting as training
    from rnncli.network import build_model

    model = build_model(
        run.model,
        look_back=int(x.shape[1]),
        n_features=int(x.shape[2]),
        horizon=HORIZON,
        n_targets=1,
        masked=False,
    )
    training.compile_model(model, run.train)
    return model


def worker(job: dict[str, Any]) -> dict[str, Any]:
    import numpy as np

    started = time.perf_counter()
    mode, knobs = job["mode"], job.get("knobs", {})
    data = np.load(job["npz"])
    x, y = data["x_train"], data["y_train"]
    val = (data["x_val"], data["y_val"])
    device = None
    if mode in ("rnncli", "paired"):
        from rnncli import runtime

        device = runtime.select_device("auto")  # imports TensorFlow the way rnncli does
    import keras
    import tensorflow as tf

    out: dict[str, Any] = {
        "onednn": _onednn(),
        "env_onednn": os.environ.get("TF_ENABLE_ONEDNN_OPTS"),
        "import_s": time.perf_counter() - started,
        "device": device,
        "cells": {},
    }
    if mode == "peak":
        out["peak"] = _peak()
        return out
    from rnncli import fitting as training

    for cell in job["cells"]:
        timer = _timer()
        t = time.perf_counter()
        row: dict[str, Any] = {}
        if mode == "plain":
            keras.utils.set_random_seed(job["seed"])
            if knobs.get("determinism"):
                tf.config.experimental.enable_op_determinism()
            model = _plain_compiled(cell, x, job, knobs)
            _plain_fit(model, x, y, val, job, knobs, timer)
        elif mode == "rnncli":
            run = _rnncli_run(cell, x, job, job["epochs"])
            if knobs.get("determinism", True):
                training.seed_everything(run.train.seed)
            else:  # seed_everything minus enable_op_determinism
                keras.utils.set_random_seed(run.train.seed)
            model = _rnncli_compiled(run, x)
            _with_timer(model, timer)
            result = training.fit(model, (x, y, None), (*val, None), run.train)
            assert len(result.history) == job["epochs"], result
        else:  # paired: both models in this process, one epoch each in turn
            run = _rnncli_run(cell, x, job, 1)
            training.seed_everything(run.train.seed)
            rnncli_model = _rnncli_compiled(run, x)
            _with_timer(rnncli_model, timer)
            plain_model = _plain_compiled(cell, x, job, {})
            plain_timer = _timer()
            for i in range(job["epochs"]):
                for which in ("plain", "rnncli") if i % 2 == 0 else ("rnncli", "plain"):
                    if which == "plain":
                        _plain_fit(
                            plain_model, x, y, val, {**job, "fit_epochs": 1}, {}, plain_timer
                        )
                    else:
                        training.fit(rnncli_model, (x, y, None), (*val, None), run.train)
            row = {"plain_train_s": plain_timer.train, "plain_cpu_s": plain_timer.cpu}
        out["cells"][cell] = {
            "train_s": timer.train,
            "cpu_s": timer.cpu,
            "val_s": timer.val,
            "total_s": time.perf_counter() - t,
            "n_train": len(x),
            "n_val": len(val[0]),
            "determinism": _determinism(),
            **row,
        }
    out["process_s"] = time.perf_counter() - started
    return out


# ---- parent side -------------------------------------------------------------------------------


def run_worker(job: dict[str, Any], env_onednn: str | None) -> dict[str, Any]:
    env = dict(os.environ)
    env.pop("TF_ENABLE_ONEDNN_OPTS", None)
    if env_onednn is not None:
        env["TF_ENABLE_ONEDNN_OPTS"] = env_onednn
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    t = time.perf_counter()
    proc = subprocess.run(
        [PY, __file__, "--worker", json.dumps(job)],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
    )
    wall = time.perf_counter() - t
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr[-4000:])
        raise SystemExit(f"worker failed: {job['mode']} {job.get('knobs')}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["wall_s"] = wall
    return result


def prepare(rows: int, look_back: int, tmp: Path) -> dict[str, Any]:
    """CSV subset + rnncli's windows (as pipeline.train builds them) saved to an .npz."""
    import numpy as np

    from rnncli.config import build_config
    from rnncli.data import load_panel
    from rnncli.dataset import TRAIN, VAL, build
    from rnncli.train import _arrays

    lines = CSV.read_text(encoding="utf-8").splitlines()
    csv = tmp / f"vic_elec_{rows}.csv"
    csv.write_text("\n".join(lines[: rows + 1]) + "\n", encoding="utf-8")
    run = build_config(
        {
            "time_col": TIME_COL,
            "target": [TARGET],
            "features": [FEATURE],
            "look_back": look_back,
            "horizon": HORIZON,
        }
    )
    panel = load_panel(str(csv), run.data, str(csv))
    ds = build(panel, run.window)
    x_tr, y_tr, _ = _arrays(ds, ds.part(TRAIN), run.window.normalize)
    x_va, y_va, _ = _arrays(ds, ds.part(VAL), run.window.normalize)
    npz = tmp / "windows.npz"
    np.savez(npz, x_train=x_tr, y_train=y_tr, x_val=x_va, y_val=y_va)
    return {
        "csv": csv,
        "npz": npz,
        "n_train": len(x_tr),
        "n_val": len(x_va),
        "n_features": x_tr.shape[2],
        "dtype": str(x_tr.dtype),
    }


def flops_per_window(cell: str, look_back: int, n_features: int, units: int) -> float:
    forward = 2 * look_back * GATES[cell] * units * (n_features + units) + 2 * units * HORIZON
    return 3.0 * forward


def throughput(cell_result: dict[str, Any], key: str = "train_s") -> float:
    """Training windows per second (wall, or CPU with key="cpu_s") over epochs 2..E."""
    later = cell_result[key][1:] or cell_result[key]
    return cell_result["n_train"] * len(later) / sum(later)


def median(values: list[float]) -> float:
    return statistics.median(values)


def e2e_train(csv: Path, cell: str, args: argparse.Namespace, tmp: Path) -> float:
    out = tmp / f"model_{cell}"
    cmd = [
        RNNCLI, "train", str(csv), "--time-col", TIME_COL, "--target", TARGET,
        "--features", FEATURE, "--look-back", str(args.look_back), "--horizon", str(HORIZON),
        "--cell", cell, "--units", str(args.units), "--epochs", str(args.epochs),
        "--batch-size", str(args.batch_size), "--patience", "0", "--seed", str(args.seed),
        "--out", str(out), "--force", "--quiet",
    ]  # fmt: skip
    env = dict(os.environ)
    env.pop("TF_ENABLE_ONEDNN_OPTS", None)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    t = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT)
    wall = time.perf_counter() - t
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr[-4000:])
        raise SystemExit(f"rnncli train failed ({proc.returncode})")
    return wall


def fit_seconds(model_dir: Path) -> float:
    import yaml

    meta = yaml.safe_load((model_dir / "rnncli.yaml").read_text(encoding="utf-8"))
    return float(meta["fit"]["seconds"])


EXPLAIN = [  # (label, variant, job, TF_ENABLE_ONEDNN_OPTS)
    ("plain Keras (TensorFlow defaults)", "x_plain", {"mode": "plain"}, None),
    ("plain + TF_ENABLE_ONEDNN_OPTS=0 (set by rnncli's runtime.tensorflow)", "x_plain_onednn0",
     {"mode": "plain"}, "0"),
    ("plain + enable_op_determinism()", "x_plain_det",
     {"mode": "plain", "knobs": {"determinism": True}}, None),
    ("plain + Adam(clipnorm=1.0) (rnncli's default)", "x_plain_clip",
     {"mode": "plain", "knobs": {"clipnorm": 1.0}}, None),
    ("plain + per-batch float(loss) NaN check callback", "x_plain_guard",
     {"mode": "plain", "knobs": {"guard": True}}, None),
    ("plain as a functional model + Reshape head", "x_plain_func",
     {"mode": "plain", "knobs": {"functional": True}}, None),
    ("plain + all five above (+ validation_data)", "x_plain_all",
     {"mode": "plain", "knobs": {"determinism": True, "clipnorm": 1.0, "guard": True,
                                 "functional": True, "val": True}}, "0"),
    ("rnncli fit (defaults)", "rnncli", None, None),
    ("rnncli fit, determinism off", "rnncli_nodet", None, None),
    ("rnncli fit, TF_ENABLE_ONEDNN_OPTS=1", "x_rnncli_onednn1", {"mode": "rnncli"}, "1"),
    ("rnncli fit, TF_ENABLE_ONEDNN_OPTS=1, determinism off", "x_rnncli_onednn1_nodet",
     {"mode": "rnncli", "knobs": {"determinism": False}}, "1"),
]  # fmt: skip


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rows", type=int, default=6000, help="CSV rows used (default 6000)")
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--units", type=int, default=64)
    p.add_argument("--look-back", type=int, default=64)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--repeats", type=int, default=3, help="processes per variant")
    p.add_argument("--cells", default=",".join(CELLS))
    p.add_argument("--no-e2e", action="store_true", help="skip the `rnncli train` command rows")
    p.add_argument("--explain", action="store_true", help="add one-factor ablations")
    p.add_argument("--explain-cell", default="lstm")
    p.add_argument("--json", type=Path, help="also write every raw measurement here")
    p.add_argument("--worker", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.worker:
        print(json.dumps(worker(json.loads(args.worker))))
        return
    if args.epochs < 2:
        p.error("--epochs must be at least 2 (epoch 1 is excluded from throughput)")
    cells = [c for c in args.cells.split(",") if c]

    with tempfile.TemporaryDirectory(prefix="bench_train_") as tmpdir:
        tmp = Path(tmpdir)
        data = prepare(args.rows, args.look_back, tmp)
        base = {
            "npz": str(data["npz"]),
            "epochs": args.epochs,
            "batch_size": args.batch_size,
            "units": args.units,
            "seed": args.seed,
            "cells": cells,
        }
        print(
            f"data: first {args.rows} rows of {CSV.name} ({TARGET} + {FEATURE}), look-back "
            f"{args.look_back}, horizon {HORIZON} -> {data['n_train']} training windows "
            f"({data['n_val']} validation) x {data['n_features']} features, {data['dtype']}; "
            f"batch {args.batch_size}, {args.epochs} epochs, {args.units} units, "
            f"{args.repeats} process(es) per variant",
            flush=True,
        )
        variants: dict[str, tuple[dict, str | None]] = {
            "plain": ({"mode": "plain"}, None),
            "rnncli": ({"mode": "rnncli"}, None),
            "rnncli_nodet": ({"mode": "rnncli", "knobs": {"determinism": False}}, None),
            "paired": ({"mode": "paired"}, None),
        }
        if args.explain:
            for _, name, job, env in EXPLAIN:
                if job is not None:
                    variants[name] = ({**job, "cells": [args.explain_cell]}, env)
        results: dict[str, list[dict]] = {k: [] for k in variants}
        peaks: dict[str, list[float]] = {"default": [], "onednn0": []}
        e2e: dict[str, list[tuple[float, float]]] = {c: [] for c in cells}
        for rep in range(args.repeats):
            for name, env in (("default", None), ("onednn0", "0")):
                peaks[name].append(run_worker({**base, "mode": "peak"}, env)["peak"]["flops"])
            order = list(variants) if rep % 2 == 0 else list(reversed(variants))
            for name in order:
                job, env = variants[name]
                r = run_worker({**base, **job}, env)
                results[name].append(r)
                rates = ", ".join(f"{c} {throughput(v):,.0f}/s" for c, v in r["cells"].items())
                print(
                    f"  rep {rep + 1} {name}: {rates} (oneDNN {r['onednn']}, process "
                    f"{r['wall_s']:.1f} s)",
                    flush=True,
                )
            if not args.no_e2e:
                for cell in cells:
                    wall = e2e_train(data["csv"], cell, args, tmp)
                    e2e[cell].append((wall, fit_seconds(tmp / f"model_{cell}")))
                    print(f"  rep {rep + 1} rnncli train {cell}: {wall:.1f} s", flush=True)
        if args.json:
            args.json.write_text(
                json.dumps({"data": {k: str(v) for k, v in data.items()}, "peaks": peaks,
                            "results": results, "e2e": e2e}, indent=1),
                encoding="utf-8",
            )  # fmt: skip

    peak = max(max(peaks["default"]), max(peaks["onednn0"]))
    lb, nf, un, ep = args.look_back, data["n_features"], args.units, args.epochs

    def rates(name: str, cell: str, key: str = "train_s") -> list[float]:
        return [throughput(r["cells"][cell], key) for r in results[name]]

    def best(name: str, cell: str) -> float:
        return max(rates(name, cell))

    def both(name: str, cell: str) -> str:
        return f"{best(name, cell):,.0f} ({median(rates(name, cell)):,.0f})"

    def cpu(name: str, cell: str) -> float:
        return median(rates(name, cell, "cpu_s"))

    def paired(cell: str) -> float:
        """Median over rounds 2..E of plain epoch time / rnncli epoch time (same process)."""
        ratios = []
        for r in results["paired"]:
            c = r["cells"][cell]
            ratios += [p / q for p, q in zip(c["plain_train_s"][1:], c["train_s"][1:], strict=True)]
        return median(ratios)

    def share(rate: float, cell: str) -> str:
        return f"{100 * rate * flops_per_window(cell, lb, nf, un) / peak:.1f}%"

    def first_epoch(name: str, cell: str) -> float:
        return median([r["cells"][cell]["train_s"][0] for r in results[name]])

    r0 = results["rnncli"][0]
    print()
    print(
        f"measured float32 matmul peak (tf.linalg.matmul 2048 x 2048, best of {args.repeats} x "
        f"7): {max(peaks['default']) / 1e9:.1f} GFLOP/s with TensorFlow's default (oneDNN "
        f"{results['plain'][0]['onednn']}), {max(peaks['onednn0']) / 1e9:.1f} GFLOP/s with "
        f"TF_ENABLE_ONEDNN_OPTS=0; peak used: {peak / 1e9:.1f} GFLOP/s"
    )
    print()
    print(
        f"### Training throughput, fit only (training part of epochs 2..{ep}), windows/s: best "
        f"of {args.repeats} processes (median)"
    )
    print()
    print(
        "| cell | plain Keras | rnncli fit | ratio rnncli/plain (best) | ratio by CPU time "
        "| paired ratio (same process) | rnncli fit, determinism off | determinism cost (best "
        "/ CPU) | share of matmul peak (plain / rnncli) | MFLOP per window | epoch 1 s (plain / "
        "rnncli) |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for cell in cells:
        pl, rn, nd = best("plain", cell), best("rnncli", cell), best("rnncli_nodet", cell)
        print(
            f"| {cell} | {both('plain', cell)} | {both('rnncli', cell)} | {rn / pl:.2f} "
            f"| {cpu('rnncli', cell) / cpu('plain', cell):.2f} | {paired(cell):.2f} "
            f"| {both('rnncli_nodet', cell)} | {100 * (1 - rn / nd):+.0f}% / "
            f"{100 * (1 - cpu('rnncli', cell) / cpu('rnncli_nodet', cell)):+.0f}% "
            f"| {share(pl, cell)} / {share(rn, cell)} "
            f"| {flops_per_window(cell, lb, nf, un) / 1e6:.2f} "
            f"| {first_epoch('plain', cell):.2f} / {first_epoch('rnncli', cell):.2f} |"
        )
    val_s = median([median(r["cells"][c]["val_s"][1:]) for r in results["rnncli"] for c in cells])
    print()
    print(
        f"plain Keras ran with oneDNN {results['plain'][0]['onednn']} and determinism off; rnncli "
        f"with oneDNN {r0['onednn']} (TF_ENABLE_ONEDNN_OPTS={r0['env_onednn']}, set by rnncli) "
        f"and determinism {r0['cells'][cells[0]]['determinism']}, on {r0['device']}. Ratio by "
        "CPU time: median training windows per CPU-second (process CPU time, all threads), "
        "rnncli / plain. Paired ratio: both models in one process (rnncli's settings), one epoch "
        "each in turn, median of plain epoch time / rnncli epoch time over rounds 2..E "
        "(contention hits both alike). Determinism cost: 1 - rnncli / rnncli with determinism off "
        f"(negative: faster with it on). rnncli's fit also evaluates the {data['n_val']} "
        f"validation windows each epoch ({val_s:.2f} s/epoch, median), not counted above."
    )
    if not args.no_e2e:
        print()
        print(
            f"### Whole `rnncli train` command (process wall time, median of {args.repeats}, "
            "best in brackets)"
        )
        print()
        print(
            "| cell | `rnncli train` wall s | of which fit s (rnncli.yaml, incl. validation) "
            "| train windows x epochs / wall s | plain Keras script wall s (start + import "
            "+ build + fit) |"
        )
        print("|---|---:|---:|---:|---:|")
        for cell in cells:
            walls = [w for w, _ in e2e[cell]]
            plain = [  # the plain process's wall minus its other cells' build + fit
                r["wall_s"] - sum(v["total_s"] for c, v in r["cells"].items() if c != cell)
                for r in results["plain"]
            ]
            print(
                f"| {cell} | {median(walls):.1f} ({min(walls):.1f}) "
                f"| {median([f for _, f in e2e[cell]]):.1f} "
                f"| {data['n_train'] * ep / median(walls):,.0f} "
                f"| {median(plain):.1f} ({min(plain):.1f}) |"
            )
    if args.explain:
        cell = args.explain_cell
        print()
        print(
            f"### Where a difference could come from ({cell}, one factor at a time; windows/s "
            f"best of {args.repeats} (median))"
        )
        print()
        print(
            "| variant | windows/s | vs plain (best) | windows per CPU-s (median) "
            "| vs plain by CPU | oneDNN | determinism |"
        )
        print("|---|---:|---:|---:|---:|---|---|")
        for label, name, _, _ in EXPLAIN:
            r = results[name][0]
            print(
                f"| {label} | {both(name, cell)} | {best(name, cell) / best('x_plain', cell):.2f} "
                f"| {cpu(name, cell):,.0f} | {cpu(name, cell) / cpu('x_plain', cell):.2f} "
                f"| {r['onednn']} | {r['cells'][cell]['determinism']} |"
            )


if __name__ == "__main__":
    main()
