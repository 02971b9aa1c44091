"""`rnncli ingest`: a CSV to look-back windows, splits and scaling."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from rnncli.cli import render as console
from rnncli.cli.common import app, handle_errors, make_config, open_data
from rnncli.cli.helpformat import HelpCommand, examples
from rnncli.cli.options import (
    OUTPUT_PANEL,
    ConfigOpt,
    DataArg,
    DeseasonalizeOpt,
    Difference,
    Features,
    FillOpt,
    Format,
    FormatOpt,
    Horizon,
    IdCol,
    LookBack,
    MinLookBack,
    PadOpt,
    ScaleOpt,
    SeasonOpt,
    SkipShort,
    Stride,
    Target,
    TestSize,
    TimeCol,
    TimeFormat,
    TransformOpt,
    ValSize,
)


def summary_rows(ds: Any, spec: dict[str, Any]) -> list[dict[str, Any]]:
    from rnncli.data import format_time
    from rnncli.splits import SPLITS

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


@app.command(
    cls=HelpCommand,
    epilog=examples(
        "rnncli ingest prices.csv --look-back 30 --horizon 5 --out w.npz",
    ),
)
@handle_errors
def ingest(
    data: DataArg,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", "-o", help="Write the windows to this .npz file.", rich_help_panel=OUTPUT_PANEL
        ),
    ] = None,
    time_col: TimeCol = None,
    time_format: TimeFormat = None,
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
    transform: TransformOpt = None,
    deseasonalize: DeseasonalizeOpt = None,
    season: SeasonOpt = None,
    difference: Difference = None,
    skip_short: SkipShort = None,
    config: ConfigOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Turn a CSV into look-back windows (x, y, mask) with chronological splits and scaling."""
    flags = dict(locals())
    for key in ("data", "out", "config", "fmt"):
        flags.pop(key)
    run, _paths = make_config(config, flags)  # a run file's data and out are train's
    from rnncli.tables import output_kind
    from rnncli.train import load_training_data

    if out is not None:
        output_kind(out, ("npz",), "the windows")

    source, label = open_data(data)
    _panel, ds, spec, _run = load_training_data(source, label, run, note=console.note, windows=True)
    if out is not None:
        from rnncli.windowsfile import save_npz

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
