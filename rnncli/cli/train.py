"""`rnncli train`: parse the options, train, render the held-out table."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from rnncli.cli import render as console
from rnncli.cli.common import app, handle_errors, make_config, open_data, write_stdout
from rnncli.cli.helpformat import HelpCommand, examples
from rnncli.cli.options import (
    OUTPUT_PANEL,
    ActivationOpt,
    BatchSizeOpt,
    BidirectionalOpt,
    CalendarOpt,
    CalibrateOnOpt,
    CellOpt,
    ClipnormOpt,
    ClipvalueOpt,
    ConfigOpt,
    DeseasonalizeOpt,
    DeviceOpt,
    Difference,
    DistributeOpt,
    DropoutOpt,
    EnsembleOpt,
    EpochsOpt,
    Features,
    FillOpt,
    Format,
    FormatOpt,
    Horizon,
    IdCol,
    JobsOpt,
    Known,
    LayersOpt,
    LearningRateOpt,
    LookBack,
    LossOpt,
    MinLookBack,
    NormalizeOpt,
    OptimizerOpt,
    PaddingOpt,
    PadOpt,
    PatienceOpt,
    RecurrentDropoutOpt,
    RefitOpt,
    ScaleOpt,
    SeasonOpt,
    SeedOpt,
    SeriesWeightOpt,
    SkipShort,
    Stride,
    Target,
    TestSize,
    TimeCol,
    TimeFormat,
    TransformOpt,
    UnitsOpt,
    ValSize,
    XlaOpt,
)


@app.command(
    cls=HelpCommand,
    epilog=examples(
        "rnncli train sample_data/prices.csv --cell gru --horizon 5",
        "rnncli train m1.csv --id-col series_id --horizon 18 --out models/m1",
    ),
)
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
        typer.Option(
            "--out",
            "-o",
            help="Model directory [default: models/<data name>].",
            rich_help_panel=OUTPUT_PANEL,
        ),
    ] = None,
    force: Annotated[
        bool,
        typer.Option("--force", help="Replace an existing model.", rich_help_panel=OUTPUT_PANEL),
    ] = False,
    cell: CellOpt = None,
    units: UnitsOpt = None,
    layers: LayersOpt = None,
    bidirectional: BidirectionalOpt = None,
    activation: ActivationOpt = None,
    dropout: DropoutOpt = None,
    recurrent_dropout: RecurrentDropoutOpt = None,
    padding: PaddingOpt = None,
    optimizer: OptimizerOpt = None,
    learning_rate: LearningRateOpt = None,
    loss: LossOpt = None,
    series_weight: SeriesWeightOpt = None,
    ensemble: EnsembleOpt = None,
    jobs: JobsOpt = None,
    refit: RefitOpt = None,
    calibrate_on: CalibrateOnOpt = None,
    epochs: EpochsOpt = None,
    batch_size: BatchSizeOpt = None,
    patience: PatienceOpt = None,
    clipnorm: ClipnormOpt = None,
    clipvalue: ClipvalueOpt = None,
    seed: SeedOpt = None,
    device: DeviceOpt = None,
    xla: XlaOpt = None,
    distribute: DistributeOpt = None,
    time_col: TimeCol = None,
    time_format: TimeFormat = None,
    target: Target = None,
    features: Features = None,
    known: Known = None,
    calendar: CalendarOpt = None,
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
    transform: TransformOpt = None,
    deseasonalize: DeseasonalizeOpt = None,
    season: SeasonOpt = None,
    difference: Difference = None,
    normalize: NormalizeOpt = None,
    skip_short: SkipShort = None,
    config: ConfigOpt = None,
    print_config: Annotated[
        bool, typer.Option("--print-config", help="Print the effective YAML config and exit.")
    ] = False,
    quiet: Annotated[
        bool,
        typer.Option("--quiet", "-q", help="No progress output.", rich_help_panel=OUTPUT_PANEL),
    ] = False,
    fmt: FormatOpt = Format.table,
) -> None:
    """Train a SimpleRNN, LSTM or GRU forecaster and save it as a model directory."""
    flags = dict(locals())
    for key in ("data", "out", "force", "config", "print_config", "quiet", "fmt"):
        flags.pop(key)
    run, paths = make_config(config, flags)
    data = data if data is not None else paths.get("data")
    if out is None and "out" in paths:
        out = Path(paths["out"])
    if print_config:
        from rnncli.config import dump_yaml
        from rnncli.train import pin_columns

        pinned = {}
        if data is not None:
            pinned["data"] = data if data == "-" else str(Path(data).resolve())
            if data != "-" and not data.endswith(".npz"):  # the detected columns, written out
                run = pin_columns(run, data)
        if out is not None:
            pinned["out"] = str(out.resolve())
        write_stdout(lambda stream: stream.write(dump_yaml(run, pinned)))
        return
    if data is None:
        raise typer.BadParameter(
            "DATA is required (a CSV or Parquet file, - for stdin, or an .npz), on the command "
            "line or as 'data:' in --config"
        )
    from rnncli.train import train as train_model

    source, label = open_data(data)
    if out is None:
        out = Path("models") / Path(label if data != "-" else "stdin").stem.removesuffix(".csv")
        console.note(f"model directory: {out} (set --out to choose)")
    say = (lambda _msg: None) if quiet else console.note
    progress = console.EpochProgress(run.train.epochs, quiet=quiet)
    try:
        outcome = train_model(run, source, label, out, force=force, note=say, on_epoch=progress)
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
            *(["n_series"] if outcome.metrics[0].get("n_series", 1) > 1 else []),
            "mae",
            "rmse",
            "mape",
            "smape",
            "mase",
            "mae_vs_naive",
        ]
        title = (
            "held-out test part"
            if outcome.metrics_split == "test"
            else "validation part (no test part; early stopping watched it)"
        )
        if cols[3] == "n_series":
            title += ": each all row is the mean over series of each series' metric"
        console.write_rows(outcome.metrics, fmt.value, title=title, columns=cols)
        from rnncli.scoring import notes

        for line in notes(outcome.metrics):
            console.note(line)
