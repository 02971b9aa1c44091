"""The classic "sum of three numbers": a linear SimpleRNN(1) learns W = 1, U = 1, b = 0.

    python examples/sum_of_three.py models/sum3
    rnncli inspect-weights models/sum3 --values

h_t = W·x_t + U·h_(t-1) + b with h_0 = 0, so after three digits
h_3 = W·x_3 + U·W·x_2 + U²·W·x_1 + (1 + U + U²)·b: the sum exactly when W = U = 1, b = 0.
The model is saved as an rnncli model directory so that inspect-weights can read it.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np


def main(out: Path) -> None:
    from rnncli import modeldir as artifacts, runtime

    runtime.tensorflow()
    import keras

    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.integers(0, 10, size=(2000, 3, 1)).astype("float32")
    y = x.sum(axis=1)
    inputs = keras.Input((3, 1), name="values")
    outputs = keras.layers.SimpleRNN(1, activation="linear", name="simple_rnn_1")(inputs)
    model = keras.Model(inputs, outputs, name="sum_of_three")
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss="mse")
    history = model.fit(x, y, epochs=60, batch_size=64, verbose=0)
    test = np.array([[[3], [4], [5]]], dtype="float32")
    print(f"3 + 4 + 5 -> {float(model.predict(test, verbose=0)[0, 0]):.3f}", file=sys.stderr)
    meta = {"example": "sum of three numbers", "data": {"columns": {"targets": ["sum"]}}}
    rows = [{"epoch": i + 1, "loss": float(v)} for i, v in enumerate(history.history["loss"])]
    artifacts.save(out, model, meta, rows, force=True)
    print(f"saved {out}", file=sys.stderr)


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "models/sum3"))
