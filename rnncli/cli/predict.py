"""`rnncli predict`: forecasts after each series' last time stamp."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from rnncli.cli import render as console
from rnncli.cli.common import app, handle_errors, list_skipped, open_data, write_stdout
from rnncli.cli.helpformat import HelpCommand, examples
from rnncli.cli.options import (
    FORECAST_PANEL,
    OUTPUT_PANEL,
    DataArg,
    Engine,
    EngineOpt,
    Format,
    ListSkipped,
    ModelDir,
    PlotSeriesOpt,
    SkipInvalid,
)


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


@app.command(
    cls=HelpCommand,
    epilog=examples(
        "rnncli predict models/prices prices.csv --steps 5 --intervals 80,95",
        "cat today.csv | rnncli predict models/prices - --output fc.csv",
    ),
)
@handle_errors
def predict(
    model_dir: ModelDir,
    data: DataArg,
    steps: Annotated[
        int | None,
        typer.Option(
            "--steps",
            "-n",
            min=1,
            help="Steps to forecast after each series' last time stamp [default: the model's "
            "horizon]. Steps beyond the horizon are recursive (forecasts fed back).",
            rich_help_panel=FORECAST_PANEL,
        ),
    ] = None,
    intervals: Annotated[
        str | None,
        typer.Option(
            "--intervals",
            metavar="LEVELS",
            help="Prediction intervals at these levels in percent, e.g. 80,95: columns "
            "<target>_lo80, <target>_hi80, ... (conformal, from the validation windows' "
            "residuals per step; past the horizon, those of the recursion run on them). A "
            "level the windows cannot support is refused.",
            rich_help_panel=FORECAST_PANEL,
        ),
    ] = None,
    future: Annotated[
        Path | None,
        typer.Option(
            "--future",
            dir_okay=False,
            help="CSV or Parquet file of the inputs' future values (time column, id column, "
            "input columns): the known-future (--known) columns at every step forecast, in "
            "whole horizons; the past-only features for --steps beyond the horizon. Calendar "
            "inputs need none.",
            rich_help_panel=FORECAST_PANEL,
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            dir_okay=False,
            help="Write the forecast to this file (atomically: complete or not at all) "
            "instead of stdout: .csv, .csv.gz, .json or .parquet, by its extension.",
            rich_help_panel=OUTPUT_PANEL,
        ),
    ] = None,
    plot: Annotated[
        Path | None,
        typer.Option(
            "--plot",
            dir_okay=False,
            help="Also draw the forecast to a PNG: the last few horizons of history, the "
            "forecast and its interval bands; one small panel per series.",
            rich_help_panel=OUTPUT_PANEL,
        ),
    ] = None,
    series: PlotSeriesOpt = None,
    engine: EngineOpt = Engine.numpy,
    skip_invalid: SkipInvalid = False,
    verbose: ListSkipped = False,
    fmt: Annotated[
        Format | None,
        typer.Option(
            "--format",
            "-f",
            help="Output format [default: table on a terminal, csv when piped; with --output: "
            "the file's extension].",
            case_sensitive=False,
            rich_help_panel=OUTPUT_PANEL,
        ),
    ] = None,
) -> None:
    """Forecast the next steps after the last time stamp of each series in DATA.

    DATA is read with the model's columns and scaled with the statistics recorded at
    training. Only the forecast goes to stdout (exit 0; 1 for a data or model error,
    2 for a usage error); notes and warnings go to stderr.
    """
    import io

    from rnncli import predict as library

    if series and plot is None:
        raise typer.BadParameter(
            "it chooses what --plot draws; add --plot FILE.png", param_hint="'--series'"
        )
    levels = _levels(intervals)
    kind = library.output_kind(output, fmt.value if fmt else None) if output else None
    source, label = open_data(data)
    fc = library.predict(
        model_dir,
        source,
        label,
        steps=steps,
        levels=levels,
        future=str(future) if future is not None else None,
        future_label=str(future) if future is not None else "--future",
        engine=engine.value,
        note=console.note,
        skip_invalid=skip_invalid,
    )
    for line in fc.warnings:
        console.warn(line)
    list_skipped(fc.skipped, verbose)
    for line in fc.notes:
        console.note(line)
    if plot is not None:
        from rnncli import plotting

        fig, plot_notes = plotting.forecast_figure_of(fc, series or ())
        plotting.save_png(fig, plot)
        for line in plot_notes:
            console.note(line)
        console.note(f"wrote {plot}")
    rows = library.rows(fc)
    title = f"forecast from {model_dir}"
    if output is not None and kind is not None:
        if kind == "parquet":
            payload: str | bytes = library.parquet(fc)
        else:
            buffer = io.StringIO()
            console.write_rows(rows, kind.removesuffix(".gz"), title=title, stream=buffer)
            payload = buffer.getvalue()
        library.write_atomic(output, payload, gzipped=kind.endswith(".gz"))
        console.note(f"wrote {len(rows)} rows to {output}")
        return
    if fmt is None:
        fmt = Format.table if sys.stdout.isatty() else Format.csv
    write_stdout(lambda stream: console.write_rows(rows, fmt.value, title=title, stream=stream))
