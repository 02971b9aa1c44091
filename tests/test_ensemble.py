"""--ensemble N: the median engine, and a tiny two-member model trained with the automatic
defaults (log, deseasonalisation, automatic look-back, parts, scale and batch) end to end."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from rnncli.cli import app
from rnncli.engine.ensemble import MedianEngine, member_prefix
from rnncli.modeldir import read_meta

SAMPLE = Path(__file__).resolve().parent.parent / "sample_data"
AIR = SAMPLE / "airpassengers.csv"


class Fake:
    """An engine whose forecast is a fixed function of its input."""

    horizon, n_targets, masked, n_known = 2, 1, False, 0

    def __init__(self, offset: np.ndarray) -> None:
        self.offset = offset
        self.calls = 0

    def predict(
        self, x: np.ndarray, mask: np.ndarray | None, future: np.ndarray | None = None
    ) -> np.ndarray:
        self.calls += 1
        base = x[:, -1:, :1] * np.ones((1, 2, 1), np.float32)
        return (base + self.offset).astype(np.float32)


def test_median_of_three_members() -> None:
    offsets = [
        np.array([[[1.0], [9.0]]]),
        np.array([[[5.0], [2.0]]]),
        np.array([[[3.0], [4.0]]]),
    ]
    members = [Fake(o) for o in offsets]
    engine = MedianEngine(members)
    assert (engine.horizon, engine.n_targets, engine.masked) == (2, 1, False)
    x = np.array([[[10.0], [20.0]], [[0.0], [-1.0]]], np.float32)  # last values 20 and -1
    got = engine.predict(x, None)
    # per step: the median of (1, 5, 3) = 3 and of (9, 2, 4) = 4, added to the last value
    np.testing.assert_allclose(got[:, :, 0], [[23.0, 24.0], [2.0, 3.0]])
    assert got.dtype == np.float32
    assert [m.calls for m in members] == [1, 1, 1]


def test_median_of_two_is_their_mean() -> None:
    engine = MedianEngine([Fake(np.array([[[1.0], [2.0]]])), Fake(np.array([[[4.0], [8.0]]]))])
    got = engine.predict(np.zeros((1, 3, 1), np.float32), None)
    np.testing.assert_allclose(got[0, :, 0], [2.5, 5.0])


def test_one_member_passes_through() -> None:
    class Exact(Fake):
        def predict(
            self, x: np.ndarray, mask: np.ndarray | None, future: np.ndarray | None = None
        ) -> np.ndarray:
            self.out = np.full((len(x), 2, 1), 7.25, dtype=np.float64)
            return self.out

    member = Exact(np.zeros(1))
    got = MedianEngine([member]).predict(np.zeros((3, 4, 1), np.float32), None)
    assert got is member.out  # no copy, no cast


def test_no_member_is_an_error() -> None:
    with pytest.raises(ValueError, match="at least one member"):
        MedianEngine([])


def test_member_prefix() -> None:
    assert [member_prefix(k) for k in range(3)] == ["member0/", "member1/", "member2/"]


# ---- end to end --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ensemble_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """AirPassengers, every option automatic but the size of the network and the epochs."""
    out = tmp_path_factory.mktemp("models") / "air-ensemble"
    args = ["train", str(AIR), "--out", str(out), "--ensemble", "2", "--horizon", "3"]
    args += ["--units", "4", "--epochs", "2", "--seed", "3", "-q"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    return out


@pytest.mark.tf
def test_the_card_records_the_ensemble_and_what_was_decided(ensemble_model: Path) -> None:
    meta = read_meta(ensemble_model)
    assert meta["engine"]["members"] == 2
    # monthly: season 12, look-back ceil(1.25 x 12) = 15, padded short histories from 1 step
    assert meta["window"]["season"] == 12
    assert meta["window"]["look_back"] == 15
    assert meta["window"]["min_look_back"] == 1
    assert meta["masked"] is True
    assert meta["train"]["loss"] == "mae" and meta["train"]["series_weight"] == "scaled"
    # 113 training windows (fewer than 500): seasonal differences of the logs, lag 12
    assert meta["window"]["difference"] == 12 and meta["window"]["deseasonalize"] == "none"
    # the batch: an eighth of the training windows (104 training rows: origins 1 .. 101)
    assert meta["train"]["batch_size"] == 12
    (series,) = meta["series"]
    assert series["sizes"] == [104, 14, 14]
    assert series["transform"] == {"log": [True], "season": [[]]}
    # the differences of the logs, divided by their mean |value| over the training part
    y = np.log(np.loadtxt(AIR, delimiter=",", skiprows=1, usecols=1))
    d = y[12:] - y[:-12]
    assert series["center"][0] == 0.0
    assert series["scale"][0] == pytest.approx(np.mean(np.abs(d[:104])))
    with np.load(ensemble_model / "weights.npz") as f:
        names = set(f.files)
    assert names and all(n.startswith(("member0/", "member1/")) for n in names)
    assert {n.removeprefix("member0/") for n in names if n.startswith("member0/")} == {
        n.removeprefix("member1/") for n in names if n.startswith("member1/")
    }


@pytest.mark.tf
def test_history_has_a_member_column(ensemble_model: Path) -> None:
    with open(ensemble_model / "history.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert rows and next(iter(rows[0])) == "member"
    assert {"epoch", "loss", "val_loss"} <= set(rows[0])
    members = [int(r["member"]) for r in rows]
    assert members == sorted(members) and set(members) == {1, 2}
    for k in (1, 2):  # each member's own epochs, from 1
        epochs = [int(r["epoch"]) for r in rows if int(r["member"]) == k]
        assert epochs[0] == 1 and epochs == sorted(epochs)


@pytest.mark.tf
def test_numpy_and_keras_engines_forecast_the_same(ensemble_model: Path) -> None:
    from rnncli import predict as predicting

    fast = predicting.predict(ensemble_model, str(AIR), "air", steps=6, engine="numpy")
    slow = predicting.predict(ensemble_model, str(AIR), "air", steps=6, engine="keras")
    np.testing.assert_allclose(
        fast.table["passengers"].to_numpy(), slow.table["passengers"].to_numpy(), rtol=1e-5
    )


@pytest.mark.tf
def test_a_positive_monthly_series_forecast_stays_positive(ensemble_model: Path) -> None:
    from rnncli import predict as predicting

    fc = predicting.predict(ensemble_model, str(AIR), "air", steps=36)
    assert len(fc.table) == 36 and predicting.rows(fc)[0]["month"] == "1961-01-01"
    assert np.isfinite(fc.table["passengers"]).all() and (fc.table["passengers"] > 0).all()
    # intervals as far as its 14 validation steps calibrate the recursion for 80 %
    t = predicting.predict(ensemble_model, str(AIR), "air", steps=10, levels=(80,)).table
    for column in ("passengers", "passengers_lo80"):
        assert np.isfinite(t[column]).all() and (t[column] > 0).all(), column
    # a logged target's interval is a ratio of the forecast: lo = f / r, hi = f * r
    point = np.log(t["passengers"].to_numpy())
    lo, hi = np.log(t["passengers_lo80"]), np.log(t["passengers_hi80"])
    np.testing.assert_allclose(hi - point, point - lo, atol=1e-9)
    assert (hi > point).all()


@pytest.mark.tf
def test_inspect_weights_on_an_ensemble(ensemble_model: Path) -> None:
    runner = CliRunner()
    fast = runner.invoke(app, ["inspect-weights", str(ensemble_model), "-f", "json", "--values"])
    assert fast.exit_code == 0, fast.output
    assert "an ensemble of 2: member 1 shown" in fast.stderr
    cmd = ["inspect-weights", str(ensemble_model), "-f", "json", "--values", "--engine", "keras"]
    slow = runner.invoke(app, cmd)
    assert slow.exit_code == 0, slow.output
    assert json.loads(fast.stdout) == json.loads(slow.stdout)  # member 1 both ways
    table = runner.invoke(app, ["inspect-weights", str(ensemble_model)], env={"NO_COLOR": "1"})
    assert table.exit_code == 0 and "grand total" in table.stdout


@pytest.mark.tf
def test_evaluate_an_ensemble(ensemble_model: Path) -> None:
    result = CliRunner().invoke(app, ["evaluate", str(ensemble_model), "--format", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["windows"] == 14 - 3 + 1  # every origin of the 14-step test part
    model = [r for r in report["metrics"] if r["method"] == "model" and r["series"] == "all"]
    assert model and np.isfinite(model[0]["mae"]) and model[0]["mae"] > 0


# ---- members in processes side by side (--jobs) -----------------------------------------------


@pytest.mark.tf
def test_members_trained_side_by_side_are_the_ones_trained_in_turn(tmp_path: Path) -> None:
    """--jobs 2: three members in two worker processes (one trains two, with one compiled
    step), with their refits: the same weights, history, calibration and scores, bit for bit,
    as --jobs 1."""
    outs = {}
    for jobs in ("1", "2"):
        out = tmp_path / f"jobs{jobs}"
        args = ["train", str(AIR), "--out", str(out), "--ensemble", "3", "--horizon", "3"]
        args += ["--units", "4", "--epochs", "3", "--seed", "3", "--refit", "--jobs", jobs]
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 0, result.output
        outs[jobs] = out
        said = "members 1-3 (seeds 3-5) train in 2 processes side by side"
        assert (said in result.stderr) is (jobs == "2"), result.stderr
    one, two = outs["1"], outs["2"]
    with np.load(one / "weights.npz") as a, np.load(two / "weights.npz") as b:
        assert sorted(a.files) == sorted(b.files) and any(n.startswith("member2/") for n in a)
        for name in a.files:
            np.testing.assert_array_equal(a[name], b[name], err_msg=name)
    for name in ("history.csv", "calibration.json", "metrics.json"):
        assert (one / name).read_text() == (two / name).read_text(), name
    first, second = read_meta(one), read_meta(two)
    assert (first["train"]["jobs"], second["train"]["jobs"]) == (1, 2)
    assert first["fit"]["refit"] is second["fit"]["refit"] is True
    assert first["fit"]["epochs_run"] == second["fit"]["epochs_run"] == 9


def test_when_members_train_side_by_side() -> None:
    from rnncli.parallel import MIN_WINDOWS, PROCESS_MB, auto_jobs, free_memory_mb, usable_cpus

    assert free_memory_mb() >= 0 and usable_cpus() >= 1  # what the machine says, if not given

    fit = {
        "ensemble": 5, "windows": MIN_WINDOWS, "data_bytes": 1 << 20, "threads": 1,
        "distribute": "none", "device": "CPU (x86_64)", "cpus": 16, "free_mb": 1e9,
    }  # fmt: skip
    assert auto_jobs(**fit) == 5  # one per member
    assert auto_jobs(**{**fit, "cpus": 2}) == 2  # one per core
    assert auto_jobs(**{**fit, "free_mb": 3.5 * PROCESS_MB}) == 3  # as many as memory holds
    assert auto_jobs(**{**fit, "free_mb": 0.5 * PROCESS_MB}) == 1
    # each process holds its own copy of the data: 200 MB more each
    assert auto_jobs(**{**fit, "data_bytes": 200 << 20, "free_mb": 3.5 * PROCESS_MB}) == 2
    for change in (
        {"ensemble": 1},
        {"windows": MIN_WINDOWS - 1},  # a member trains in seconds: not worth a process
        {"data_bytes": 1 << 30},  # every process would hold a copy
        {"threads": 0},  # a bigger network's steps use every core already
        {"distribute": "multiworker"},
        {"device": "GPU (H200)"},
    ):
        assert auto_jobs(**{**fit, **change}) == 1, change


@pytest.mark.tf
def test_jobs_with_distribute_is_a_one_line_error(tmp_path: Path) -> None:
    args = ["train", str(AIR), "--out", str(tmp_path / "m"), "--ensemble", "2", "--jobs", "2"]
    result = CliRunner().invoke(app, [*args, "--distribute", "mirrored", "-q"])
    assert result.exit_code == 2  # a ConfigError
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert errors == [
        "Error: --jobs 2 trains the members in processes on this machine's CPU; drop it, or "
        "train on the CPU without --distribute"
    ], result.stderr
    assert "Traceback" not in result.stderr
