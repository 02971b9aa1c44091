"""Tables people read: plain columns when piped, fixed decimals per column, thousands
separators, no e-notation; JSON and CSV keep every digit. Panel metrics: the "all" row is the
mean over series, MAPE leaves out series with actuals near zero, an undefined MASE says why."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from rnncli import scoring
from rnncli.cli import app
from rnncli.cli.render import format_column, write_rows
from rnncli.originals import Originals

BOX = set("┏┓┗┛┃━┡┩│└┘┌┐─╇┳┻╋")

ROWS = [
    {"series": "all", "method": "model", "mae": 12130.456789, "mape": 3.14159, "windows": 12345},
    {"series": "all", "method": "naive", "mae": 0.5, "mape": 14696338.2, "windows": 7},
]


def test_columns_have_fixed_decimals_and_separators() -> None:
    assert format_column("mae", [12130.456789, 0.5, None, float("nan")]) == [
        "12,130",
        "0",
        "",
        "",
    ]
    assert format_column("mae", [0.4656, 0.462, 1.208]) == ["0.466", "0.462", "1.208"]
    assert format_column("rmse", [0.0075, 0.0123]) == ["0.00750", "0.01230"]
    assert format_column("mape", [3.14159, 14696338.2]) == ["3.14", "14,696,338.20"]
    assert format_column("mase", [1.0561, 2.0]) == ["1.056", "2.000"]
    assert format_column("windows", [12345, 7]) == ["12,345", "7"]


class TTY(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_piped_table_is_plain_text() -> None:
    out = io.StringIO()
    write_rows(ROWS, "table", title="test part", stream=out)
    text = out.getvalue()
    assert not BOX & set(text)
    assert "e+" not in text
    lines = text.splitlines()
    assert lines[0] == "test part"
    assert lines[1].split() == ["series", "method", "mae", "mape", "windows"]
    assert lines[2].split() == ["all", "model", "12,130", "3.14", "12,345"]
    assert lines[3].split() == ["all", "naive", "0", "14,696,338.20", "7"]


def test_terminal_table_has_boxes_and_drops_optional_columns_to_fit(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COLUMNS", "40")
    rows = [{"a": "x" * 10, "b": "y" * 10, "c": "z" * 10, "d": 1}]
    out = TTY()
    write_rows(rows, "table", stream=out, optional=("c", "b"))
    text = out.getvalue()
    assert BOX & set(text)
    assert "x" * 10 in text and "z" * 10 not in text
    visible = re.sub(r"\x1b\[[0-9;]*m", "", text)
    assert all(len(line) <= 40 for line in visible.splitlines())
    assert "columns c left out to fit 40 columns" in capsys.readouterr().err


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_csv_and_json_keep_full_precision(fmt: str) -> None:
    out = io.StringIO()
    write_rows(ROWS, fmt, stream=out)
    if fmt == "json":
        assert json.loads(out.getvalue())[0]["mae"] == 12130.456789
    else:
        assert out.getvalue().splitlines()[1] == "all,model,12130.456789,3.14159,12345"


# ---- panel metrics ------------------------------------------------------------------------

LEVEL_A = np.array([100.0, 102, 101, 104, 103, 106, 105, 108, 107, 110, 109, 112])
NEAR_ZERO_B = np.array([5.0, 3, 6, 2, 4, 7, 3, 5, 0.02, 4, 6, 3])  # 0.02 < 1 % of its level
CONSTANT_B = np.array([5.0, 5, 5, 5, 5, 5, 5, 5, 6, 4, 6, 3])  # training part constant
N_TRAIN = 8  # rows 0..7 train; windows forecast rows 8..11, one step each


def panel_scores(b: np.ndarray, season: int = 1, n_train_b: int = N_TRAIN) -> list[dict]:
    values = [LEVEL_A[:, None], b[:, None]]
    originals = Originals(values, np.zeros((2, 1)), np.ones((2, 1)))
    series = np.repeat([0, 1], 4)
    at = np.tile(np.arange(8, 12), 2)
    truth = originals.targets(series, at, 1)
    pred = truth + np.where(series == 0, 2.0, 1.0)[:, None, None]  # errors 2 (A) and 1 (B)
    return scoring.score(
        originals,
        pred,
        series,
        at,
        ids=["A", "B"],
        insample=[LEVEL_A[:N_TRAIN, None], b[:n_train_b, None]],
        season=season,
        targets=["y"],
        per_series=True,
    )


def by(rows: list[dict], series: str, method: str = "model") -> dict:
    return next(r for r in rows if r["series"] == series and r["method"] == method)


def test_mape_leaves_out_a_series_with_actuals_near_zero_and_says_so() -> None:
    rows = panel_scores(NEAR_ZERO_B)
    a_mape = np.mean(200.0 / LEVEL_A[8:])
    assert by(rows, "A")["mape"] == pytest.approx(a_mape)
    assert by(rows, "B")["mape"] is None
    assert by(rows, "B")["note"] == "MAPE left out: actuals near zero (see MASE)"
    every = by(rows, "all")
    assert every["mape"] == pytest.approx(a_mape)  # B left out, not averaged in
    assert every["mae"] == pytest.approx(1.5)  # (2 + 1) / 2, a mean over series
    assert every["n_series"] == 2
    assert "MAPE over 1 of 2 series" in every["note"] and "see MASE" in every["note"]
    # MASE stays defined for B: its MAE over the in-sample one-step naive MAE
    scale_b = np.mean(np.abs(np.diff(NEAR_ZERO_B[:N_TRAIN])))
    assert by(rows, "B")["mase"] == pytest.approx(1.0 / scale_b)
    lines = scoring.notes(rows)
    assert lines[0].startswith("all · y: MAPE over 1 of 2 series")
    assert "B · y: MAPE left out: actuals near zero (see MASE)" in lines


def test_undefined_mase_says_why() -> None:
    rows = panel_scores(CONSTANT_B)
    assert by(rows, "B")["mase"] is None
    assert by(rows, "B")["note"] == "MASE undefined: training part constant at lag 1"
    scale_a = np.mean(np.abs(np.diff(LEVEL_A[:N_TRAIN])))
    assert by(rows, "all")["mase"] == pytest.approx(2.0 / scale_a)
    assert "MASE over 1 of 2 series" in by(rows, "all")["note"]
    short = panel_scores(NEAR_ZERO_B, season=4, n_train_b=4)
    assert by(short, "B")["note"].endswith(
        "MASE undefined: training part of 4 steps is too short for season 4"
    )


# ---- through the CLI ----------------------------------------------------------------------


@pytest.mark.tf
def test_evaluate_panel_table_is_plain_and_says_all_is_a_mean(panel_model: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["evaluate", str(panel_model)], env={"NO_COLOR": "1"})
    assert result.exit_code == 0, result.output
    assert not BOX & set(result.stdout)
    assert "e+" not in result.stdout and "e-" not in result.stdout
    assert "the all rows are the mean over series of each series' metric" in result.stdout
    assert "n_series" in result.stdout.splitlines()[1]
    data = runner.invoke(app, ["evaluate", str(panel_model), "--format", "json"])
    rows = json.loads(data.stdout)["metrics"]
    every = next(r for r in rows if r["series"] == "all" and r["method"] == "model")
    per = [r for r in rows if r["series"] != "all" and r["method"] == "model"]
    assert every["n_series"] == len(per) > 1
    assert every["smape"] == pytest.approx(np.mean([r["smape"] for r in per]))
