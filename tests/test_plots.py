"""predict --plot and evaluate --plot: PNG files of the expected size, and figures with the
expected titles, lines and bands (read from the matplotlib objects the pure functions return)."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rnncli import modeldir, plotting
from rnncli import predict as predicting
from rnncli.cli import app
from rnncli.evaluate import evaluate

pytest.importorskip("matplotlib")

ROOT = Path(__file__).resolve().parent.parent
AIR = ROOT / "sample_data" / "airpassengers.csv"
PANEL = ROOT / "sample_data" / "employment_panel.csv"
runner = CliRunner(env={"RNNCLI_DEBUG": None, "NO_COLOR": "1"})


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def labels(ax) -> list[str]:
    return [t.get_text() for t in ax.get_legend().get_texts()] if ax.get_legend() else []


@pytest.mark.tf
def test_predict_plot_of_one_series(air_model: Path, tmp_path: Path) -> None:
    out = tmp_path / "fc.png"
    result = runner.invoke(
        app,
        ["predict", str(air_model), str(AIR), "--steps", "6", "--intervals", "80", "--plot",
         str(out), "-f", "csv"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert f"wrote {out}" in result.stderr
    assert png_size(out) == (1000, 400)
    assert result.stdout.startswith("month,passengers,passengers_lo80")  # the data still
    fc = predicting.predict(air_model, str(AIR), "air", steps=6, levels=(80,))
    fig, notes = plotting.forecast_figure_of(fc)
    (ax,) = fig.axes
    assert ax.get_title() == "passengers: forecast of the next 6 steps"
    assert ax.get_xlabel() == "month" and ax.get_ylabel() == "passengers"
    assert labels(ax) == ["history", "80 % interval", "forecast"]
    history, forecast = ax.get_lines()
    assert len(history.get_xdata()) == 24  # the last 4 horizons of 6 steps (24 at least)
    assert list(forecast.get_ydata()[1:]) == pytest.approx(list(fc.table["passengers"]))
    assert notes == []


@pytest.mark.tf
def test_predict_plot_of_a_panel_one_panel_per_series(panel_model: Path, tmp_path: Path) -> None:
    out = tmp_path / "panel.png"
    result = runner.invoke(app, ["predict", str(panel_model), str(PANEL), "--plot", str(out)])
    assert result.exit_code == 0, result.output
    assert png_size(out) == (1000, 620)  # two rows of three
    fc = predicting.predict(panel_model, str(PANEL), "panel")
    fig, _ = plotting.forecast_figure_of(fc)
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in visible] == sorted(set(fc.table["series_id"]), key=list(
        fc.table["series_id"]).index)  # fmt: skip
    two = ["CEU4245210001", "CEU2000000001"]
    fig, _ = plotting.forecast_figure_of(fc, two)
    assert [ax.get_title() for ax in fig.axes if ax.get_visible()] == two
    assert fig.get_suptitle() == "value: forecast of the next 3 steps"


@pytest.mark.tf
def test_unknown_series_is_one_error_line(panel_model: Path, tmp_path: Path) -> None:
    out = tmp_path / "x.png"
    result = runner.invoke(
        app, ["predict", str(panel_model), str(PANEL), "--plot", str(out), "--series", "NOPE"]
    )
    assert result.exit_code == 1
    (line,) = result.stderr.splitlines()[-1:]
    assert line.startswith("Error: --series NOPE is not in the data; its series are CEU")
    assert not out.exists()


@pytest.mark.tf
def test_evaluate_plot_zooms_on_the_test_part(panel_model: Path, tmp_path: Path) -> None:
    out = tmp_path / "test.png"
    sid = "CEU4245210001"
    result = runner.invoke(app, ["evaluate", str(panel_model), "--plot", str(out), "--series", sid])
    assert result.exit_code == 0, result.output
    assert png_size(out) == (1000, 400)
    model = modeldir.load(panel_model)
    report = evaluate(model, None, None)
    fig, _ = plotting.heldout_figure_of(
        report,
        targets=["value"],
        time_label="date",
        id_col="series_id",
        calibration=model.read_json(modeldir.CALIBRATION_FILE),
        chosen=[sid],
    )
    (ax,) = fig.axes
    s = report.prep.ids.index(sid)
    n_origins = int((report.series == s).sum())
    assert ax.get_title() == f"{sid}: test part (horizon 3), {n_origins} forecast origins"
    assert labels(ax) == [
        "before the test part",
        "80 % interval (last origin)",
        f"forecast from each origin, {min(n_origins, 20)} of {n_origins} shown",
        "actual (test part)",
    ]
    lines = ax.get_lines()
    context, actual = lines[0], lines[-2]  # the last line is the test part's start marker
    first_row = int(report.at[report.series == s].min()) + report.prep.originals.lag
    # context: some history before the test part, not the whole series
    assert 12 <= len(context.get_xdata()) - 1 < first_row
    test_rows = len(actual.get_xdata())
    assert test_rows == int(report.at[report.series == s].max()) + 3 - first_row
    faded = [ln for ln in lines[1:-2]]
    assert len(faded) == min(n_origins, 20)
    assert all(ln.get_alpha() < 1 for ln in faded)


@pytest.mark.parametrize("command", ["predict", "evaluate"])
def test_series_without_plot_is_a_usage_error(command: str, tmp_path: Path) -> None:
    args = [command, str(tmp_path / "model"), *([str(AIR)] if command == "predict" else [])]
    result = runner.invoke(app, [*args, "--series", "A"])
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == (
        "Error: Invalid value for '--series': it chooses what --plot draws; add --plot FILE.png"
    )
