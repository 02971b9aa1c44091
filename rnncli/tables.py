"""Tabular files in and out: CSV (also gzipped, `;`- or tab-separated, or on stdin) and Parquet.

`read_table` returns a DataFrame whose index is each row's place in the file for messages:
the line where the record starts in a CSV (header = line 1; a quoted field spanning lines or a
blank line does not shift the count), the row number (1 = first data row) in a Parquet file.
`where(frame)` says which of the two ("line" or "row"). The delimiter is the one of `, ; tab |`
that the header line holds most often; a header that looks like data, or a column name given
twice, is a DataError. `output_kind` maps an output file's extension to what rnncli writes
there (an unknown extension is an error, never CSV under another name); `write_frame` writes it.
"""

from __future__ import annotations

import csv
import gzip
import io
import warnings
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd

from rnncli.errors import DataError

DELIMITERS = (",", ";", "\t", "|")
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
PARQUET_MAGIC = b"PAR1"
GZIP_MAGIC = b"\x1f\x8b"
PARQUET_SUFFIXES = (".parquet", ".pq")
# what rnncli writes for each output extension (`.csv.gz`: gzipped CSV)
OUTPUT_KINDS = {
    ".csv": "csv",
    ".csv.gz": "csv.gz",
    ".json": "json",
    ".parquet": "parquet",
    ".npz": "npz",
}
Source = str | Path | IO[str]


def check_file(path: str | Path, label: str) -> None:
    """DataError unless `path` names an existing file (not a directory)."""
    path = Path(path)
    if not path.exists():
        raise DataError(f"file '{label}' not found; check the path (or pass - to read stdin)")
    if path.is_dir():
        raise DataError(f"'{label}' is a directory, not a data file")


def where(frame: pd.DataFrame) -> str:
    """'line' for a CSV (the index holds line numbers), 'row' for Parquet (row numbers)."""
    return str(frame.attrs.get("unit", "line"))


def notes(frame: pd.DataFrame) -> list[str]:
    """What reading decided that the user should know (a delimiter other than a comma)."""
    return list(frame.attrs.get("notes", []))


def _read_bytes(source: Source, label: str) -> bytes | str:
    if isinstance(source, (str, Path)):
        check_file(source, label)
        try:
            return Path(source).read_bytes()
        except OSError as exc:
            raise DataError(f"cannot read {label}: {exc.strerror or exc}") from None
    buffer = getattr(source, "buffer", None)  # stdin: its bytes, so gzip and Parquet work too
    try:
        return buffer.read() if buffer is not None else source.read()
    except UnicodeDecodeError:
        raise DataError(
            f"{label} is not a readable CSV: it is not UTF-8 text; save it as UTF-8"
        ) from None
    except OSError as exc:
        raise DataError(f"cannot read {label}: {exc.strerror or exc}") from None


def _text(data: bytes, label: str) -> str:
    if data[:2] == GZIP_MAGIC:
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise DataError(f"{label} is not a readable gzip file: {exc}") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(
            f"{label} is not a readable CSV: it is not UTF-8 text (byte 0x{data[exc.start]:02x} "
            f"at offset {exc.start}); save it as UTF-8"
        ) from None


def read_table(source: Source, label: str) -> pd.DataFrame:
    """A CSV (plain, gzipped, any of `DELIMITERS`) or Parquet file, from a path or a stream."""
    data = _read_bytes(source, label)
    is_parquet = isinstance(data, bytes) and data[:4] == PARQUET_MAGIC
    if is_parquet or str(label).lower().endswith(PARQUET_SUFFIXES):
        if not isinstance(data, bytes) or not is_parquet:
            raise DataError(f"{label} is not a Parquet file (it lacks the PAR1 signature)")
        return _parquet(data, label)
    text = data if isinstance(data, str) else _text(data, label)
    return _csv(text.removeprefix("\ufeff"), label)


def _pyarrow() -> Any:
    """pyarrow.parquet, or a DataError saying how to install it (the `parquet` extra)."""
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise DataError(
            "Parquet needs pyarrow, which is not installed; pip install 'rnncli[parquet]' "
            "(or use CSV)"
        ) from None
    return pq


def _parquet(data: bytes, label: str) -> pd.DataFrame:
    pq = _pyarrow()
    try:
        file = pq.ParquetFile(io.BytesIO(data))
        _unique_names([str(c) for c in file.schema_arrow.names], label, "its schema")
        table = file.read()
    except DataError:
        raise
    except Exception as exc:  # pyarrow raises ArrowInvalid, OSError, ...: all mean unreadable
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(f"{label} is not a readable Parquet file: {first}") from None
    frame = table.to_pandas()
    if not isinstance(frame.index, pd.RangeIndex):  # a pandas index written with the data
        frame = frame.reset_index()
    if frame.empty:
        raise DataError(f"{label} has columns but no rows")
    frame.columns = [str(c).strip() for c in frame.columns]
    frame.index = pd.RangeIndex(1, len(frame) + 1)
    frame.attrs["unit"] = "row"
    return frame


def sniff_delimiter(header: str) -> str:
    """The one of `DELIMITERS` the header line holds most often outside quotes (a comma on ties)."""
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for ch in header:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    best = max(DELIMITERS, key=lambda d: (counts[d], d == ","))
    return best if counts[best] else ","


def _first_line(text: str) -> str:
    """The first line that is not blank (read lazily: a file's header, not all of it)."""
    for line in io.StringIO(text):
        if line.strip():
            return line.rstrip("\r\n")
    return ""


def _unique_names(names: list[str], label: str, what: str) -> None:
    seen: dict[str, int] = {}
    for i, name in enumerate(names):
        key = name.strip()
        if key in seen:
            raise DataError(
                f"{label}: column '{key}' appears twice in {what} (columns {seen[key] + 1} and "
                f"{i + 1}); give each column its own name"
            )
        seen[key] = i


def _looks_like_data(names: list[str]) -> bool:
    """True when every header field is a number or a date (and at least one is a number)."""
    fields = [n.strip() for n in names]
    if not fields or any(not f for f in fields):
        return False
    numbers = pd.to_numeric(pd.Series(fields), errors="coerce").notna()
    if not numbers.any():
        return False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dates = pd.to_datetime(pd.Series(fields), errors="coerce", format="mixed").notna()
    return bool((numbers | dates).all())


def _record_lines(text: str, delimiter: str, n_rows: int) -> np.ndarray:
    """The line on which each data record starts (header = line 1), as pandas reads them."""
    if text.count("\n") + (not text.endswith("\n")) == n_rows + 1:
        return np.arange(2, n_rows + 2)  # one line per record: nothing to count
    starts = []
    reader = csv.reader(io.StringIO(text), delimiter=delimiter, skipinitialspace=True)
    line = 0
    for record in reader:
        start, line = line + 1, reader.line_num
        if len(record) > 1 or (record and record[0].strip()):
            starts.append(start)
    if len(starts) != n_rows + 1:  # the csv module and pandas disagree: keep the simple count
        return np.arange(2, n_rows + 2)
    return np.array(starts[1:])


def _csv(text: str, label: str) -> pd.DataFrame:
    if not text or text.isspace():
        raise DataError(f"{label} is empty; give a CSV with a header row and data")
    header_line = _first_line(text)
    delimiter = sniff_delimiter(header_line)
    header = next(csv.reader([header_line], delimiter=delimiter))
    _unique_names(header, label, "the header")
    if _looks_like_data(header):
        raise DataError(
            f"the first line of {label} ({header_line.strip()[:60]!r}) looks like data, not a "
            f"header; add a first line with the column names (e.g. date,value)"
        )
    try:
        # from bytes: pandas' C parser reads them a third faster than a str
        frame = pd.read_csv(io.BytesIO(text.encode()), sep=delimiter, skipinitialspace=True)
    except pd.errors.EmptyDataError:
        raise DataError(f"{label} is empty; give a CSV with a header row and data") from None
    except pd.errors.ParserError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        name = DELIMITER_NAMES[delimiter]
        raise DataError(
            f"{label} is not a readable CSV ({name}-separated, as its header line is): {first}"
        ) from None
    if frame.empty:
        raise DataError(f"{label} has a header but no data rows")
    frame.columns = [str(c).strip() for c in frame.columns]
    frame.index = pd.Index(_record_lines(text, delimiter, len(frame)))
    frame.attrs["unit"] = "line"
    if delimiter != ",":
        frame.attrs["notes"] = [f"{label}: {DELIMITER_NAMES[delimiter]}-separated"]
    return frame


# ---- output ----------------------------------------------------------------------------------


def output_kind(path: Path, allowed: tuple[str, ...], what: str) -> str:
    """What to write at `path`, from its extension (one of `allowed` OUTPUT_KINDS values)."""
    name = path.name.lower()
    for suffix, kind in sorted(OUTPUT_KINDS.items(), key=lambda kv: -len(kv[0])):
        if name.endswith(suffix) and kind in allowed:
            return kind
    suffixes = ", ".join(s for s, k in OUTPUT_KINDS.items() if k in allowed)
    given = "".join(path.suffixes[-2:]) or "no extension"
    raise DataError(
        f"cannot write {what} to {path}: rnncli writes {suffixes} files, not {given}; "
        f"name the file with one of those extensions"
    )


def parquet_bytes(frame: pd.DataFrame) -> bytes:
    """`frame` as a Parquet file (pyarrow), without the pandas index."""
    pq = _pyarrow()
    import pyarrow as pa

    sink = io.BytesIO()
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), sink)
    return sink.getvalue()


__all__ = [
    "DELIMITERS",
    "OUTPUT_KINDS",
    "check_file",
    "notes",
    "output_kind",
    "parquet_bytes",
    "read_table",
    "sniff_delimiter",
    "where",
]
