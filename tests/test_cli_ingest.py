"""`rnncli ingest` through typer's CliRunner: stdout, stderr and exit codes checked apart.

This typer's CliRunner always captures stdout and stderr separately (result.stdout,
result.stderr; result.output is the two mixed), so no option is needed for that.
"""

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from rnncli import cli
from rnncli.cli import app
from rnncli.errors import RnnCliError
from rnncli.windowsfile import load_npz

SAMPLE = Path(__file__).resolve().parent.parent / "sample_data"
PRICES = str(SAMPLE / "prices.csv")
AIR = str(SAMPLE / "airpassengers.csv")
PANEL = str(SAMPLE / "employment_panel.csv")

runner = CliRunner(env={"RNNCLI_DEBUG": None, "NO_COLOR": "1"})


def pinned(look_back: int = 30) -> list[str]:
    """Flags for the fixed windows and plain scaling these tests count by hand (not the
    automatic defaults: look-back from the season, padded short histories, horizon-sized
    parts, log and deseasonalisation, mean-|value| scaling)."""
    return [
        *("--look-back", str(look_back), "--min-look-back", str(look_back)),
        *("--val-size", "0.1", "--test-size", "0.1", "--scale", "standard"),
        *("--transform", "none", "--deseasonalize", "none"),
    ]


def ingest(*args: str, input: str | bytes | None = None):
    return runner.invoke(app, ["ingest", *args], input=input)


def ok(result) -> None:
    assert result.exit_code == 0, result.stderr
    assert result.exception is None
    assert "Error" not in result.stderr
    assert "Traceback" not in result.stderr


def one_error(result, code: int = 1) -> str:
    """The single 'Error: …' line of a failed run (exit `code`: 1, or 2 for a bad option
    value; nothing on stdout, no traceback)."""
    assert result.exit_code == code, (result.stdout, result.stderr)
    assert isinstance(result.exception, SystemExit)  # not a crash caught by the runner
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.rstrip("\n").split("\n")
    errors = [line for line in lines if line.startswith("Error: ")]
    assert len(errors) == 1, result.stderr
    assert lines[-1] == errors[0]  # notes may come first, nothing after the error
    return errors[0]


def write(tmp_path: Path, text: str, name: str = "data.csv") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def days(values: list[str]) -> str:
    rows = [f"2020-01-{i + 1:02d},{v}" for i, v in enumerate(values)]
    return "date,value\n" + "\n".join(rows) + "\n"


# ---- happy paths -------------------------------------------------------------------------------


def test_prices_table() -> None:
    result = ingest(PRICES, *pinned())
    ok(result)
    assert result.stderr.splitlines() == [
        "time column: Date",
        "target: Close",
        "nothing written; pass --out FILE.npz to save the windows",
    ]
    out = result.stdout
    assert "windows per split" in out
    for word in ("split", "windows", "train", "val", "test", "570", "75"):
        assert word in out
    assert "2015-01-06" in out  # first train target: the 31st trading day
    assert "2017-11-10" in out  # last test target: the last row
    assert "x (720, 30, 1)  y (720, 1, 1)  mask none (no padding)" in out
    assert "inputs: Close   targets: Close   series: 1   frequency: B" in out


def test_prices_json() -> None:
    result = ingest(PRICES, *pinned(), "-f", "json")
    ok(result)
    data = json.loads(result.stdout)
    assert data["shapes"] == {"x": [720, 30, 1], "y": [720, 1, 1], "mask": None}
    assert data["columns"] == {
        "time_col": "Date",
        "targets": ["Close"],
        "inputs": ["Close"],
        "id_col": None,
    }
    assert data["series"] == 1
    assert data["freq"] == "B"
    assert data["out"] is None
    splits = {row["split"]: row for row in data["splits"]}
    assert [splits[s]["windows"] for s in ("train", "val", "test")] == [570, 75, 75]
    assert splits["test"]["last_target"] == "2017-11-10"
    assert splits["train"]["last_target"] < splits["val"]["first_target"]
    assert splits["val"]["last_target"] < splits["test"]["first_target"]
    assert "target: Close" in result.stderr


def test_prices_csv_format() -> None:
    result = ingest(PRICES, "--format", "csv", *pinned(10), "--horizon", "5")
    ok(result)
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["split"] for r in rows] == ["train", "val", "test", "unused"]
    # 750 rows: train 600, val 75, test 75; horizon 5 leaves 4 straddling windows per cut unused
    assert [int(r["windows"]) for r in rows] == [600 - 10 - 5 + 1, 75 - 4, 75 - 4, 8]
    assert sum(int(r["windows"]) for r in rows) == (750 - 10 - 5) // 1 + 1


def test_prices_automatic_windows(tmp_path: Path) -> None:
    path = tmp_path / "auto.npz"
    result = ingest(PRICES, "-f", "json", "--out", str(path))
    ok(result)
    data = json.loads(result.stdout)
    # business days: season 5, look-back ceil(1.25 x 5) = 7; every origin with one real step
    # (1 .. 749 of 750 rows), the short histories padded and masked
    assert data["shapes"] == {"x": [749, 7, 1], "y": [749, 1, 1], "mask": [749, 7]}
    # val and test: 10 % of 750 each (longer than the horizon); train rows 600: origins 1 .. 599
    splits = {row["split"]: row["windows"] for row in data["splits"]}
    assert splits == {"train": 599, "val": 75, "test": 75}
    _, spec = load_npz(path)
    window = spec["window"]
    assert (window["look_back"], window["min_look_back"], window["season"]) == (7, 1, 5)
    assert spec["scaler"]["method"] == "auto"
    # logged; a weekday "season" of prices is noise (seasonal strength ~0.01 < 0.1): kept
    assert spec["transforms"][0] == {"log": [True], "season": [[]]}
    # --deseasonalize yes takes it out anyway
    ok(ingest(PRICES, "-f", "json", "--out", str(path), "--deseasonalize", "yes"))
    _, spec = load_npz(path)
    assert len(spec["transforms"][0]["season"][0]) == 5


def test_json_shapes_follow_the_options() -> None:
    result = ingest(
        PRICES, "-f", "json", "--look-back", "7", "--horizon", "3", "--features", "Volume"
    )
    ok(result)
    data = json.loads(result.stdout)
    n = sum(row["windows"] for row in data["splits"])  # includes the unused straddlers
    assert data["shapes"]["x"] == [n, 7, 2]
    assert [row["split"] for row in data["splits"]] == ["train", "val", "test", "unused"]
    assert data["shapes"]["y"] == [n, 3, 1]
    assert data["columns"]["inputs"] == ["Close", "Volume"]


def test_out_writes_a_loadable_npz(tmp_path: Path) -> None:
    path = tmp_path / "w" / "prices.npz"
    result = ingest(PRICES, *pinned(), "--out", str(path), "-f", "json")
    ok(result)
    assert f"wrote {path}" in result.stderr
    assert json.loads(result.stdout)["out"] == str(path)
    ds, spec = load_npz(path)
    assert ds.x.shape == (720, 30, 1)
    assert ds.y.shape == (720, 1, 1)
    assert ds.mask is None
    assert spec["columns"]["targets"] == ["Close"]
    assert spec["window"]["look_back"] == 30
    assert spec["counts"] == {"train": 570, "val": 75, "test": 75}
    with np.load(path, allow_pickle=False) as f:
        assert f["x"].dtype == np.float32
        assert str(f["target_time"][-1, 0]).startswith("2017-11-10")
    # the training windows are standardised with the training rows' statistics
    train = ds.y[ds.part(0)]
    assert abs(float(train.mean())) < 0.1


def test_stdin(tmp_path: Path) -> None:
    text = (SAMPLE / "airpassengers.csv").read_text()
    path = tmp_path / "air.npz"
    result = ingest("-", *pinned(12), "-o", str(path), input=text)
    ok(result)
    assert "time column: month" in result.stderr
    assert "target: passengers" in result.stderr
    assert "x (132, 12, 1)" in result.stdout
    _, spec = load_npz(path)
    assert spec["source"] == "<stdin>"
    assert spec["freq"] == "MS"


def test_panel_with_skip_short_and_padding() -> None:
    result = ingest(PANEL, "--id-col", "series_id", *pinned(300), "--skip-short", "-f", "json")
    ok(result)
    assert (
        "Warning: skipped 1 series too short for look-back + horizon (--skip-short): "
        "CEU2023800101 (225 steps)" in result.stderr.splitlines()
    )
    assert "series: 6 (by series_id)" in result.stderr
    assert json.loads(result.stdout)["series"] == 5
    result = ingest(
        PANEL, "--id-col", "series_id", "--look-back", "300", "--min-look-back", "12", "-f", "json"
    )
    ok(result)
    data = json.loads(result.stdout)
    assert data["series"] == 6
    assert data["shapes"]["mask"] == [data["shapes"]["x"][0], 300]


def test_config_file(tmp_path: Path) -> None:
    config = tmp_path / "run.yaml"
    config.write_text("look_back: 12\nhorizon: 2\nval-size: 12\ntest_size: 12\n")
    result = ingest(AIR, "--config", str(config), "--horizon", "3", "-f", "json")
    ok(result)
    data = json.loads(result.stdout)
    assert data["shapes"]["x"][1:] == [12, 1]
    assert data["shapes"]["y"][1:] == [3, 1]  # the flag overrides the file


def test_ingest_does_not_import_tensorflow() -> None:
    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from rnncli.cli import app\n"
        f"r = CliRunner().invoke(app, ['ingest', {PRICES!r}])\n"
        "assert r.exit_code == 0, r.stderr\n"
        "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


# ---- bad input: one line on stderr, exit 1 -----------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    missing = str(tmp_path / "nope.csv")
    assert one_error(ingest(missing)) == (
        f"Error: file '{missing}' not found; check the path (or pass - to read stdin)"
    )


def test_directory(tmp_path: Path) -> None:
    assert "is a directory" in one_error(ingest(str(tmp_path)))


def test_empty_file(tmp_path: Path) -> None:
    path = write(tmp_path, "")
    assert one_error(ingest(path)) == (
        f"Error: {path} is empty; give a CSV with a header row and data"
    )


def test_header_only(tmp_path: Path) -> None:
    path = write(tmp_path, "date,value\n")
    assert one_error(ingest(path)) == f"Error: {path} has a header but no data rows"


def test_missing_column() -> None:
    line = one_error(ingest(PRICES, "--target", "nope"))
    assert line == (
        f"Error: column 'nope' (--target) not in {PRICES}; "
        "available columns: Date, Open, High, Low, Close, Volume"
    )


def test_ambiguous_target(tmp_path: Path) -> None:
    path = write(tmp_path, "date,a,b\n2020-01-01,1,2\n2020-01-02,3,4\n")
    line = one_error(ingest(path))
    assert "numeric candidates: a, b" in line
    assert "--target" in line


def test_non_numeric_value(tmp_path: Path) -> None:
    path = write(tmp_path, days(["1", "2", "3", "oops", "5"]))
    line = one_error(ingest(path, "--target", "value", "--look-back", "1"))
    assert line.startswith(f"Error: {path}: column 'value', line 5: 'oops' is not a number")


def test_non_numeric_feature(tmp_path: Path) -> None:
    text = "date,value,temp\n2020-01-01,1,20\n2020-01-02,2,warm\n2020-01-03,3,22\n"
    path = write(tmp_path, text)
    line = one_error(ingest(path, "--features", "temp", "--look-back", "1"))
    assert "column 'temp', line 3: 'warm' is not a number" in line


@pytest.mark.parametrize("missing", ["", "NaN"])
def test_missing_value(tmp_path: Path, missing: str) -> None:
    path = write(tmp_path, days(["1", "2", missing, "4", "5", "6"]))
    line = one_error(ingest(path, "--look-back", "1"))
    assert line == (
        f"Error: {path}: column 'value' has a missing value at line 4; "
        "fix the data or pass --fill ffill|interpolate|drop"
    )


@pytest.mark.parametrize(("fill", "train_windows"), [("ffill", 5), ("interpolate", 5), ("drop", 4)])
def test_missing_value_filled(tmp_path: Path, fill: str, train_windows: int) -> None:
    path = write(tmp_path, days(["1", "2", "", "4", "5", "6"]))
    result = ingest(
        path,
        "--look-back",
        "1",
        "--fill",
        fill,
        "--val-size",
        "0",
        "--test-size",
        "0",
        "-f",
        "json",
    )
    ok(result)
    data = json.loads(result.stdout)
    assert data["splits"][0]["windows"] == train_windows


def test_duplicated_timestamp(tmp_path: Path) -> None:
    path = write(tmp_path, "date,value\n2020-01-01,1\n2020-01-02,2\n2020-01-02,3\n")
    line = one_error(ingest(path, "--look-back", "1"))
    assert line.startswith(f"Error: {path}: duplicated time stamp 2020-01-02")
    assert "at line 4" in line


def test_unsorted_timestamps(tmp_path: Path) -> None:
    path = write(tmp_path, "date,value\n2020-01-01,1\n2020-01-03,2\n2020-01-02,3\n")
    line = one_error(ingest(path, "--look-back", "1"))
    assert "time stamps out of order at line 4" in line
    assert "sort the file by time" in line


def test_look_back_larger_than_the_data() -> None:
    result = ingest(AIR, *pinned(500))
    line = one_error(result)
    assert line.startswith("Error: the series has 144 time steps")
    assert "look-back 500 + horizon 1 = 501" in line
    assert result.stderr.startswith("time column: month\ntarget: passengers\n")


def test_look_back_larger_than_one_panel_series() -> None:
    line = one_error(ingest(PANEL, "--id-col", "series_id", *pinned(300)))
    assert "series 'CEU2023800101' has 225 time steps" in line


def test_bad_yaml_key(tmp_path: Path) -> None:
    config = tmp_path / "run.yaml"
    config.write_text("look_bak: 5\n")
    line = one_error(ingest(AIR, "--config", str(config)), 2)
    assert line.startswith("Error: unknown option 'look_bak'; valid options are: ")
    assert "look_back" in line


def test_bad_yaml_value(tmp_path: Path) -> None:
    config = tmp_path / "run.yaml"
    config.write_text("look_back: 0\n")
    assert "option 'look_back' must be greater than 0" in one_error(
        ingest(AIR, "--config", str(config)), 2
    )
    config.write_text("look_back: [1\n")
    assert "is not valid YAML" in one_error(ingest(AIR, "--config", str(config)), 2)


def test_empty_stdin() -> None:
    assert one_error(ingest("-", input="")) == (
        "Error: <stdin> is empty; give a CSV with a header row and data"
    )


def test_unreadable_stdin() -> None:
    line = one_error(ingest("-", input=b"\xff\xfe\x00date,\x81\n1,2\n"))
    assert line.startswith("Error: <stdin> is not a readable CSV")


def test_stdin_from_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(sys, "stdin", Tty())
    with pytest.raises(RnnCliError, match="nothing is piped to stdin"):
        cli.open_data("-")
    monkeypatch.setattr(sys, "stdin", None)
    with pytest.raises(RnnCliError, match="nothing is piped to stdin"):
        cli.open_data("-")


def test_too_large_split() -> None:
    # val 140 + test 14 (10 %) of 144 steps
    line = one_error(ingest(AIR, "--val-size", "140", "--test-size", "0.1"))
    assert "nothing left to train on after val 140 + test 14" in line
    assert "--val-size 2.5" in one_error(ingest(AIR, "--val-size", "2.5"))


# ---- usage errors: exit 2 ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["--look-back", "0"],
        ["--horizon", "0"],
        ["--stride", "0"],
        ["--min-look-back", "0"],
        ["--val-size", "-1"],
        ["--pad", "middle"],
        ["--look-back", "ten"],
    ],
)
def test_usage_errors(args: list[str]) -> None:
    result = ingest(AIR, *args)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "Usage:" in result.stderr
    assert args[0] in result.stderr
    assert "Traceback" not in result.stderr


def test_min_look_back_above_look_back() -> None:
    line = one_error(ingest(AIR, "--look-back", "5", "--min-look-back", "6"), 2)
    assert "'min_look_back' (6) must not exceed 'look_back' (5)" in line
