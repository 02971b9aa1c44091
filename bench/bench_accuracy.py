"""Held-out accuracy of rnncli's default model beside naive baselines, on the sample data.

    .venv/bin/python bench/bench_accuracy.py                  # the 6 runs, seed 42 (~2-4 min CPU)
    .venv/bin/python bench/bench_accuracy.py --seeds 42,1,2   # model rows: mean (min-max)
    .venv/bin/python bench/bench_accuracy.py --variants       # + each case with --normalize none
    .venv/bin/python bench/bench_accuracy.py --only airpassengers

Every run is `rnncli.train.train` (what `rnncli train` does) in this process, with rnncli's
default options except the ones listed under the table (target/features, horizon, look-back,
test_size, val_size). The metrics are the ones `train` writes to OUT/metrics.json: the
held-out test windows, in original units, for the model and for the naive (last value) and
seasonal-naive (last season) forecasts computed on the very same windows. MASE is scaled by
the in-sample mean absolute seasonal difference of each series' training part (season from
the time column's frequency: 12 monthly, 7 daily, 5 business days; see metrics.season_from_freq).

Runs:

1. AirPassengers (sample_data/airpassengers.csv): the last 36 months (1958-01..1960-12) held
   out and forecast in one shot from the end of 1957 (horizon 36, test_size 36: exactly one
   test window). val_size 0: a validation window would need 36 months of its own, so there is
   none and early stopping (patience) watches the training loss. Look-back 24 leaves 49
   training windows (108 training months - 24 - 36 + 1). Published MAPEs on this split are
   printed beside; our seasonal-naive row must reproduce 13.19 % (checked: exit status 1 if
   not) and the drift forecast, computed here from the CSV, 12.99 %. A second run
   [difference 12] forecasts the lag-12 differences (`--difference 12 --normalize none
   --look-back 12`), same split.
2. Daily MSFT closes (sample_data/prices.csv): the last 250 trading days held out, horizon 1
   and horizon 5, look-back 30 (the default), default val_size (10 %).
3. Victoria daily electricity demand (sample_data/electricity.csv): target demand_mwh, inputs
   max_temp_c and holiday (their values up to the forecast origin only), last 90 days held
   out, horizon 1 and 7, look-back 30, default val_size.

"fit s" is the time of the fit itself (TrainOutcome.fit.seconds); "train s" the whole
`pipeline.train` call (windows, fit, test metrics, saving). The machine may be shared:
times are indicative only.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATA = ROOT / "sample_data"

# Published MAPEs (%) on AirPassengers, train 1949-01..1957-12, test 1958-01..1960-12 (h = 36)
PUBLISHED = {"seasonal naive": 13.19, "drift": 12.99, "ETS": 5.11, "AutoARIMA": 4.15}

RUNS: list[dict[str, Any]] = [
    {
        "key": "airpassengers",
        "name": "AirPassengers",
        "csv": "airpassengers.csv",
        "options": {
            "target": ["passengers"],
            "horizon": 36,
            "look_back": 24,
            "test_size": 36,
            "val_size": 0,
        },
    },
    {
        "key": "airpassengers",
        "name": "AirPassengers",
        "variant": "difference 12",
        "csv": "airpassengers.csv",
        "options": {
            "target": ["passengers"],
            "horizon": 36,
            "look_back": 12,
            "test_size": 36,
            "val_size": 0,
            "difference": 12,
            "normalize": "none",
        },
    },
    {
        "key": "prices",
        "name": "MSFT close",
        "csv": "prices.csv",
        "options": {"target": ["Close"], "horizon": 1, "look_back": 30, "test_size": 250},
    },
    {
        "key": "prices",
        "name": "MSFT close",
        "csv": "prices.csv",
        "options": {"target": ["Close"], "horizon": 5, "look_back": 30, "test_size": 250},
    },
    {
        "key": "electricity",
        "name": "Electricity",
        "csv": "electricity.csv",
        "options": {
            "target": ["demand_mwh"],
            "features": ["max_temp_c", "holiday"],
            "horizon": 1,
            "look_back": 30,
            "test_size": 90,
        },
    },
    {
        "key": "electricity",
        "name": "Electricity",
        "csv": "electricity.csv",
        "options": {
            "target": ["demand_mwh"],
            "features": ["max_temp_c", "holiday"],
            "horizon": 7,
            "look_back": 30,
            "test_size": 90,
        },
    },
]

METHOD_NAMES = {"model": "rnncli model", "naive": "naive", "seasonal_naive": "seasonal naive"}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--seeds",
        default="42",
        help="comma-separated seeds; with several, model rows show the mean and (min-max)",
    )
    p.add_argument(
        "--variants",
        action="store_true",
        help="also run every case with --normalize none (marked in the table)",
    )
    p.add_argument(
        "--only",
        choices=sorted({r["key"] for r in RUNS}),
        action="append",
        help="run only these data sets (repeatable)",
    )
    return p.parse_args(argv)


def drift_mape(csv: Path, column: str, test: int) -> float:
    """MAPE of the drift (random walk with drift) forecast of the last `test` steps, one shot."""
    import numpy as np
    import pandas as pd

    y = pd.read_csv(csv)[column].to_numpy(dtype=float)
    train, actual = y[:-test], y[-test:]
    slope = (train[-1] - train[0]) / (len(train) - 1)
    forecast = train[-1] + slope * np.arange(1, test + 1)
    return float(np.mean(np.abs(actual - forecast) / np.abs(actual)) * 100)


def train_once(case: dict[str, Any], options: dict[str, Any], seed: int) -> dict[str, Any]:
    """One pipeline.train run; its metrics rows by method, times and window counts."""
    from rnncli.config import build_config
    from rnncli.train import train

    run = build_config({**options, "seed": seed})
    notes: list[str] = []
    csv = DATA / case["csv"]
    with tempfile.TemporaryDirectory(prefix="rnncli-bench-acc-") as tmp:
        out = Path(tmp) / "model"
        start = time.perf_counter()
        outcome = train(run, csv, str(csv), out, note=notes.append)
        wall = time.perf_counter() - start
        season = json.loads((out / "metrics.json").read_text())["season"]
    rows = {r["method"]: r for r in outcome.metrics if r["series"] == "all"}
    return {
        "rows": rows,
        "fit_s": outcome.fit.seconds,
        "train_s": wall,
        "epochs": len(outcome.fit.history),
        "best_epoch": outcome.fit.best_epoch,
        "counts": outcome.counts,
        "season": season,
        "params": outcome.params,
    }


def spread(values: list[float], digits: int) -> str:
    mean = statistics.fmean(values)
    if len(values) == 1:
        return f"{mean:.{digits}f}"
    return f"{mean:.{digits}f} ({min(values):.{digits}f}–{max(values):.{digits}f})"


def options_text(options: dict[str, Any]) -> str:
    parts = []
    for k, v in options.items():
        if isinstance(v, list):
            v = ",".join(v)
        parts.append(f"{k}={v}")
    return " ".join(parts)


def cli_text(case: dict[str, Any], options: dict[str, Any]) -> str:
    args = [f"rnncli train sample_data/{case['csv']}"]
    for k, v in options.items():
        for item in v if isinstance(v, list) else [v]:
            args.append(f"--{k.replace('_', '-')} {item}")
    return " ".join(args)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    cases = [c for c in RUNS if not args.only or c["key"] in args.only]
    jobs: list[tuple[dict[str, Any], dict[str, Any], str]] = []
    for case in cases:
        jobs.append((case, case["options"], case.get("variant", "")))
    if args.variants:
        for case in cases:
            if "normalize" in case["options"]:
                continue  # already a --normalize none run
            jobs.append((case, {**case["options"], "normalize": "none"}, "normalize none"))

    from rnncli.config import RunConfig

    header = (
        "| # | series | h | method | MAPE % | sMAPE % | MASE | MAE / naive "
        "| published MAPE % | fit s | train s | epochs (best) |"
    )
    lines = [header, "|" + "---|" * (header.count("|") - 1)]
    notes: list[str] = []
    status = 0
    for number, (case, options, variant) in enumerate(jobs, start=1):
        results = [train_once(case, options, seed) for seed in seeds]
        first = results[0]
        label = case["name"] + (f" [{variant}]" if variant else "")
        h = options["horizon"]
        is_air = case["key"] == "airpassengers"
        for method in ("model", "naive", "seasonal_naive"):
            if method not in first["rows"]:
                continue
            if method == "model":
                per_seed = [r["rows"][method] for r in results]
            else:
                per_seed = [first["rows"][method]]  # baselines do not depend on the seed

            def col(metric: str, digits: int, rows: list[dict[str, Any]] = per_seed) -> str:
                return spread([r[metric] for r in rows], digits)

            mae_ratio = spread([r["mae"] / first["rows"]["naive"]["mae"] for r in per_seed], 3)
            published = ""
            if is_air and method == "seasonal_naive":
                published = f"{PUBLISHED['seasonal naive']:.2f}"
            if method == "model":
                fit_s = spread([r["fit_s"] for r in results], 1)
                train_s = spread([r["train_s"] for r in results], 1)
                epochs = ", ".join(f"{r['epochs']} ({r['best_epoch']})" for r in results)
            else:
                fit_s = train_s = epochs = ""
            lines.append(
                f"| {number} | {label} | {h} | {METHOD_NAMES[method]} | {col('mape', 2)} "
                f"| {col('smape', 2)} | {col('mase', 3)} | {mae_ratio} | {published} "
                f"| {fit_s} | {train_s} | {epochs} |"
            )
        if is_air and not variant:
            snaive = first["rows"]["seasonal_naive"]["mape"]
            drift = drift_mape(DATA / case["csv"], "passengers", options["test_size"])
            lines.append(
                f"| {number} | {label} | {h} | drift (computed here) | {drift:.2f} | | | "
                f"| {PUBLISHED['drift']:.2f} | | | |"
            )
            for name in ("ETS", "AutoARIMA"):
                lines.append(
                    f"| {number} | {label} | {h} | {name} (published) | | | | "
                    f"| {PUBLISHED[name]:.2f} | | | |"
                )
            if round(snaive, 2) != PUBLISHED["seasonal naive"]:
                status = 1
                notes.append(
                    f"CHECK FAILED: seasonal naive MAPE {snaive:.2f} % differs from the "
                    f"published {PUBLISHED['seasonal naive']:.2f} %: the split is not the "
                    "published one"
                )
            else:
                notes.append(
                    f"Check: our seasonal naive reproduces the published {snaive:.2f} % "
                    f"and the drift forecast {drift:.2f} % (published "
                    f"{PUBLISHED['drift']:.2f} %): same split."
                )
        c = first["counts"]
        notes.append(
            f"{number}. {label}, h={h}: `{options_text(options)}`, seed "
            f"{','.join(map(str, seeds))}; windows {c['train']} train / {c['val']} val / "
            f"{c['test']} test; season {first['season']}; {first['params']:,} parameters. "
            f"CLI: `{cli_text(case, options)}`"
        )
        print(f"[{number}/{len(jobs)}] {label} h={h} done", file=sys.stderr, flush=True)

    defaults = RunConfig()
    m, t, w = defaults.model, defaults.train, defaults.window
    print("\n".join(lines))
    print()
    print(
        "Held-out test windows, original units. MAE / naive < 1: better than the naive "
        "forecast. Model rows with several seeds: mean (min–max). epochs (best): epochs run "
        "and the epoch whose weights were kept, per seed."
    )
    print(
        f"All other options are rnncli's defaults: cell {m.cell}, units {m.units}, layers "
        f"{m.layers}, normalize {w.normalize}, scale {w.scale}, optimizer {t.optimizer}, "
        f"learning_rate {t.learning_rate:g}, loss {t.loss}, epochs {t.epochs}, batch_size "
        f"{t.batch_size}, patience {t.patience}, clipnorm {t.clipnorm}, val_size "
        f"{w.val_size:g} unless given (early stopping on val_loss; on the training loss when "
        "there are no validation windows)."
    )
    print()
    for line in notes:
        print(line)
    return status


if __name__ == "__main__":
    raise SystemExit(main())
