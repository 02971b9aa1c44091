"""An ensemble's members: trained, refitted, and each checked against the NumPy engine.

In turn, one model and its compiled loop train every member in this process (`Loop.start`:
the member's seeded initial weights and a new optimiser), so XLA compiles once per run; side
by side (`--jobs`), worker processes train them (`parallel`) and this process rebuilds each
from its weights. Either way a member is a Keras model outside any strategy (what is saved),
its exported arrays, its NumPy engine and its fit, and the engines agree within
PARITY_TOLERANCE on the check windows or nothing is saved.

TensorFlow and Keras are imported inside the methods.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from rnncli import parallel
from rnncli.config import ModelSpec, TrainSpec
from rnncli.errors import ConfigError, TrainingError
from rnncli.fitting import FitResult, Loop, Part, ProgressHook

if TYPE_CHECKING:
    from rnncli.distribute import Plan
    from rnncli.engine import Engine, NetworkSpec

PARITY_TOLERANCE = 1e-5  # max |numpy - keras| in scaled units that the card accepts

Note = Callable[[str], None]


@dataclass
class Member:
    """One trained network of the ensemble."""

    model: Any  # keras.Model, outside any distribution strategy (what is saved)
    arrays: dict[str, np.ndarray]
    engine: Engine
    result: FitResult
    parity: float
    state: Any  # the training loop's weights and optimiser state (`Loop.state`), for the refit


@dataclass(frozen=True)
class Check:
    """The windows (and masks, known-future blocks) both engines forecast for the check."""

    x: np.ndarray
    mask: np.ndarray | None
    future: np.ndarray | None


def check_parity(
    keras_engine: Engine,
    numpy_engine: Engine,
    x: np.ndarray,
    mask: Any,
    future: np.ndarray | None = None,
) -> float:
    """Max |NumPy - Keras| on windows x (parity_pick's) and their known-future blocks; a
    TrainingError above tolerance."""
    from rnncli.engine import parity

    diff = parity(keras_engine, numpy_engine, x, mask, future)
    if not diff <= PARITY_TOLERANCE:
        raise TrainingError(
            f"the NumPy engine disagrees with Keras by {diff:.3g} (tolerance "
            f"{PARITY_TOLERANCE:g}) on this model; nothing was saved: please report it, with "
            f"the options used"
        )
    return diff


def jobs_for(t: TrainSpec, device: str, threads: int, n_train: int, windows: Any) -> int:
    """--jobs as given (a ConfigError where it cannot apply), else `parallel.auto_jobs`."""
    if t.jobs is not None:
        if t.jobs > 1 and (t.distribute != "none" or not device.startswith("CPU")):
            raise ConfigError(
                f"--jobs {t.jobs} trains the members in processes on this machine's CPU; "
                f"drop it, or train on the CPU without --distribute"
            )
        return min(t.jobs, t.ensemble)
    data = sum(a.nbytes for a in vars(windows).values() if isinstance(a, np.ndarray))
    return parallel.auto_jobs(
        ensemble=t.ensemble,
        windows=n_train,
        data_bytes=data,
        threads=threads,
        distribute=t.distribute,
        device=device,
    )


class Members:
    """Trains one run's members (`train`), then refits them (`refit`)."""

    def __init__(
        self,
        model: ModelSpec,
        shape: dict[str, Any],
        network: NetworkSpec,
        plan: Plan,
        check: Check,
        threads: int,
    ) -> None:
        self.model, self.shape, self.network, self.plan = model, shape, network, plan
        self.check, self.threads = check, threads
        self._loop: Loop | None = None  # in turn: the one loop that trains every member
        self._side_by_side: list[parallel.Trained] = []
        self.seconds: float | None = None  # side by side: the wall time, refits included

    def train(
        self,
        t: TrainSpec,
        data: Part,
        val: Part | None,
        refit: tuple[Part, TrainSpec] | None,
        jobs: int,
        on_epoch: ProgressHook | None,
        note: Note,
    ) -> list[Member]:
        """Members 1..t.ensemble (seeds t.seed, t.seed + 1, ...), in turn or in `jobs`
        processes; after Ctrl-C, those trained so far, the last marked interrupted. A planned
        `refit` (its windows and spec) runs right after each member in a worker process."""
        if jobs <= 1:
            members = []
            for k in range(t.ensemble):
                if t.ensemble > 1:
                    note(f"member {k + 1} of {t.ensemble} (seed {t.seed + k})")
                members.append(self._in_turn(t.seed + k, data, val, t, on_epoch))
                if members[-1].result.interrupted:
                    break
            return members
        note(
            f"members 1-{t.ensemble} (seeds {t.seed}-{t.seed + t.ensemble - 1}) train in {jobs} "
            f"processes side by side (--jobs 1: one by one)"
        )
        job = parallel.Job(
            self.model,
            self.shape,
            data,
            val,
            t,
            refit[0] if refit else None,
            refit[1] if refit else None,
            self.plan.xla,
            self.threads,
        )

        def progress(k: int, epoch: int, row: dict[str, float]) -> None:
            if on_epoch is not None:
                on_epoch(epoch, {"member": k + 1, **row})

        start = time.perf_counter()
        seeds = [t.seed + k for k in range(t.ensemble)]
        self._side_by_side = parallel.train_members(job, seeds, jobs, progress)
        self.seconds = time.perf_counter() - start
        return [self._from_weights(one.weights, one.result) for one in self._side_by_side]

    def refit(
        self, members: list[Member], t: TrainSpec, every: Part, more: TrainSpec
    ) -> list[Member] | None:
        """The members after `more` epochs on `every` window from their early-stopping state
        (side by side: the refits their processes ran); None if one was interrupted. Each
        member's fit seconds grow by its refit's."""
        refitted = []
        for k, member in enumerate(members):
            if self._side_by_side:
                one = self._side_by_side[k]
                if one.refit is None or one.refit_weights is None:
                    return None
                refitted.append(self._from_weights(one.refit_weights, member.result))
                member.result.seconds += one.refit.seconds
                continue
            from rnncli.fitting import fit

            loop = self._built()
            loop.restore(member.state)  # its weights and optimiser state, trained on
            result = fit(loop, every, None, more, None, seed=t.seed + k)
            if result.interrupted:
                return None
            refitted.append(self._member(loop, result=member.result))
            member.result.seconds += result.seconds
        return refitted

    # ---- in turn -------------------------------------------------------------------------

    def _in_turn(
        self,
        seed: int,
        data: Part,
        val: Part | None,
        spec: TrainSpec,
        on_epoch: ProgressHook | None,
    ) -> Member:
        from rnncli.fitting import compile_model, fit, seed_everything
        from rnncli.network import build_model

        plan = self.plan
        seed_everything(seed, deterministic=not plan.xla)
        # the first member's model trains them all: only it is made under the strategy
        scope = plan.strategy.scope() if self._loop is None else contextlib.nullcontext()
        with scope:
            model = build_model(self.model, **self.shape)
            compile_model(model, spec)
        if self._loop is None:
            self._loop = Loop(model, spec, plan.strategy, xla=plan.xla, worker=plan.rank)
        else:  # this member's initial weights and a fresh optimiser: no new compile
            self._loop.start(model.get_weights())
        result = fit(self._loop, data, val, spec, on_epoch, seed=seed)
        return self._member(self._loop, result)

    def _built(self) -> Loop:
        if self._loop is None:
            raise TrainingError("internal: a refit before any member trained; please report it")
        return self._loop

    def _member(self, loop: Loop, result: FitResult) -> Member:
        """The member the loop's model is now: a copy on one device (the loop's model goes on
        to train the next member, and under MultiWorkerMirroredStrategy its predict would
        gather every worker's batch)."""
        import keras

        local = keras.models.clone_model(loop.model)
        local.set_weights(loop.model.get_weights())
        return self._checked(local, result, loop.state())

    def _from_weights(self, weights: list[np.ndarray], result: FitResult) -> Member:
        """A member a worker process trained, rebuilt from its weights."""
        from rnncli.network import build_model

        model = build_model(self.model, **self.shape)
        model.set_weights(weights)
        return self._checked(model, result, None)

    def _checked(self, model: Any, result: FitResult, state: Any) -> Member:
        from rnncli.engine.keras_engine import KerasEngine, export_weights
        from rnncli.engine.numpy_engine import NumpyEngine

        arrays = export_weights(model, self.network)
        engine = NumpyEngine(self.network, arrays)
        c = self.check
        diff = check_parity(KerasEngine(model), engine, c.x, c.mask, c.future)
        return Member(model, arrays, engine, result, diff, state)


__all__ = ["PARITY_TOLERANCE", "Check", "Member", "Members", "check_parity", "jobs_for"]
