"""The command line: parse options, call one core function, render the result.

Only this module and cli_options.py import typer. TensorFlow is imported inside the commands
that need it, never here at module level, so `--help` and Tab completion
stay fast.
"""

from __future__ import annotations

import functools
import gc
import os
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer

from rnncli import __version__, console
from rnncli.cli_options import (
    ActivationOpt,
    BatchSizeOpt,
    BidirectionalOpt,
    CellOpt,
    ClipnormOpt,
    ClipvalueOpt,
    ConfigOpt,
    DataArg,
    DeviceOpt,
    Difference,
    DropoutOpt,
    EpochsOpt,
    Features,
    FillOpt,
    Format,
    FormatOpt,
    Horizon,
    IdCol,
    LayersOpt,
    LearningRateOpt,
    LookBack,
    LossOpt,
    MinLookBack,
    ModelDir,
    NormalizeOpt,
    OptimizerOpt,
    PaddingOpt,
    PadOpt,
    PatienceOpt,
    RecurrentDropoutOpt,
    ScaleOpt,
    SeedOpt,
    SkipShort,
    Stride,
    Target,
    TestSize,
    TimeCol,
    UnitsOpt,
    ValSize,
)
from rnncli.errors import RnnCliError

app = typer.Typer(
    name="rnncli",
    help="Time-series forecasting with recurrent neural networks (SimpleRNN, LSTM, GRU), "
    "from a CSV, without writing code.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)

_STATE = {"debug": False}


def handle_errors(func: Any) -> Any:
    """Map user errors to one line on stderr and an exit code; tracebacks only with --debug."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except RnnCliError as exc:
            if _STATE["debug"]:
                raise
            console.err().print(f"Error: {exc}", markup=False, highlight=False)
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            if _STATE["debug"]:
                raise
            console.note("Interrupted.")
            raise typer.Exit(130) from None

    return wrapper


def _version(value: bool) -> None:
    if value:
        print(f"rnncli {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show full tracebacks (also RNNCLI_DEBUG=1).")
    ] = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Let TensorFlow's own log through.")
    ] = False,
) -> None:
    from rnncli import runtime

    _STATE["debug"] = debug or os.environ.get("RNNCLI_DEBUG", "") not in ("", "0")
    runtime.set_verbose(verbose)


def _value(v: Any) -> Any:
    if isinstance(v, Enum):
        return v.value
    if isinstance(v, list):
        return tuple(v) or None
    return v


def make_config(config_file: Path | None, flags: dict[str, Any]) -> Any:
    """The effective RunConfig: YAML file (if any), then the flags that were given."""
    from rnncli import config as cfg

    file_options = cfg.load_yaml(config_file) if config_file is not None else {}
    return cfg.merge(file_options, {k: _value(v) for k, v in flags.items()})


def open_data(data: str) -> tuple[Any, str]:
    """A path, or stdin for '-': (source, label for messages)."""
    if data != "-":
        return data, data
    if sys.stdin is None or sys.stdin.isatty():
        raise RnnCliError("DATA is '-' but nothing is piped to stdin; pipe a CSV or name a file")
    return sys.stdin, "<stdin>"


def summary_rows(ds: Any, spec: dict[str, Any]) -> list[dict[str, Any]]:
    from rnncli.data import format_time
    from rnncli.dataset import SPLITS

    rows = []
    for i, name in enumerate(SPLITS):
        idx = ds.part(i)
        times = ds.target_time[idx]
        rows.append(
            {
                "split": name,
                "windows": len(idx),
                "series": len(set(ds.series[idx].tolist())),
                "first_target": format_time(times.min()) if len(idx) else None,
                "last_target": format_time(times.max()) if len(idx) else None,
            }
        )
    unused = int((ds.split < 0).sum())
    if unused:  # targets straddle two parts: kept in x (evenly spaced views), never used
        rows.append(
            {
                "split": "unused",
                "windows": unused,
                "series": None,
                "first_target": None,
                "last_target": None,
            }
        )
    return rows


@app.command()
@handle_errors
def ingest(
    data: DataArg,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write the windows to this .npz file.")
    ] = None,
    time_col: TimeCol = None,
    target: Target = None,
    features: Features = None,
    id_col: IdCol = None,
    fill: FillOpt = None,
    look_back: LookBack = None,
    horizon: Horizon = None,
    stride: Stride = None,
    min_look_back: MinLookBack = None,
    pad: PadOpt = None,
    val_size: ValSize = None,
    test_size: TestSize = None,
    scale: ScaleOpt = None,
    difference: Difference = None,
    skip_short: SkipShort = None,
    config: ConfigOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Turn a CSV into look-back windows (x, y, mask) with chronological splits and scaling."""
    flags = dict(locals())
    for key in ("data", "out", "config", "fmt"):
        flags.pop(key)
    run = make_config(config, flags)
    from rnncli.pipeline import load_training_data

    source, label = open_data(data)
    _panel, ds, spec, _run = load_training_data(source, label, run, note=console.note)
    if out is not None:
        from rnncli.dataset import save_npz

        save_npz(out, ds, spec)
        console.note(f"wrote {out}")
    else:
        console.note("nothing written; pass --out FILE.npz to save the windows")
    shapes = {
        "x": list(ds.x.shape),
        "y": list(ds.y.shape),
        "mask": list(ds.mask.shape) if ds.mask is not None else None,
    }
    rows = summary_rows(ds, spec)
    if fmt == Format.json:
        console.write_json(
            {
                "columns": spec["columns"],
                "freq": spec["freq"],
                "series": len(ds.series_ids),
                "shapes": shapes,
                "splits": rows,
                "out": str(out) if out else None,
            }
        )
        return
    console.write_rows(rows, fmt.value, title="windows per split")
    if fmt == Format.table:
        c = spec["columns"]
        console.out().print(
            f"x {tuple(ds.x.shape)}  y {tuple(ds.y.shape)}  mask "
            f"{tuple(ds.mask.shape) if ds.mask is not None else 'none (no padding)'}\n"
            f"inputs: {', '.join(c['inputs'])}   targets: {', '.join(c['targets'])}   "
            f"series: {len(ds.series_ids)}   frequency: {spec['freq'] or 'unknown'}",
            markup=False,
        )


@app.command()
@handle_errors
def info(fmt: FormatOpt = Format.table) -> None:
    """Versions of rnncli, Python, TensorFlow and Keras, and the devices TensorFlow sees."""
    from rnncli import runtime

    data = runtime.info()
    if fmt == Format.json:
        console.write_json(data)
        return
    devices = "; ".join(
        f"{d['type']} {d['name']}" + (f" ({d['model']})" if d.get("model") else "")
        for d in data.pop("devices")
    )
    rows = [{"item": k, "value": str(v)} for k, v in data.items()]
    rows.append({"item": "devices", "value": devices})
    console.write_rows(rows, fmt.value)


def main() -> None:
    """Console-script entry point."""
    try:
        app(prog_name="rnncli")
    finally:
        if "tensorflow" in sys.modules:
            # Python's final garbage collection would walk every object TensorFlow and Keras
            # made at import (~1 s, measured in bench/bench_predict.py); freezing skips it
            gc.freeze()


# ---- train ---------------------------------------------------------------------------------


@app.command()
@handle_errors
def train(
    data: Annotated[
        str | None,
        typer.Argument(
            help="CSV file (- for stdin) or an .npz from 'rnncli ingest'.", metavar="DATA"
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Model directory [default: models/<data name>]."),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing model.")] = False,
    cell: CellOpt = None,
    units: UnitsOpt = None,
    layers: LayersOpt = None,
    bidirectional: BidirectionalOpt = None,
    activation: ActivationOpt = None,
    dropout: DropoutOpt = None,
    recurrent_dropout: RecurrentDropoutOpt = None,
    padding: PaddingOpt = None,
    normalize: NormalizeOpt = None,
    optimizer: OptimizerOpt = None,
    learning_rate: LearningRateOpt = None,
    loss: LossOpt = None,
    epochs: EpochsOpt = None,
    batch_size: BatchSizeOpt = None,
    patience: PatienceOpt = None,
    clipnorm: ClipnormOpt = None,
    clipvalue: ClipvalueOpt = None,
    seed: SeedOpt = None,
    device: DeviceOpt = None,
    time_col: TimeCol = None,
    target: Target = None,
    features: Features = None,
    id_col: IdCol = None,
    fill: FillOpt = None,
    look_back: LookBack = None,
    horizon: Horizon = None,
    stride: Stride = None,
    min_look_back: MinLookBack = None,
    pad: PadOpt = None,
    val_size: ValSize = None,
    test_size: TestSize = None,
    scale: ScaleOpt = None,
    difference: Difference = None,
    skip_short: SkipShort = None,
    config: ConfigOpt = None,
    print_config: Annotated[
        bool, typer.Option("--print-config", help="Print the effective YAML config and exit.")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress output.")] = False,
    fmt: FormatOpt = Format.table,
) -> None:
    """Train a SimpleRNN, LSTM or GRU forecaster and save it as a model directory."""
    flags = dict(locals())
    for key in ("data", "out", "force", "config", "print_config", "quiet", "fmt"):
        flags.pop(key)
    run = make_config(config, flags)
    if print_config:
        from rnncli.config import dump_yaml

        sys.stdout.write(dump_yaml(run))
        return
    if data is None:
        raise typer.BadParameter("DATA is required (a CSV file, - for stdin, or an .npz)")
    from rnncli import pipeline

    source, label = open_data(data)
    if out is None:
        out = Path("models") / Path(label if data != "-" else "stdin").stem
        console.note(f"model directory: {out} (set --out to choose)")
    say = (lambda _msg: None) if quiet else console.note
    progress = console.EpochProgress(run.train.epochs, quiet=quiet)
    try:
        outcome = pipeline.train(run, source, label, out, force=force, note=say, on_epoch=progress)
    finally:
        progress.close()
    fit = outcome.fit
    say(
        f"trained {run.model.cell} ({outcome.params:,} parameters) for {len(fit.history)} epochs "
        f"in {fit.seconds:.1f} s on {outcome.device}; best epoch {fit.best_epoch} "
        f"(loss {fit.best_loss:.4g})"
    )
    console.note(f"saved {outcome.path}")
    if outcome.metrics:
        cols = [
            "series",
            "target",
            "method",
            "mae",
            "rmse",
            "mape",
            "smape",
            "mase",
            "mae_vs_naive",
        ]
        console.write_rows(outcome.metrics, fmt.value, title="held-out test part", columns=cols)


# ---- evaluate --------------------------------------------------------------------------------


@app.command()
@handle_errors
def evaluate(
    model_dir: ModelDir,
    data: Annotated[
        str | None,
        typer.Argument(
            help="CSV (- for stdin) [default: the data the model was trained on].", metavar="[DATA]"
        ),
    ] = None,
    season: Annotated[
        int | None,
        typer.Option(
            help="Seasonal period for MASE and seasonal naive [default: from the "
            "time frequency: 12 monthly, 4 quarterly, 7 daily, 5 business-daily, "
            "24 hourly, else 1].",
            min=1,
        ),
    ] = None,
    backtest: Annotated[
        int | None,
        typer.Option(
            help="Score only the last K forecast origins of each series' test part "
            "(rolling origin, no retraining).",
            min=1,
        ),
    ] = None,
    plot: Annotated[
        Path | None,
        typer.Option(
            "--plot",
            help="Draw history, actuals and forecasts to a PNG (needs the 'plot' extra).",
            dir_okay=False,
        ),
    ] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Score a model on its held-out test part, beside naive and seasonal-naive forecasts."""
    from rnncli import artifacts
    from rnncli import evaluate as core

    artifact = artifacts.load(model_dir)
    source, label = open_data(data) if data is not None else (None, None)
    report = core.evaluate(artifact, source, label, season=season, backtest=backtest)
    targets = list(artifact.meta["data"]["columns"]["targets"])
    if plot is not None:
        core.plot(report, plot, targets)
        console.note(f"wrote {plot}")
    console.note(f"{report.windows} test windows, season {report.season}")
    if fmt == Format.json:
        console.write_json(
            {
                "season": report.season,
                "windows": report.windows,
                "metrics": report.rows,
                "interval_coverage": report.coverage,
            }
        )
        return
    cols = [
        "series",
        "target",
        "method",
        "windows",
        "mae",
        "rmse",
        "mape",
        "smape",
        "mase",
        "mae_vs_naive",
        "mae_vs_seasonal_naive",
    ]
    console.write_rows(report.rows, fmt.value, title="test part", columns=cols)
    if report.coverage and fmt == Format.table:
        console.write_rows(report.coverage, fmt.value, title="prediction interval coverage (%)")


# ---- inspect-weights -------------------------------------------------------------------------


@app.command("inspect-weights")
@handle_errors
def inspect_weights(
    model_dir: ModelDir,
    values: Annotated[
        bool, typer.Option("--values", help="Also print the weight matrices, per gate.")
    ] = False,
    fmt: FormatOpt = Format.table,
) -> None:
    """Parameter counts per layer and per gate, and optionally the weights themselves."""
    from rnncli import artifacts, weights

    artifact = artifacts.load(model_dir)
    report = weights.breakdown(artifact.model)
    if fmt == Format.json:
        console.write_json(weights.report_to_dict(report, values=values))
        return
    console.write_rows(weights.rows(report), fmt.value, title=f"parameters of {model_dir}")
    if values and fmt == Format.table:
        console.out().print(weights.format_values(report), markup=False)


# ---- predict ---------------------------------------------------------------------------------


def _levels(text: str | None) -> tuple[int, ...]:
    """'80,95' -> (80, 95); whole percentages 50..99 (a usage error otherwise)."""
    if not text:
        return ()
    levels: list[int] = []
    for part in text.split(","):
        try:
            level = int(part.strip())
        except ValueError:
            level = -1
        if not 50 <= level <= 99:
            raise typer.BadParameter(
                f"{part.strip()!r} is not a level: give whole percentages from 50 to 99, "
                f"e.g. 80,95",
                param_hint="'--intervals'",
            )
        levels.append(level)
    return tuple(dict.fromkeys(levels))


def _write_stdout(render: Any) -> None:
    """Write to stdout; a reader that stops early (`| head`) ends the command quietly."""
    try:
        render(sys.stdout)
        sys.stdout.flush()
    except BrokenPipeError:
        # point stdout at devnull so that the flush at exit cannot fail again, then stop
        # with the status of a process ended by SIGPIPE (128 + 13), without a traceback
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError, AttributeError):
            pass
        raise typer.Exit(141) from None


@app.command()
@handle_errors
def predict(
    model_dir: Annotated[
        Path, typer.Argument(help="Model directory made by 'rnncli train'.", metavar="MODEL_DIR")
    ],
    data: DataArg,
    steps: Annotated[
        int | None,
        typer.Option(
            "--steps",
            "-n",
            min=1,
            help="Steps to forecast after each series' last time stamp [default: the model's "
            "horizon]. Steps beyond the horizon are recursive (forecasts fed back).",
        ),
    ] = None,
    intervals: Annotated[
        str | None,
        typer.Option(
            "--intervals",
            metavar="LEVELS",
            help="Prediction intervals at these levels in percent, e.g. 80,95: columns "
            "<target>_lo80, <target>_hi80, ... (conformal, from the validation residuals; "
            "past the horizon the last step's width is reused).",
        ),
    ] = None,
    future: Annotated[
        Path | None,
        typer.Option(
            "--future",
            dir_okay=False,
            help="CSV of the features' future values (time column, id column, feature "
            "columns): needed for --steps beyond the horizon when the model reads features.",
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            dir_okay=False,
            help="Write the forecast to this file (atomically: complete or not at all) "
            "instead of stdout.",
        ),
    ] = None,
    fmt: Annotated[
        Format | None,
        typer.Option(
            "--format",
            "-f",
            help="Output format [default: table on a terminal, csv when piped; with --output: "
            "json for a .json file, else csv].",
        ),
    ] = None,
) -> None:
    """Forecast the next steps after the last time stamp of each series in DATA.

    DATA is read with the model's columns and scaled with the statistics recorded at
    training. Only the forecast goes to stdout (exit 0; 1 for a data or model error,
    2 for a usage error); notes and warnings go to stderr.
    """
    import io

    from rnncli import predicting

    levels = _levels(intervals)
    source, label = open_data(data)
    fc = predicting.predict(
        model_dir,
        source,
        label,
        steps=steps,
        levels=levels,
        future=str(future) if future is not None else None,
        future_label=str(future) if future is not None else "--future",
    )
    for line in fc.warnings:
        console.warn(line)
    for line in fc.notes:
        console.note(line)
    rows = predicting.rows(fc)
    title = f"forecast from {model_dir}"
    if output is not None:
        kind = fmt or (Format.json if output.suffix.lower() == ".json" else Format.csv)
        buffer = io.StringIO()
        console.write_rows(rows, kind.value, title=title, stream=buffer)
        predicting.write_atomic(output, buffer.getvalue())
        console.note(f"wrote {len(rows)} rows to {output}")
        return
    if fmt is None:
        fmt = Format.table if sys.stdout.isatty() else Format.csv
    _write_stdout(lambda stream: console.write_rows(rows, fmt.value, title=title, stream=stream))
