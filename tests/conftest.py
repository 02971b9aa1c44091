"""Shared fixtures. Models are tiny and trained once per session: TensorFlow is slow to start."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "-1")  # tests are CPU-only, also on a GPU machine

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data"

TINY = {  # a model small enough to train in a couple of seconds
    "units": 4,
    "epochs": 3,
    "batch_size": 32,
    "look_back": 12,
    "horizon": 3,
    "seed": 7,
    "ensemble": 1,
}


# The fixed choices of tests that compute by hand what a model sees (scaled windows, split
# sizes, the recorded test scores), instead of the automatic defaults (look-back from the
# season, padded short histories, horizon-sized parts, log, deseasonalisation, mean-|value|
# scaling, a refit on every window after scoring). min_look_back equal to the look-back means
# no padded windows.
PLAIN = {
    "val_size": 0.1,
    "test_size": 0.1,
    "scale": "standard",
    "transform": "none",
    "deseasonalize": "none",
    "refit": False,
}


def tiny_config(**changes: object):
    from rnncli.config import build_config

    options = dict(TINY)
    options.update(changes)
    return build_config(options)


@pytest.fixture(scope="session")
def sample() -> Path:
    return SAMPLE


@pytest.fixture(scope="session")
def air_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An LSTM trained on AirPassengers (monthly, one series): a complete model directory.

    Look-back 12 without padding, standard scaling, no transform, no refit (PLAIN): tests
    rebuild its windows by hand and rescore its recorded test part."""
    from rnncli import train as pipeline

    out = tmp_path_factory.mktemp("models") / "air"
    csv = SAMPLE / "airpassengers.csv"
    run = tiny_config(**PLAIN, min_look_back=TINY["look_back"])  # unpadded, standard scaling
    pipeline.train(run, str(csv), str(csv), out, note=lambda _m: None)
    return out


@pytest.fixture(scope="session")
def panel_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A GRU trained on the ragged employment panel, with padded and masked windows; parts,
    scaling and transforms automatic (logged and deseasonalised monthly series)."""
    from rnncli import train as pipeline

    out = tmp_path_factory.mktemp("models") / "panel"
    csv = SAMPLE / "employment_panel.csv"
    run = tiny_config(cell="gru", id_col="series_id", look_back=240, min_look_back=24, stride=6)
    pipeline.train(run, str(csv), str(csv), out, note=lambda _m: None)
    return out


def one_error_line(result: Any, code: int, expect: Iterable[str] = ()) -> str:
    """A CliRunner result that failed cleanly: exit `code`, nothing on stdout, no traceback,
    one `Error:` line on stderr and nothing after it (notes may come first), holding every
    fragment of `expect`. Returns that line."""
    assert result.exit_code == code, (result.stdout, result.stderr)
    assert isinstance(result.exception, SystemExit), result.exception  # not a crash
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.rstrip("\n").splitlines()
    errors = [line for line in lines if line.startswith("Error: ")]
    assert len(errors) == 1, result.stderr
    assert lines[-1] == errors[0]  # notes may come first, nothing after the error
    for words in expect:
        assert words in errors[0], errors[0]
    return errors[0]
