"""Files as users have them, through the CLI: the long layout, Parquet, gzip, `;` and tab
separators, --time-format, and predict on the very file a model was trained on."""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from rnncli.cli import app

SAMPLE = Path(__file__).resolve().parent.parent / "sample_data"
AIR = SAMPLE / "airpassengers.csv"
PANEL = SAMPLE / "employment_panel.csv"
runner = CliRunner(env={"RNNCLI_DEBUG": None, "NO_COLOR": "1"})
TINY = ["--units", "4", "--epochs", "2", "--ensemble", "1", "--seed", "7", "--horizon", "3"]


def ok(result) -> None:
    assert result.exit_code == 0, result.stderr
    assert "Error" not in result.stderr
    assert "Traceback" not in result.stderr


def invoke(*args: str, input: str | bytes | None = None):
    return runner.invoke(app, [str(a) for a in args], input=input)


def windows_json(*args: str, input: str | bytes | None = None) -> dict:
    import json

    result = invoke("ingest", *args, "--format", "json", input=input)
    ok(result)
    return json.loads(result.stdout)


# ---- reading: no TensorFlow ------------------------------------------------------------------


def test_long_layout_recognised_without_flags(tmp_path: Path) -> None:
    frame = pd.read_csv(PANEL).rename(columns={"series_id": "unique_id", "date": "ds"})
    frame = frame.rename(columns={"value": "y"})
    long = tmp_path / "long.csv"
    frame.to_csv(long, index=False)
    result = invoke("ingest", long)
    ok(result)
    assert "columns: unique_id, ds, y (the long layout)" in result.stderr
    assert f"series: {frame['unique_id'].nunique()} (by unique_id)" in result.stderr
    got = windows_json(str(long))
    assert got["columns"] == {
        "time_col": "ds",
        "targets": ["y"],
        "inputs": ["y"],
        "id_col": "unique_id",
    }
    assert got["series"] == frame["unique_id"].nunique()
    assert got["freq"] == "MS"
    # the same windows as the original file read with the flags spelled out
    flags = windows_json(str(PANEL), "--id-col", "series_id", "--time-col", "date")
    assert flags["shapes"] == got["shapes"] and flags["splits"] == got["splits"]


def test_ds_y_is_one_series(tmp_path: Path) -> None:
    frame = pd.read_csv(AIR).rename(columns={"month": "ds", "passengers": "y"})
    frame.insert(1, "note", "x")  # another text column does not make it a panel
    path = tmp_path / "air.csv"
    frame.to_csv(path, index=False)
    got = windows_json(str(path))
    assert got["columns"]["time_col"] == "ds" and got["columns"]["id_col"] is None
    assert got["series"] == 1


@pytest.mark.parametrize(
    ("name", "write"),
    [
        ("air.parquet", lambda f, p: f.to_parquet(p, index=False)),
        ("air.csv.gz", lambda f, p: p.write_bytes(gzip.compress(f.to_csv(index=False).encode()))),
        ("air.csv", lambda f, p: f.to_csv(p, sep=";", index=False)),
        ("air.tsv", lambda f, p: f.to_csv(p, sep="\t", index=False)),
    ],
)
def test_formats_read_the_same_windows(tmp_path: Path, name: str, write) -> None:
    path = tmp_path / name
    write(pd.read_csv(AIR), path)
    assert windows_json(str(path)) == windows_json(str(AIR))
    # and from stdin, told apart by their bytes
    assert windows_json("-", input=path.read_bytes()) == windows_json(str(AIR))


def test_delimiter_is_said(tmp_path: Path) -> None:
    path = tmp_path / "air.csv"
    pd.read_csv(AIR).to_csv(path, sep=";", index=False)
    result = invoke("ingest", path)
    ok(result)
    assert f"{path}: semicolon-separated" in result.stderr.splitlines()


def test_time_format_reads_numbers_as_dates(tmp_path: Path) -> None:
    frame = pd.read_csv(AIR)
    frame["month"] = pd.to_datetime(frame["month"]).dt.strftime("%Y%m%d").astype(int)
    path = tmp_path / "num.csv"
    frame.to_csv(path, index=False)
    got = windows_json(str(path), "--time-format", "%Y%m%d")
    assert got["columns"]["time_col"] == "month"
    assert got["freq"] == "MS"
    assert got == windows_json(str(AIR))


# ---- train and predict ---------------------------------------------------------------------


def numbers_file(tmp_path: Path) -> Path:
    frame = pd.read_csv(AIR)
    frame["month"] = pd.to_datetime(frame["month"]).dt.strftime("%Y%m%d").astype(int)
    path = tmp_path / "num.csv"
    frame.to_csv(path, index=False)
    return path


def semicolon_panel(tmp_path: Path) -> Path:
    path = tmp_path / "panel.csv"
    pd.read_csv(PANEL).to_csv(path, sep=";", index=False)
    return path


def parquet_long(tmp_path: Path) -> Path:
    frame = pd.read_csv(PANEL).rename(columns={"series_id": "unique_id", "date": "ds"})
    path = tmp_path / "long.parquet"
    frame.rename(columns={"value": "y"}).to_parquet(path, index=False)
    return path


@pytest.mark.tf
@pytest.mark.parametrize(
    ("make", "flags"),
    [
        (lambda t: AIR, []),
        (numbers_file, ["--time-format", "%Y%m%d"]),
        (semicolon_panel, ["--id-col", "series_id"]),
        (parquet_long, []),
    ],
    ids=["air", "yyyymmdd", "semicolon-panel", "parquet-long-layout"],
)
def test_predict_on_the_training_file(tmp_path: Path, make, flags: list[str]) -> None:
    """The very file a model was trained on is always one it forecasts from."""
    data = make(tmp_path)
    model = tmp_path / "m"
    ok(invoke("train", data, "--out", model, *TINY, *flags, "--quiet"))
    result = invoke("predict", model, data)
    ok(result)
    forecast = pd.read_csv(io.StringIO(result.stdout))
    assert len(forecast) % 3 == 0 and forecast.iloc[:, -1].notna().all()
    ok(invoke("evaluate", model, data, "--format", "json"))


@pytest.mark.tf
def test_time_format_recorded_in_the_card(tmp_path: Path) -> None:
    data = numbers_file(tmp_path)
    model = tmp_path / "m"
    ok(invoke("train", data, "--out", model, *TINY, "--time-format", "%Y%m%d", "--quiet"))
    card = yaml.safe_load((model / "rnncli.yaml").read_text())
    assert card["data"]["time_format"] == "%Y%m%d"
    result = invoke("predict", model, data)
    ok(result)
    # the forecast continues the dates (1961-01..03), written as dates
    assert pd.read_csv(io.StringIO(result.stdout))["month"].tolist() == [
        "1961-01-01",
        "1961-02-01",
        "1961-03-01",
    ]


@pytest.mark.tf
def test_output_by_extension(air_model: Path, tmp_path: Path) -> None:
    base = invoke("predict", air_model, AIR, "--format", "csv")
    ok(base)
    expected = pd.read_csv(io.StringIO(base.stdout))
    ok(invoke("predict", air_model, AIR, "--output", tmp_path / "fc.parquet"))
    got = pd.read_parquet(tmp_path / "fc.parquet")
    assert str(got["month"].dtype).startswith("datetime64")
    assert got["month"].dt.strftime("%Y-%m-%d").tolist() == expected["month"].tolist()
    assert got["passengers"].tolist() == pytest.approx(expected["passengers"].tolist())
    ok(invoke("predict", air_model, AIR, "--output", tmp_path / "fc.csv.gz"))
    text = gzip.decompress((tmp_path / "fc.csv.gz").read_bytes()).decode()
    assert text == base.stdout
    ok(invoke("predict", air_model, AIR, "--output", tmp_path / "fc.json"))
    assert (tmp_path / "fc.json").read_text().lstrip().startswith("[")


@pytest.mark.tf
def test_future_file_may_be_parquet(tmp_path: Path) -> None:
    elec = pd.read_csv(SAMPLE / "electricity.csv").iloc[-300:]
    data, future = tmp_path / "elec.csv", tmp_path / "future.parquet"
    elec.iloc[:-20].to_csv(data, index=False)
    elec.iloc[-20:].to_parquet(future, index=False)
    target, feature = elec.columns[1], elec.columns[2]
    model = tmp_path / "m"
    ok(
        invoke(
            "train", data, "--out", model, "--target", target, "--features", feature, *TINY, "-q"
        )
    )
    result = invoke("predict", model, data, "--steps", "6", "--future", future)
    ok(result)
    assert len(pd.read_csv(io.StringIO(result.stdout))) == 6
    csv_future = tmp_path / "future.csv"
    elec.iloc[-20:].to_csv(csv_future, index=False)
    again = invoke("predict", model, data, "--steps", "6", "--future", csv_future)
    assert again.stdout == result.stdout


@pytest.mark.tf
def test_parquet_without_pyarrow_says_how_to_install_it(
    air_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pyarrow is the optional `parquet` extra: without it, one line naming the extra."""
    path = tmp_path / "air.parquet"
    pd.read_csv(AIR).to_parquet(path, index=False)
    monkeypatch.setitem(__import__("sys").modules, "pyarrow.parquet", None)  # as if absent
    for args in (
        ["ingest", path, "--look-back", "3"],
        ["predict", air_model, AIR, "--output", tmp_path / "fc.parquet"],
    ):
        result = invoke(*args)
        assert result.exit_code == 1
        lines = result.stderr.strip().splitlines()
        assert lines[-1].startswith("Error: Parquet needs pyarrow"), lines
        assert "pip install 'rnncli[parquet]'" in lines[-1]
        assert sum(line.startswith("Error") for line in lines) == 1
    assert not (tmp_path / "fc.parquet").exists()


# ---- the run file: data and out in --config, the detected columns pinned -------------------


def test_print_config_pins_the_detected_columns(tmp_path: Path) -> None:
    frame = pd.read_csv(PANEL).rename(columns={"series_id": "unique_id", "date": "ds"})
    long = tmp_path / "long.csv"
    frame.rename(columns={"value": "y"}).to_csv(long, index=False)
    result = invoke("train", long, "--horizon", "6", "--print-config")
    ok(result)
    printed = yaml.safe_load(result.stdout)
    assert printed["data"] == str(long.resolve())
    assert (printed["time_col"], printed["target"], printed["id_col"]) == ("ds", ["y"], "unique_id")
    assert printed["horizon"] == 6
    # printed, saved and read back: the same run
    run = tmp_path / "run.yaml"
    run.write_text(result.stdout)
    again = invoke("train", "--config", run, "--print-config")
    ok(again)
    assert yaml.safe_load(again.stdout) == printed


def test_config_paths_are_relative_to_the_file(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "runs").mkdir()
    run = tmp_path / "runs" / "run.yaml"
    run.write_text("data: ../air.csv\nout: ../models/air\nhorizon: 3\n")
    pd.read_csv(AIR).to_csv(tmp_path / "air.csv", index=False)
    monkeypatch.chdir(tmp_path / "runs")
    result = invoke("train", "--config", run.name, "--print-config")
    ok(result)
    printed = yaml.safe_load(result.stdout)
    assert printed["data"] == str((tmp_path / "air.csv").resolve())
    assert printed["out"] == str((tmp_path / "models" / "air").resolve())
    assert printed["time_col"] == "month" and printed["target"] == ["passengers"]


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("data: 3\n", "option 'data' must be a path, got 3"),
        ("data: [a.csv]\n", "option 'data' must be a path"),
        ("out: ''\n", "option 'out' must be a path"),
        ("horizon: 3\n", "DATA is required"),
    ],
)
def test_config_path_errors(tmp_path: Path, text: str, words: str) -> None:
    run = tmp_path / "run.yaml"
    run.write_text(text)
    result = invoke("train", "--config", run)
    assert result.exit_code in (1, 2), result.stderr
    assert "Traceback" not in result.stderr
    assert words in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.yaml"]


@pytest.mark.tf
def test_train_config_alone_repeats_a_run(tmp_path: Path, monkeypatch) -> None:
    pd.read_csv(AIR).to_csv(tmp_path / "air.csv", index=False)
    first = invoke("train", tmp_path / "air.csv", "--out", tmp_path / "m1", *TINY, "--print-config")
    ok(first)
    run = tmp_path / "run.yaml"
    run.write_text(first.stdout)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    ok(invoke("train", "--config", run, "--quiet"))
    assert (tmp_path / "m1" / "rnncli.yaml").exists()
    assert list(elsewhere.iterdir()) == []
    card = yaml.safe_load((tmp_path / "m1" / "rnncli.yaml").read_text())
    assert card["data"]["columns"]["time_col"] == "month"
    ok(invoke("train", "--config", run, "--out", tmp_path / "m2", "--quiet"))  # flags win
    import numpy as np

    with (
        np.load(tmp_path / "m1" / "weights.npz") as a,
        np.load(tmp_path / "m2" / "weights.npz") as b,
    ):
        assert sorted(a) == sorted(b)
        for name in a:  # the same run, the same seed: the same weights
            np.testing.assert_array_equal(a[name], b[name])


@pytest.mark.tf
@pytest.mark.parametrize("name", ["air.csv.gz", "air.parquet", "air.tsv"])
def test_every_command_reads_what_train_reads(air_model: Path, tmp_path: Path, name: str) -> None:
    frame = pd.read_csv(AIR)
    path = tmp_path / name
    if name.endswith(".gz"):
        path.write_bytes(gzip.compress(frame.to_csv(index=False).encode()))
    elif name.endswith(".parquet"):
        frame.to_parquet(path, index=False)
    else:
        frame.to_csv(path, sep="\t", index=False)
    expected = invoke("predict", air_model, AIR)
    ok(expected)
    got = invoke("predict", air_model, path)
    ok(got)
    assert got.stdout == expected.stdout
    scored = invoke("evaluate", air_model, path, "--format", "json")
    ok(scored)
    assert scored.stdout == invoke("evaluate", air_model, AIR, "--format", "json").stdout


def test_a_series_too_short_for_a_frequency_is_left_to_skip_short(tmp_path: Path) -> None:
    frame = pd.read_csv(PANEL)
    tiny = pd.DataFrame({"series_id": "TINY", "date": ["2019-08-01", "2019-09-01"], "value": 1.0})
    path = tmp_path / "panel.csv"
    pd.concat([frame, tiny]).to_csv(path, index=False)
    got = windows_json(str(path), "--id-col", "series_id", "--horizon", "3", "--skip-short")
    assert got["series"] == frame["series_id"].nunique()
    result = invoke("ingest", path, "--id-col", "series_id", "--horizon", "3")
    assert result.exit_code == 1
    assert "series 'TINY' has 2 time steps" in result.stderr
