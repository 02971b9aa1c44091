"""`rnncli evaluate`: the held-out metrics table beside the baselines."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from rnncli.cli import render as console
from rnncli.cli.common import app, handle_errors, open_data
from rnncli.cli.helpformat import HelpCommand, examples
from rnncli.cli.options import (
    FORECAST_PANEL,
    OUTPUT_PANEL,
    SEASON_DEFAULT,
    Engine,
    EngineOpt,
    Format,
    FormatOpt,
    ModelDir,
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
            help="Draw history, actuals and forecasts to a PNG (needs the 'plot' extra).",
            dir_okay=False,
            rich_help_panel=OUTPUT_PANEL,
        ),
    ] = None,
    engine: EngineOpt = Engine.numpy,
    fmt: FormatOpt = Format.table,
) -> None:
    """Score a model on its held-out test part, beside naive and seasonal-naive forecasts."""
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
    )
    targets = list(model.card.columns.targets)
    if plot is not None:
        core.plot(report, plot, targets, model.card.horizon)
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
