"""--refit: after early stopping and scoring, 3 more epochs on the training and validation
windows (the test part stays held out); and when it is on.

Trained on the employment panel (6 monthly series, ~2,900 training windows: above the
few-windows threshold, so deseasonalised and refitted by default) with tiny models.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from conftest import tiny_config

from rnncli import modeldir
from rnncli.config import REFIT_EPOCHS
from rnncli.modeldir import read_meta
from rnncli.train import train

pytestmark = pytest.mark.tf

SAMPLE = Path(__file__).resolve().parent.parent / "sample_data"
PANEL = SAMPLE / "employment_panel.csv"
AIR = SAMPLE / "airpassengers.csv"


def tiny(csv: Path, out: Path, **options: object) -> list[str]:
    notes: list[str] = []
    run = tiny_config(id_col="series_id" if csv == PANEL else None, **options)
    train(run, str(csv), str(csv), out, note=notes.append)
    return notes


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, list[str]]:
    root = tmp_path_factory.mktemp("refit")
    notes = tiny(PANEL, root / "refit", look_back=None, horizon=6, epochs=2)
    tiny(PANEL, root / "plain", look_back=None, horizon=6, epochs=2, refit=False)
    return root / "refit", root / "plain", notes


def test_refit_is_on_by_default_with_many_windows(pair) -> None:
    refit, plain, notes = pair
    card = modeldir.load(refit).card
    assert card.fit.refit is True and card.config.train.refit is None  # auto, decided: on
    assert not card.config.window.difference  # many windows: deseasonalised, not differenced
    assert modeldir.load(plain).card.fit.refit is False
    # the refit sees the windows whose targets end before the test part: the training and
    # validation windows and those across their boundary (at most horizon - 1 per series)
    w = card.windows
    (line,) = [n for n in notes if n.startswith("refit:")]
    match = re.fullmatch(
        rf"refit: {REFIT_EPOCHS} more epochs on (\d+) train and val windows; the (\d+) test "
        r"windows stay held out",
        line,
    )
    assert match is not None, line
    seen, test = (int(g) for g in match.groups())
    assert test == w["test"] > 0
    assert w["train"] + w["val"] <= seen <= w["train"] + w["val"] + 6 * (card.horizon - 1)


def test_held_out_scores_are_those_before_the_refit(pair) -> None:
    """The test part is scored by the networks that never saw it: the same with and without."""
    refit, plain, _ = pair
    a = json.loads((refit / modeldir.METRICS_FILE).read_text())["rows"]
    b = json.loads((plain / modeldir.METRICS_FILE).read_text())["rows"]
    assert a and a == b
    assert (refit / modeldir.CALIBRATION_FILE).read_text() == (
        plain / modeldir.CALIBRATION_FILE
    ).read_text()
    assert (refit / modeldir.HISTORY_FILE).read_text() == (
        plain / modeldir.HISTORY_FILE
    ).read_text()


def test_the_saved_networks_learned_more(pair) -> None:
    refit, plain, _ = pair
    with np.load(refit / modeldir.WEIGHTS_FILE) as f, np.load(plain / modeldir.WEIGHTS_FILE) as g:
        assert set(f.files) == set(g.files)
        assert any(not np.array_equal(f[name], g[name]) for name in f.files)
    # and both engines run the refitted networks alike
    model = modeldir.load(refit)
    x = np.random.default_rng(0).normal(size=(5, model.card.look_back, 1)).astype(np.float32)
    fast = modeldir.load_engine(model, "numpy").predict(x, None)
    keras = modeldir.load_engine(model, "keras").predict(x, None)
    np.testing.assert_allclose(fast, keras, atol=1e-5)


def test_few_windows_turn_the_refit_off(tmp_path: Path) -> None:
    notes = tiny(AIR, tmp_path / "air", look_back=None, horizon=3, epochs=2)
    card = modeldir.load(tmp_path / "air").card
    assert card.config.window.difference == 12 and card.fit.refit is False
    assert any("few training windows" in n and "no refit" in n for n in notes)
    meta = read_meta(tmp_path / "air")
    assert meta["fit"]["refit"] is False
    # asked for, it happens anyway
    tiny(AIR, tmp_path / "air2", look_back=None, horizon=3, epochs=2, refit=True)
    assert modeldir.load(tmp_path / "air2").card.fit.refit is True
