"""Time and peak memory of rnncli's windowing against a Python loop and Keras.

    .venv/bin/python bench/bench_ingest.py             # ~1,000,000 rows x 8 columns
    .venv/bin/python bench/bench_ingest.py --rows 50000

Data: the numeric columns of sample_data's half-hourly Victoria electricity
demand (52,608 rows: demand, temperature, holiday) plus lagged copies of
demand and temperature (8 columns), tiled end to end to --rows rows, float32.

Methods, all making x (n_windows, look_back, 8) and y (n_windows, 1, 1) with
horizon 1 and target = demand:

- loop: `for i in range(n): x[i] = values[i:i+L]; y[i] = ...` into preallocated arrays
- keras: `keras.utils.timeseries_dataset_from_array` iterated with a large batch and
  copied batch by batch into preallocated NumPy arrays (no list + concatenate, so no
  second full copy)
- rnncli windows: `rnncli.windows.origins` + `history` + `targets`, what `ingest` uses:
  without padding and with evenly spaced origins they are read-only strided views of the
  series (no copy); the "materialised" row copies them into one contiguous array
- rnncli dataset.build: the whole split (80/10/10) + standard scaling + windowing step
  on a `Panel` of one series, as `ingest` runs it after reading the CSV

Each method runs in its own subprocess. Peak memory is the extra resident
memory at the method's high-water mark: once the worker has its imports and
input loaded, its peak RSS is reset (`5 > /proc/self/clear_refs`) and its
current RSS noted; peak = VmHWM after the method minus that RSS. (Plain
`ru_maxrss` would be wrong here: after fork + exec it starts at the parent's
size.) Linux only.

Every method's x and y are written to a temporary folder (about 8 GiB at full
size) and compared with the loop's by np.array_equal; dataset.build's x is
standardised, so it is compared with the loop's x standardised elementwise by
build's own scaler.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
CSV = Path("/work/shared/data/vic_elec_halfhourly.csv")
if not CSV.exists():
    CSV = ROOT / "sample_data" / "vic_elec_halfhourly.csv"
LOOK_BACK = 64
HORIZON = 1
N_TARGETS = 1
MIB = 1024 * 1024
KERAS_BATCH = 65536

METHODS = {
    "loop": "Python loop (preallocated)",
    "keras": "keras timeseries_dataset_from_array -> NumPy",
    "windows": "rnncli windows.history + targets (strided view)",
    "windows_copy": "rnncli windows, materialised (np.array of the view)",
    "build": "rnncli dataset.build (split+scale+window)",
}

# (column, lag in half-hours): 3 numeric columns + 5 lagged copies = 8 columns
LAGS = (
    ("demand_mw", 0),
    ("temperature_c", 0),
    ("holiday", 0),
    ("demand_mw", 1),
    ("demand_mw", 48),
    ("demand_mw", 336),
    ("temperature_c", 1),
    ("temperature_c", 48),
)


def make_values(rows: int) -> tuple[np.ndarray, str]:
    """(rows, 8) float32 from the real series; a description for the output."""
    import pandas as pd

    df = pd.read_csv(CSV)
    max_lag = max(lag for _, lag in LAGS)
    cols = []
    for name, lag in LAGS:
        col = df[name].astype(np.float64).to_numpy()
        cols.append(col[max_lag - lag : len(col) - lag])  # row r holds the value `lag` steps back
    base = np.stack(cols, axis=1).astype(np.float32)
    copies = -(-rows // len(base))
    values = np.ascontiguousarray(np.tile(base, (copies, 1))[:rows])
    lagged = ", ".join(f"{n} lag {lag}" for n, lag in LAGS if lag)
    desc = (
        f"{CSV.name}: {len(df):,} rows; columns demand_mw, temperature_c, holiday + "
        f"{lagged} ({len(base):,} rows after the longest lag), tiled x{copies} and cut to "
        f"{rows:,} rows x {values.shape[1]} columns float32"
    )
    return values, desc


# ---- methods (run inside a worker process) ----------------------------------------------------


def run_loop(values: np.ndarray) -> dict[str, np.ndarray]:
    n = len(values) - LOOK_BACK - HORIZON + 1
    x = np.empty((n, LOOK_BACK, values.shape[1]), dtype=values.dtype)
    y = np.empty((n, HORIZON, N_TARGETS), dtype=values.dtype)
    for i in range(n):
        x[i] = values[i : i + LOOK_BACK]
        y[i] = values[i + LOOK_BACK : i + LOOK_BACK + HORIZON, :N_TARGETS]
    return {"x": x, "y": y}


def run_keras(values: np.ndarray) -> dict[str, np.ndarray]:
    import keras

    n = len(values) - LOOK_BACK - HORIZON + 1
    ds = keras.utils.timeseries_dataset_from_array(
        values,
        values[LOOK_BACK:, :N_TARGETS],  # horizon 1: y[i] = values[i + L]
        sequence_length=LOOK_BACK,
        batch_size=KERAS_BATCH,
        shuffle=False,
    )
    x = np.empty((n, LOOK_BACK, values.shape[1]), dtype=values.dtype)
    y = np.empty((n, HORIZON, N_TARGETS), dtype=values.dtype)
    i = 0
    for bx, by in ds:
        k = bx.shape[0]
        x[i : i + k] = bx.numpy()
        y[i : i + k, 0] = by.numpy()
        i += k
    assert i == n, (i, n)
    return {"x": x, "y": y}


def run_windows(values: np.ndarray) -> dict[str, np.ndarray]:
    from rnncli.windows import history, origins, targets

    at = origins(len(values), LOOK_BACK, HORIZON)
    x, mask = history(values, at, LOOK_BACK)
    y = targets(values, at, HORIZON, N_TARGETS)
    return {"x": x, "y": y, "mask": mask}


def run_windows_copy(values: np.ndarray) -> dict[str, np.ndarray]:
    """The same windows made into one contiguous array: what a consumer that needs a copy pays."""
    arrays = run_windows(values)
    return {"x": np.array(arrays["x"]), "y": np.array(arrays["y"])}


def make_panel(values: np.ndarray):
    from rnncli.columns import Columns
    from rnncli.data import Panel, Series

    names = tuple(f"{n}_lag{lag}" if lag else n for n, lag in LAGS)
    n = len(values)
    series = Series(
        "series",
        np.arange(n, dtype=np.int64),
        values.astype(np.float64),  # load_panel hands build float64 values
        np.arange(n, dtype=np.int64) + 2,
    )
    columns = Columns(None, names[:N_TARGETS], names, None)
    return Panel("bench", columns, (series,), None, ())


def run_build(panel) -> dict[str, np.ndarray]:
    from rnncli.config import WindowSpec
    from rnncli.dataset import build

    # the loop's windows exactly: full look-backs only (no padded first windows), standard
    # scaling and no target transform (the defaults would pick them from the data)
    spec = WindowSpec(
        look_back=LOOK_BACK, horizon=HORIZON, val_size=0.1, test_size=0.1,
        min_look_back=LOOK_BACK, scale="standard", transform="none", deseasonalize="none",
    )  # fmt: skip
    ds = build(panel, spec)
    return {
        "x": ds.x,
        "y": ds.y,
        "center": ds.scaler.center[0],
        "scale": ds.scaler.scale[0],
        "split": ds.split,
    }


def _status_mib(key: str) -> float:
    text = Path("/proc/self/status").read_text()
    return int(re.search(rf"^{key}:\s+(\d+) kB", text, re.M).group(1)) / 1024


def start_peak() -> float:
    """Reset this process's peak RSS to its current RSS; return that RSS in MiB.

    ru_maxrss cannot be used as it is: after fork + exec it starts at the parent's
    RSS (the kernel carries the forked copy's high-water mark over into the new
    program), so a small worker would report the driver's size. VmHWM in
    /proc/self/status, reset by writing 5 to /proc/self/clear_refs, is this
    program's own peak.
    """
    Path("/proc/self/clear_refs").write_text("5")
    return _status_mib("VmRSS")


def peak_since(base: float) -> float:
    return _status_mib("VmHWM") - base


def worker(method: str, data: Path, out: Path) -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    if method == "keras":
        import keras  # import cost kept out of the timing and the baseline
    if method in ("windows", "windows_copy", "build"):
        import rnncli.dataset  # noqa: F401
    values = np.load(data)
    arg = make_panel(values) if method == "build" else values
    func = {
        "loop": run_loop,
        "keras": run_keras,
        "windows": run_windows,
        "windows_copy": run_windows_copy,
        "build": run_build,
    }
    base = start_peak()
    t0 = time.perf_counter()
    arrays = func[method](arg)
    seconds = time.perf_counter() - t0
    peak = peak_since(base)
    for name, array in arrays.items():
        np.save(out / f"{method}_{name}.npy", array)
    result = {"seconds": seconds, "peak_mib": peak, "x_shape": arrays["x"].shape}
    if method == "keras":
        import keras
        import tensorflow as tf

        result["versions"] = f"Keras {keras.__version__}, TensorFlow {tf.__version__}"
    print(json.dumps(result))


# ---- driver -----------------------------------------------------------------------------------


def run_worker(method: str, data: Path, tmp: Path) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", method, "--data", str(data)]
    cmd += ["--tmp", str(tmp)]
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        sys.exit(f"{method} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def check_identical(tmp: Path, methods: list[str]) -> list[str]:
    """np.array_equal of every method's x (and y) against the loop's."""
    ref_x = np.load(tmp / "loop_x.npy", mmap_mode="r")
    ref_y = np.load(tmp / "loop_y.npy", mmap_mode="r")
    lines = []
    for m in methods:
        if m == "loop":
            continue
        x = np.load(tmp / f"{m}_x.npy", mmap_mode="r")
        y = np.load(tmp / f"{m}_y.npy", mmap_mode="r")
        if m == "build":
            # build standardises: x == float32((float64(raw) - center) / scale), elementwise
            center, scale = np.load(tmp / "build_center.npy"), np.load(tmp / "build_scale.npy")
            same_x = x.shape == ref_x.shape and all(
                np.array_equal(
                    x[i : i + 65536],
                    ((ref_x[i : i + 65536].astype(np.float64) - center) / scale).astype(np.float32),
                )
                for i in range(0, len(x), 65536)
            )
            same_y = y.shape == ref_y.shape and np.array_equal(
                y, ((ref_y.astype(np.float64) - center[0]) / scale[0]).astype(np.float32)
            )
            what = "x, y equal the loop's after the same standard scaling"
        else:
            same_x = x.shape == ref_x.shape and np.array_equal(x, ref_x)
            same_y = y.shape == ref_y.shape and np.array_equal(y, ref_y)
            what = "x, y identical to the loop's"
        ok = same_x and same_y
        lines.append(
            f"- {METHODS[m]}: {what}: {'yes' if ok else 'NO'} (np.array_equal, shape {x.shape})"
        )
        if not ok:
            lines[-1] += f"  [x equal: {same_x}, y equal: {same_y}]"
    return lines


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rows", type=int, default=1_000_000, help="rows of input (default 1e6)")
    p.add_argument(
        "--methods",
        default=",".join(METHODS),
        help="comma-separated subset of " + ",".join(METHODS),
    )
    p.add_argument("--worker", help=argparse.SUPPRESS)
    p.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--tmp", type=Path, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.worker:
        worker(args.worker, args.data, args.tmp)
        return
    methods = [m for m in METHODS if m in args.methods.split(",")]
    if "loop" not in methods:
        methods.insert(0, "loop")  # the reference for speed-up and identity
    if args.rows < LOOK_BACK + HORIZON + 10:
        sys.exit(f"--rows must be at least {LOOK_BACK + HORIZON + 10}")

    values, desc = make_values(args.rows)
    n_windows = len(values) - LOOK_BACK - HORIZON + 1
    one_copy = n_windows * LOOK_BACK * values.shape[1] * values.itemsize / MIB
    print(f"data: {desc}")
    print(
        f"windows: look-back {LOOK_BACK}, horizon {HORIZON}, {n_windows:,} windows; "
        f"one copy of x = {n_windows:,} x {LOOK_BACK} x {values.shape[1]} x 4 bytes "
        f"= {one_copy:,.1f} MiB"
    )
    print(
        "peak MiB: a fresh subprocess per method; its peak RSS (VmHWM, reset through "
        "/proc/self/clear_refs once imports and input are loaded) minus its RSS at that point"
    )
    print(
        f"machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, NumPy {np.__version__}"
    )
    print(flush=True)
    with tempfile.TemporaryDirectory(prefix="bench_ingest_") as tmpdir:
        tmp = Path(tmpdir)
        data = tmp / "values.npy"
        np.save(data, values)
        del values
        results = {}
        for m in methods:
            print(f"running {METHODS[m]} ...", file=sys.stderr, flush=True)
            results[m] = run_worker(m, data, tmp)
        checks = check_identical(tmp, methods)

    loop_s = results["loop"]["seconds"]
    header = ["method", "seconds", "speed-up vs loop", "peak MiB", "peak / one copy"]
    rows = [
        [
            METHODS[m],
            f"{r['seconds']:.2f}",
            f"{loop_s / r['seconds']:.3g}x",
            f"{r['peak_mib']:,.0f}",
            f"{r['peak_mib'] / one_copy:.2f}",
        ]
        for m, r in results.items()
    ]
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(header)]

    def line(cells: list[str]) -> str:
        padded = [
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ]
        return "| " + " | ".join(padded) + " |"

    print(line(header))
    print(
        "|"
        + "|".join(("-" * (w + 1) + ":") if i else ("-" * (w + 2)) for i, w in enumerate(widths))
        + "|"
    )
    for row in rows:
        print(line(row))
    if "keras" in results:
        print(f"\nkeras: batch_size={KERAS_BATCH}, {results['keras']['versions']}")
    print()
    print("identical output:")
    for c in checks:
        print(c)
    if any(" NO " in c for c in checks):
        sys.exit(1)


if __name__ == "__main__":
    main()
