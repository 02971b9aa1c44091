"""Cold start of `rnncli predict` against a minimal Keras script, and where the time goes.

    .venv/bin/python bench/bench_predict.py              # 3 timed runs per command
    .venv/bin/python bench/bench_predict.py --repeats 5

Model: trained here, `rnncli train sample_data/prices.csv --look-back 30 --epochs 2
--out <tmp>/prices --force` (one LSTM of 64 units on the Close price; --model-dir uses an
existing model directory instead). Data: sample_data/prices.csv (750 daily rows).

Every timed command is a fresh Python process (cold interpreter; the OS file cache is
warm: one untimed run of each command comes first). The runs are interleaved command by
command and the table shows the median of --repeats (min and max beside it):

- `python -c pass`: the interpreter alone.
- `python -c "import tensorflow"`: TensorFlow's import alone (TensorFlow's defaults).
- `rnncli --help`: must not import TensorFlow (checked: see the note under the table).
- minimal Keras script: `import keras`, `keras.saving.load_model(MODEL_DIR/model.keras)`,
  `model.predict` on one window of the model's input shape: what any predict must do.
- `rnncli predict MODEL_DIR DATA --format csv` (stdout captured).
- what-if: the same predict run by the driver below with `gc.freeze()` called after the
  command, before the interpreter exits: Python's final garbage collection then skips the
  objects TensorFlow and Keras created at import (it otherwise walks them all at exit).

Where the time goes: the same predict command run in-process by a small driver that times
the imports and wraps the steps that are not rnncli's own with timers (`runtime.tensorflow`
+ `import keras`, `keras.saving.load_model`, `data.load_panel`, `keras.Model.predict` and
`predict_on_batch`), then calls `rnncli.cli.main()` as the console script does; what the
timers do not cover is rnncli's own work (CLI parsing, rnncli.yaml, windows, scaling, rows,
output). The minimal script times its own steps. Medians of --repeats runs of each. The
interpreter's exit is measured directly: the process's last statement writes time.time(),
the parent notes time.time() when the process is gone. `python -X importtime` lists the
biggest imports.
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
DATA = ROOT / "sample_data" / "prices.csv"
FREEZE_ENV = {**os.environ, "BENCH_GC_FREEZE": "1"}

# The minimal script: what a user writes to run a saved Keras model on one window.
MINIMAL = r"""
import json, sys, time
t0 = time.perf_counter()
import tensorflow
t1 = time.perf_counter()
import keras
import numpy as np
t2 = time.perf_counter()
model = keras.saving.load_model(sys.argv[1])
t3 = time.perf_counter()
x = np.zeros((1, *model.inputs[0].shape[1:]), dtype="float32")
y = model.predict(x, verbose=0)
t4 = time.perf_counter()
y = model.predict(x, verbose=0)
t5 = time.perf_counter()
print(y.ravel().tolist())
print(json.dumps({"import tensorflow": t1 - t0, "import keras": t2 - t1,
                  "load model": t3 - t2, "predict (1st call)": t4 - t3,
                  "predict (2nd call)": t5 - t4, "last_statement": time.time()}),
      file=sys.stderr)
"""

# Runs `rnncli predict` in-process with timers around the steps that are not rnncli's own.
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
spent["import rnncli CLI (typer, rich, ...)"] = time.perf_counter() - t
t = time.perf_counter()
import rnncli.predict  # the predict command imports it first thing
from rnncli import runtime, data
spent["import rnncli.predict (pandas, numpy, yaml, ...)"] = time.perf_counter() - t

def tf_and_keras():
    tf = runtime_tensorflow()
    import keras  # imported right after TensorFlow by every command that needs it
    _wrap_keras(keras)
    return tf

def _wrap_keras(keras, _done=[]):
    if _done:
        return
    _done.append(1)
    keras.saving.load_model = timed("load model.keras", keras.saving.load_model)
    for name in ("predict", "predict_on_batch"):
        setattr(keras.Model, name, timed("Model.predict", getattr(keras.Model, name)))

runtime_tensorflow = runtime.tensorflow
runtime.tensorflow = timed("import TensorFlow + Keras", tf_and_keras)
load_panel = timed("read CSV (data.load_panel)", data.load_panel)
for mod in list(sys.modules.values()):  # every rnncli module that imported load_panel
    if getattr(mod, "__name__", "").startswith("rnncli") and hasattr(mod, "load_panel"):
        mod.load_panel = load_panel
sys.argv = ["rnncli", *sys.argv[1:]]
code = 0
try:
    rnncli.cli.main()
except SystemExit as exc:
    code = exc.code or 0
spent["total in process"] = time.perf_counter() - T0
spent["tensorflow imported"] = "tensorflow" in sys.modules
sys.stdout.flush()
if __import__("os").environ.get("BENCH_GC_FREEZE"):
    import gc
    gc.freeze()  # what-if: the final collection at exit then skips TF's and Keras's objects
spent["last_statement"] = time.time()
print("BENCH " + json.dumps(spent), file=sys.stderr)
sys.exit(code)
"""


def run(
    cmd: list[str], env: dict[str, str] | None = None
) -> tuple[float, subprocess.CompletedProcess]:
    t = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT)
    wall = time.perf_counter() - t
    proc.ended = time.time()  # type: ignore[attr-defined]  # wall clock, for the exit time
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr[-3000:])
        raise SystemExit(f"failed ({proc.returncode}): {' '.join(cmd)}")
    return wall, proc


def has_predict() -> bool:
    proc = subprocess.run([RNNCLI, "--help"], capture_output=True, text=True, cwd=ROOT)
    return any(line.strip().startswith("predict") for line in proc.stdout.splitlines())


def help_imports_tensorflow() -> bool:
    code = (
        "import sys; sys.argv = ['rnncli', '--help']\n"
        "import rnncli.cli\n"
        "try:\n    rnncli.cli.main()\nexcept SystemExit:\n    pass\n"
        "print('tensorflow' in sys.modules, file=sys.stderr)"
    )
    proc = subprocess.run([PY, "-c", code], capture_output=True, text=True, cwd=ROOT)
    return proc.stderr.strip().splitlines()[-1] == "True"


def top_imports(cmd: list[str], names: tuple[str, ...]) -> dict[str, float]:
    """Cumulative `python -X importtime` seconds of modules `names` (where first imported)."""
    proc = subprocess.run([PY, "-X", "importtime", *cmd], capture_output=True, text=True, cwd=ROOT)
    out: dict[str, float] = {}
    for line in proc.stderr.splitlines():
        parts = line[len("import time:") :].split("|")
        if not line.startswith("import time:") or len(parts) != 3:
            continue
        name = parts[2].strip()
        if name in names and name not in out and parts[1].strip().isdigit():
            out[name] = int(parts[1]) / 1e6
    return {n: out[n] for n in names if n in out}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--model-dir", type=Path, help="use this model directory (no training)")
    p.add_argument("--data", type=Path, default=DATA)
    args = p.parse_args()

    predict_ok = has_predict()
    with tempfile.TemporaryDirectory(prefix="bench_predict_") as tmpdir:
        model_dir = args.model_dir
        if model_dir is None:
            model_dir = Path(tmpdir) / "prices"
            cmd = [RNNCLI, "train", str(DATA), "--look-back", "30", "--epochs", "2",
                   "--out", str(model_dir), "--force", "--quiet"]  # fmt: skip
            wall, _ = run(cmd)
            print(f"trained the sample model in {wall:.1f} s: {' '.join(cmd[1:])}", flush=True)
        keras_file = model_dir / "model.keras"
        commands: dict[str, list[str]] = {
            "`python -c pass` (interpreter start)": [PY, "-c", "pass"],
            '`python -c "import tensorflow"`': [PY, "-c", "import tensorflow"],
            "`rnncli --help`": [RNNCLI, "--help"],
            "minimal Keras script (load_model + predict 1 window)": [
                PY,
                "-c",
                MINIMAL,
                str(keras_file),
            ],
        }
        predict_cmd = [RNNCLI, "predict", str(model_dir), str(args.data), "--format", "csv"]
        if predict_ok:
            commands["`rnncli predict MODEL_DIR DATA --format csv`"] = predict_cmd
        walls: dict[str, list[float]] = {k: [] for k in commands}
        minimal_steps: list[dict[str, float]] = []
        driver_steps: list[dict[str, Any]] = []
        freeze_walls: list[float] = []
        freeze_exits: list[float] = []
        for rep in range(args.repeats + 1):  # the first round warms the file cache, untimed
            for name, cmd in commands.items():
                wall, proc = run(cmd)
                if rep == 0:
                    continue
                walls[name].append(wall)
                if cmd[-1] == str(keras_file):
                    steps = json.loads(proc.stderr.strip().splitlines()[-1])
                    steps["exit"] = proc.ended - steps.pop("last_statement")
                    minimal_steps.append(steps)
            if predict_ok and rep > 0:
                for env in (None, FREEZE_ENV):
                    wall, proc = run([PY, "-c", DRIVER, *predict_cmd[1:]], env=env)
                    line = [x for x in proc.stderr.splitlines() if x.startswith("BENCH ")][-1]
                    steps = json.loads(line[len("BENCH ") :])
                    steps["exit"] = proc.ended - steps.pop("last_statement")
                    steps["wall"] = wall
                    if env is None:
                        driver_steps.append(steps)
                    else:
                        freeze_walls.append(wall)
                        freeze_exits.append(steps["exit"])
            print(f"  round {rep} done" + (" (warm-up, untimed)" if rep == 0 else ""), flush=True)

        print()
        print(
            f"### Cold start, one fresh process per run (median of {args.repeats}; OS file "
            "cache warm)"
        )
        print()
        print("| command | median s | min s | max s |")
        print("|---|---:|---:|---:|")
        if freeze_walls:
            walls["what-if: the same predict with `gc.freeze()` before exit (bench driver)"] = (
                freeze_walls
            )
        for name, values in walls.items():
            print(
                f"| {name} | {statistics.median(values):.2f} | {min(values):.2f} "
                f"| {max(values):.2f} |"
            )
        print()
        print(
            f"`rnncli --help` imports TensorFlow: {help_imports_tensorflow()}. "
            f"Model: {model_dir.name} ({keras_file.stat().st_size / 1024:.0f} KiB model.keras); "
            f"data: {args.data.name}."
        )
        if not predict_ok:
            print()
            print(
                "`rnncli predict` is not in this rnncli yet (not listed by `rnncli --help`): "
                "its rows are left out; the bench runs them once it exists."
            )
            return

        def med(rows: list[dict[str, Any]], key: str) -> float:
            return statistics.median(float(r.get(key, 0.0)) for r in rows)

        start = statistics.median(walls["`python -c pass` (interpreter start)"])
        pred_wall = statistics.median(walls["`rnncli predict MODEL_DIR DATA --format csv`"])
        mini_wall = statistics.median(walls["minimal Keras script (load_model + predict 1 window)"])
        keys = [
            "import rnncli CLI (typer, rich, ...)",
            "import TensorFlow + Keras",
            "load model.keras",
            "read CSV (data.load_panel)",
            "Model.predict",
            "import rnncli.predict (pandas, numpy, yaml, ...)",
        ]
        covered = sum(med(driver_steps, k) for k in keys)
        total = med(driver_steps, "total in process")
        mini = {k: med(minimal_steps, k) for k in minimal_steps[0]}
        mini_total = sum(v for k, v in mini.items() if k != "exit")
        print()
        print(f"### Where the time goes (median of {args.repeats} in-process timings, s)")
        print()
        print("| step | rnncli predict | minimal Keras script |")
        print("|---|---:|---:|")
        print(f"| interpreter start (`python -c pass`) | {start:.2f} | {start:.2f} |")
        print(f"| import rnncli CLI (typer, rich, ...) | {med(driver_steps, keys[0]):.2f} | - |")
        print(
            f"| import rnncli.predict (pandas, numpy, yaml, ...) "
            f"| {med(driver_steps, keys[5]):.2f} | - |"
        )
        print(
            f"| import TensorFlow + Keras | {med(driver_steps, keys[1]):.2f} "
            f"| {mini['import tensorflow'] + mini['import keras']:.2f} |"
        )
        print(f"| load model.keras | {med(driver_steps, keys[2]):.2f} | {mini['load model']:.2f} |")
        print(f"| read CSV (pandas, via data.load_panel) | {med(driver_steps, keys[3]):.2f} | - |")
        print(
            "| model call, first (rnncli: predict_on_batch, or predict past 1,024 windows; "
            f"script: predict; trace + compute) | {med(driver_steps, keys[4]):.2f} "
            f"| {mini['predict (1st call)']:.2f} |"
        )
        print(
            f"| (Model.predict, second call: compute only) | - | {mini['predict (2nd call)']:.2f} |"
        )
        print(
            "| rnncli's own (the rest: CLI, rnncli.yaml, windows, scaling, output) "
            f"| {total - covered:.2f} | - |"
        )
        print(f"| sum in process | {total:.2f} | {mini_total:.2f} |")
        print(
            "| interpreter exit (measured: last statement -> process gone) "
            f"| {med(driver_steps, 'exit'):.2f} | {mini['exit']:.2f} |"
        )
        print(
            f"| (what-if: exit after `gc.freeze()`) | {statistics.median(freeze_exits):.2f} | - |"
        )
        print(
            "| unaccounted (wall - start - in process - exit) "
            f"| {med(driver_steps, 'wall') - start - total - med(driver_steps, 'exit'):.2f} "
            f"| {mini_wall - start - mini_total - mini['exit']:.2f} |"
        )
        print(
            f"| process wall of these runs (rnncli: the driver's; its own runs: {pred_wall:.2f} "
            f"above) | {med(driver_steps, 'wall'):.2f} | {mini_wall:.2f} |"
        )
        print()
        cli = top_imports(
            ["-c", "import rnncli.cli"],
            ("rnncli.cli", "typer", "rnncli.cli.render", "rich.console"),
        )
        tf = top_imports(
            ["-c", "import tensorflow"],
            ("tensorflow", "keras._tf_keras", "matplotlib.pyplot", "pandas", "numpy"),
        )
        print(
            "`python -X importtime`, cumulative s (one run each): `import rnncli.cli`: "
            + ", ".join(f"{k} {v:.2f}" for k, v in cli.items())
            + "; `import tensorflow`: "
            + ", ".join(f"{k} {v:.2f}" for k, v in tf.items())
            + " (Keras, matplotlib.pyplot and pandas are imported by TensorFlow's import)"
        )


if __name__ == "__main__":
    main()
