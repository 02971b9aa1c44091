"""The classic "sum of three numbers": a linear SimpleRNN(1) learns W = 1, U = 1, b = 0.

    python examples/sum_of_three.py

h_t = W·x_t + U·h_(t-1) + b with h_0 = 0, so after three digits
h_3 = W·x_3 + U·W·x_2 + U²·W·x_1 + (1 + U + U²)·b: the sum exactly when W = U = 1, b = 0.
It prints the learned weights with `rnncli.weights`, the module behind `rnncli inspect-weights`.
"""

from __future__ import annotations

import sys

import numpy as np


def main() -> None:
    from rnncli import runtime, weights

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
    model.fit(x, y, epochs=60, batch_size=64, verbose=0)
    test = np.array([[[3], [4], [5]]], dtype="float32")
    print(f"3 + 4 + 5 -> {float(model.predict(test, verbose=0)[0, 0]):.3f}", file=sys.stderr)
    report = weights.breakdown(model)
    print(f"parameters: {report.total} ({report.formula})")
    print(weights.format_values(report))


if __name__ == "__main__":
    main()
