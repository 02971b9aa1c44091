"""Plain `--help` with option groups and placeholders a person reads; usage errors in words.

Typer draws `rich_help_panel` groups only in its Rich help (boxes, and Rich imported for every
`--help`); this command class keeps Click's plain layout and writes one section per panel.
Every command is declared with `@app.command(cls=HelpCommand, epilog=...)`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import typer
from typer.core import TyperCommand

from rnncli.cli.options import GENERAL_PANEL, PANELS

_TYPE_NAMES = {int: "INTEGER", float: "FLOAT", str: "TEXT", Path: "PATH"}


def _metavar(param: Any) -> str | None:
    """INTEGER, FLOAT, TEXT, PATH/FILE, or [a|b|c] for a choice; None for a flag."""
    if getattr(param, "is_flag", False) or getattr(param, "count", False):
        return None
    desc = getattr(param, "type_descriptor", None)
    if desc is None:
        return None
    if desc.choices is not None:
        return "[" + "|".join(str(getattr(c, "value", c)) for c in desc.choices) + "]"
    annotation = desc.annotation
    if desc.is_list:
        annotation = (getattr(annotation, "__args__", None) or (str,))[0]
    if desc.is_path:
        return "FILE" if desc.parameter_info.dir_okay is False else "PATH"
    return _TYPE_NAMES.get(annotation, "VALUE")


def plain_message(exc: Exception) -> str | None:
    """A validation error in words ('abc' is not an integer), without the validator's jargon."""
    cause = exc.__cause__
    errors = getattr(cause, "errors", None)
    if not callable(errors):
        return None
    try:
        first = errors()[0]
    except (IndexError, TypeError):
        return None
    kind = first.get("type", "")
    value = first.get("input")
    limits = first.get("ctx") or {}
    if kind in ("int_parsing", "int_from_float", "int_type"):
        return f"{value!r} is not a whole number"
    if kind in ("float_parsing", "float_type"):
        return f"{value!r} is not a number"
    if kind == "greater_than_equal":
        return f"{value} is below the minimum {limits.get('ge')}"
    if kind == "greater_than":
        return f"{value} must be more than {limits.get('gt')}"
    if kind == "less_than_equal":
        return f"{value} is above the maximum {limits.get('le')}"
    if kind == "less_than":
        return f"{value} must be less than {limits.get('lt')}"
    message = str(first.get("msg", ""))
    return re.sub(r"^(Value|Assertion) error, ", "", message) or None


class HelpCommand(TyperCommand):
    """A Typer command whose help groups options by panel and names value types plainly."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for param in self.params:
            if param.param_type_name == "option" and param.metavar is None:
                param.metavar = _metavar(param)
            elif param.param_type_name == "argument" and param.metavar is None:
                param.metavar = (param.name or "").upper()

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        pieces = [self.options_metavar] if self.options_metavar else []
        for param in self.get_params(ctx):
            if param.param_type_name == "argument":
                name = param.metavar or (param.name or "").upper()
                pieces.append(name if param.required else f"[{name}]")
        return pieces

    def format_options(self, ctx: Any, formatter: Any) -> None:
        arguments: list[tuple[str, str]] = []
        panels: dict[str, list[tuple[str, str]]] = {}
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx)
            if record is None:
                continue
            if param.param_type_name == "argument":
                help_text = record[1].replace("  [required]", "").replace("[required]", "")
                arguments.append((param.metavar or record[0], help_text))
            else:
                panel = getattr(param, "rich_help_panel", None) or GENERAL_PANEL
                panels.setdefault(panel, []).append(record)
        if arguments:
            with formatter.section("Arguments"):
                formatter.write_dl(arguments)
        order = [p for p in PANELS if p in panels]
        order += [p for p in panels if p not in PANELS and p != GENERAL_PANEL]
        order += [GENERAL_PANEL] if GENERAL_PANEL in panels else []
        for panel in order:
            with formatter.section(panel):
                formatter.write_dl(panels[panel])

    def make_context(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().make_context(*args, **kwargs)
        except typer.BadParameter as exc:
            message = plain_message(exc)
            if message is not None:
                exc.message = message
            raise


def examples(*commands: str) -> str:
    """An epilog of example command lines, kept as written (Click's \\b: no re-wrapping)."""
    return "Examples:\n\n\b\n" + "\n".join(f"  $ {c}" for c in commands)
