"""`rnncli inspect-weights`: parameters per layer and gate."""

from __future__ import annotations

from typing import Annotated

import typer

from rnncli.cli import render as console
from rnncli.cli.common import app, handle_errors
from rnncli.cli.helpformat import HelpCommand, examples
from rnncli.cli.options import (
    OUTPUT_PANEL,
    Engine,
    EngineOpt,
    Format,
    FormatOpt,
    ModelDir,
)
from rnncli.errors import ArtifactError


@app.command(
    "inspect-weights",
    cls=HelpCommand,
    epilog=examples(
        "rnncli inspect-weights models/prices",
        "rnncli inspect-weights models/prices --values --format json",
    ),
)
@handle_errors
def inspect_weights(
    model_dir: ModelDir,
    values: Annotated[
        bool,
        typer.Option(
            "--values",
            help="Also print the weight matrices, per gate.",
            rich_help_panel=OUTPUT_PANEL,
        ),
    ] = False,
    engine: EngineOpt = Engine.numpy,
    fmt: FormatOpt = Format.table,
) -> None:
    """Parameter counts per layer and per gate, and optionally the weights themselves."""
    from rnncli import modeldir, weights

    model = modeldir.load(model_dir, console.note)
    if modeldir.engine_kind(model, engine.value, console.note) == "numpy":
        from rnncli.engine.ensemble import member_prefix
        from rnncli.engine.numpy_engine import load_weights

        arrays = load_weights(model.path / modeldir.WEIGHTS_FILE)
        members = model.card.engine.members
        if members > 1:
            console.note(f"an ensemble of {members}: member 1 shown (all have this layout)")
            arrays = modeldir.member_arrays(arrays, member_prefix(0))
        network = model.card.engine.network
        if network is None:  # engine_kind falls back to Keras without one
            raise ArtifactError(f"{model.path} has no engine.network in its card; retrain it")
        report = weights.breakdown_arrays(network, arrays)
    else:
        report = weights.breakdown(modeldir.load_keras(model))
    if fmt == Format.json:
        console.write_json(weights.report_to_dict(report, values=values))
        return
    # in a narrow terminal the details go first (all of them: --format json, a wider terminal)
    console.write_rows(
        weights.rows(report),
        fmt.value,
        title=f"parameters of {model_dir}",
        optional=("note", "formula", "gates", "class"),
    )
    if values and fmt == Format.table:
        console.out().print(weights.format_values(report), markup=False)
