"""Bad data files through the CLI: every case one `Error:` line naming the problem.

Table-driven: each case writes a file into an empty directory, runs one command on it and
checks the exit code, that stderr holds exactly one `Error:` line (the last one) with the
expected words, that nothing reached stdout, that no traceback was printed and that no file
was left behind (the directory holds only what the case wrote). The predict cases need a
trained model (`air_model`, TensorFlow); the rest fail before any training.
"""

from __future__ import annotations

import gzip
import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from conftest import one_error_line
from typer.testing import CliRunner

from rnncli.cli import app

SAMPLE = Path(__file__).resolve().parent.parent / "sample_data"
runner = CliRunner(env={"RNNCLI_DEBUG": None, "NO_COLOR": "1"})

AIR_ROWS = pd.read_csv(SAMPLE / "airpassengers.csv")  # month, passengers: 144 monthly rows


def air_text(sep: str = ",", decimal: str = ".") -> str:
    frame = AIR_ROWS.assign(passengers=AIR_ROWS["passengers"] + 0.5)
    return frame.to_csv(sep=sep, decimal=decimal, index=False)


def parquet(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    return buffer.getvalue()


def parquet_duplicate_names() -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table([pa.array([1.0, 2.0, 3.0]), pa.array([4.0, 5.0, 6.0])], names=["v", "v"])
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    return buffer.getvalue()


def dated(n: int = 40, start: str = "2020-01-01", freq: str = "D") -> list[str]:
    return [t.date().isoformat() for t in pd.date_range(start, periods=n, freq=freq)]


def rows(header: str, lines: list[str]) -> str:
    return header + "\n" + "\n".join(lines) + "\n"


def panel_without_id() -> str:
    """Two series one after the other, with no --id-col: times go back at line 42."""
    body = [f"{sid},{d},{i + 1}" for sid in ("A", "B") for i, d in enumerate(dated())]
    return rows("store,date,sales", body)


def aligned_panel_without_id() -> str:
    """Two series interleaved (the same dates), with no --id-col: a duplicated stamp."""
    body = [f"{d},{sid},{i + 1}" for i, d in enumerate(dated()) for sid in ("A", "B")]
    return rows("date,item,sales", body)


def multiline_then_bad() -> str:
    """A quoted note over three lines; the bad value sits on line 6 of the file."""
    return 'date,note,v\n2020-01-01,"one\ntwo\nthree",1\n2020-01-02,x,2\n2020-01-03,x,oops\n'


@dataclass(frozen=True)
class Case:
    id: str
    file: str
    content: Callable[[], str | bytes]
    args: tuple[str, ...]  # the command; FILE is replaced by the file's name
    expect: tuple[str, ...]  # words the Error line must hold
    code: int = 1
    model: bool = False  # prepend "predict MODEL_DIR" (needs the trained air_model)


CASES = [
    Case(
        "semicolon-comma-decimals",
        "eu.csv",
        lambda: air_text(";", ","),
        ("ingest", "FILE"),
        ("'112,5'", "comma as the decimal separator"),
    ),
    Case(
        "quoted-comma-decimals",
        "q.csv",
        lambda: rows("date,v", [f'{d},"{i},5"' for i, d in enumerate(dated())]),
        ("ingest", "FILE"),
        ("numeric candidates: none", "comma as the decimal separator"),
    ),
    Case(
        "comma-decimal-in-a-number-column",
        "one.csv",
        lambda: rows("date,v", [f"{d},{i}" for i, d in enumerate(dated(5))] + ['2020-01-06,"7,5"']),
        ("ingest", "FILE", "--target", "v"),
        ("line 7", "'7,5'", "decimal separator"),
    ),
    Case(
        "header-is-data",
        "nohead.csv",
        lambda: AIR_ROWS.to_csv(index=False, header=False),
        ("ingest", "FILE"),
        ("looks like data, not a header", "'1949-01,112'"),
    ),
    Case(
        "header-is-data-train",
        "nohead.csv",
        lambda: AIR_ROWS.to_csv(index=False, header=False),
        ("train", "FILE", "--out", "m"),
        ("looks like data, not a header",),
    ),
    Case(
        "duplicated-column",
        "dup.csv",
        lambda: rows("date,v,v", [f"{d},1,2" for d in dated(5)]),
        ("ingest", "FILE"),
        ("column 'v' appears twice", "columns 2 and 3"),
    ),
    Case(
        "duplicated-column-parquet",
        "dup.parquet",
        parquet_duplicate_names,
        ("ingest", "FILE"),
        ("column 'v' appears twice",),
    ),
    Case(
        "mixed-time-zones",
        "tz.csv",
        lambda: rows(
            "time,v",
            ["2020-03-28T00:00+01:00,1", "2020-03-29T00:00+01:00,2", "2020-03-30T00:00+02:00,3"],
        ),
        ("ingest", "FILE"),
        ("time column 'time' mixes time-zone offsets", "+01:00 at line 2", "+02:00 at line 4"),
    ),
    Case(
        "mixed-time-zones-named",
        "tz.csv",
        lambda: rows("time,v", ["2020-03-28T00:00+01:00,1", "2020-03-30T00:00+02:00,3"]),
        ("train", "FILE", "--time-col", "time", "--out", "m"),
        ("mixes time-zone offsets",),
    ),
    Case(
        "one-bad-date-detected",
        "bad.csv",
        lambda: rows("date,v", [f"{d},{i}" for i, d in enumerate(dated(9))] + ["2020-01-1O,9"]),
        ("ingest", "FILE"),
        ("time column 'date', line 11", "'2020-01-1O' is not a date", "--time-format"),
    ),
    Case(
        "bad-date-named-column",
        "bad.csv",
        lambda: rows("when,v", ["2020-01-01,1", "soon,2", "2020-01-03,3"]),
        ("ingest", "FILE", "--time-col", "when"),
        ("time column 'when', line 3", "'soon' is not a date"),
    ),
    Case(
        "time-format-mismatch",
        "fmt.csv",
        lambda: rows("day,v", ["20200101,1", "2020-01-02,2", "20200103,3"]),
        ("ingest", "FILE", "--time-format", "%Y%m%d"),
        ("line 3", "'2020-01-02'", "does not match --time-format '%Y%m%d'"),
    ),
    Case(
        "dates-as-numbers-gap",
        "num.csv",
        lambda: rows("day,v", [f"{d.replace('-', '')},{i}" for i, d in enumerate(dated(45))]),
        ("train", "FILE", "--time-col", "day", "--target", "v", "--out", "m"),
        ("a gap in time from 20200131 to 20200201", "--time-format %Y%m%d"),
    ),
    Case(
        "dates-as-numbers-no-target",
        "num.csv",
        lambda: rows("day,v", [f"{d.replace('-', '')},{i}" for i, d in enumerate(dated(45))]),
        ("ingest", "FILE"),
        ("'day' holds numbers like dates", "--time-format %Y%m%d"),
    ),
    Case(
        "panel-without-id-out-of-order",
        "panel.csv",
        panel_without_id,
        ("ingest", "FILE"),
        ("out of order at line 42", "pass --id-col store"),
    ),
    Case(
        "panel-without-id-duplicated-time",
        "panel.csv",
        aligned_panel_without_id,
        ("ingest", "FILE"),
        ("duplicated time stamp 2020-01-01 at line 3", "pass --id-col item"),
    ),
    Case(
        "multiline-field-keeps-line-numbers",
        "multi.csv",
        multiline_then_bad,
        ("ingest", "FILE", "--target", "v"),
        ("column 'v', line 6", "'oops' is not a number"),
    ),
    Case(
        "blank-lines-keep-line-numbers",
        "blank.csv",
        lambda: "date,v\n2020-01-01,1\n\n\n2020-01-02,2\n2020-01-03,\n",
        ("ingest", "FILE"),
        ("missing value at line 6",),
    ),
    Case(
        "blank-time-stamp",
        "blank.csv",
        lambda: rows("date,v", ["2020-01-01,1", ",2", "2020-01-03,3"]),
        ("ingest", "FILE", "--time-col", "date"),
        ("time column 'date' is blank at line 3",),
    ),
    Case("empty-file", "empty.csv", lambda: "", ("ingest", "FILE"), ("empty.csv is empty",)),
    Case(
        "header-only",
        "head.csv",
        lambda: "date,value\n",
        ("ingest", "FILE"),
        ("header but no data rows",),
    ),
    Case(
        "tab-separated-ragged",
        "t.tsv",
        lambda: "date\tv\n2020-01-01\t1\n2020-01-02\t2\t3\n",
        ("ingest", "FILE"),
        ("not a readable CSV (tab-separated",),
    ),
    Case(
        "truncated-gzip",
        "air.csv.gz",
        lambda: gzip.compress(air_text().encode())[:60],
        ("ingest", "FILE"),
        ("not a readable gzip file",),
    ),
    Case(
        "parquet-name-csv-content",
        "fake.parquet",
        air_text,
        ("ingest", "FILE"),
        ("fake.parquet is not a Parquet file",),
    ),
    Case(
        "damaged-parquet",
        "cut.parquet",
        lambda: parquet(AIR_ROWS)[:200],
        ("ingest", "FILE"),
        ("not a readable Parquet file",),
    ),
    Case(
        "parquet-bad-value-names-row",
        "bad.parquet",
        lambda: parquet(pd.DataFrame({"date": dated(4), "v": ["1", "2", "x", "4"]})),
        ("ingest", "FILE", "--target", "v"),
        ("column 'v', row 3", "'x' is not a number"),
    ),
    Case(
        "parquet-no-rows",
        "none.parquet",
        lambda: parquet(pd.DataFrame({"date": pd.Series([], dtype=str), "v": []})),
        ("ingest", "FILE"),
        ("has columns but no rows",),
    ),
    Case(
        "latin-1",
        "latin.csv",
        lambda: "date,caf\xe9\n2020-01-01,1\n".encode("latin-1"),
        ("ingest", "FILE"),
        ("not UTF-8 text", "byte 0xe9"),
    ),
    Case(
        "ingest-out-not-npz",
        "air.csv",
        air_text,
        ("ingest", "FILE", "--out", "windows.csv"),
        ("cannot write the windows to windows.csv", "writes .npz files, not .csv"),
    ),
    Case(
        "predict-output-unknown-extension",
        "air.csv",
        air_text,
        ("FILE", "--output", "fc.xlsx"),
        ("cannot write the forecast to fc.xlsx", ".parquet", "not .xlsx"),
        model=True,
    ),
    Case(
        "predict-output-format-mismatch",
        "air.csv",
        air_text,
        ("FILE", "--output", "fc.json", "--format", "csv"),
        ("--format csv does not match --output fc.json",),
        code=2,  # a bad option value (ConfigError) is a usage error
        model=True,
    ),
    Case(
        "predict-semicolon-comma-decimals",
        "eu.csv",
        lambda: air_text(";", ","),
        ("FILE", "--output", "fc.csv"),
        ("column 'passengers', line 2", "comma as the decimal separator"),
        model=True,
    ),
    Case(
        "predict-mixed-time-zones",
        "tz.csv",
        lambda: rows("month,passengers", ["1960-11-01T00:00+01:00,1", "1960-12-01T00:00+02:00,2"]),
        ("FILE",),
        ("mixes time-zone offsets",),
        model=True,
    ),
    Case(
        "predict-truncated-gzip",
        "air.csv.gz",
        lambda: gzip.compress(air_text().encode())[:60],
        ("FILE", "-o", "fc.parquet"),
        ("not a readable gzip file",),
        model=True,
    ),
]


def tree(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


def run_case(case: Case, where: Path, model: Path | None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(where)
    content = case.content()
    path = where / case.file
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    before = tree(where)
    args = [case.file if a == "FILE" else a for a in case.args]
    if model is not None:
        args = ["predict", str(model), *args]
    result = runner.invoke(app, args)
    one_error_line(result, case.code, case.expect)
    assert tree(where) == before  # nothing written, not even a temporary file


@pytest.mark.parametrize("case", [c for c in CASES if not c.model], ids=lambda c: c.id)
def test_bad_file(case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run_case(case, tmp_path, None, monkeypatch)


@pytest.mark.tf
@pytest.mark.parametrize("case", [c for c in CASES if c.model], ids=lambda c: c.id)
def test_bad_file_predict(
    case: Case, air_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_case(case, tmp_path, air_model, monkeypatch)


def test_enough_cases() -> None:
    assert len(CASES) >= 25
    assert len({c.id for c in CASES}) == len(CASES)
