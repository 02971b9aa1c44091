"""`rnncli info`: versions and devices."""

from __future__ import annotations

from rnncli.cli import render as console
from rnncli.cli.common import app, handle_errors
from rnncli.cli.helpformat import HelpCommand, examples
from rnncli.cli.options import (
    Format,
    FormatOpt,
)


@app.command(cls=HelpCommand, epilog=examples("rnncli info", "rnncli info --format json"))
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
