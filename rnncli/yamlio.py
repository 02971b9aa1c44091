"""The one YAML reader of rnncli (`--config` files and the model card): safe and bounded.

Safe: only plain YAML types are built (libyaml's safe loader when PyYAML has it); a
`!!python/...` tag, which could run code, is refused as unsafe before anything is built.
Bounded: a size limit checked before reading, a nesting limit, and a limit on the nodes that
aliases add (a 553-byte "billion laughs" expands to 387 million), all checked on the
composed node graph before construction. A key given twice in one mapping is an error naming
the key and both lines (YAML would silently keep the last). Every failure is one
`RnnCliError` of the caller's class naming the file and the line.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

from rnncli.errors import RnnCliError

# libyaml's parser when PyYAML has it: a 617-series card loads 7x faster, and libyaml itself
# refuses more than 1000 nesting levels (the pure-Python composer would recurse instead)
_BaseLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

MAX_DEPTH = 100  # nesting levels (a model card uses 5)
ALIAS_NODES = 10_000  # nodes that aliases may add beyond the document's own ...
ALIAS_FACTOR = 10  # ... or this many times its own, whichever is more
_PYTHON_TAG = "tag:yaml.org,2002:python/"


class _Refused(Exception):
    """A document rnncli does not build: the reason and the 0-based line."""

    def __init__(self, reason: str, line: int | None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = line


def _line(node: yaml.Node) -> int | None:
    mark = getattr(node, "start_mark", None)
    return mark.line if mark is not None else None


class _Loader(_BaseLoader):  # type: ignore[misc]
    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[tuple[str, str], int | None] = {}
        for key_node, _value in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.value == "<<":
                continue  # merge keys (`<<: *base`) override on purpose
            key = (key_node.tag, key_node.value)
            if key in seen:
                first, again = seen[key], _line(key_node)
                lines = f"lines {_human(first)} and {_human(again)}"
                raise _Refused(f"key '{key_node.value}' appears twice ({lines}); keep one", None)
            seen[key] = _line(key_node)
        result: dict[Any, Any] = super().construct_mapping(node, deep=deep)
        return result


def _human(line: int | None) -> str:
    return "?" if line is None else str(line + 1)


def _check(root: yaml.Node) -> None:
    """Depth, unsafe tags and alias expansion, on the node graph (iterative, each node once)."""
    size: dict[int, int] = {}  # expanded node count below and including each node
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, int, bool]] = [(root, 1, False)]
    distinct = 0
    while stack:
        node, depth, done = stack.pop()
        key = id(node)
        if done:
            on_path.discard(key)
            size[key] = 1 + sum(size[id(c)] for c in _children(node))
            continue
        if key in size:
            continue
        if key in on_path:
            raise _Refused("an alias refers to the node that contains it (a cycle)", _line(node))
        if node.tag.startswith(_PYTHON_TAG):
            raise _Refused(_unsafe(node.tag), _line(node))
        if depth > MAX_DEPTH:
            raise _Refused(f"nested more than {MAX_DEPTH} levels deep", _line(node))
        distinct += 1
        on_path.add(key)
        stack.append((node, depth, True))
        stack.extend((c, depth + 1, False) for c in _children(node) if id(c) not in size)
    allowed = max(ALIAS_NODES, ALIAS_FACTOR * distinct)
    if size[id(root)] - distinct > allowed:
        raise _Refused(
            f"its aliases expand {distinct:,} nodes to {size[id(root)]:,} (more than "
            f"{allowed:,} beyond its own): write the values out",
            None,
        )


def _unsafe(tag: str) -> str:
    return (
        f"the tag !!{tag[len('tag:yaml.org,2002:') :]} asks to run Python code, which is "
        "unsafe: rnncli reads plain YAML only"
    )


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return []


def parse(text: str) -> Any:
    """The plain Python value of one YAML document; raises _Refused or yaml.YAMLError."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        if "*" in text or _BaseLoader is yaml.SafeLoader:
            _check(node)  # aliases (or no libyaml to bound the nesting): walk the graph
        try:
            return loader.construct_document(node)
        except ValueError as exc:  # Python refuses an integer of more than 4300 digits
            what = "an integer too long" if "digits" in str(exc) else str(exc)[:80]
            raise _Refused(f"a value cannot be read ({what})", None) from None
    finally:
        loader.dispose()


def read(path: Path, *, what: str, error: type[RnnCliError], max_bytes: int, hint: str) -> Any:
    """Read and parse the YAML file `path`; every failure is `error("{what} {path} ...{hint}")`.

    `what` names the file for the user ("config file"), `hint` ends each message with what to
    do ("; retrain the model").
    """
    try:
        with open(path, "rb") as fh:
            too_big = os.fstat(fh.fileno()).st_size > max_bytes  # known before reading it
            data = b"" if too_big else fh.read(max_bytes + 1)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise error(f"cannot read {what} {path}: {reason}{hint}") from None
    if too_big or len(data) > max_bytes:
        raise error(f"{what} {path} is larger than {max_bytes // 2**20} MiB{hint}")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise error(
            f"{what} {path} is not UTF-8 text (byte {exc.start} cannot be decoded){hint}"
        ) from None
    try:
        return parse(text)
    except _Refused as exc:
        where = f" at line {exc.line + 1}" if exc.line is not None else ""
        raise error(f"{what} {path}{where}: {exc.reason}{hint}") from None
    except yaml.constructor.ConstructorError as exc:
        tag = _PYTHON_TAG + (exc.problem or "").partition(_PYTHON_TAG)[2].rstrip("'")
        reason = _unsafe(tag) if tag != _PYTHON_TAG else f"is not plain YAML ({exc.problem})"
        raise error(f"{what} {path}{_where(exc, problem=False)}: {reason}{hint}") from None
    except yaml.YAMLError as exc:
        raise error(f"{what} {path} is not valid YAML{_where(exc)}{hint}") from None
    except RecursionError:  # the pure-Python composer, without libyaml
        raise error(f"{what} {path} is nested too deeply{hint}") from None


def _where(exc: yaml.YAMLError, problem: bool = True) -> str:
    mark = getattr(exc, "problem_mark", None)
    problem_text = getattr(exc, "problem", None) if problem else None
    at = f" at line {mark.line + 1}" if mark is not None else ""
    if problem_text and "nesting depth" in problem_text:
        return f"{at} (nested more than 1000 levels deep)"
    return f"{at} ({problem_text})" if problem_text else at


__all__ = ["ALIAS_FACTOR", "ALIAS_NODES", "MAX_DEPTH", "parse", "read"]
