"""Ensemble members trained side by side in worker processes (`--jobs`).

TensorFlow runs one XLA step at a time per process, and a small network's step (one thread
per op, `fitting.threads_per_op`) leaves the other cores idle; so an ensemble's members
train in `jobs` spawned processes, each with a TensorFlow of its own, taking the next member
as it finishes one. A member trains exactly as it does in turn: its seed, its initial
weights, its shuffles and the same compiled step, so the weights are bit-identical
(tests/test_ensemble.py). Each process compiles the step once and trains all its members
with it (`Loop.start`), and runs the member's refit right after it when one is planned.

Progress and results come back on one pipe per worker (a worker that dies is an end of
file there: the run fails in one line and the others are stopped). Ctrl-C (to the process
group, or to this process alone, which passes it on) stops every member at its next step
with its best weights so far, as it stops one member in turn, and no further member starts.
A worker whose parent is gone stops at its next epoch.

TensorFlow is imported only in the worker processes (and by the caller).
"""

from __future__ import annotations

import contextlib
import math
import multiprocessing
import multiprocessing.connection
import os
import signal
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from rnncli.config import ModelSpec, TrainSpec
from rnncli.errors import RnnCliError, TrainingError
from rnncli.fitting import FitResult, Interrupted, Part

# members train in parallel only when their training part has this many windows: below it
# a member trains in a few seconds, and a process's start (TensorFlow's import and the step's
# compilation, ~5 s on the 2-core development machine) costs more than it saves. M1 (23,346
# windows): 77 s -> 54 s in two processes (bench/bench_train.py's M1 table)
MIN_WINDOWS = 5_000
MAX_BYTES = 256 << 20  # nor when the windows' data is bigger (every process holds a copy)
PROCESS_MB = 800  # what one more process costs in memory (TensorFlow, the model, batches)


def auto_jobs(
    *,
    ensemble: int,
    windows: int,
    data_bytes: int,
    threads: int,
    distribute: str,
    device: str,
    cpus: int | None = None,
    free_mb: float | None = None,
) -> int:
    """How many processes train the members when --jobs is not given (1: in turn).

    In parallel only on a CPU without --distribute, for a small network (one thread per
    op: a bigger one's steps use every core already), with more than one member, at least
    MIN_WINDOWS training windows and at most MAX_BYTES of data; then one process per member,
    at most one per core and as many as free memory holds (PROCESS_MB and the data each).
    """
    if ensemble < 2 or distribute != "none" or not device.startswith("CPU") or threads != 1:
        return 1
    if windows < MIN_WINDOWS or data_bytes > MAX_BYTES:
        return 1
    cpus = usable_cpus() if cpus is None else cpus
    free_mb = free_memory_mb() if free_mb is None else free_mb
    each = PROCESS_MB + data_bytes / 2**20  # a process holds its own copy of the windows
    by_memory = int(free_mb // each) if math.isfinite(free_mb) else cpus
    return max(1, min(ensemble, cpus, by_memory))


def usable_cpus() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        return os.cpu_count() or 1


def free_memory_mb() -> float:
    """Memory available to new processes: the system's MemAvailable, or less in a container
    whose cgroup (v2) caps it; inf when neither says."""
    free = math.inf
    with (
        contextlib.suppress(OSError, ValueError, IndexError),
        open("/proc/meminfo", encoding="ascii") as fh,
    ):
        for line in fh:
            if line.startswith("MemAvailable:"):
                free = int(line.split()[1]) / 1024
    with contextlib.suppress(OSError, ValueError):
        cgroup = Path("/sys/fs/cgroup")
        cap = (cgroup / "memory.max").read_text().strip()
        if cap != "max":
            used = int((cgroup / "memory.current").read_text())
            free = min(free, (int(cap) - used) / 2**20)
    return max(free, 0.0)


@dataclass(frozen=True)
class Job:
    """What every worker process needs to train any member (sent once to each)."""

    model: ModelSpec
    network: dict[str, Any]  # build_model's keyword arguments
    train: Part
    val: Part | None
    spec: TrainSpec
    refit: Part | None  # the refit's windows, None when no refit is planned
    refit_spec: TrainSpec | None
    xla: bool
    threads: int


@dataclass
class Trained:
    """One member as its process trained it."""

    k: int
    weights: list[np.ndarray]  # after early stopping (the best epoch's)
    result: FitResult
    refit_weights: list[np.ndarray] | None = None
    refit: FitResult | None = None


ProgressHook = Callable[[int, int, dict[str, float]], None]  # member k, epoch, logs


def train_members(
    job: Job, seeds: list[int], jobs: int, on_epoch: ProgressHook | None = None
) -> list[Trained]:
    """Train member k with seed seeds[k] for every k, in `jobs` processes; the members
    trained, in order (after Ctrl-C, those that had ended an epoch, with their best weights
    so far). A worker's error is raised here (the others are stopped)."""
    ctx = multiprocessing.get_context("spawn")
    claimed = ctx.Value("i", 0)  # the next member to start
    stop = ctx.Event()
    # one pipe per worker: a worker killed half-way through a message is an EOF on its own
    # pipe, never a lock held or a message cut in a queue the others share
    pipes = [ctx.Pipe(duplex=False) for _ in range(jobs)]
    procs = [
        ctx.Process(
            target=_worker, args=(job, seeds, claimed, stop, send), name=f"rnncli-member-{i}"
        )
        for i, (_recv, send) in enumerate(pipes)
    ]
    # a process starts with Ctrl-C ignored (until its handler is in place: no traceback)
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        for proc in procs:
            proc.start()
    finally:
        signal.signal(signal.SIGINT, previous)
    for _recv, send in pipes:
        send.close()  # the workers hold the sending ends now
    open_pipes = {recv: proc for (recv, _send), proc in zip(pipes, procs, strict=True)}
    trained: dict[int, Trained] = {}
    error: RnnCliError | None = None

    def stop_all(kill: bool) -> None:
        stop.set()
        for proc in procs:
            if proc.is_alive() and proc.pid is not None:
                if kill:
                    proc.terminate()
                else:  # Ctrl-C sent to this process alone: pass it on
                    os.kill(proc.pid, signal.SIGINT)

    try:
        while open_pipes:
            try:
                ready: list[Any] = multiprocessing.connection.wait(list(open_pipes), timeout=0.5)
                for recv in ready:
                    try:
                        message: tuple[str, int, Any] = recv.recv()
                    except (EOFError, OSError):  # the worker is gone
                        proc = open_pipes.pop(recv)
                        proc.join(timeout=30)
                        if error is None and proc.exitcode not in (None, 0):
                            error = TrainingError(
                                f"a training process ended with exit code {proc.exitcode} "
                                f"before its members were done (out of memory?); retry with "
                                f"--jobs 1"
                            )
                            stop_all(kill=True)
                        continue
                    kind, k, payload = message
                    if kind == "epoch" and on_epoch is not None:
                        on_epoch(k, payload[0], payload[1])
                    elif kind == "done":
                        trained[k] = payload
                        if payload.result.interrupted:
                            stop.set()  # as in turn: no member starts after one was stopped
                    elif kind == "error" and error is None and not isinstance(payload, Interrupted):
                        error = payload
                        stop_all(kill=True)
            except KeyboardInterrupt:
                stop_all(kill=False)
    finally:
        for proc in procs:
            proc.join(timeout=30)
            if proc.is_alive():
                proc.kill()
                proc.join()
        for recv, _send in pipes:
            recv.close()
    if error is not None:
        raise error
    if not trained:
        raise Interrupted("training interrupted before the first epoch ended; nothing saved")
    return [trained[k] for k in sorted(trained)]


# ---- the worker processes -------------------------------------------------------------------

_fitting = False  # in a worker: a fit is running (Ctrl-C stops it with its best weights)
_asked = False  # in a worker: Ctrl-C came; nothing more starts in this process


def _on_sigint(_signum: int, _frame: Any) -> None:
    """Ctrl-C in a worker: stop the fit running (the first time), and start no other."""
    global _asked
    first = not _asked
    _asked = True
    if _fitting and first:
        raise KeyboardInterrupt


def _worker(job: Job, seeds: list[int], claimed: Any, stop: Any, results: Any) -> None:
    """Train members until none is left (or Ctrl-C); every message goes to `results` (a
    connection), and the end of the process closes it."""
    signal.signal(signal.SIGINT, _on_sigint)
    try:
        from rnncli import runtime

        runtime.select_device("cpu")
        runtime.op_threads(job.threads)
        loop: Any = None
        while not stop.is_set() and not _asked:
            with claimed.get_lock():
                k = claimed.value
                claimed.value += 1
            if k >= len(seeds):
                break
            member, loop = _train(job, k, seeds[k], loop, results)
            if member is None:  # stopped before its first epoch ended: not kept
                break
            results.send(("done", k, member))
            if member.result.interrupted:
                break
    except (BrokenPipeError, ConnectionError):
        pass  # the parent is gone (killed): nobody to train for, nobody to tell
    except RnnCliError as exc:
        _tell(results, ("error", -1, exc))
    except BaseException as exc:  # any failure reaches the parent as one line
        text = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        if os.environ.get("RNNCLI_DEBUG"):
            text = traceback.format_exc()
        _tell(results, ("error", -1, TrainingError(f"a training process failed: {text}")))
    finally:
        results.close()


def _tell(results: Any, message: tuple[str, int, Any]) -> None:
    """Send the parent a last message, if it is still there to read it."""
    with contextlib.suppress(BrokenPipeError, ConnectionError):
        results.send(message)


def _train(job: Job, k: int, seed: int, loop: Any, results: Any) -> tuple[Trained | None, Any]:
    """Member k, as `train` trains it in turn: seeded, built, fitted, refitted if planned;
    None when Ctrl-C stopped it before its first epoch ended."""
    from rnncli.fitting import Loop, compile_model, fit, seed_everything
    from rnncli.network import build_model
    from rnncli.runtime import tensorflow

    seed_everything(seed, deterministic=not job.xla)
    model = build_model(job.model, **job.network)
    compile_model(model, job.spec)
    if loop is None:  # this process's first member: its model and compiled loop train all
        loop = Loop(model, job.spec, tensorflow().distribute.get_strategy(), xla=job.xla)
    else:
        loop.start(model.get_weights())

    def progress(epoch: int, row: dict[str, float]) -> None:
        results.send(("epoch", k, (epoch, row)))

    try:
        result = _fit(lambda: fit(loop, job.train, job.val, job.spec, progress, seed=seed))
    except (KeyboardInterrupt, Interrupted):
        return None, loop
    if result is None:
        return None, loop
    member = Trained(k, loop.model.get_weights(), result)
    if job.refit is not None and job.refit_spec is not None and not result.interrupted:
        refit, spec = job.refit, job.refit_spec
        try:
            again = _fit(lambda: fit(loop, refit, None, spec, None, seed=seed))
        except (KeyboardInterrupt, Interrupted):
            again = None
        member.refit = again if again is not None else FitResult(interrupted=True)
        if again is not None and not again.interrupted:
            member.refit_weights = loop.model.get_weights()
    return member, loop


def _fit(run: Callable[[], FitResult]) -> FitResult | None:
    """run() with Ctrl-C stopping it (`_on_sigint`); None, not started, after a Ctrl-C."""
    global _fitting
    _fitting = True  # first, then the check: a Ctrl-C in between still stops the fit
    try:
        if _asked:
            return None
        return run()
    finally:
        _fitting = False


__all__ = ["Job", "Trained", "auto_jobs", "free_memory_mb", "train_members", "usable_cpus"]
