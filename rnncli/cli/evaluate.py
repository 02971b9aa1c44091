"""`rnncli evaluate`: the held-out metrics table beside the baselines."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from rnncli.cli import render as console
from rnncli.cli.common import app, handle_errors, list_skipped, open_data
from rnncli.cli.helpformat import HelpCommand, examples
from rnncli.cli.options import (
    FORECAST_PANEL,
    OUTPUT_PANEL,
    SEASON_DEFAULT,
    Engine,
    EngineOpt,
    Format,
    FormatOpt,
    ListSkipped,
    ModelDir,
    PlotSeriesOpt,
    SkipInvalid,
)


@app.command(
    cls=HelpCommand,
    epilog=examples(
        "rnncli evaluate models/prices",
        "rnncli evaluate models/prices newer.csv --backtest 20 --plot t.png",
    ),
)
@handle_errors
def evaluate(
    model_dir: ModelDir,
    data: Annotated[
        str | None,
        typer.Argument(
            help="CSV (- for stdin) [default: the data the model was trained on].", metavar="DATA"
        ),
    ] = None,
    season: Annotated[
        int | None,
        typer.Option(
            help="Seasonal period for MASE and seasonal naive " + SEASON_DEFAULT,
            min=1,
            rich_help_panel=FORECAST_PANEL,
        ),
    ] = None,
    backtest: Annotated[
        int | None,
        typer.Option(
            help="Score only the last K forecast origins of each series' test part "
            "(rolling origin, no retraining).",
            min=1,
            rich_help_panel=FORECAST_PANEL,
        ),
    ] = None,
    plot: Annotated[
        Path | None,
        typer.Option(
            "--plot",
            help="Draw the test part to a PNG: some history, the actuals, the forecasts of "
            "each origin and the 80 % interval band.",
            dir_okay=False,
            rich_help_panel=OUTPUT_PANEL,
        ),
    ] = None,
    series: PlotSeriesOpt = None,
    engine: EngineOpt = Engine.numpy,
    skip_invalid: SkipInvalid = False,
    verbose: ListSkipped = False,
    fmt: FormatOpt = Format.table,
) -> None:
    """Score a model on its held-out test part, beside naive and seasonal-naive forecasts."""
    if series and plot is None:
        raise typer.BadParameter(
            "it chooses what --plot draws; add --plot FILE.png", param_hint="'--series'"
        )
    from rnncli import evaluate as core
    from rnncli import modeldir

    model = modeldir.load(model_dir, console.note)
    source, label = open_data(data) if data is not None else (None, None)
    report = core.evaluate(
        model,
        source,
        label,
        season=season,
        backtest=backtest,
        engine=engine.value,
        note=console.note,
        skip_invalid=skip_invalid,
    )
    for line in report.warnings:
        console.warn(line)
    list_skipped(report.prep.skipped, verbose)
    for line in report.notes:
        console.note(line)
    targets = list(model.card.columns.targets)
    if plot is not None:
        from rnncli import plotting

        fig, plot_notes = plotting.heldout_figure_of(
            report,
            targets=targets,
            time_label=model.card.columns.time_col or "position",
            id_col=model.card.columns.id_col,
            calibration=model.read_json(modeldir.CALIBRATION_FILE),
            chosen=series or (),
        )
        plotting.save_png(fig, plot)
        for line in plot_notes:
            console.note(line)
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
        *(["n_series"] if len(report.prep.ids) > 1 else []),
        "mae",
        "rmse",
        "mape",
        "smape",
        "mase",
        "mae_vs_naive",
        "mae_vs_seasonal_naive",
    ]
    title = "test part" + (
        ": the all rows are the mean over series of each series' metric"
        if len(report.prep.ids) > 1
        else ""
    )
    console.write_rows(report.rows, fmt.value, title=title, columns=cols)
    from rnncli.scoring import notes

    for line in notes(report.rows):
        console.note(line)
    if report.coverage and fmt == Format.table:
        console.write_rows(report.coverage, fmt.value, title="prediction interval coverage (%)")
