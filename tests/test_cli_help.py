"""--help: option groups, readable placeholders, an example per command, 80 columns; choice
values in any case; usage errors in words."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from rnncli.cli import app
from rnncli.cli.options import PANELS

runner = CliRunner()
COMMANDS = ["train", "ingest", "predict", "evaluate", "inspect-weights", "info"]


def help_text(command: str) -> str:
    result = runner.invoke(app, [command, "--help"], prog_name="rnncli", env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("command", COMMANDS)
def test_help_fits_80_columns_and_shows_an_example(command: str) -> None:
    text = help_text(command)
    assert text.startswith(f"Usage: rnncli {command} [OPTIONS]")
    too_wide = [line for line in text.splitlines() if len(line) > 80]
    assert too_wide == []
    assert "Examples:" in text
    assert f"$ rnncli {command}" in text
    # placeholders a person reads, not the validator's type names
    assert "<int" not in text and "<float" not in text and "<str" not in text
    assert "<path" not in text and "list[" not in text


def sections(text: str) -> list[str]:
    return [line[:-1] for line in text.splitlines() if line and line[0] != " " and line[-1] == ":"]


def test_train_help_groups_options_by_panel_in_order() -> None:
    text = help_text("train")
    assert sections(text) == ["Arguments", *PANELS[:4], "Output", "Options"]
    data = text.split("\nData:\n")[1].split("\n\n")[0]
    assert "--time-col COLUMN" in data and "--id-col COLUMN" in data
    model = text.split("\nModel:\n")[1].split("\n\n")[0]
    assert "--cell [simple_rnn|simple|lstm|gru]" in model and "--units INTEGER" in model
    training = text.split("\nTraining:\n")[1].split("\n\n")[0]
    assert "--learning-rate FLOAT" in training and "--epochs INTEGER" in training
    assert "--look-back INTEGER" in text.split("\nWindows and splits:\n")[1].split("\n\n")[0]
    assert "--config FILE" in text.split("\nOptions:\n")[1]


def test_predict_help_groups_forecast_and_output() -> None:
    text = help_text("predict")
    assert "Usage: rnncli predict [OPTIONS] MODEL_DIR DATA" in text
    forecast = text.split("\nForecast:\n")[1].split("\n\n")[0]
    assert "--steps INTEGER" in forecast and "--intervals LEVELS" in forecast
    output = text.split("\nOutput:\n")[1].split("\n\n")[0]
    assert "--output FILE" in output and "--format [table|json|csv]" in output


def test_evaluate_usage_names_the_optional_data() -> None:
    assert "Usage: rnncli evaluate [OPTIONS] MODEL_DIR [DATA]" in help_text("evaluate")


@pytest.mark.parametrize("value", ["LSTM", "Gru", "simple_RNN"])
def test_choice_values_in_any_case(value: str) -> None:
    result = runner.invoke(
        app, ["train", "--cell", value, "--print-config"], prog_name="rnncli", env={}
    )
    assert result.exit_code == 0, result.output
    assert f"cell: {value.lower()}" in result.stdout.splitlines()


@pytest.mark.parametrize(
    "args, message",
    [
        (["--units", "abc"], "Error: Invalid value for '--units': 'abc' is not a whole number"),
        (["--units", "1.5"], "Error: Invalid value for '--units': '1.5' is not a whole number"),
        (["--units", "0"], "Error: Invalid value for '--units': 0 is below the minimum 1"),
        (["--dropout", "2"], "Error: Invalid value for '--dropout': 2 is above the maximum 0.99"),
        (
            ["--learning-rate", "fast"],
            "Error: Invalid value for '--learning-rate': 'fast' is not a number",
        ),
        (
            ["--cell", "transformer"],
            "Error: Invalid value for '--cell': 'transformer' is not one of 'simple_rnn', "
            "'simple', 'lstm', 'gru'.",
        ),
    ],
)
def test_usage_errors_in_words(args: list[str], message: str) -> None:
    result = runner.invoke(app, ["train", "x.csv", *args], prog_name="rnncli")
    assert result.exit_code == 2
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error")]
    assert errors == [message]
    assert "Value error" not in result.stderr and "Input should" not in result.stderr
