"""Fitting: seeds, compilation, and one training loop for every distribution strategy.

The loop runs `steps_per_execution` optimiser steps per call of one TensorFlow function
(compiled with XLA when asked), on batches cut in NumPy a chunk at a time from the windows
(`batches.model_batch`): no per-step Python, and never all windows in memory. The same
loop serves one device, `tf.distribute.MirroredStrategy` (local GPUs) and
`MultiWorkerMirroredStrategy` (several machines, from TF_CONFIG; Keras 3's `model.fit`
fails under it, keras-team/keras#20585): each step is `strategy.run` of the same replica
step, and each replica cuts only its own shard of the shuffled windows. Early stopping with
the best weights, the NaN guard, Ctrl-C and the per-epoch progress are plain Python between
epochs, the same on every path.

TensorFlow and Keras are imported inside the functions.
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from rnncli.batches import Windows, model_batch
from rnncli.config import TrainSpec
from rnncli.errors import RnnCliError, TrainingError

if TYPE_CHECKING:
    import keras

ProgressHook = Callable[[int, dict[str, float]], None]

STEPS_PER_EXECUTION = 16  # optimiser steps per call of the compiled function (bench_train)
# batch x units up to which an XLA step on a CPU runs fastest with one thread per op: its
# matrices are too small to split (bench_train's throughput table, before and after; 128
# units at batch 128 and 256 units were faster with TensorFlow's threads)
ONE_THREAD_PER_OP = 128 * 96
CHUNK_BYTES = 64 << 20  # at most this much of cut windows per call (a few batches)


class Interrupted(RnnCliError):
    """Ctrl-C during training (exit 130)."""

    exit_code = 130


@dataclass
class FitResult:
    history: list[dict[str, float]] = field(default_factory=list)
    best_epoch: int = 0  # 1-based; 0 when no epoch finished
    best_loss: float = math.inf
    interrupted: bool = False
    stopped_early: bool = False
    seconds: float = 0.0


@dataclass(frozen=True)
class Part:
    """The windows one fit trains (or validates) on: which, their loss weights, how cut."""

    windows: Windows
    idx: np.ndarray  # (n,) window indices
    # (n,) each window's loss weight, or with `series` (n_series,) each series'; None: all 1
    weights: np.ndarray | None
    normalize: str = "none"
    masked: bool = False
    # every window's series (indexed like `windows`): `weights` are then per series, and a
    # batch's are looked up (`weighting.series_weights`), no array of one weight per window
    series: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.idx)

    def weight(self, pos: np.ndarray) -> np.ndarray:
        """The loss weights of the windows at positions `pos` of `idx`."""
        if self.weights is None:
            return np.ones(len(pos), np.float32)
        if self.series is None:
            return self.weights[pos]
        return self.weights[self.series[self.idx[pos]]]


def set_determinism(on: bool) -> None:
    """TensorFlow's op determinism on or off (off lets XLA compile: it ignores jit_compile
    while op determinism is on)."""
    from rnncli.runtime import tensorflow

    tf = tensorflow()
    if on:
        tf.config.experimental.enable_op_determinism()
        return
    from tensorflow.python.framework import config  # no public switch back off

    if config.is_op_determinism_enabled():
        config.disable_op_determinism()


def threads_per_op(units: int, batch: int, xla: bool, device: str) -> int:
    """Threads per TensorFlow op for training: 1 for XLA steps on a CPU whose matrices are
    small (batch x units up to ONE_THREAD_PER_OP; independent ops still run side by side),
    else 0 (TensorFlow's default: one per core)."""
    small = batch * units <= ONE_THREAD_PER_OP
    return 1 if xla and small and device.startswith("CPU") else 0


def seed_everything(seed: int, deterministic: bool = True) -> None:
    """Same data, options and seed -> same weights: all seeds set; deterministic TF ops
    unless XLA runs the step (on CPU its repeated runs are bit-identical, tests/test_fitting)."""
    from rnncli.runtime import tensorflow

    tensorflow()
    import keras

    keras.utils.set_random_seed(seed)
    set_determinism(deterministic)


def compile_model(model: keras.Model, spec: TrainSpec) -> None:
    import keras

    optimizers = {
        "adam": keras.optimizers.Adam,
        "rmsprop": keras.optimizers.RMSprop,
        "sgd": keras.optimizers.SGD,
    }
    clip: dict[str, float] = {}
    if spec.clipnorm is not None:
        clip["clipnorm"] = spec.clipnorm
    if spec.clipvalue is not None:
        clip["clipvalue"] = spec.clipvalue
    optimizer = optimizers[spec.optimizer](learning_rate=spec.learning_rate, **clip)
    losses = {"mse": "mse", "mae": "mae", "huber": keras.losses.Huber()}
    model.compile(optimizer=optimizer, loss=losses[spec.loss])


NAN_HINT = (
    "likely causes: unscaled data (use --scale standard), a learning rate too high "
    "(try --learning-rate 1e-4), exploding gradients (set --clipnorm 1.0), or missing "
    "values in the data"
)


def _elementwise_loss(name: str) -> Any:
    """The loss per window and horizon step (no reduction), as compile_model chose it."""
    import keras

    losses = {
        "mse": keras.losses.MeanSquaredError,
        "mae": keras.losses.MeanAbsoluteError,
        "huber": keras.losses.Huber,
    }
    return losses[name](reduction=None)


class Loop:
    """The compiled training and validation functions of one model under one strategy.

    Loss: sum(loss per window and step x window weight) / (windows x horizon) of the global
    batch, which is Keras's "sum_over_batch_size" with sample weights; each replica divides
    its part by the global count and the optimiser sums the replicas' gradients.
    """

    def __init__(
        self, model: Any, spec: TrainSpec, strategy: Any, *, xla: bool, worker: int = 0
    ) -> None:
        from rnncli.runtime import tensorflow

        tf = tensorflow()
        self.tf, self.model, self.strategy = tf, model, strategy
        self.replicas = int(strategy.num_replicas_in_sync)
        # replicas on this machine (the default strategy has one and no worker_devices)
        self.local = len(strategy.extended.worker_devices) if self.replicas > 1 else 1
        self.rank = worker * self.local  # this worker's first replica id
        loss_fn = _elementwise_loss(spec.loss)
        optimizer = model.optimizer
        with strategy.scope():
            optimizer.build(model.trainable_variables)
        variables = model.trainable_variables
        self._fresh = [np.array(v) for v in optimizer.variables]  # a new optimiser's state

        def gradients(x: Any, y: Any, w: Any, count: Any) -> Any:
            """A replica's loss on one batch and its gradients (before any all-reduce)."""
            horizon = tf.cast(tf.shape(y)[1], tf.float32)
            with tf.GradientTape() as tape:
                pred = model(list(x) if len(x) > 1 else x[0], training=True)
                per = loss_fn(y, pred) * w[:, None]
                loss = tf.reduce_sum(per) / (count * horizon)
            return loss, tape.gradient(loss, variables)

        # Under a strategy the gradients' all-reduce cannot be compiled with XLA on a CPU, so
        # only the forward and backward pass are (1.7x per epoch for two workers: bench_train
        # --workers)
        grads_of = (
            tf.function(gradients, jit_compile=True) if xla and self.replicas > 1 else gradients
        )

        def step(i: Any, xs: Any, y: Any, w: Any, counts: Any) -> Any:
            """One replica's optimiser step on batch i of its (K, b, ...) arrays."""
            loss, grads = grads_of([a[i] for a in xs], y[i], w[i], counts[i])
            optimizer.apply(grads, variables)  # sums the replicas' gradients
            return loss

        def one_device(xs: Any, y: Any, w: Any, counts: Any) -> Any:
            """K steps on one device. A step without windows (the padding of an epoch's last
            call) is skipped, so every call has one shape and XLA compiles once."""
            out = tf.TensorArray(tf.float32, size=tf.shape(y)[0])
            for i in tf.range(tf.shape(y)[0]):
                take = functools.partial(step, i, xs, y, w, counts)
                loss = tf.cond(counts[i] > 0, take, lambda: 0.0)
                out = out.write(i, loss)
            return out.stack()

        def replicated(xs: Any, y: Any, w: Any, counts: Any) -> Any:
            """K steps, each one strategy.run (a step's gradient all-reduce must not sit
            inside the replicas' control flow); the last call of an epoch may be shorter."""
            out = tf.TensorArray(tf.float32, size=tf.shape(counts)[0])
            for i in tf.range(tf.shape(counts)[0]):
                per_replica = strategy.run(step, args=(i, xs, y, w, counts))
                loss = strategy.reduce(tf.distribute.ReduceOp.SUM, per_replica, axis=None)
                out = out.write(i, loss)
            return out.stack()

        if self.replicas == 1:
            self.train_chunk = tf.function(one_device, jit_compile=xla)
        else:
            self.train_chunk = tf.function(replicated)

        def evaluate(xs: Any, y: Any, w: Any) -> Any:
            pred = model(list(xs) if len(xs) > 1 else xs[0], training=False)
            return tf.reduce_sum(loss_fn(y, pred) * w[:, None])

        self.evaluate = tf.function(evaluate, jit_compile=xla)

    def state(self) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """The model's weights and the optimiser's variables, to `restore` later."""
        return self.model.get_weights(), [np.array(v) for v in self.model.optimizer.variables]

    def restore(self, state: tuple[list[np.ndarray], list[np.ndarray]]) -> None:
        weights, optimizer = state
        self.model.set_weights(weights)
        for variable, value in zip(self.model.optimizer.variables, optimizer, strict=True):
            variable.assign(value)

    def start(self, weights: list[np.ndarray]) -> None:
        """Train another network of the same shape: these initial weights, a new optimiser
        (the compiled functions, XLA's included, are reused)."""
        self.restore((weights, self._fresh))

    def _distribute(self, arrays: list[Any]) -> Any:
        """Per-replica arrays (one list per local replica) as the strategy's inputs."""
        if self.replicas == 1:
            return arrays[0]
        rank = self.rank

        def value(ctx: Any) -> Any:
            return arrays[ctx.replica_id_in_sync_group - rank]

        return self.strategy.experimental_distribute_values_from_function(value)

    def epoch(
        self, part: Part, batch: int, rng: np.random.Generator, limit: int | None = None
    ) -> np.ndarray:
        """One epoch over `part` shuffled by `rng`: each step's global loss, (steps,).

        `limit`: stop after that many calls (bench_train times big panels on part of an epoch).
        """
        n, r = len(part), self.replicas
        per = -(-batch // r)  # each replica's share of the global batch
        chunk = _chunk_steps(part, per)
        steps = -(-n // (per * r))
        calls = -(-steps // chunk)
        padded = calls * chunk if r == 1 else steps  # see one_device
        order = np.arange(n, dtype=np.int32 if n < 2**31 else np.int64)
        rng.shuffle(order)  # in place: rng.permutation would copy
        # replica g takes order[g::r] (views, no copy), in batches of `per`; the last batches
        # are padded with -1 (weight 0)
        shards = [order[g::r] for g in range(r)]
        sizes = np.array([len(x) for x in shards])
        losses = []
        for s0 in range(0, padded, chunk):
            s1 = min(padded, s0 + chunk)
            at = np.arange(s0, s1)[:, None] * per
            counts = np.clip(sizes[:, None, None] - at - np.arange(per), 0, 1).sum(axis=(0, 2))
            arrays = [
                _cut(part, _slots(shards[self.rank + j], s0 * per, s1 - s0, per))
                for j in range(self.local)
            ]
            xs = self._distribute([a[0] for a in arrays])
            y = self._distribute([a[1] for a in arrays])
            w = self._distribute([a[2] for a in arrays])
            losses.append(np.asarray(self.train_chunk(xs, y, w, counts.astype(np.float32))))
            if not np.isfinite(losses[-1]).all() or len(losses) == limit:
                break
        return np.concatenate(losses)[:steps]

    def validate(self, part: Part, batch: int) -> float:
        """The weighted loss over every window of `part`, on this worker alone."""
        size = min(max(batch, 1024), len(part))
        total = 0.0
        horizon = 0
        for a in range(0, len(part), size):
            idx = np.full(size, -1, dtype=np.int64)  # one shape for every call
            pick = np.arange(a, min(len(part), a + size))
            idx[: len(pick)] = pick
            xs, y, w = _cut(part, idx[None])
            horizon = y.shape[2]
            total += float(self.evaluate([v[0] for v in xs], y[0], w[0]))
        return total / (len(part) * max(horizon, 1))


def _chunk_steps(part: Part, per: int) -> int:
    """Steps per call: STEPS_PER_EXECUTION, fewer when their windows would pass CHUNK_BYTES."""
    probe = part.windows.cut(part.idx[:1])
    bytes_per_window = probe.x.nbytes + probe.y.nbytes + 1
    return int(max(1, min(STEPS_PER_EXECUTION, CHUNK_BYTES // (bytes_per_window * per))))


def _slots(shard: np.ndarray, first: int, steps: int, per: int) -> np.ndarray:
    """Positions shard[first : first + steps * per] as (steps, per), -1 past its end."""
    out = np.full(steps * per, -1, dtype=np.int64)
    take = shard[first : first + steps * per]
    out[: len(take)] = take
    return out.reshape(steps, per)


def _cut(part: Part, slots: np.ndarray) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    """Batches (K, b) of positions in `part` (-1: padding, weight 0) -> (K, b, ...) arrays."""
    k, b = slots.shape
    flat = slots.reshape(-1)
    real = flat >= 0
    pos = np.where(real, flat, 0)
    inputs, y = model_batch(part.windows, part.idx[pos], part.normalize, part.masked)
    w = part.weight(pos)
    w = np.where(real, w, 0.0).astype(np.float32)
    return (
        [a.reshape(k, b, *a.shape[1:]) for a in inputs],
        y.reshape(k, b, *y.shape[1:]),
        w.reshape(k, b),
    )


def fit(
    loop: Loop,
    train: Part,
    val: Part | None,
    spec: TrainSpec,
    on_epoch: ProgressHook | None = None,
    *,
    seed: int = 0,
) -> FitResult:
    """Train `loop.model` in place; on return it holds the best weights seen (by val_loss).

    `seed`: the shuffling's.
    """
    model = loop.model
    result = FitResult()
    rng = np.random.default_rng(seed)
    batch = spec.batch_size or 32
    best: list[np.ndarray] | None = None
    wait = 0
    start = time.perf_counter()
    try:
        for epoch in range(spec.epochs):
            losses = loop.epoch(train, batch, rng)
            bad = np.flatnonzero(~np.isfinite(losses))
            if len(bad):
                raise TrainingError(
                    f"the training loss became NaN or infinite at epoch {epoch + 1}, batch "
                    f"{int(bad[0]) + 1}; " + NAN_HINT
                )
            row = {"loss": float(np.mean(losses))}
            if val is not None and len(val):
                row["val_loss"] = loop.validate(val, batch)
                if not math.isfinite(row["val_loss"]):
                    raise TrainingError(
                        f"the validation loss became NaN or infinite at epoch {epoch + 1}; "
                        + NAN_HINT
                    )
            result.history.append({"epoch": epoch + 1, **row})
            current = row.get("val_loss", row["loss"])
            if current < result.best_loss:
                result.best_loss, result.best_epoch = current, epoch + 1
                best = model.get_weights()
                wait = 0
            else:
                wait += 1
            if on_epoch is not None:
                on_epoch(epoch, row)
            if spec.patience and wait >= spec.patience:
                result.stopped_early = True
                break
    except KeyboardInterrupt:
        result.interrupted = True
    result.seconds = time.perf_counter() - start
    if best is None:
        if result.interrupted:
            raise Interrupted("training interrupted before the first epoch ended; nothing saved")
        raise TrainingError("training ended before the first epoch finished")
    model.set_weights(best)
    return result
