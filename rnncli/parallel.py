"""Ensemble members trained side by side in worker processes (`--jobs`).

TensorFlow runs one XLA step at a time per process, and a small network's step (one thread
per op, `fitting.threads_per_op`) leaves the other cores idle; so an ensemble's members
train in `jobs` spawned processes, each with a TensorFlow of its own, taking the next member
as it finishes one. A member trains exactly as it does in turn: its seed, its initial
weights, its shuffles and the same compiled step, so the weights are bit-identical
(tests/test_ensemble.py). Each process compiles the step once and trains all its members
with it (`Loop.start`), and runs the member's refit right after it when one is planned.

Progress and results come back on one queue; Ctrl-C (to the process group, or to this
process alone, which passes it on) stops every member at its next step with its best
weights so far, as it stops one member in turn, and no further member starts.

TensorFlow is imported only in the worker processes (and by the caller).
"""

from __future__ import annotations

import contextlib
import math
import multiprocessing
import os
import queue
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
    at most one per core and as many as free memory holds (PROCESS_MB each).
    """
    if ensemble < 2 or distribute != "none" or not device.startswith("CPU") or threads != 1:
        return 1
    if windows < MIN_WINDOWS or data_bytes > MAX_BYTES:
        return 1
    cpus = usable_cpus() if cpus is None else cpus
    free_mb = free_memory_mb() if free_mb is None else free_mb
    by_memory = int(free_mb // PROCESS_MB) if math.isfinite(free_mb) else cpus
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
    return free


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
    trained, in order (after Ctrl-C, those that started, each with its best weights)."""
    ctx = multiprocessing.get_context("spawn")
    results: Any = ctx.Queue()
    claimed = ctx.Value("i", 0)  # the next member to start
    stop = ctx.Event()
    procs = [
        ctx.Process(
            target=_worker, args=(job, seeds, claimed, stop, results), name=f"rnncli-member-{i}"
        )
        for i in range(jobs)
    ]
    # a process starts with Ctrl-C ignored (until its handler is in place: no traceback)
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        for proc in procs:
            proc.start()
    finally:
        signal.signal(signal.SIGINT, previous)
    trained: dict[int, Trained] = {}
    error: RnnCliError | None = None

    def interrupt() -> None:
        stop.set()
        for proc in procs:  # Ctrl-C sent to this process alone: pass it on
            if proc.is_alive() and proc.pid is not None:
                os.kill(proc.pid, signal.SIGINT)

    finished = 0
    try:
        while finished < len(procs):
            try:
                kind, k, payload = results.get(timeout=0.5)
                if kind == "epoch" and on_epoch is not None:
                    on_epoch(k, payload[0], payload[1])
                elif kind == "done":
                    trained[k] = payload
                    if payload.result.interrupted:
                        stop.set()  # as in turn: no member starts after one was stopped
                elif kind == "exit":
                    finished += 1
                elif kind == "error" and isinstance(payload, Interrupted):
                    stop.set()  # a member stopped before its first epoch: it is not kept
                elif kind == "error" and error is None:
                    error = payload
                    stop.set()
                    for proc in procs:
                        proc.terminate()
            except queue.Empty:
                dead = [p for p in procs if p.exitcode not in (None, 0)]
                if dead and error is None:
                    error = TrainingError(
                        f"a training process ended with exit code {dead[0].exitcode} before "
                        f"its members were done (out of memory?); retry with --jobs 1"
                    )
                if error is not None and all(p.exitcode is not None for p in procs):
                    break
            except KeyboardInterrupt:
                interrupt()
    finally:
        for proc in procs:
            proc.join(timeout=30)
            if proc.is_alive():
                proc.kill()
                proc.join()
        results.close()
    if error is not None:
        raise error
    if not trained:
        raise Interrupted("training interrupted before the first epoch ended; nothing saved")
    return [trained[k] for k in sorted(trained)]


# ---- the worker processes -------------------------------------------------------------------

_training = False  # in a worker: a member is training now (Ctrl-C stops it)
_stopped = False  # in a worker: Ctrl-C stopped the member training now


def _on_sigint(_signum: int, _frame: Any) -> None:
    """Ctrl-C in a worker: stop the member training (once), else nothing to stop."""
    global _stopped
    if _training and not _stopped:
        _stopped = True
        raise KeyboardInterrupt


def _worker(job: Job, seeds: list[int], claimed: Any, stop: Any, results: Any) -> None:
    """Train members until none is left (or Ctrl-C); every message goes on `results`."""
    signal.signal(signal.SIGINT, _on_sigint)
    try:
        from rnncli import runtime

        runtime.select_device("cpu")
        runtime.op_threads(job.threads)
        loop: Any = None
        while not stop.is_set():
            with claimed.get_lock():
                k = claimed.value
                claimed.value += 1
            if k >= len(seeds):
                break
            member, loop = _train(job, k, seeds[k], loop, results)
            results.put(("done", k, member))
            if member.result.interrupted:
                break
    except RnnCliError as exc:
        results.put(("error", -1, exc))
    except BaseException as exc:  # any failure reaches the parent as one line
        text = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        if os.environ.get("RNNCLI_DEBUG"):
            text = traceback.format_exc()
        results.put(("error", -1, TrainingError(f"a training process failed: {text}")))
    finally:
        results.put(("exit", -1, None))


def _train(job: Job, k: int, seed: int, loop: Any, results: Any) -> tuple[Trained, Any]:
    """Member k, as `train` trains it in turn: seeded, built, fitted, refitted if planned."""
    global _training, _stopped
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
        results.put(("epoch", k, (epoch, row)))

    _training, _stopped = True, False
    try:
        result = fit(loop, job.train, job.val, job.spec, progress, seed=seed)
        member = Trained(k, loop.model.get_weights(), result)
        if job.refit is not None and job.refit_spec is not None and not result.interrupted:
            again = fit(loop, job.refit, None, job.refit_spec, None, seed=seed)
            member.refit = again
            if not again.interrupted:
                member.refit_weights = loop.model.get_weights()
    finally:
        _training = False
    return member, loop


__all__ = ["Job", "Trained", "auto_jobs", "free_memory_mb", "train_members", "usable_cpus"]
