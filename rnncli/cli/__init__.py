"""The command layer: the Typer app, its shared options, rendering, one module per command.

Only this package imports typer and rich (ruff's banned-api enforces it). Each command module
parses its options, calls one plain library function and renders the result; TensorFlow is
never imported here, so `--help` and Tab completion stay fast.
"""

from rnncli.cli import evaluate, info, ingest, inspect_weights, predict, train  # noqa: F401
from rnncli.cli.common import app, main, open_data

__all__ = ["app", "main", "open_data"]
