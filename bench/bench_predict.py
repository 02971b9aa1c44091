"""Cold start and throughput of `rnncli predict` (NumPy engine) against Keras.

    .venv/bin/python bench/bench_predict.py                 # 5 timed runs per command
    .venv/bin/python bench/bench_predict.py --repeats 7
    .venv/bin/python bench/bench_predict.py --model-dir models/prices --m1-model-dir models/m1

Models, trained here into a temporary directory (--model-dir / --m1-model-dir reuse one):

- prices: `rnncli train sample_data/prices.csv --look-back 30 --epochs 2 --ensemble 1
  --out <tmp>/prices --force` (one LSTM of 64 units on the Close price, horizon 1; one
  member, as the minimal Keras script loads one model); data: sample_data/prices.csv.
- M1: a global model of the M1 monthly panel. The CSV is built from
  /work/shared/data/m1_monthly.csv (series_id, t, value, split): the `train` rows only, `t`
  written as month-start dates (t=1 is 1970-01-01 for every series; only the frequency
  matters), the split column dropped: 617 series, 44,892 rows. `rnncli train M1.csv --id-col
  series_id --horizon 18 --min-look-back 12 --epochs 2 --ensemble 1 --out <tmp>/m1 --force`
  (LSTM 64, padded windows with a boolean mask input). Predict: all 617 series x 18 steps.

1. Cold start. Every timed command is a fresh process (cold interpreter; the OS file cache is
   warm: one untimed run of each command comes first). Runs are interleaved command by
   command, the order reversed every other round; tables show the median of --repeats with
   min and max. Peak RSS is the child's maximum resident set, from `/usr/bin/time -f %M`
   (wall time is taken around it: + ~1 ms); without /usr/bin/time, `os.wait4`'s ru_maxrss,
   which on Linux is at least the parent's peak (vfork + exec keeps it), so the bench parent
   imports only the standard library. Commands (stdout to a file, so predict writes CSV):
   - `python -c pass`: the interpreter alone; `rnncli --help`: the CLI without a command.
   - minimal Keras script: `import keras`, `keras.saving.load_model(MODEL_DIR/model.keras)`,
     `model.predict` on N zero windows of the model's input shape (plus an all-True mask when
     the model has a second input): N=1 for prices, N=617 for M1 (the same network work as
     predicting 18 steps of 617 series with horizon 18). TensorFlow's defaults.
   - `rnncli predict MODEL_DIR DATA --engine keras` (TensorFlow + model.keras).
   - `rnncli predict MODEL_DIR DATA` (NumPy engine, the default: weights.npz, no TensorFlow).
   - what-if: the same with pyarrow installed (the `parquet` extra; rnncli's test environment
     has it). Every other rnncli row runs as the default install does, without pyarrow:
     PYTHONPATH puts a `pyarrow` package first whose import raises ImportError, because pandas
     3 imports an installed pyarrow (and pyarrow.compute) with itself, whatever the file.
   "x faster" is the median over rounds of (minimal Keras script wall / this command's wall)
   in the same round.
   Where the time goes: the NumPy predict run in-process by a driver that times
   `import rnncli.cli`, `import rnncli.predict` and wraps the steps of `rnncli.predict.predict`
   (`load`: the model card, `read_data`: the CSV, `prepare`, `load_engine`: weights.npz, the
   engine's `predict`: the network, `forecast` minus the network) before calling
   `rnncli.cli.main()` as the console script does; the rest in process is CLI parsing, rows
   and output. The interpreter's exit is measured: the last statement writes time.time(), the
   parent notes time.time() once the process is gone. Medians of --repeats runs, prices, M1
   and M1 with pyarrow installed interleaved. Under the table, the minimal script's own
   timers (import, load, predict, exit) from the cold runs above.
2. Warm throughput, in process: 100,000 random float32 windows (--windows) of the prices
   model's input shape, forecast by `modeldir.load_engine(m, "numpy").predict(x, None)`,
   `modeldir.load_engine(m, "keras").predict(x, None)` (Keras model.predict, batch 1024) and
   a raw `keras.saving.load_model(...).predict(x, batch_size=1024, verbose=0)`, each warmed
   up on 3,000 windows (Keras traces its predict function), then 3 rounds (--tp-repeats)
   interleaved; median. TensorFlow is imported through rnncli.runtime.tensorflow (as
   `rnncli predict --engine keras` does: oneDNN off). A what-if process repeats the NumPy
   engine and raw Keras with OPENBLAS_NUM_THREADS=1 (NumPy's BLAS single-threaded).
3. TensorFlow check: `python -X importtime -c "...; from rnncli.cli import main; main()"` runs
   each NumPy predict once; its import log is searched for tensorflow, keras and tf_keras
   modules, and the same code counts them in sys.modules after main() (the --engine keras
   predict of prices is the positive control: its log misses them, because rnncli.runtime
   sends fd 2 to /dev/null while TensorFlow imports, so sys.modules is the check that
   counts). The same log gives the cumulative import time of rnncli.cli, typer, rich,
   rnncli.predict, numpy, pandas, yaml and the NumPy engine where each is first imported
   (these runs as the default install: pyarrow hidden).

The header gives nproc, the CPU model, the load average (the machine may be shared: wall
times are then noisy, hence interleaving, medians and paired ratios), and the versions.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
RNNCLI = str(Path(PY).with_name("rnncli"))
PRICES = ROOT / "sample_data" / "prices.csv"
M1_SOURCE = Path("/work/shared/data/m1_monthly.csv")
GNU_TIME = shutil.which("time", path="/usr/bin:/bin")

# What a user writes to run a saved Keras model on N windows: argv model.keras N.
MINIMAL = r"""
import json, sys, time
t0 = time.perf_counter()
import keras
import numpy as np
t1 = time.perf_counter()
model = keras.saving.load_model(sys.argv[1])
t2 = time.perf_counter()
x = np.zeros((int(sys.argv[2]), *model.inputs[0].shape[1:]), dtype="float32")
inputs = [x, np.ones(x.shape[:2], dtype=bool)] if len(model.inputs) == 2 else x
y = model.predict(inputs, verbose=0)
t3 = time.perf_counter()
print(y.shape, float(y.ravel()[0]))
sys.stdout.flush()
print("BENCH " + json.dumps({"import tensorflow + keras": t1 - t0, "load model": t2 - t1,
      "predict": t3 - t2, "last_statement": time.time()}), file=sys.stderr)
"""

# `rnncli predict ...` (argv after the program name) in process, with timers around its steps.
DRIVER = r"""
import json, sys, time
T0 = time.perf_counter()
spent = {}

def timed(name, fn):
    def wrapper(*args, **kwargs):
        t = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            spent[name] = spent.get(name, 0.0) + time.perf_counter() - t
    return wrapper

t = time.perf_counter()
import rnncli.cli
spent["import rnncli.cli"] = time.perf_counter() - t
t = time.perf_counter()
import rnncli.predict as P  # the predict command imports it first thing
spent["import rnncli.predict"] = time.perf_counter() - t
for name in ("load", "read_data", "prepare", "forecast"):
    if hasattr(P, name):
        setattr(P, name, timed(name, getattr(P, name)))
if hasattr(P, "load_engine"):
    _load_engine = timed("load_engine", P.load_engine)
    def load_engine(*args, **kwargs):
        engine = _load_engine(*args, **kwargs)
        cls = type(engine)
        if not getattr(cls.predict, "_bench", False):
            cls.predict = timed("network", cls.predict)
            cls.predict._bench = True
        return engine
    P.load_engine = load_engine
sys.argv = ["rnncli", *sys.argv[1:]]
code = 0
try:
    rnncli.cli.main()
except SystemExit as exc:
    code = exc.code or 0
spent["total"] = time.perf_counter() - T0
spent["tensorflow imported"] = "tensorflow" in sys.modules
sys.stdout.flush()
spent["last_statement"] = time.time()
print("BENCH " + json.dumps(spent), file=sys.stderr)
sys.exit(code)
"""

# Warm throughput: argv model_dir n_windows repeats variant,variant,...; prints JSON.
THROUGHPUT = r"""
import json, os, sys, time
from pathlib import Path
import numpy as np
from rnncli import modeldir
from rnncli.runtime import tensorflow
path, n, repeats, variants = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
model = modeldir.load(path)
run = {}
if "numpy" in variants:
    engine = modeldir.load_engine(model, "numpy")
    run["numpy"] = lambda a: engine.predict(a, None)
tensorflow()  # rnncli's TensorFlow settings (oneDNN off) for both Keras variants
import keras
if "keras_engine" in variants:
    k_engine = modeldir.load_engine(model, "keras")
    run["keras_engine"] = lambda a: k_engine.predict(a, None)
if "keras_raw" in variants:
    raw = keras.saving.load_model(path / "model.keras")
    def raw_predict(a):
        inputs = [a, np.ones(a.shape[:2], dtype=bool)] if len(raw.inputs) == 2 else a
        return raw.predict(inputs, batch_size=1024, verbose=0)
    run["keras_raw"] = raw_predict
spec = model.card.engine.network
shape = (spec.look_back, spec.n_features)
x = np.random.default_rng(0).standard_normal((n, *shape)).astype(np.float32)
out, times = {}, {name: [] for name in run}
for name, fn in run.items():
    out[name] = np.asarray(fn(x[:3000]), dtype=np.float64)  # warm-up: Keras traces here
for _ in range(repeats):
    for name, fn in run.items():
        t = time.perf_counter()
        fn(x)
        times[name].append(time.perf_counter() - t)
names = list(out)
parity = max(float(np.max(np.abs(out[a] - out[names[0]]))) for a in names)
print(json.dumps({"times": times, "parity": parity, "shape": shape,
                  "onednn": os.environ.get("TF_ENABLE_ONEDNN_OPTS"),
                  "openblas_threads": os.environ.get("OPENBLAS_NUM_THREADS")}))
"""

# Versions and settings, from a child (the parent stays small for ru_maxrss).
VERSIONS = r"""
import json, importlib.metadata as md, yaml, numpy
v = {p: md.version(p) for p in ("tensorflow", "keras", "numpy", "pandas", "PyYAML")}
v["libyaml"] = yaml.__with_libyaml__
try:
    blas = numpy.show_config(mode="dicts")["Build Dependencies"]["blas"]
    v["blas"] = f"{blas.get('name')} {blas.get('version')}"
except Exception:
    v["blas"] = "?"
print(json.dumps(v))
"""


@dataclass
class Result:
    wall: float
    rss_mb: float
    stdout: str
    stderr: str
    ended: float  # time.time() once the process is gone


def run(cmd: list[str], env: dict[str, str] | None = None) -> Result:
    """Run `cmd` (stdout/stderr to files), return wall seconds and peak RSS."""
    with (
        tempfile.TemporaryFile("w+") as out,
        tempfile.TemporaryFile("w+") as err,
        tempfile.NamedTemporaryFile("r", suffix=".rss") as rss,
    ):
        full = [GNU_TIME, "-f", "%M", "-o", rss.name, *cmd] if GNU_TIME else cmd
        t = time.perf_counter()
        proc = subprocess.Popen(full, stdout=out, stderr=err, cwd=ROOT, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t
        ended = time.time()
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
        if proc.returncode != 0:
            sys.stderr.write(stderr[-3000:])
            raise SystemExit(f"failed ({proc.returncode}): {' '.join(cmd)}")
        text = Path(rss.name).read_text().strip().splitlines() if GNU_TIME else []
        kb = float(text[-1]) if text and text[-1].isdigit() else float(usage.ru_maxrss)
    return Result(wall, kb / 1024, stdout, stderr, ended)


def bench_json(stderr: str) -> dict[str, Any]:
    line = [x for x in stderr.splitlines() if x.startswith("BENCH ")][-1]
    return json.loads(line[len("BENCH ") :])


def med(values: list[float]) -> float:
    return statistics.median(values)


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def header() -> None:
    v = json.loads(run([PY, "-c", VERSIONS]).stdout)
    nproc = len(os.sched_getaffinity(0))
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"machine: nproc {nproc} (cpu_count {os.cpu_count()}), {cpu_model()}, load average "
        f"{load} | Python {platform.python_version()}, TensorFlow {v['tensorflow']}, Keras "
        f"{v['keras']}, NumPy {v['numpy']} ({v['blas']}), pandas {v['pandas']}, PyYAML "
        f"{v['PyYAML']} (libyaml {v['libyaml']}) | peak RSS via "
        f"{'/usr/bin/time -f %M' if GNU_TIME else 'os.wait4 ru_maxrss'}"
    )


def build_m1_csv(target: Path) -> tuple[int, int]:
    """The `train` rows of the M1 panel with month-start dates; (series, rows) written."""
    ids, rows = set(), 0
    with M1_SOURCE.open(newline="") as src, target.open("w", newline="") as dst:
        writer = csv.writer(dst)
        writer.writerow(["series_id", "t", "value"])
        for row in csv.DictReader(src):
            if row["split"] != "train":
                continue
            k = int(row["t"]) - 1
            writer.writerow(
                [row["series_id"], f"{1970 + k // 12:04d}-{k % 12 + 1:02d}-01", row["value"]]
            )
            ids.add(row["series_id"])
            rows += 1
    return len(ids), rows


def mask_input(model_dir: Path) -> str:
    """Whether the model card says the network takes a mask input (read as text: no yaml)."""
    card = (model_dir / "rnncli.yaml").read_text(encoding="utf-8")
    return "mask input" if re.search(r"^\s*masked: true\s*$", card, re.M) else "no mask input"


def train(cmd: list[str]) -> None:
    result = run([RNNCLI, "train", *cmd, "--quiet"])
    print(f"trained in {result.wall:.1f} s: rnncli train {' '.join(cmd)}", flush=True)


def cold(commands: dict[str, list[str]], repeats: int, label: str) -> dict[str, list[Result]]:
    """Interleaved cold runs: one untimed warm-up round, then `repeats` timed rounds."""
    results: dict[str, list[Result]] = {name: [] for name in commands}
    names = list(commands)
    for rep in range(repeats + 1):
        for name in names if rep % 2 == 0 else names[::-1]:
            result = run(commands[name])
            if rep:
                results[name].append(result)
        print(f"  {label}: round {rep} done" + ("" if rep else " (warm-up, untimed)"), flush=True)
    return results


def cold_table(results: dict[str, list[Result]], reference: str, compare: tuple[str, ...]) -> None:
    print("| command | median s | min s | max s | peak RSS MB | × faster than minimal Keras |")
    print("|---|---:|---:|---:|---:|---:|")
    ref = [r.wall for r in results[reference]]
    for name, rs in results.items():
        walls = [r.wall for r in rs]
        if name in compare:
            speed = f"{med([a / b for a, b in zip(ref, walls, strict=True)]):.1f}×"
        else:
            speed = "1 (reference)" if name == reference else "-"
        print(
            f"| {name} | {med(walls):.2f} | {min(walls):.2f} | {max(walls):.2f} "
            f"| {med([r.rss_mb for r in rs]):.0f} | {speed} |"
        )


def goal_line(results: dict[str, list[Result]], reference: str, numpy_row: str) -> str:
    ref = [r.wall for r in results[reference]]
    walls = [r.wall for r in results[numpy_row]]
    speed = med([a / b for a, b in zip(ref, walls, strict=True)])
    rss = med([r.rss_mb for r in results[numpy_row]])
    checks = [
        (f"{speed:.1f}× faster than the minimal Keras script (goal ≥ 8×)", speed >= 8),
        (f"median {med(walls):.2f} s (goal ≤ ~0.6 s)", med(walls) <= 0.6),
        (f"peak RSS {rss:.0f} MB (goal < 150 MB)", rss < 150),
    ]
    return "; ".join(f"{text}: {'met' if ok else 'NOT met'}" for text, ok in checks)


def read_forecast(text: str) -> list[float]:
    rows = list(csv.reader(text.splitlines()))
    return [float(r[-1]) for r in rows[1:]]


def agreement(a: Result, b: Result) -> str:
    x, y = read_forecast(a.stdout), read_forecast(b.stdout)
    if len(x) != len(y):
        return f"DIFFERENT row counts ({len(x)} vs {len(y)})"
    rel = max((abs(p - q) / max(abs(q), 1e-12) for p, q in zip(x, y, strict=True)), default=0.0)
    return f"{len(x)} forecast rows each, largest relative difference {rel:.1e}"


def breakdown(commands: dict[str, list[str]], repeats: int) -> dict[str, list[dict[str, Any]]]:
    """The NumPy predicts run by DRIVER, interleaved, `repeats` times each.

    A command may start with `env VAR=value`: the driver then runs with that variable set.
    """
    steps: dict[str, list[dict[str, Any]]] = {name: [] for name in commands}
    for _ in range(repeats):
        for name, cmd in commands.items():
            env, argv = None, cmd
            if cmd[0] == "env":
                var, value = cmd[1].split("=", 1)
                env, argv = {**os.environ, var: value}, cmd[2:]
            result = run([PY, "-c", DRIVER, *argv[1:]], env=env)
            spent = bench_json(result.stderr)
            spent["exit"] = result.ended - spent.pop("last_statement")
            spent["wall"] = result.wall
            steps[name].append(spent)
    return steps


def breakdown_table(steps: dict[str, list[dict[str, Any]]], start: float) -> None:
    def m(name: str, key: str) -> float:
        return med([float(s.get(key, 0.0)) for s in steps[name]])

    def rest(name: str, key: str) -> float:
        covered = ("import rnncli.cli", "import rnncli.predict", "load", "read_data", "prepare")
        covered += ("load_engine", "forecast")
        return m(name, key) - sum(m(name, k) for k in covered)

    def process_rest(name: str) -> float:
        return m(name, "wall") - m(name, "total") - m(name, "exit")

    rows: list[tuple[str, Any]] = [
        ("interpreter start (`python -c pass`, table above)", lambda n: start),
        ("`import rnncli.cli` (typer, rich, ...)", lambda n: m(n, "import rnncli.cli")),
        (
            "`import rnncli.predict` (numpy, pandas, yaml, ...)",
            lambda n: m(n, "import rnncli.predict"),
        ),
        ("model card: `modeldir.load` (rnncli.yaml)", lambda n: m(n, "load")),
        ("read the CSV: `prepare.read_data`", lambda n: m(n, "read_data")),
        ("`prepare.prepare` (checks, scaling)", lambda n: m(n, "prepare")),
        ("`modeldir.load_engine` (weights.npz)", lambda n: m(n, "load_engine")),
        ("network: `NumpyEngine.predict`", lambda n: m(n, "network")),
        ("rest of `forecast` (windows, times, back to original units, table)", None),
        ("rest in process (CLI parsing, rows, CSV output)", lambda n: rest(n, "total")),
        ("sum in process", lambda n: m(n, "total")),
        ("interpreter exit (last statement -> process gone)", lambda n: m(n, "exit")),
        ("start + unaccounted (wall - in process - exit)", process_rest),
        ("process wall of these driver runs", lambda n: m(n, "wall")),
    ]
    names = list(steps)
    print("| step (median s) | " + " | ".join(names) + " |")
    print("|---|" + "---:|" * len(names))
    for label, fn in rows:
        if fn is None:
            cells = [f"{m(n, 'forecast') - m(n, 'network'):.3f}" for n in names]
        else:
            cells = [f"{fn(n):.3f}" for n in names]
        print(f"| {label} | " + " | ".join(cells) + " |")
    tf = {n: any(s.get("tensorflow imported") for s in steps[n]) for n in names}
    print()
    print(
        "TensorFlow in sys.modules after the driver's NumPy predict: "
        + ", ".join(f"{n}: {v}" for n, v in tf.items())
        + "."
    )


def throughput(model_dir: Path, n: int, repeats: int) -> list[dict[str, Any]]:
    """Two worker processes: rnncli's settings, then the OPENBLAS_NUM_THREADS=1 what-if."""
    common = [PY, "-c", THROUGHPUT, str(model_dir), str(n), str(repeats)]
    out = []
    for variants, env, label in (
        ("numpy,keras_engine,keras_raw", None, ""),
        ("numpy,keras_raw", {**os.environ, "OPENBLAS_NUM_THREADS": "1"}, "OPENBLAS_NUM_THREADS=1"),
    ):
        result = run([*common, variants], env=env)
        out.append({**json.loads(result.stdout.strip().splitlines()[-1]), "label": label})
        print(f"  throughput done{': ' + label if label else ''}", flush=True)
    return out


def throughput_table(data: list[dict[str, Any]], n: int, repeats: int) -> None:
    look_back, n_features = data[0]["shape"]
    print(
        f"### 2. Warm throughput, in process: {n:,} random windows ({look_back}×{n_features}) "
        f"of the prices model, median of {repeats} (goal: the NumPy engine no slower than Keras)"
    )
    print()
    print("| engine | median s | min s | max s | windows/s | NumPy engine's speed ÷ this |")
    print("|---|---:|---:|---:|---:|---:|")
    labels = {
        "numpy": '`modeldir.load_engine(m, "numpy").predict(x, None)`',
        "keras_engine": '`modeldir.load_engine(m, "keras").predict(x, None)` (batches of 1024)',
        "keras_raw": "raw `keras.saving.load_model(...).predict(x, batch_size=1024)`",
    }
    verdict = []
    for proc in data:
        suffix = f" — what-if process, {proc['label']}" if proc["label"] else ""
        ref = proc["times"]["numpy"]
        for name, times in proc["times"].items():
            ratio = med([t / r for t, r in zip(times, ref, strict=True)])
            cell = "1 (reference)" if name == "numpy" else f"{ratio:.2f}"
            print(
                f"| {labels[name]}{suffix} | {med(times):.2f} | {min(times):.2f} "
                f"| {max(times):.2f} | {n / med(times):,.0f} | {cell} |"
            )
            if name != "numpy":
                verdict.append((name + (f" ({proc['label']})" if proc["label"] else ""), ratio))
    print()
    print(
        "Goal check (NumPy no slower: ratio ≥ 1): "
        + "; ".join(f"vs {k}: {r:.2f} {'met' if r >= 1 else 'NOT met'}" for k, r in verdict)
        + ". Largest |difference| between the engines' forecasts (3,000 windows): "
        + ", ".join(f"{p['parity']:.1e}" for p in data)
        + f"; TF_ENABLE_ONEDNN_OPTS={data[0]['onednn']} (set by rnncli.runtime)."
    )


TF_PACKAGES = ("tensorflow", "keras", "tf_keras")
IMPORT_NAMES = ("rnncli.cli", "typer", "rich", "rnncli.predict", "numpy", "pandas", "yaml")
IMPORT_NAMES += ("rnncli.engine.numpy_engine",)


def import_check(
    commands: dict[str, list[str]], control: list[str], env: dict[str, str] | None = None
) -> None:
    """`python -X importtime` of each command in process; the log and sys.modules searched."""

    def modules(cmd: list[str]) -> tuple[list[str], int, dict[str, float]]:
        code = (
            f"import sys; sys.argv = {['rnncli', *cmd[1:]]!r}\n"
            "from rnncli.cli import main\n"
            "try:\n    main()\nfinally:\n"
            f"    n = sum(m.split('.')[0] in {TF_PACKAGES!r} for m in sys.modules)\n"
            "    print(f'BENCH {n}', file=sys.stderr)"
        )
        result = run([PY, "-X", "importtime", "-c", code], env=env)
        logged, first = [], {}
        for line in result.stderr.splitlines():
            parts = line[len("import time:") :].split("|")
            if not line.startswith("import time:") or len(parts) != 3:
                continue
            name = parts[2].strip()
            if name.split(".")[0] in TF_PACKAGES:
                logged.append(name)
            if name in IMPORT_NAMES and name not in first and parts[1].strip().isdigit():
                first[name] = int(parts[1]) / 1e6  # cumulative, where first imported
        in_modules = int(bench_json(result.stderr))
        return logged, in_modules, {n: first[n] for n in IMPORT_NAMES if n in first}

    found = {name: modules(cmd) for name, cmd in commands.items()}
    control_logged, control_modules, _ = modules(control)
    print(
        "TensorFlow check (one `python -X importtime` run each; modules of tensorflow, keras, "
        "tf_keras in the import log / in sys.modules at exit): "
        + "; ".join(
            f"`rnncli predict` (numpy) {name}: {len(logged)} / {n}"
            + (f" (first: {logged[0]})" if logged else "")
            for name, (logged, n, _) in found.items()
        )
        + f"; control, prices `--engine keras`: {len(control_logged)} / {control_modules}"
        + (
            " (rnncli.runtime sends fd 2 to /dev/null while TensorFlow imports, which hides "
            "those lines of the import log: sys.modules is the check that counts)"
            if control_modules and len(control_logged) < control_modules
            else ""
        )
        + "."
    )
    for name, (_, _, first) in found.items():
        print(
            f"Imports of the NumPy predict, {name} (`-X importtime` cumulative s, where first "
            "imported): " + ", ".join(f"{mod} {sec:.2f}" for mod, sec in first.items())
        )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--repeats", type=int, default=5, help="timed cold runs per command")
    p.add_argument("--model-dir", type=Path, help="prices model directory to use (no training)")
    p.add_argument("--m1-model-dir", type=Path, help="M1 model directory to use (no training)")
    p.add_argument("--windows", type=int, default=100_000, help="windows for the throughput")
    p.add_argument("--tp-repeats", type=int, default=3, help="timed throughput rounds")
    args = p.parse_args()
    t_start = time.perf_counter()

    header()
    with tempfile.TemporaryDirectory(prefix="bench_predict_") as tmpdir:
        tmp = Path(tmpdir)
        prices = args.model_dir
        if prices is None:
            prices = tmp / "prices"
            train(
                [
                    str(PRICES),
                    "--look-back",
                    "30",
                    "--epochs",
                    "2",
                    "--ensemble",
                    "1",
                    "--out",
                    str(prices),
                    "--force",
                ]
            )
        m1_csv = tmp / "M1.csv"
        n_series, n_rows = build_m1_csv(m1_csv)
        m1 = args.m1_model_dir
        if m1 is None:
            m1 = tmp / "m1"
            flags = ["--id-col", "series_id", "--horizon", "18", "--min-look-back", "12"]
            train(
                [
                    str(m1_csv),
                    *flags,
                    "--epochs",
                    "2",
                    "--ensemble",
                    "1",
                    "--out",
                    str(m1),
                    "--force",
                ]
            )

        minimal = "minimal Keras script (load model.keras + predict {} window{})"
        ref_p, ref_m = minimal.format(1, ""), minimal.format(n_series, "s")
        hidden = tmp / "no_pyarrow" / "pyarrow"
        hidden.mkdir(parents=True)
        (hidden / "__init__.py").write_text(
            'raise ImportError("hidden by bench_predict: the default install has no pyarrow")\n'
        )
        default = ["env", f"PYTHONPATH={hidden.parent}"]  # as installed without the extra
        what_if = "what-if: `rnncli predict{}` (numpy) with pyarrow installed (`parquet` extra)"
        p_numpy = [RNNCLI, "predict", str(prices), str(PRICES)]
        prices_cmds = {
            "`python -c pass`": [PY, "-c", "pass"],
            "`rnncli --help`": [*default, RNNCLI, "--help"],
            ref_p: [PY, "-c", MINIMAL, str(prices / "model.keras"), "1"],
            "`rnncli predict --engine keras`": [*default, *p_numpy, "--engine", "keras"],
            "`rnncli predict` (numpy, default)": [*default, *p_numpy],
            what_if.format(""): p_numpy,
        }
        m_numpy = [RNNCLI, "predict", str(m1), str(m1_csv), "--steps", "18"]
        m1_cmds = {
            ref_m: [PY, "-c", MINIMAL, str(m1 / "model.keras"), str(n_series)],
            "`rnncli predict --steps 18 --engine keras`": [*default, *m_numpy, "--engine", "keras"],
            "`rnncli predict --steps 18` (numpy, default)": [*default, *m_numpy],
            what_if.format(" --steps 18"): m_numpy,
        }
        prices_res = cold(prices_cmds, args.repeats, "prices cold start")
        m1_res = cold(m1_cmds, args.repeats, "M1 cold start")
        steps = breakdown(
            {
                "prices": [*default, *p_numpy],
                "M1": [*default, *m_numpy],
                "M1, pyarrow installed": m_numpy,
            },
            args.repeats,
        )
        print("  breakdown done", flush=True)
        tp = throughput(prices, args.windows, args.tp_repeats)

        print()
        print(
            f"### 1a. Cold start, prices model (LSTM 64, look-back 30, horizon 1, "
            f"{mask_input(prices)}; "
            f"{PRICES.name}, 750 rows): one fresh process per run, median of {args.repeats} "
            f"(goal: `rnncli predict` ≥ 8× faster than the minimal Keras script, ≤ ~0.6 s, "
            f"peak RSS < 150 MB)"
        )
        print()
        names = list(prices_cmds)
        cold_table(prices_res, ref_p, tuple(names[3:]))
        print()
        print("Goal check: " + goal_line(prices_res, ref_p, names[4]) + ".")
        print(
            "NumPy vs Keras engine output: "
            + agreement(prices_res[names[4]][0], prices_res[names[3]][0])
            + "."
        )
        print()
        print(
            f"### 1b. Cold start, global M1 model ({n_series} series, LSTM 64, look-back 30, "
            f"horizon 18, {mask_input(m1)}; M1.csv, {n_rows:,} rows): all {n_series} series × 18 "
            f"steps, median of {args.repeats}"
        )
        print()
        names = list(m1_cmds)
        cold_table(m1_res, ref_m, tuple(names[1:]))
        print()
        print("The 1a goals, for reference: " + goal_line(m1_res, ref_m, names[2]) + ".")
        print(
            "NumPy vs Keras engine output: "
            + agreement(m1_res[names[2]][0], m1_res[names[1]][0])
            + f"; model card rnncli.yaml {(m1 / 'rnncli.yaml').stat().st_size / 1024:.0f} KiB, "
            f"weights.npz {(m1 / 'weights.npz').stat().st_size / 1024:.0f} KiB."
        )
        print()
        start = med([r.wall for r in prices_res["`python -c pass`"]])
        print(
            "### 1c. Where the time goes in `rnncli predict` (numpy): in-process timers, "
            f"median of {args.repeats}"
        )
        print()
        breakdown_table(steps, start)
        for label, rs in ((ref_p, prices_res), (ref_m, m1_res)):
            own = [bench_json(r.stderr) for r in rs[label]]
            exits = [r.ended - o["last_statement"] for r, o in zip(rs[label], own, strict=True)]
            timers = [k for k in own[0] if k != "last_statement"]
            print(
                f"{label}, its own timers (median s): "
                + ", ".join(f"{k} {med([o[k] for o in own]):.2f}" for k in timers)
                + f"; interpreter exit {med(exits):.2f}."
            )
        print()
        throughput_table(tp, args.windows, args.tp_repeats)
        print()
        import_check(
            {"prices": p_numpy, "M1": m_numpy},
            [*p_numpy, "--engine", "keras"],
            {**os.environ, "PYTHONPATH": str(hidden.parent)},
        )
        print()
        print(
            f"bench wall time: {time.perf_counter() - t_start:.0f} s; load average at the end "
            + ", ".join(f"{x:.1f}" for x in os.getloadavg())
            + "."
        )


if __name__ == "__main__":
    main()
