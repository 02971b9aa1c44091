"""--distribute: the tf.distribute strategy training runs under, and this worker's place in it.

`multiworker` reads the standard TF_CONFIG variable (what Kubernetes' training operators, Ray
and SLURM launch scripts set): `{"cluster": {"worker": ["host1:port", "host2:port"]},
"task": {"type": "worker", "index": 0}}`. The first worker (or a "chief" task) is the chief:
it alone writes the model directory. TensorFlow requires the strategy to exist before any
other op runs, so `plan` is called right after the device and the threads are chosen.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any

from rnncli.errors import ConfigError


@dataclass(frozen=True)
class Plan:
    strategy: Any  # tf.distribute.Strategy
    xla: bool  # XLA-compiled steps (TensorFlow's op determinism off)
    workers: int = 1
    rank: int = 0  # this worker's index, the chief 0
    chief: bool = True


def cluster() -> tuple[int, int]:
    """(workers, this worker's rank) from TF_CONFIG; a ConfigError when it is unusable."""
    raw = os.environ.get("TF_CONFIG")
    if not raw:
        raise ConfigError(
            "--distribute multiworker needs the TF_CONFIG environment variable (the cluster's "
            "workers and this task); see README 'Training on several machines'"
        )
    try:
        config = json.loads(raw)
        members = config["cluster"]
        task = config["task"]
        kind, index = str(task["type"]), int(task.get("index", 0))
        workers = len(members.get("chief", [])) + len(members.get("worker", []))
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ConfigError(
            f"TF_CONFIG is not a cluster description ({exc!r}); it must be JSON like "
            '{"cluster": {"worker": ["host1:12345", "host2:12345"]}, "task": {"type": '
            '"worker", "index": 0}}'
        ) from None
    if kind not in ("chief", "worker") or workers < 1:
        raise ConfigError(f"TF_CONFIG task type '{kind}': rnncli runs only chief and worker tasks")
    rank = 0 if kind == "chief" else index + (1 if "chief" in members else 0)
    return workers, rank


def uses_xla(choice: str, xla: bool | None, device: str) -> bool:
    """Whether training steps are XLA-compiled: `--xla/--no-xla`, else on a CPU unless
    `mirrored` (its GPUs' steps are not); `--xla` with `mirrored` is a ConfigError."""
    if choice == "mirrored" and xla:
        raise ConfigError("--xla does not work with --distribute mirrored; drop one of them")
    return xla if xla is not None else (choice != "mirrored" and device.startswith("CPU"))


def plan(choice: str, xla: bool) -> Plan:
    """The strategy for --distribute `choice` (TensorFlow's threads must be set before)."""
    from rnncli.runtime import tensorflow

    tf = tensorflow()
    if choice == "none":
        return Plan(tf.distribute.get_strategy(), xla)
    if choice == "mirrored":
        return Plan(tf.distribute.MirroredStrategy(), False)
    workers, rank = cluster()
    strategy = tf.distribute.MultiWorkerMirroredStrategy()
    return Plan(strategy, xla, workers, rank, rank == 0)


__all__ = ["Plan", "cluster", "plan", "uses_xla"]
