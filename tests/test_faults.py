"""Faults: kill -9 and Ctrl-C (SIGINT) during `train --force` and `predict --output`.

Every trial checks what the README promises: the previous model still loads and forecasts
exactly as before, the previous forecast file is whole (old or new, never a part), and an
interrupted training run is saved beside the model, never over it. The crash between the two
renames of the fallback swap (file systems without RENAME_EXCHANGE) is reached with the test
hook `RNNCLI_TEST_SWAP=crash-between-renames` (`rnncli.dirswap.TEST_SWAP_HOOK`), which
makes the process SIGKILL itself right there. Tiny models, few epochs; the processes are real
(`python -m rnncli`), since signals and SIGKILL cannot be tried in-process.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rnncli import atomic, modeldir

pytestmark = pytest.mark.tf

SAMPLE = Path(__file__).resolve().parent.parent / "sample_data"
AIR = str(SAMPLE / "airpassengers.csv")
TRAIN = ["train", AIR, "--units", "2", "--ensemble", "1", "--patience", "0", "--force"]


def rnncli(*args: str) -> list[str]:
    return [sys.executable, "-m", "rnncli", *args]


def environment(**extra: str) -> dict[str, str]:
    env = dict(os.environ, NO_COLOR="1", CUDA_VISIBLE_DEVICES="-1", TF_CPP_MIN_LOG_LEVEL="3")
    env.pop("RNNCLI_DEBUG", None)
    env.update(extra)
    return env


def forecast(model: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        rnncli("predict", str(model), AIR, "--steps", "3", "-f", "csv"),
        capture_output=True,
        text=True,
        env=environment(),
        timeout=120,
    )


def start_training(out: Path, epochs: int = 2000, **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        rnncli(*TRAIN, "--out", str(out), "--epochs", str(epochs)),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=environment(**env),
    )


def start_side_by_side(out: Path) -> subprocess.Popen[str]:
    """`train --force` of three members in two worker processes (--jobs 2), in a process
    group of its own, as a shell gives a job."""
    cmd = [*TRAIN, "--out", str(out), "--epochs", "2000", "--ensemble", "3", "--jobs", "2"]
    return subprocess.Popen(
        rnncli(*cmd),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=environment(),
        start_new_session=True,
    )


def wait_for_epoch(proc: subprocess.Popen[str], epoch: int) -> list[str]:
    """Read stderr until the progress line of `epoch`; the lines read so far."""
    assert proc.stderr is not None
    seen = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        seen.append(line)
        if line.startswith(f"epoch {epoch}/"):
            return seen
    pytest.fail(f"no epoch {epoch} progress line: {''.join(seen)}")


@pytest.fixture
def previous(air_model: Path, tmp_path: Path) -> tuple[Path, str]:
    """A copy of the shared tiny model and its forecast, before anything is tried on it."""
    model = tmp_path / "m"
    shutil.copytree(air_model, model)
    before = forecast(model)
    assert before.returncode == 0, before.stderr
    return model, before.stdout


def hidden(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if p.name.startswith("."))


@pytest.mark.parametrize("epoch", [1, 3])
def test_kill_9_during_training_keeps_the_previous_model(
    previous: tuple[Path, str], epoch: int
) -> None:
    model, before = previous
    proc = start_training(model)
    wait_for_epoch(proc, epoch)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=60)
    after = forecast(model)
    assert after.returncode == 0, after.stderr
    assert after.stdout == before
    assert not (model.parent / (model.name + ".interrupted")).exists()


def test_ctrl_c_during_train_force_saves_beside_the_previous_model(
    previous: tuple[Path, str],
) -> None:
    model, before = previous
    proc = start_training(model)
    wait_for_epoch(proc, 3)
    proc.send_signal(signal.SIGINT)
    _out, rest = proc.communicate(timeout=120)
    assert proc.returncode == 130, rest
    beside = model.parent / (model.name + ".interrupted")
    errors = [line for line in rest.splitlines() if line.startswith("Error: ")]
    assert errors == [
        f"Error: training interrupted; {model} is unchanged; the best model so far was saved "
        f"to {beside} (marked interrupted): move it to {model} to use it"
    ], rest
    assert "Traceback" not in rest
    assert forecast(model).stdout == before  # the previous model, untouched
    card = modeldir.load(beside).card
    assert card.fit.interrupted and card.fit.epochs_run >= 3
    assert forecast(beside).returncode == 0
    assert hidden(model.parent) == []


@pytest.mark.parametrize("to", ["the group", "the parent"])
def test_ctrl_c_with_members_side_by_side_saves_beside(previous: tuple[Path, str], to: str) -> None:
    """--jobs 2: Ctrl-C from a terminal (to the whole process group) or to rnncli alone (it
    passes it on) stops both worker processes; the members so far are saved beside the
    model, marked interrupted, and nothing is left running or half-written."""
    model, before = previous
    proc = start_side_by_side(model)
    seen = wait_for_epoch(proc, 3)
    if to == "the group":
        os.killpg(proc.pid, signal.SIGINT)
    else:
        proc.send_signal(signal.SIGINT)
    _out, rest = proc.communicate(timeout=120)
    rest = "".join(seen) + rest
    assert proc.returncode == 130, rest
    assert "Traceback" not in rest
    beside = model.parent / (model.name + ".interrupted")
    assert f"the best model so far was saved to {beside}" in rest
    card = modeldir.load(beside).card
    assert card.fit.interrupted and card.config.train.jobs == 2
    assert forecast(beside).returncode == 0
    assert forecast(model).stdout == before  # the previous model, untouched
    assert hidden(model.parent) == []
    deadline = time.monotonic() + 10  # the group empties: no worker is left running
    while time.monotonic() < deadline:
        try:
            os.killpg(proc.pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        left = subprocess.run(["ps", "-o", "pid,args", "-g", str(proc.pid)], capture_output=True)
        pytest.fail(f"processes left running: {left.stdout.decode()}")


def _workers_of(pid: int) -> list[int]:
    """The member worker processes `parallel` spawned under process `pid`."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
            cmdline = (stat.parent / "cmdline").read_bytes()
        except OSError:
            continue
        if int(fields[1]) == pid and b"spawn_main" in cmdline:
            found.append(int(stat.parent.name))
    return found


def test_a_worker_killed_mid_training_fails_the_run_in_one_line(
    previous: tuple[Path, str],
) -> None:
    """--jobs 2: one worker process killed (as the out-of-memory killer would): one error
    line, exit 1, the other worker stopped, and the previous model untouched."""
    model, before = previous
    proc = start_side_by_side(model)
    seen = wait_for_epoch(proc, 2)
    workers = _workers_of(proc.pid)
    assert len(workers) == 2, workers
    os.kill(workers[0], signal.SIGKILL)
    _out, rest = proc.communicate(timeout=120)
    rest = "".join(seen) + rest
    assert proc.returncode == 1, rest
    assert "Traceback" not in rest
    errors = [line for line in rest.splitlines() if line.startswith("Error: ")]
    assert errors == [
        "Error: a training process ended with exit code -9 before its members were done (out "
        "of memory?); retry with --jobs 1"
    ], rest
    assert forecast(model).stdout == before
    assert not (model.parent / (model.name + ".interrupted")).exists()
    assert hidden(model.parent) == []


def _running(pid: int) -> bool:
    """Process `pid` exists and has not exited (a zombie waiting to be reaped has)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def test_kill_9_of_rnncli_ends_its_workers(previous: tuple[Path, str]) -> None:
    """--jobs 2, rnncli itself killed: its workers stop at their next epoch (nobody to
    report to), and the previous model is untouched."""
    model, before = previous
    proc = start_side_by_side(model)
    wait_for_epoch(proc, 2)
    workers = _workers_of(proc.pid)
    assert len(workers) == 2, workers
    proc.kill()
    proc.communicate(timeout=60)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and any(_running(w) for w in workers):
        time.sleep(0.1)
    left = [w for w in workers if _running(w)]
    assert left == [], f"workers still running: {left}"
    assert forecast(model).stdout == before


def test_crash_between_the_two_renames_then_load_recovers(previous: tuple[Path, str]) -> None:
    """The fallback swap renames the model aside, then the new one in: SIGKILL in between
    leaves no model at its path; the next command puts the previous one back, with a note."""
    model, before = previous
    proc = start_training(model, epochs=2, RNNCLI_TEST_SWAP="crash-between-renames")
    proc.communicate(timeout=120)
    assert proc.returncode == -signal.SIGKILL
    assert not model.exists()
    # .m.old-PID@HOST (previous), .m.tmp-PID@HOST (new, unswapped)
    assert len(hidden(model.parent)) == 2
    after = forecast(model)
    assert after.returncode == 0, after.stderr
    assert after.stdout == before
    assert f"recovered {model} from .m.old-{proc.pid}@{atomic.host_name()}" in after.stderr
    assert hidden(model.parent) == []


def test_the_two_rename_swap_replaces_the_model(previous: tuple[Path, str]) -> None:
    """Without the crash, the fallback path (forced by the hook) leaves one new model."""
    model, _before = previous
    proc = start_training(model, epochs=2, RNNCLI_TEST_SWAP="rename")
    _out, rest = proc.communicate(timeout=120)
    assert proc.returncode == 0, rest
    assert modeldir.load(model).card.fit.epochs_run == 2
    assert hidden(model.parent) == []


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT], ids=["kill-9", "sigint"])
def test_interrupted_predict_leaves_the_previous_forecast_whole(
    previous: tuple[Path, str], tmp_path: Path, sig: signal.Signals
) -> None:
    """predict --output, stopped at several points: the file is the old forecast or the whole
    new one. Ctrl-C leaves no temporary file beside it; kill -9 may leave the killed process's
    hidden one (nothing can remove it then), and the next write of the file removes it."""
    model, _before = previous
    out = tmp_path / "fc" / "forecast.csv"
    out.parent.mkdir()
    out.write_text("old forecast\n")
    whole = forecast(model).stdout
    seen = set()
    for delay in (0.15, 0.3, 0.5, 0.7, 1.0):
        proc = subprocess.Popen(
            rnncli("predict", str(model), AIR, "--steps", "3", "--output", str(out)),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env=environment(),
        )
        time.sleep(delay)
        proc.send_signal(sig)
        _out, err = proc.communicate(timeout=60)
        assert "Traceback" not in err
        # done, or Ctrl-C (130; -SIGINT while Python starts), or killed
        assert proc.returncode in (0, 130, -signal.SIGINT, -signal.SIGKILL), err
        text = out.read_text()
        assert text in ("old forecast\n", whole)
        seen.add(text)
        beside = {p.name for p in out.parent.iterdir()} - {"forecast.csv"}
        if sig == signal.SIGKILL:
            assert all(n.startswith(f".forecast.csv.{proc.pid}.") for n in beside), beside
        else:
            assert beside == set()
    assert seen  # at least the old file, and every state seen was whole
    done = subprocess.run(
        rnncli("predict", str(model), AIR, "--steps", "3", "--output", str(out)),
        capture_output=True,
        text=True,
        env=environment(),
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert out.read_text() == whole
    assert sorted(p.name for p in out.parent.iterdir()) == ["forecast.csv"]
