"""Held-out accuracy of rnncli's defaults beside naive, seasonal naive and published methods.

    .venv/bin/python bench/bench_accuracy.py                     # every case, seed 42
    .venv/bin/python bench/bench_accuracy.py --seeds 42,1,2      # model: median (min-max)
    .venv/bin/python bench/bench_accuracy.py --only m1 --seeds 42,1,2
    .venv/bin/python bench/bench_accuracy.py --set ensemble=3    # any option, for experiments
    .venv/bin/python bench/bench_accuracy.py --coverage          # interval coverage, 80 / 95 %

Each run is what a user types: `rnncli train` (in this process, `rnncli.train.train`) with
the defaults and only the options listed under the table, then either

- forecast and score: `rnncli predict --steps H_test` from the end of the training file, scored
  against the held-out rows (M1: the competition's own 18 test months per series;
  AirPassengers: the last 36 months), or
- the held-out metrics `train` itself reports (`OUT/metrics.json`: every test window of the
  last --test-size steps, rolling origin, for the price and electricity series).

Scores (`rnncli.metrics`): sMAPE = mean 200|y−ŷ|/(|y|+|ŷ|); MASE = MAE / mean |y_t − y_(t−m)|
over the series' training rows (m = 12 monthly, 7 daily, 5 business-daily; 1 when the
training part is shorter than m); MAPE = mean 100|y−ŷ|/|y|. For a panel each is averaged over
series (the M-competition convention). Naive repeats the last training value, seasonal naive
the last training season, on the same steps. Published figures: Theta on M1 (Makridakis et
al. 1982, via ANCHORS.md), ETS / AutoARIMA / drift on AirPassengers.

Data: ../shared/data (m1_monthly.csv, airpassengers.csv) and sample_data (prices.csv: MSFT,
electricity.csv: Victoria daily demand). M1's `t` is written as month starts from 1970-01 so
that the season is known. The machine may be shared: times are indicative.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SAMPLE = ROOT / "sample_data"
SHARED = ROOT.parent / "shared" / "data"

THETA_M1 = {"smape": 16.25, "mase": 1.063}
AIR_PUBLISHED = {"seasonal naive": 13.19, "drift": 12.99, "ETS": 5.11, "AutoARIMA": 4.15}


# ---- the held-out data of the forecast-and-score cases ---------------------------------------


def m1_frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    """M1 monthly: the train rows as a CSV-ready frame (series_id, month, value) and the test."""
    raw = pd.read_csv(SHARED / "m1_monthly.csv")
    k = raw["t"].to_numpy() - 1
    raw["month"] = [f"{1970 + i // 12}-{i % 12 + 1:02d}-01" for i in k]
    cols = ["series_id", "month", "value"]
    return raw[raw["split"] == "train"][cols], raw[raw["split"] == "test"][cols]


def air_frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    raw = pd.read_csv(SHARED / "airpassengers.csv")
    return raw.iloc[:-36], raw.iloc[-36:]


CASES: list[dict[str, Any]] = [
    {
        "key": "m1",
        "name": "M1 monthly (617 series)",
        "kind": "forecast",
        "frames": m1_frames,
        "options": {"id_col": "series_id", "horizon": 18},
        "steps": 18,
        "season": 12,
        "published": {"Theta": THETA_M1},
    },
    {
        "key": "airpassengers",
        "name": "AirPassengers",
        "kind": "forecast",
        "frames": air_frames,
        "options": {"horizon": 12},
        "steps": 36,
        "season": 12,
        "published": {k: {"mape": v} for k, v in AIR_PUBLISHED.items()},
    },
    {
        "key": "airpassengers",
        "name": "AirPassengers",
        "kind": "forecast",
        "frames": air_frames,
        "options": {"horizon": 36},
        "steps": 36,
        "season": 12,
        "published": {},
    },
    {
        "key": "prices",
        "name": "MSFT close",
        "kind": "heldout",
        "csv": SAMPLE / "prices.csv",
        "options": {"target": ["Close"], "horizon": 1, "test_size": 250},
    },
    {
        "key": "prices",
        "name": "MSFT close",
        "kind": "heldout",
        "csv": SAMPLE / "prices.csv",
        "options": {"target": ["Close"], "horizon": 5, "test_size": 250},
    },
]


def electricity_case(horizon: int, inputs: str) -> dict[str, Any]:
    """Daily Victoria electricity demand with temperature and holiday as `inputs`: "features"
    (past-only: read up to the forecast origin) or "known" (`--known`: the model reads their
    values at the forecast steps too; the recorded temperature stands in for a weather
    forecast, a perfect one: an upper bound on what a real forecast gives)."""
    kind = {"features": "as inputs", "known": "known ahead"}[inputs]
    return {
        "key": "electricity",
        "name": f"Electricity (temperature, holiday {kind})",
        "kind": "heldout",
        "csv": SAMPLE / "electricity.csv",
        "options": {
            "target": ["demand_mwh"],
            inputs: ["max_temp_c", "holiday"],
            "horizon": horizon,
            "test_size": 90,
        },
    }


CASES += [electricity_case(h, inputs) for inputs in ("features", "known") for h in (1, 7)]


# ---- scoring a forecast against held-out rows ------------------------------------------------


def score_series(train: np.ndarray, actual: np.ndarray, fc: np.ndarray, m: int) -> dict[str, float]:
    from rnncli import metrics

    y, f = actual[None, :, None], fc[None, :, None]
    season = m if len(train) > m else 1
    try:
        mase = float(metrics.mase(y, f, train[:, None], season)[0])
    except Exception:  # MASE undefined (a constant training part): left out of the mean
        mase = float("nan")
    return {
        "smape": float(metrics.smape(y, f)[0]),
        "mape": float(metrics.mape(y, f)[0]),
        "mase": mase,
    }


def baselines(train: np.ndarray, steps: int, m: int) -> dict[str, np.ndarray]:
    out = {"naive": np.repeat(train[-1], steps)}
    if len(train) >= m:
        out["seasonal_naive"] = train[-m:][np.arange(steps) % m]
    return out


def mean_scores(rows: list[dict[str, float]]) -> dict[str, float]:
    return {k: float(np.nanmean([r[k] for r in rows])) for k in rows[0]}


def forecast_case(case: dict[str, Any], options: dict[str, Any], seed: int) -> dict[str, Any]:
    from rnncli.config import build_config
    from rnncli.predict import predict
    from rnncli.train import train

    train_frame, test_frame = case["frames"]()
    id_col = options.get("id_col")
    value = train_frame.columns[-1]
    time_col = train_frame.columns[-2]
    run = build_config({**options, "seed": seed})
    with tempfile.TemporaryDirectory(prefix="rnncli-bench-acc-") as tmp:
        csv = Path(tmp) / "train.csv"
        train_frame.to_csv(csv, index=False)
        out = Path(tmp) / "model"
        start = time.perf_counter()
        outcome = train(run, csv, str(csv), out)
        train_s = time.perf_counter() - start
        start = time.perf_counter()
        fc = predict(out, str(csv), str(csv), steps=case["steps"]).table
        predict_s = time.perf_counter() - start
    groups = [(None, train_frame, test_frame, fc)]
    if id_col is not None:
        tr, te, f = (d.groupby(id_col, sort=False) for d in (train_frame, test_frame, fc))
        groups = [
            (sid, tr.get_group(sid), te.get_group(sid), f.get_group(sid)) for sid in tr.groups
        ]
    model_rows, base_rows = [], {"naive": [], "seasonal_naive": []}
    for _sid, tr_g, te_g, fc_g in groups:
        y_train = tr_g[value].to_numpy(float)
        actual = te_g[value].to_numpy(float)[: case["steps"]]
        assert list(fc_g[time_col].astype(str).str[:7]) == list(te_g[time_col].astype(str).str[:7])
        model_rows.append(
            score_series(y_train, actual, fc_g[value].to_numpy(float), case["season"])
        )
        for name, base in baselines(y_train, case["steps"], case["season"]).items():
            base_rows[name].append(score_series(y_train, actual, base, case["season"]))
    return {
        "model": mean_scores(model_rows),
        "naive": mean_scores(base_rows["naive"]),
        "seasonal_naive": mean_scores(base_rows["seasonal_naive"]),
        "train_s": train_s,
        "predict_s": predict_s,
        "epochs": len(outcome.fit.history),
        "counts": outcome.counts,
        "series": len(groups),
        "negative": int((fc[value] < 0).sum()),
    }


def heldout_case(case: dict[str, Any], options: dict[str, Any], seed: int) -> dict[str, Any]:
    from rnncli.config import build_config
    from rnncli.train import train

    run = build_config({**options, "seed": seed})
    with tempfile.TemporaryDirectory(prefix="rnncli-bench-acc-") as tmp:
        start = time.perf_counter()
        outcome = train(run, case["csv"], str(case["csv"]), Path(tmp) / "model")
        train_s = time.perf_counter() - start
    rows = {r["method"]: r for r in outcome.metrics if r["series"] == "all"}
    return {
        **{k: {m: rows[k][m] for m in ("smape", "mape", "mase")} for k in rows},
        "train_s": train_s,
        "predict_s": float("nan"),
        "epochs": len(outcome.fit.history),
        "counts": outcome.counts,
        "series": 1,
        "negative": 0,
    }


# ---- interval coverage (--coverage) ------------------------------------------------------------

LEVELS = (80, 95)
# M1 and electricity at horizon 1, as CASES defines them
COVERAGE_CASES: list[dict[str, Any]] = [
    {k: v for k, v in case.items() if k not in ("kind", "season", "published")}
    for case in (CASES[0], electricity_case(1, "features"))
]


def forecast_coverage(case: dict[str, Any], options: dict[str, Any], seed: int) -> dict[str, Any]:
    """`rnncli predict --intervals 80,95` from the end of the training rows: the share of the
    held-out values inside each band, over every series and step."""
    import json

    from rnncli.config import build_config
    from rnncli.predict import predict
    from rnncli.train import train

    train_frame, test_frame = case["frames"]()
    id_col = options["id_col"]
    value, time_col = train_frame.columns[-1], train_frame.columns[-2]
    run = build_config({**options, "seed": seed})
    with tempfile.TemporaryDirectory(prefix="rnncli-bench-cov-") as tmp:
        csv = Path(tmp) / "train.csv"
        train_frame.to_csv(csv, index=False)
        out = Path(tmp) / "model"
        train(run, csv, str(csv), out)
        calibration = json.loads((out / "calibration.json").read_text())
        fc = predict(out, str(csv), str(csv), steps=case["steps"], levels=LEVELS).table
    held = test_frame.groupby(id_col, sort=False).head(case["steps"])
    fc = fc.assign(key=fc[time_col].astype(str).str[:7])
    held = held.assign(key=held[time_col].astype(str).str[:7])
    both = fc.merge(held[[id_col, "key", value]], on=[id_col, "key"], suffixes=("", "_actual"))
    assert len(both) == len(held), (len(both), len(held))
    actual = both[f"{value}_actual"].to_numpy(float)
    inside = {
        lv: float(
            np.mean((actual >= both[f"{value}_lo{lv}"]) & (actual <= both[f"{value}_hi{lv}"]))
        )
        * 100
        for lv in LEVELS
    }
    return {"coverage": inside, "points": len(both), "windows": calibration["n"]}


def heldout_coverage(case: dict[str, Any], options: dict[str, Any], seed: int) -> dict[str, Any]:
    """`rnncli evaluate` on the recorded test part: its interval coverage rows."""
    from rnncli import modeldir
    from rnncli.config import build_config
    from rnncli.evaluate import evaluate
    from rnncli.train import train

    run = build_config({**options, "seed": seed})
    with tempfile.TemporaryDirectory(prefix="rnncli-bench-cov-") as tmp:
        out = Path(tmp) / "model"
        train(run, case["csv"], str(case["csv"]), out)
        report = evaluate(modeldir.load(out), None, None, levels=LEVELS)
    rows = [r for r in report.coverage if r["series"] == "all"]
    return {
        "coverage": {r["level"]: r["coverage"] for r in rows},
        "points": rows[0]["points"],
        "windows": rows[0]["calibration_windows"],
    }


def coverage_table(seeds: list[int], only: list[str] | None, extra: dict[str, Any]) -> None:
    print("| series | h / steps | level % | coverage % | points | calibration windows |")
    print("|---|---|---|---|---|---|")
    for case in COVERAGE_CASES:
        if only and case["key"] not in only:
            continue
        options = {**case["options"], **extra}
        run = forecast_coverage if "frames" in case else heldout_coverage
        results = [run(case, options, seed) for seed in seeds]
        h = options["horizon"]
        hs = f"{h} / {case['steps']}" if "steps" in case else f"{h}"
        for level in LEVELS:
            cov = spread([r["coverage"][level] for r in results], 1)
            first = results[0]
            print(
                f"| {case['name']} | {hs} | {level} | {cov} | {first['points']:,} "
                f"| {first['windows']:,} |"
            )
        print(f"{case['name']} coverage done", file=sys.stderr, flush=True)
    print()
    print(
        f"Coverage: the share of held-out values inside `--intervals {','.join(map(str, LEVELS))}`"
        f" (median over seeds {','.join(map(str, seeds))}, range); M1: `rnncli predict` from the "
        "end of the training rows against the competition's 18 test months of every series; "
        "electricity: `rnncli evaluate` on the test part. The machine was shared."
    )


# ---- the table ---------------------------------------------------------------------------------


def spread(values: list[float], digits: int) -> str:
    mid = statistics.median(values)
    if len(values) == 1:
        return f"{mid:.{digits}f}"
    return f"{mid:.{digits}f} ({min(values):.{digits}f}–{max(values):.{digits}f})"


def parse_set(items: list[str]) -> dict[str, Any]:
    import yaml

    out = {}
    for item in items:
        key, _, value = item.partition("=")
        out[key.strip()] = yaml.safe_load(value)
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seeds", default="42", help="comma-separated seeds (model: median, range)")
    p.add_argument("--only", action="append", choices=sorted({c["key"] for c in CASES}))
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="an rnncli option for every run, e.g. ensemble=3")  # fmt: skip
    p.add_argument("--coverage", action="store_true",
                   help="the interval coverage table (M1, electricity) instead")  # fmt: skip
    args = p.parse_args(argv)
    seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    extra = parse_set(args.set)
    if args.coverage:
        coverage_table(seeds, args.only, extra)
        return 0
    cases = [c for c in CASES if not args.only or c["key"] in args.only]
    print(
        "| # | series | h / steps | method | sMAPE % | MAPE % | MASE | train s | predict s "
        "| epochs |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    notes = []
    for number, case in enumerate(cases, start=1):
        options = {**case["options"], **extra}
        run = forecast_case if case["kind"] == "forecast" else heldout_case
        results = [run(case, options, seed) for seed in seeds]
        h = options["horizon"]
        hs = f"{h} / {case['steps']}" if case["kind"] == "forecast" else f"{h}"
        first = results[0]
        model = [r["model"] for r in results]
        print(
            f"| {number} | {case['name']} | {hs} | rnncli defaults | "
            f"{spread([m['smape'] for m in model], 2)} | {spread([m['mape'] for m in model], 2)} "
            f"| {spread([m['mase'] for m in model], 3)} "
            f"| {spread([r['train_s'] for r in results], 0)} "
            f"| {spread([r['predict_s'] for r in results], 2)} "
            f"| {', '.join(str(r['epochs']) for r in results)} |"
        )
        for name in ("naive", "seasonal_naive"):
            if name in first:
                b = first[name]
                print(
                    f"| {number} | | | {name.replace('_', ' ')} | {b['smape']:.2f} | "
                    f"{b['mape']:.2f} | {b['mase']:.3f} | | | |"
                )
        for name, pub in case.get("published", {}).items():
            cells = [f"{pub[k]:.2f}" if k in pub else "" for k in ("smape", "mape")]
            mase = f"{pub['mase']:.3f}" if "mase" in pub else ""
            print(f"| {number} | | | {name} (published) | {cells[0]} | {cells[1]} | {mase} | | | |")
        c = first["counts"]
        opts = " ".join(
            f"--{k.replace('_', '-')} {','.join(v) if isinstance(v, list) else v}"
            for k, v in options.items()
        )
        notes.append(
            f"{number}. {case['name']}: `rnncli train {opts}`; seeds {args.seeds}; windows "
            f"{c['train']} train / {c['val']} val / {c['test']} test; negative forecasts: "
            f"{first['negative']}"
        )
        print(f"[{number}/{len(cases)}] {case['name']} h={h} done", file=sys.stderr, flush=True)
    print()
    print(
        "Model rows: median over seeds (min–max). Forecast cases score `rnncli predict` "
        "from the end of the training rows against the held-out rows, averaged over series; "
        "held-out cases are the test-part metrics `rnncli train` reports."
    )
    for line in notes:
        print(line)
    print("The machine may be shared with other work: train seconds are indicative.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
