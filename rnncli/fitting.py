"""Fitting: seeds, compilation, early stopping with best weights, NaN guard, Ctrl-C.

TensorFlow and Keras are imported inside the functions. The epoch callback
reports through a plain function so this module never renders anything.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from rnncli.config import TrainSpec
from rnncli.errors import RnnCliError, TrainingError

if TYPE_CHECKING:
    import keras

ProgressHook = Callable[[int, dict[str, float]], None]


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


def seed_everything(seed: int) -> None:
    """Same data, options and seed -> same weights: all seeds set, deterministic TF ops."""
    from rnncli.runtime import tensorflow

    tf = tensorflow()
    import keras

    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()


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


def _guard(result: FitResult, spec: TrainSpec, monitor: str, on_epoch: ProgressHook | None) -> Any:
    """A Keras callback: NaN guard, best weights, patience, progress."""
    import keras

    class Guard(keras.callbacks.Callback):  # type: ignore[misc]  # keras ships no types
        def __init__(self) -> None:
            super().__init__()
            self.best_weights: list[np.ndarray] | None = None
            self.wait = 0
            self.nan_at: str | None = None

        def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
            loss = (logs or {}).get("loss")
            if loss is not None and not math.isfinite(float(loss)):
                self.nan_at = f"epoch {len(result.history) + 1}, batch {batch + 1}"
                self.model.stop_training = True

        def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
            if self.nan_at is not None:
                return
            row = {k: float(v) for k, v in (logs or {}).items() if k in ("loss", "val_loss")}
            if not all(math.isfinite(v) for v in row.values()):
                self.nan_at = f"epoch {epoch + 1}"
                self.model.stop_training = True
                return
            result.history.append({"epoch": epoch + 1, **row})
            current = row.get(monitor, row["loss"])
            if current < result.best_loss:
                result.best_loss, result.best_epoch = current, epoch + 1
                self.best_weights = self.model.get_weights()
                self.wait = 0
            else:
                self.wait += 1
                if spec.patience and self.wait >= spec.patience:
                    result.stopped_early = True
                    self.model.stop_training = True
            if on_epoch is not None:
                on_epoch(epoch, row)

    return Guard()


def fit(
    model: keras.Model,
    train: tuple[Any, np.ndarray, np.ndarray | None],
    val: tuple[Any, np.ndarray, np.ndarray | None] | None,
    spec: TrainSpec,
    on_epoch: ProgressHook | None = None,
) -> FitResult:
    """Train in place; on return the model holds the best weights seen (by val_loss).

    `train` and `val` are (inputs, targets, per-window weights or None).
    """
    result = FitResult()
    monitor = "val_loss" if val is not None else "loss"
    guard = _guard(result, spec, monitor, on_epoch)
    start = time.perf_counter()
    try:
        model.fit(
            train[0],
            train[1],
            sample_weight=train[2],
            validation_data=val if val is None or val[2] is not None else val[:2],
            epochs=spec.epochs,
            batch_size=spec.batch_size,
            shuffle=True,
            callbacks=[guard],
            verbose=0,
        )
    except KeyboardInterrupt:
        result.interrupted = True
    result.seconds = time.perf_counter() - start
    if guard.nan_at is not None:
        raise TrainingError(
            f"the training loss became NaN or infinite at {guard.nan_at}; " + NAN_HINT
        )
    if guard.best_weights is None:
        if result.interrupted:
            raise Interrupted("training interrupted before the first epoch ended; nothing saved")
        raise TrainingError("training ended before the first epoch finished")
    model.set_weights(guard.best_weights)
    return result
