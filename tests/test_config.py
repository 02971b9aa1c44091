"""Run configuration: type checks, ranges, YAML files, flags over the file, --print-config.

No TensorFlow: `train --print-config` stops before anything is imported.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from rnncli.cli import app
from rnncli.config import (
    OPTION_TYPES,
    ConfigError,
    RunConfig,
    WindowSpec,
    auto_batch_size,
    auto_look_back,
    build_config,
    dump_yaml,
    load_yaml,
    merge,
    replace,
    resolve_window,
)


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def cli(*args: str):
    return CliRunner().invoke(app, list(args), env={"NO_COLOR": "1"})


# ---- build_config: names and types ------------------------------------------------------------


def test_defaults() -> None:
    assert build_config({}) == RunConfig()


def test_unknown_key_is_named_and_valid_ones_listed() -> None:
    with pytest.raises(ConfigError) as info:
        build_config({"lookback": 3, "units": 4})
    message = str(info.value)
    assert message.startswith("unknown option 'lookback'; valid options are: ")
    listed = message.split("valid options are: ", 1)[1].split(", ")
    assert listed == sorted(OPTION_TYPES)
    assert {"look_back", "units", "cell", "learning_rate"} <= set(listed)


@pytest.mark.parametrize(
    "options, expected",
    [
        ({"units": "4"}, "option 'units' must be int, got '4'"),
        ({"epochs": True}, "option 'epochs' must be int, got True"),
        ({"look_back": 30.0}, "option 'look_back' must be int or null, got 30.0"),
        ({"dropout": "0.1"}, "option 'dropout' must be float, got '0.1'"),
        ({"clipnorm": "x"}, "option 'clipnorm' must be float or null, got 'x'"),
        ({"min_look_back": "3"}, "option 'min_look_back' must be int or null, got '3'"),
        ({"bidirectional": "yes"}, "option 'bidirectional' must be bool, got 'yes'"),
        (
            {"scale": "log"},
            "option 'scale' must be 'auto' | 'standard' | 'minmax' | 'none', got 'log'",
        ),
        ({"cell": "transformer"}, "option 'cell' must be 'simple_rnn' | 'lstm' | 'gru'"),
        ({"target": [1]}, "option 'target' must be list of str, got [1]"),
        ({"time_col": 3}, "option 'time_col' must be str or null, got 3"),
    ],
)
def test_wrong_type_names_key_and_expected_type(options: dict, expected: str) -> None:
    with pytest.raises(ConfigError) as info:
        build_config(options)
    assert str(info.value).startswith(expected)


def test_values_are_canonicalised() -> None:
    run = build_config({"dropout": 0, "target": "y", "features": ["a", "b"], "val_size": 12})
    assert run.model.dropout == 0.0 and isinstance(run.model.dropout, float)
    assert run.data.target == ("y",)
    assert run.data.features == ("a", "b")
    assert run.window.val_size == 12.0


@pytest.mark.parametrize(
    "given, cell",
    [
        ("simple", "simple_rnn"),
        ("SimpleRNN", "simple_rnn"),
        ("rnn", "simple_rnn"),
        ("simple_rnn", "simple_rnn"),
        ("LSTM", "lstm"),
        ("gru", "gru"),
    ],
)
def test_cell_aliases(given: str, cell: str) -> None:
    assert build_config({"cell": given}).model.cell == cell


def test_yaml_exponent_floats_are_floats() -> None:
    """PyYAML (YAML 1.1) reads `1e-3` as a string; a learning rate written so still works."""
    assert build_config({"learning_rate": "1e-3"}).train.learning_rate == 0.001
    assert build_config({"clipnorm": "2.5E+0"}).train.clipnorm == 2.5
    with pytest.raises(ConfigError, match="option 'learning_rate' must be float"):
        build_config({"learning_rate": "fast"})


# ---- build_config: ranges ---------------------------------------------------------------------


@pytest.mark.parametrize("value", [0.0, 0.5, 0.99])
def test_dropout_in_range(value: float) -> None:
    assert build_config({"dropout": value, "recurrent_dropout": value}).model.dropout == value


@pytest.mark.parametrize("name", ["dropout", "recurrent_dropout"])
@pytest.mark.parametrize("value", [1.0, 1.5, -0.1])
def test_dropout_out_of_range(name: str, value: float) -> None:
    with pytest.raises(ConfigError) as info:
        build_config({name: value})
    assert str(info.value) == f"option '{name}' must be in [0, 1), got {value}"


def test_min_look_back_must_not_exceed_look_back() -> None:
    assert build_config({"look_back": 12, "min_look_back": 12}).window.min_look_back == 12
    with pytest.raises(ConfigError) as info:
        build_config({"look_back": 12, "min_look_back": 13})
    assert str(info.value) == "option 'min_look_back' (13) must not exceed 'look_back' (12)"
    # the automatic look-back is decided from the data, so any min look-back is accepted
    # here; resolve_window caps it at the look-back it decides (15 = ceil(1.25 x 12))
    window = build_config({"min_look_back": 31}).window
    assert (window.look_back, window.min_look_back) == (None, 31)
    decided = resolve_window(window, 12)
    assert (decided.look_back, decided.min_look_back, decided.season) == (15, 15, 12)


@pytest.mark.parametrize(
    ("horizon", "season", "expected"),
    # ceil(1.25 x max(horizon, season)), at least 2
    [(1, 1, 2), (1, 5, 7), (3, 12, 15), (24, 12, 30), (6, 4, 8), (8, 1, 10), (1, 52, 65)],
)
def test_auto_look_back(horizon: int, season: int, expected: int) -> None:
    assert auto_look_back(horizon, season) == expected


@pytest.mark.parametrize(
    ("windows", "expected"),
    # windows // 8, between 8 and 128
    [(0, 8), (63, 8), (64, 8), (72, 9), (100, 12), (1023, 127), (1024, 128), (10**6, 128)],
)
def test_auto_batch_size(windows: int, expected: int) -> None:
    assert auto_batch_size(windows) == expected


def test_resolve_window() -> None:
    # all automatic: the look-back from horizon and season, min look-back 1, the season kept
    w = resolve_window(WindowSpec(horizon=3), 12)
    assert (w.look_back, w.min_look_back, w.season, w.horizon) == (15, 1, 12, 3)
    assert (w.val_size, w.test_size) == (None, None)  # decided per series (splits.part_sizes)
    # explicit values are kept
    w = resolve_window(WindowSpec(look_back=30, min_look_back=30, horizon=3), 12)
    assert (w.look_back, w.min_look_back) == (30, 30)
    w = resolve_window(WindowSpec(look_back=30), 1)
    assert (w.look_back, w.min_look_back, w.season) == (30, 1, 1)


@pytest.mark.parametrize(
    "options, expected",
    [
        ({"look_back": 0}, "option 'look_back' must be greater than 0, got 0"),
        ({"horizon": -1}, "option 'horizon' must be greater than 0, got -1"),
        ({"min_look_back": 0}, "option 'min_look_back' must be greater than 0, got 0"),
        ({"units": 0}, "option 'units' must be greater than 0, got 0"),
        ({"learning_rate": 0}, "option 'learning_rate' must be greater than 0, got 0.0"),
        ({"val_size": -0.1}, "option 'val_size' must be 0 or more, got -0.1"),
        ({"patience": -1}, "option 'patience' must be 0 or more, got -1"),
    ],
)
def test_ranges(options: dict, expected: str) -> None:
    with pytest.raises(ConfigError) as info:
        build_config(options)
    assert str(info.value) == expected


def test_zero_allowed_where_it_means_none() -> None:
    run = build_config({"patience": 0, "val_size": 0, "test_size": 0})
    assert (run.train.patience, run.window.val_size, run.window.test_size) == (0, 0.0, 0.0)


def test_replace_validates_again() -> None:
    run = build_config({"look_back": 12})
    assert replace(run, horizon=3).window.horizon == 3
    with pytest.raises(ConfigError, match="min_look_back"):
        replace(run, min_look_back=20)


# ---- YAML files -------------------------------------------------------------------------------


def test_load_yaml_dashes_become_underscores(tmp_path: Path) -> None:
    file = write(tmp_path / "run.yaml", "look-back: 7\nmin-look-back: 3\nunits: 8\n")
    assert load_yaml(file) == {"look_back": 7, "min_look_back": 3, "units": 8}


def test_load_yaml_empty_file_is_no_options(tmp_path: Path) -> None:
    assert load_yaml(write(tmp_path / "empty.yaml", "")) == {}
    assert load_yaml(write(tmp_path / "comment.yaml", "# nothing yet\n")) == {}


@pytest.mark.parametrize("text", ["- look_back: 3\n- units: 4\n", "just a string\n", "42\n"])
def test_load_yaml_not_a_mapping(tmp_path: Path, text: str) -> None:
    file = write(tmp_path / "run.yaml", text)
    with pytest.raises(ConfigError) as info:
        load_yaml(file)
    assert str(info.value) == f"config file {file} must be a mapping of option: value"


@pytest.mark.parametrize(
    "text, line",
    [
        ("look_back: 3\n  units: 4\n", 2),
        ("look_back: 3\nunits: 4\nepochs: [1, 2\nseed: 1\n", 4),
        ("look_back: 3\nunits: 4\n\tepochs: 3\n", 3),
    ],
)
def test_load_yaml_invalid_names_the_line(tmp_path: Path, text: str, line: int) -> None:
    file = write(tmp_path / "run.yaml", text)
    with pytest.raises(ConfigError) as info:
        load_yaml(file)
    assert str(info.value).startswith(f"config file {file} is not valid YAML at line {line} (")


def test_load_yaml_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"cannot read config file .*nope\.yaml"):
        load_yaml(tmp_path / "nope.yaml")


# ---- merge and dump ---------------------------------------------------------------------------


def test_merge_flags_override_file_and_none_flags_do_not() -> None:
    file = {"look_back": 30, "units": 8, "cell": "gru", "target": ["value"]}
    flags = {"look_back": 7, "units": None, "cell": None, "target": None, "features": ()}
    run = merge(file, flags)
    assert run.window.look_back == 7
    assert run.model.units == 8
    assert run.model.cell == "gru"
    assert run.data.target == ("value",)
    assert run.data.features == ()


def test_merge_validates_the_result() -> None:
    with pytest.raises(ConfigError, match="min_look_back"):
        merge({"min_look_back": 10}, {"look_back": 5})
    with pytest.raises(ConfigError, match="unknown option 'lookback'"):
        merge({"lookback": 10}, {"look_back": None})


ROUND_TRIP = [
    {},
    {
        "cell": "simple",
        "units": 3,
        "layers": 2,
        "bidirectional": True,
        "target": ["close", "volume"],
        "features": "open",
        "time_col": "date",
        "id_col": "ticker",
        "fill": "interpolate",
        "look_back": 48,
        "min_look_back": 6,
        "pad": "pre",
        "val_size": 24,
        "test_size": 0.25,
        "scale": "minmax",
        "normalize": "none",
        "skip_short": True,
        "dropout": 0.2,
        "learning_rate": 1e-5,
        "clipnorm": None,
        "clipvalue": 0.5,
        "device": "cpu",
    },
]


@pytest.mark.parametrize("options", ROUND_TRIP)
def test_dump_yaml_round_trips(tmp_path: Path, options: dict) -> None:
    run = build_config(options)
    text = dump_yaml(run)
    assert isinstance(yaml.safe_load(text), dict)
    again = build_config(load_yaml(write(tmp_path / "run.yaml", text)))
    assert again == run
    assert dump_yaml(again) == text


def test_dump_yaml_lists_every_option_once() -> None:
    assert list(yaml.safe_load(dump_yaml(RunConfig()))) == list(OPTION_TYPES)


# ---- through the CLI: train --config ... --print-config ---------------------------------------


def test_cli_unknown_key_in_config(tmp_path: Path) -> None:
    bad = write(tmp_path / "bad.yaml", "lookback: 7\nunits: 8\n")
    result = cli("train", "--config", str(bad), "--print-config")
    assert result.exit_code == 2  # a bad option value is a usage error
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: unknown option 'lookback'; valid options are: ")
    assert lines[0].endswith(", ".join(sorted(OPTION_TYPES)))


@pytest.mark.parametrize(
    "text, message",
    [
        ("units: many\n", "Error: option 'units' must be int, got 'many'"),
        ("dropout: 1\n", "Error: option 'dropout' must be in [0, 1), got 1.0"),
        ("look_back: 3\n  units: 4\n", "is not valid YAML at line 2"),
        ("- units\n", "must be a mapping of option: value"),
    ],
)
def test_cli_bad_config_is_one_line(tmp_path: Path, text: str, message: str) -> None:
    bad = write(tmp_path / "bad.yaml", text)
    result = cli("train", "--config", str(bad), "--print-config")
    assert result.exit_code == 2  # a bad option value is a usage error
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr


GOOD = """\
look-back: 24
units: 8
cell: simple
target: [passengers]
time_col: month
epochs: 5
learning_rate: 1e-3
dropout: 0.1
"""


def test_cli_flag_overrides_file(tmp_path: Path) -> None:
    good = write(tmp_path / "good.yaml", GOOD)
    result = cli("train", "--config", str(good), "--look-back", "7", "--print-config")
    assert result.exit_code == 0, result.stderr
    printed = yaml.safe_load(result.stdout)
    assert printed["look_back"] == 7  # the flag wins
    assert printed["units"] == 8
    assert printed["cell"] == "simple_rnn"
    assert printed["target"] == ["passengers"]
    assert printed["time_col"] == "month"
    assert printed["epochs"] == 5
    assert printed["learning_rate"] == 0.001
    assert printed["dropout"] == 0.1
    assert printed["horizon"] == RunConfig().window.horizon  # untouched: the default
    assert list(printed) == list(OPTION_TYPES)


def test_cli_flags_alone(tmp_path: Path) -> None:
    result = cli("train", "--print-config", "--cell", "simple", "--units", "5", "--target", "y")
    assert result.exit_code == 0, result.stderr
    assert build_config(yaml.safe_load(result.stdout)) == build_config(
        {"cell": "simple_rnn", "units": 5, "target": ["y"]}
    )


def test_cli_printed_config_reproduces_itself(tmp_path: Path) -> None:
    good = write(tmp_path / "good.yaml", GOOD)
    first = cli("train", "--config", str(good), "--look-back", "7", "--print-config")
    assert first.exit_code == 0, first.stderr
    printed = write(tmp_path / "printed.yaml", first.stdout)
    second = cli("train", "--config", str(printed), "--print-config")
    assert second.exit_code == 0, second.stderr
    assert second.stdout == first.stdout
