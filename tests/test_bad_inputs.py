"""Bad inputs across every command: each one exit code and exactly one `Error:` line.

Table-driven. A case prepares an empty directory (a copy of the shared tiny model as `model`
when its command names MODEL, files it writes), runs one command in-process (CliRunner) and
checks: the exit code (2 for a bad option value, 1 for a data, model or system error), that
stderr holds exactly one `Error:` line, the last one, with the expected words, that nothing
reached stdout and no traceback was printed, and that no file was left behind (the directory
holds exactly what the case prepared). The cases that need a real stream (`> /dev/full`, a
closed pipe) run the console script in a subprocess. Data-file parsing (delimiters, decimal
commas, dates, compressed files) has its own corpus: tests/test_bad_inputs_files.py.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from conftest import one_error_line
from typer.testing import CliRunner

from rnncli.cli import app

SAMPLE = Path(__file__).resolve().parent.parent / "sample_data"
AIR = str(SAMPLE / "airpassengers.csv")
runner = CliRunner(env={"RNNCLI_DEBUG": None, "NO_COLOR": "1"})

BOMB = "".join(  # "billion laughs": 9 levels of 9 aliases, 387 million strings, 346 bytes
    f"{name}: &{name} [{', '.join([f'*{prev}'] * 9) if prev else ', '.join(['lol'] * 9)}]\n"
    for prev, name in zip(["", *"abcdefgh"], "abcdefghi", strict=True)
)


Setup = Callable[[Path], None]


@dataclass(frozen=True)
class Case:
    id: str
    args: tuple[str, ...]  # MODEL: the model copy, AIR: the sample CSV, other names: files here
    expect: tuple[str, ...]  # words the Error line must hold
    code: int = 1
    setup: Setup | None = None


def write(name: str, content: str | bytes) -> Setup:
    def setup(where: Path) -> None:
        path = where / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")

    return setup


def steps(*setups: Setup) -> Setup:
    def setup(where: Path) -> None:
        for s in setups:
            s(where)

    return setup


def card(edit: Callable[[str], str]) -> Setup:
    def setup(where: Path) -> None:
        file = where / "model" / "rnncli.yaml"
        file.write_text(edit(file.read_text(encoding="utf-8")), encoding="utf-8")

    return setup


def card_line(old: str, new: str) -> Setup:
    def edit(text: str) -> str:
        assert old in text, old
        return text.replace(old, new, 1)

    return card(edit)


def series(edit: Callable[[list], object]) -> Setup:
    def setup(where: Path) -> None:
        file = where / "model" / "series.json"
        file.write_text(json.dumps(edit(json.loads(file.read_text()))), encoding="utf-8")

    return setup


def series_record(key: str, value: object) -> Setup:
    def edit(records: list) -> list:
        if value is None:
            del records[0][key]
        else:
            records[0][key] = value
        return records

    return series(edit)


def remove(name: str) -> Setup:
    def setup(where: Path) -> None:
        path = where / "model" / name
        shutil.rmtree(path) if path.is_dir() else path.unlink()

    return setup


def replace(name: str, content: bytes | Callable[[bytes], bytes]) -> Setup:
    def setup(where: Path) -> None:
        path = where / "model" / name
        path.write_bytes(content(path.read_bytes()) if callable(content) else content)

    return setup


def weights(edit: Callable[[dict], dict]) -> Setup:
    def setup(where: Path) -> None:
        path = where / "model" / "weights.npz"
        with np.load(path) as f:
            arrays = edit(dict(f))
        np.savez(path, **arrays)

    return setup


def symlink(name: str, to: str) -> Setup:
    def setup(where: Path) -> None:
        (where / name).symlink_to(to)

    return setup


def sparse(name: str, size: int) -> Setup:
    def setup(where: Path) -> None:
        with open(where / name, "wb") as fh:
            fh.truncate(size)

    return setup


def mkdir(name: str) -> Setup:
    def setup(where: Path) -> None:
        (where / name).mkdir(parents=True)

    return setup


def config(text: str | bytes) -> Setup:
    return write("run.yaml", text)


CONFIG = ("train", "--config", "run.yaml", "--print-config")
INGEST_CONFIG = ("ingest", AIR, "--config", "run.yaml")
PREDICT = ("predict", "MODEL", AIR)
EVALUATE = ("evaluate", "MODEL")
INSPECT = ("inspect-weights", "MODEL")
TRAIN = ("train", AIR, "--out", "out", "--epochs", "1", "--units", "2", "--ensemble", "1")
DAILY = "date,value\n" + "".join(f"2020-01-{d:02d},{d}.5\n" for d in range(1, 29))


CASES = [
    # ---- YAML config files (--config): one loader, safe and bounded -------------------------
    Case("config-alias-bomb", CONFIG, ("aliases expand", "write the values out"), 2, config(BOMB)),
    Case(
        "config-alias-cycle",
        CONFIG,
        ("refers to the node that contains it",),
        2,
        config("units: &a [*a]\n"),
    ),
    Case(
        "config-too-deep",
        CONFIG,
        ("nested more than 1000 levels deep",),
        2,
        config("units: " + "[" * 5000 + "]" * 5000 + "\n"),
    ),
    Case(
        "config-deep-value",
        CONFIG,
        ("option 'units' must be int",),
        2,
        config("units: " + "[" * 200 + "]" * 200 + "\n"),
    ),
    Case(
        "config-duplicate-key",
        CONFIG,
        ("key 'units' appears twice (lines 1 and 3)",),
        2,
        config("units: 4\nepochs: 3\nunits: 8\n"),
    ),
    Case(
        "config-python-object",
        CONFIG,
        ("!!python/object/apply:os.system", "unsafe"),
        2,
        config('units: !!python/object/apply:os.system ["echo hi"]\n'),
    ),
    Case(
        "config-python-name",
        CONFIG,
        ("!!python/name:os.system", "unsafe"),
        2,
        config("units: !!python/name:os.system\n"),
    ),
    Case("config-unknown-tag", CONFIG, ("not plain YAML", "'!foo'"), 2, config("units: !foo 3\n")),
    Case(
        "config-invalid-yaml",
        CONFIG,
        ("not valid YAML at line 2",),
        2,
        config("look_back: 3\n  units: 4\n"),
    ),
    Case(
        "config-tab-indent",
        CONFIG,
        ("not valid YAML at line 3",),
        2,
        config("look_back: 3\nunits: 4\n\tepochs: 3\n"),
    ),
    Case(
        "config-not-a-mapping",
        CONFIG,
        ("must be a mapping of option: value",),
        2,
        config("- units\n- epochs\n"),
    ),
    Case(
        "config-latin1",
        CONFIG,
        ("not UTF-8 text",),
        2,
        config("target: caf\xe9\n".encode("latin-1")),
    ),
    Case("config-utf16", CONFIG, ("not UTF-8 text",), 2, config("units: 4\n".encode("utf-16"))),
    Case("config-binary", CONFIG, ("not UTF-8 text",), 2, config(bytes(range(128, 256)) * 4)),
    Case("config-huge", CONFIG, ("larger than 1 MiB",), 2, sparse("run.yaml", 2**31)),
    Case("config-directory", CONFIG, ("--config",), 2, mkdir("run.yaml")),
    Case("config-missing", CONFIG, ("run.yaml",), 2),
    Case("config-dangling-symlink", CONFIG, ("run.yaml",), 2, symlink("run.yaml", "gone.yaml")),
    Case(
        "config-int-too-large",
        CONFIG,
        ("option 'units' is too large", "2,147,483,647"),
        2,
        config("units: 1000000000000000000000000000000\n"),
    ),
    Case(
        "config-int-5000-digits",
        CONFIG,
        ("an integer too long",),
        2,
        config("units: " + "9" * 5000 + "\n"),
    ),
    Case(
        "config-inf",
        CONFIG,
        ("option 'learning_rate' must be a finite number",),
        2,
        config("learning_rate: .inf\n"),
    ),
    Case(
        "config-nan",
        CONFIG,
        ("option 'dropout' must be a finite number",),
        2,
        config("dropout: .nan\n"),
    ),
    Case(
        "config-unknown-key",
        CONFIG,
        ("unknown option 'lookback'", "valid options are"),
        2,
        config("lookback: 7\n"),
    ),
    Case(
        "config-wrong-type",
        CONFIG,
        ("option 'units' must be int, got 'many'",),
        2,
        config("units: many\n"),
    ),
    Case(
        "config-list-for-int",
        CONFIG,
        ("option 'epochs' must be int",),
        2,
        config("epochs: [1, 2, 3, 4, 5, 6, 7, 8, 9]\n"),
    ),
    Case(
        "config-zero-look-back",
        CONFIG,
        ("option 'look_back' must be greater than 0",),
        2,
        config("look_back: 0\n"),
    ),
    Case(
        "config-min-above-look-back",
        CONFIG,
        ("'min_look_back' (9) must not exceed",),
        2,
        config("look_back: 5\nmin_look_back: 9\n"),
    ),
    Case("config-bad-cell", CONFIG, ("option 'cell'",), 2, config("cell: transformer\n")),
    Case(
        "ingest-config-duplicate",
        INGEST_CONFIG,
        ("key 'horizon' appears twice",),
        2,
        config("horizon: 2\nhorizon: 3\n"),
    ),
    Case("ingest-config-bomb", INGEST_CONFIG, ("aliases expand",), 2, config(BOMB)),
    # ---- option values out of range: usage errors (exit 2) ---------------------------------
    Case(
        "train-learning-rate-0",
        ("train", AIR, "--learning-rate", "0"),
        ("'learning_rate' must be greater than 0",),
        2,
    ),
    Case(
        "train-learning-rate-nan",
        ("train", AIR, "--learning-rate", "nan"),
        ("--learning-rate",),
        2,
    ),
    Case(
        "train-learning-rate-inf",
        ("train", AIR, "--learning-rate", "inf"),
        ("'learning_rate' must be a finite number",),
        2,
    ),
    Case(
        "train-clipnorm-0",
        ("train", AIR, "--clipnorm", "0"),
        ("'clipnorm' must be greater than 0",),
        2,
    ),
    Case("train-clipvalue-negative", ("train", AIR, "--clipvalue", "-1"), ("clipvalue",), 2),
    Case(
        "train-min-look-back-above",
        ("train", AIR, "--look-back", "5", "--min-look-back", "6"),
        ("'min_look_back' (6) must not exceed 'look_back' (5)",),
        2,
    ),
    Case(
        "train-units-too-large",
        ("train", AIR, "--units", "99999999999"),
        ("'units' is too large",),
        2,
    ),
    Case("train-units-0", ("train", AIR, "--units", "0"), ("units",), 2),
    Case("train-dropout-1", ("train", AIR, "--dropout", "1"), ("--dropout",), 2),
    Case("train-epochs-negative", ("train", AIR, "--epochs", "-1"), ("epochs",), 2),
    Case("train-ensemble-0", ("train", AIR, "--ensemble", "0"), ("ensemble",), 2),
    Case("train-val-size-negative", ("train", AIR, "--val-size", "-0.5"), ("--val-size",), 2),
    Case("train-bad-cell", ("train", AIR, "--cell", "transformer"), ("transformer",), 2),
    Case("train-no-data", ("train",), ("DATA",), 2),
    Case("train-units-text", ("train", AIR, "--units", "many"), ("many",), 2),
    Case("ingest-look-back-0", ("ingest", AIR, "--look-back", "0"), ("look",), 2),
    Case("ingest-horizon-0", ("ingest", AIR, "--horizon", "0"), ("horizon",), 2),
    Case("ingest-stride-0", ("ingest", AIR, "--stride", "0"), ("stride",), 2),
    Case("ingest-season-0", ("ingest", AIR, "--season", "0"), ("season",), 2),
    Case("predict-steps-0", (*PREDICT, "--steps", "0"), ("--steps",), 2),
    Case("predict-intervals-10", (*PREDICT, "--intervals", "10"), ("'10' is not a level",), 2),
    Case("predict-intervals-text", (*PREDICT, "--intervals", "80,abc"), ("'abc'",), 2),
    Case("predict-engine-unknown", (*PREDICT, "--engine", "torch"), ("torch",), 2),
    Case("evaluate-backtest-0", (*EVALUATE, "--backtest", "0"), ("backtest",), 2),
    Case("evaluate-season-0", (*EVALUATE, "--season", "0"), ("season",), 2),
    # ---- DATA as a file system object --------------------------------------------------------
    Case("ingest-missing-file", ("ingest", "nope.csv"), ("'nope.csv' not found",)),
    Case("ingest-directory", ("ingest", "adir"), ("'adir' is a directory",), 1, mkdir("adir")),
    Case(
        "ingest-empty-file",
        ("ingest", "empty.csv"),
        ("empty.csv is empty",),
        1,
        write("empty.csv", ""),
    ),
    Case(
        "ingest-header-only",
        ("ingest", "h.csv"),
        ("no data rows",),
        1,
        write("h.csv", "date,value\n"),
    ),
    Case(
        "ingest-dangling-symlink",
        ("ingest", "link.csv"),
        ("'link.csv' not found",),
        1,
        symlink("link.csv", "gone.csv"),
    ),
    Case(
        "ingest-symlink-loop",
        ("ingest", "a.csv"),
        ("a.csv",),
        1,
        steps(symlink("a.csv", "b.csv"), symlink("b.csv", "a.csv")),
    ),
    Case(
        "ingest-utf16",
        ("ingest", "u16.csv"),
        ("u16.csv", "not a readable CSV"),
        1,
        write("u16.csv", DAILY.encode("utf-16")),
    ),
    Case(
        "ingest-binary",
        ("ingest", "bin.csv"),
        ("bin.csv",),
        1,
        write("bin.csv", bytes(range(256)) * 16),
    ),
    Case(
        "ingest-too-short",
        ("ingest", "short.csv", "--look-back", "40", "--min-look-back", "40"),
        ("28 time steps", "--skip-short"),
        1,
        write("short.csv", DAILY),
    ),
    Case(
        "ingest-inf",
        ("ingest", "inf.csv"),
        ("inf.csv", "value"),
        1,
        write("inf.csv", DAILY.replace("5.5", "inf")),
    ),
    Case(
        "ingest-1e400",
        ("ingest", "big.csv"),
        ("big.csv", "value"),
        1,
        write("big.csv", DAILY.replace("5.5", "1e400")),
    ),
    Case(
        "ingest-missing-value",
        ("ingest", "nan.csv"),
        ("nan.csv", "value", "--fill"),
        1,
        write("nan.csv", DAILY.replace("5.5", "")),
    ),
    Case("ingest-unknown-target", ("ingest", AIR, "--target", "sales"), ("sales",)),
    Case("ingest-unknown-time-col", ("ingest", AIR, "--time-col", "when"), ("when",)),
    Case("predict-missing-data", ("predict", "MODEL", "nope.csv"), ("'nope.csv' not found",)),
    Case(
        "predict-other-columns",
        ("predict", "MODEL", str(SAMPLE / "prices.csv")),
        ("column 'month'", "prices.csv"),
    ),
    Case("evaluate-other-columns", (*EVALUATE, str(SAMPLE / "prices.csv")), ("column 'month'",)),
    # ---- model directories -------------------------------------------------------------------
    Case("model-missing", ("predict", "nowhere", AIR), ("model directory nowhere not found",)),
    Case(
        "model-is-a-file",
        ("inspect-weights", "f.txt"),
        ("f.txt is not a model directory",),
        1,
        write("f.txt", "x"),
    ),
    Case("model-empty-dir", ("evaluate", "empty"), ("missing rnncli.yaml",), 1, mkdir("empty")),
    Case(
        "model-dangling-symlink",
        ("predict", "link", AIR),
        ("model directory link not found",),
        1,
        symlink("link", "gone"),
    ),
    Case("card-missing", PREDICT, ("missing rnncli.yaml",), 1, remove("rnncli.yaml")),
    Case(
        "card-is-a-directory",
        INSPECT,
        ("missing rnncli.yaml",),
        1,
        steps(remove("rnncli.yaml"), mkdir("model/rnncli.yaml")),
    ),
    Case(
        "card-empty", PREDICT, ("not an rnncli model description",), 1, replace("rnncli.yaml", b"")
    ),
    Case(
        "card-not-yaml",
        PREDICT,
        ("not valid YAML at line",),
        1,
        replace("rnncli.yaml", b"schema_version: [3\n"),
    ),
    Case("card-alias-bomb", PREDICT, ("aliases expand", "retrain"), 1, card(lambda t: t + BOMB)),
    Case(
        "card-duplicate-key",
        EVALUATE,
        ("key 'params' appears twice",),
        1,
        card(lambda t: t + "params: 5\n"),
    ),
    Case(
        "card-python-tag",
        INSPECT,
        ("!!python/object/apply:os.system", "unsafe"),
        1,
        card(
            lambda t: t.replace(
                "params:", 'params: !!python/object/apply:os.system ["true"]\nx:', 1
            )
        ),
    ),
    Case(
        "card-latin1",
        PREDICT,
        ("not UTF-8 text",),
        1,
        replace("rnncli.yaml", lambda b: b + "created: caf\xe9\n".encode("latin-1")),
    ),
    Case(
        "card-huge",
        PREDICT,
        ("larger than 1024 MiB",),
        1,
        lambda where: sparse("model/rnncli.yaml", 2**30 + 1)(where),
    ),
    Case(
        "card-newer-schema",
        PREDICT,
        ("newer rnncli", "upgrade rnncli"),
        1,
        card_line("schema_version: 3\n", "schema_version: 99\n"),
    ),
    Case(
        "card-schema-text",
        PREDICT,
        ("schema_version 'three' is not a number",),
        1,
        card_line("schema_version: 3\n", "schema_version: three\n"),
    ),
    Case(
        "card-no-series",
        PREDICT,
        ("'series' is missing",),
        1,
        card_line("series: series.json\n", ""),
    ),
    Case("card-series-file-missing", PREDICT, ("missing series.json",), 1, remove("series.json")),
    Case(
        "card-series-file-garbage",
        PREDICT,
        ("series.json is unreadable",),
        1,
        replace("series.json", b"{["),
    ),
    Case("card-series-empty", PREDICT, ("'series' is empty",), 1, series(lambda r: [])),
    Case("card-series-not-a-list", PREDICT, ("'series' must be list",), 1, series(lambda r: {})),
    Case(
        "card-series-scale-missing",
        PREDICT,
        ("'series[0].scale' is missing",),
        1,
        series_record("scale", None),
    ),
    Case(
        "card-series-scale-zero",
        EVALUATE,
        ("'series[0].scale' must hold 1 numbers greater",),
        1,
        series_record("scale", [0.0]),
    ),
    Case(
        "card-series-center-length",
        PREDICT,
        ("'series[0].center' must hold 1 finite",),
        1,
        series_record("center", [0.0, 1.0]),
    ),
    Case(
        "card-series-center-text",
        PREDICT,
        ("'series[0].center' must be a list of numbers",),
        1,
        series_record("center", ["zero"]),
    ),
    Case(
        "card-units-too-large",
        PREDICT,
        ("option 'units' is too large", "retrain"),
        1,
        card_line("\n  units: 4\n", "\n  units: 100000000000000000000\n"),
    ),
    Case(
        "card-look-back-text",
        PREDICT,
        ("option 'look_back' must be int",),
        1,
        card_line("\n  look_back: 12\n", "\n  look_back: twelve\n"),
    ),
    Case(
        "card-no-window",
        PREDICT,
        ("'window' is missing",),
        1,
        card(lambda t: t.replace("\nwindow:", "\nwindows_old:", 1)),
    ),
    Case(
        "card-network-disagrees",
        PREDICT,
        ("weights.npz", "does not match the model"),
        1,
        card_line("\n    units: 4\n", "\n    units: 5\n"),
    ),
    Case(
        "weights-missing",
        PREDICT,
        ("its card names weights.npz, which is missing",),
        1,
        remove("weights.npz"),
    ),
    Case(
        "weights-is-a-directory",
        INSPECT,
        ("weights.npz",),
        1,
        steps(remove("weights.npz"), mkdir("model/weights.npz")),
    ),
    Case(
        "weights-and-keras-missing",
        PREDICT,
        ("missing weights.npz and model.keras",),
        1,
        steps(remove("weights.npz"), remove("model.keras")),
    ),
    Case(
        "weights-garbage",
        PREDICT,
        ("weights.npz is unreadable (not an .npz archive)",),
        1,
        replace("weights.npz", b"\x00garbage\xff" * 50),
    ),
    Case(
        "weights-truncated",
        INSPECT,
        ("weights.npz is unreadable",),
        1,
        replace("weights.npz", lambda b: b[: len(b) // 2]),
    ),
    Case("weights-empty", EVALUATE, ("weights.npz is unreadable",), 1, replace("weights.npz", b"")),
    Case(
        "weights-unexpected-array",
        PREDICT,
        ("unexpected weight array 'a'",),
        1,
        weights(lambda a: {**a, "a": np.zeros(3)}),
    ),
    Case(
        "weights-wrong-shape",
        PREDICT,
        ("has shape", "expected"),
        1,
        weights(lambda a: {k: np.zeros(tuple(n + 1 for n in v.shape)) for k, v in a.items()}),
    ),
    Case(
        "weights-nan",
        PREDICT,
        ("holds NaN or infinite values",),
        1,
        weights(lambda a: {k: v * np.nan for k, v in a.items()}),
    ),
    Case(
        "calibration-missing",
        (*PREDICT, "--intervals", "80"),
        ("no calibration.json",),
        1,
        remove("calibration.json"),
    ),
    Case(
        "calibration-garbage",
        (*PREDICT, "--intervals", "80"),
        ("calibration.json is unreadable",),
        1,
        replace("calibration.json", b"{"),
    ),
    Case(
        "calibration-not-an-object",
        (*PREDICT, "--intervals", "95"),
        ("calibration.json is not a JSON object",),
        1,
        replace("calibration.json", b"[1, 2]"),
    ),
    Case(
        "keras-garbage",
        (*PREDICT, "--engine", "keras"),
        ("model.keras", "damaged"),
        1,
        replace("model.keras", b"PK\x03\x04 not really a zip"),
    ),
    Case(
        "keras-missing",
        (*INSPECT, "--engine", "keras"),
        ("model.keras is missing",),
        1,
        remove("model.keras"),
    ),
    Case(
        "evaluate-training-data-gone",
        EVALUATE,
        ("is gone", "pass the CSV"),
        1,
        card(lambda t: t.replace(AIR, "/nonexistent/air.csv")),
    ),
    # ---- outputs -------------------------------------------------------------------------------
    Case(
        "ingest-out-under-a-file",
        ("ingest", AIR, "--out", "afile/w.npz"),
        ("afile/w.npz", "a part of this path is a file"),
        1,
        write("afile", "x"),
    ),
    Case(
        "ingest-out-is-a-directory",
        ("ingest", AIR, "--out", "adir"),
        ("adir",),
        1,
        mkdir("adir"),
    ),
    Case(
        "ingest-out-read-only",
        ("ingest", AIR, "--out", "/sys/w.npz"),
        ("permission denied: /sys/w.npz",),
    ),
    Case(
        "predict-output-under-a-file",
        (*PREDICT, "--output", "afile/fc.csv"),
        ("afile/fc.csv", "a part of this path is a file"),
        1,
        write("afile", "x"),
    ),
    Case(
        "predict-output-is-a-directory", (*PREDICT, "--output", "adir"), ("adir",), 2, mkdir("adir")
    ),
    Case(
        "predict-output-read-only",
        (*PREDICT, "--output", "/sys/fc.csv"),
        ("permission denied: /sys/fc.csv",),
    ),
    Case(
        "train-out-under-a-file",
        (*TRAIN[:2], "--out", "afile/M"),
        ("afile is a file",),
        1,
        write("afile", "x"),
    ),
    Case(
        "train-out-is-a-file",
        (*TRAIN[:2], "--out", "afile"),
        ("already exists",),
        1,
        write("afile", "x"),
    ),
    Case("train-out-exists", (*TRAIN[:2], "--out", "MODEL"), ("already exists", "--force"), 1),
]


def tree(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


def run_case(case: Case, where: Path, model: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.chdir(where)
    if "MODEL" in case.args and not (where / "model").exists():
        shutil.copytree(model, where / "model")
    if case.setup is not None:
        case.setup(where)
    before = tree(where)
    args = ["model" if a == "MODEL" else a for a in case.args]
    result = runner.invoke(app, args)
    error = one_error_line(result, case.code, case.expect)
    assert tree(where) == before  # nothing written, not even a temporary file
    return error


@pytest.mark.tf  # the shared tiny model (air_model) is trained once per session
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_bad_input(
    case: Case, air_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_case(case, tmp_path, air_model, monkeypatch)


# ---- refused writes inside a command: a full disk, in-process at the write layer ---------------


def _full(*_args: object, **_kwargs: object) -> None:
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


@pytest.mark.tf
@pytest.mark.parametrize(
    "case",
    [
        Case("enospc-ingest-out", ("ingest", AIR, "--out", "w.npz"), ("no space left", "w.npz")),
        Case(
            "enospc-predict-output", (*PREDICT, "--output", "fc.csv"), ("no space left", "fc.csv")
        ),
        Case(
            "enospc-train",
            (*TRAIN[:2], "--out", "MODEL", "--force", *TRAIN[4:]),
            ("cannot write the model to model", "no space left", "unchanged"),
        ),
    ],
    ids=lambda c: c.id,
)
def test_full_disk(
    case: Case, air_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ENOSPC from the file system: one line, and the previous model or file untouched."""
    monkeypatch.setattr(np, "savez", _full)  # the weights and the windows
    monkeypatch.setattr("rnncli.atomic.os.fsync", _full)  # every atomic file (the forecast)
    run_case(case, tmp_path, air_model, monkeypatch)


# ---- real streams: stdout on a full device, a reader that went away (subprocess) ---------------

SCRIPT = shutil.which("rnncli", path=str(Path(sys.executable).parent))
STREAM_COMMANDS = {
    "predict": ["predict", "MODEL", AIR],
    "ingest": ["ingest", AIR],
    "ingest-json": ["ingest", AIR, "--format", "json"],
    "evaluate": ["evaluate", "MODEL"],
    "inspect-weights": ["inspect-weights", "MODEL"],
    "inspect-weights-values": ["inspect-weights", "MODEL", "--values"],
    "print-config": ["train", "--print-config"],
}


def run_script(args: list[str], model: Path, stdout: object) -> subprocess.CompletedProcess:
    argv = [SCRIPT or "rnncli", *(str(model) if a == "MODEL" else a for a in args)]
    env = dict(os.environ, NO_COLOR="1", CUDA_VISIBLE_DEVICES="-1")
    env.pop("RNNCLI_DEBUG", None)
    return subprocess.run(
        argv, stdout=stdout, stderr=subprocess.PIPE, text=True, env=env, timeout=120
    )


@pytest.mark.tf
@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full")
@pytest.mark.parametrize("command", list(STREAM_COMMANDS), ids=lambda c: f"dev-full-{c}")
def test_stdout_on_a_full_device(command: str, air_model: Path) -> None:
    """`rnncli … > /dev/full`: one line naming stdout, exit 1, no traceback."""
    with open("/dev/full", "w") as full:
        done = run_script(STREAM_COMMANDS[command], air_model, full)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("Error: ")]
    assert errors == [
        "Error: no space left on the device writing stdout; free some space or write elsewhere"
    ], done.stderr


@pytest.mark.tf
@pytest.mark.parametrize("command", list(STREAM_COMMANDS), ids=lambda c: f"closed-pipe-{c}")
def test_stdout_to_a_closed_pipe(command: str, air_model: Path) -> None:
    """`rnncli … | head -c 10` where head has gone: quiet, exit 141 (128 + SIGPIPE)."""
    read, write_end = os.pipe()
    os.close(read)  # the reader is gone before anything is written: every write is EPIPE
    try:
        done = run_script(STREAM_COMMANDS[command], air_model, write_end)
    finally:
        os.close(write_end)
    assert done.returncode == 141, done.stderr
    assert "Traceback" not in done.stderr
    assert "Error" not in done.stderr, done.stderr


def test_enough_cases() -> None:
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids))
    assert len(CASES) + 3 + 2 * len(STREAM_COMMANDS) + 2 >= 80


# ---- a model.keras that is not the card's network (--engine keras) -------------------------------


@pytest.mark.tf
def test_keras_file_of_another_model(
    air_model: Path, panel_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """model.keras copied from another model: named as a mix of two models, not a Keras error."""
    model = tmp_path / "model"
    shutil.copytree(air_model, model)
    shutil.copy(panel_model / "model.keras", model / "model.keras")
    case = Case("keras-other-model", (*PREDICT, "--engine", "keras"), ("takes windows of shape",))
    assert "mixes two models" in run_case(case, tmp_path, air_model, monkeypatch)


@pytest.mark.tf
def test_keras_file_with_a_lambda_layer(
    air_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Lambda layer carries Python code: refused by safe mode, and named as such."""
    import keras

    from rnncli.runtime import tensorflow

    tensorflow()
    inputs = keras.Input((12, 1))
    code = keras.Model(inputs, keras.layers.Lambda(lambda x: x[:, -3:, :] * 2.0)(inputs))
    model = tmp_path / "model"
    shutil.copytree(air_model, model)
    code.save(model / "model.keras")
    case = Case("keras-lambda", (*PREDICT, "--engine", "keras"), ("a Lambda layer", "refuses"))
    line = run_case(case, tmp_path, air_model, monkeypatch)
    assert "damaged" not in line


def test_runtime_warnings_become_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    """A library's RuntimeWarning reaches stderr as one `Warning:` line, never Python's
    two-line `file:line: RuntimeWarning:` form with the source line."""
    import warnings

    from rnncli.cli.common import handle_errors

    @handle_errors
    def command() -> float:
        with warnings.catch_warnings():
            warnings.simplefilter("default")  # as outside pytest, which turns them into errors
            return float(np.log(np.zeros(1))[0])

    assert command() == -np.inf
    assert capsys.readouterr().err == "Warning: divide by zero encountered in log\n"


def test_a_forecast_that_overflowed_is_an_error() -> None:
    """The last guard before a forecast row: inf or NaN in original units is an error."""
    from rnncli.errors import DataError
    from rnncli.predict import _check_finite

    point = np.ones((2, 3, 1))
    _check_finite(point, ["a", "b"])
    point[1, 2, 0] = np.inf
    with pytest.raises(DataError, match=r"forecast of series b at step 3 is not a finite number"):
        _check_finite(point, ["a", "b"])
