"""`rnncli inspect-weights`: parameters per layer and gate."""

from __future__ import annotations

from typing import Annotated

import typer

from rnncli.cli import render as console
from rnncli.cli.common import app, handle_errors
from rnncli.cli.options import (
    Format,
    FormatOpt,
    ModelDir,
)


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
    from rnncli import modeldir as artifacts
    from rnncli import weights

    artifact = artifacts.load(model_dir)
    report = weights.breakdown(artifact.model)
    if fmt == Format.json:
        console.write_json(weights.report_to_dict(report, values=values))
        return
    console.write_rows(weights.rows(report), fmt.value, title=f"parameters of {model_dir}")
    if values and fmt == Format.table:
        console.out().print(weights.format_values(report), markup=False)
