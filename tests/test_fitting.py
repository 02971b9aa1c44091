"""The training loop: streamed batches equal the materialised windows, the loss and update
match Keras's own fit, XLA runs are reproducible and recorded in the card."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml
from conftest import SAMPLE, tiny_config

from rnncli.batches import ArrayWindows, model_batch
from rnncli.config import DataSpec, WindowSpec
from rnncli.data import load_panel
from rnncli.dataset import build
from rnncli.inference import normalize_windows

AIR = SAMPLE / "airpassengers.csv"
PANEL = SAMPLE / "employment_panel.csv"


def _quiet(_msg: str) -> None:
    pass


@pytest.mark.parametrize(
    "spec",
    [
        WindowSpec(look_back=40, horizon=6, min_look_back=3, pad="post"),
        WindowSpec(look_back=40, horizon=6, min_look_back=3, pad="pre", stride=5),
        WindowSpec(look_back=12, horizon=3, min_look_back=12, difference=12),  # unpadded
    ],
    ids=["post", "pre-stride", "differenced"],
)
def test_streamed_windows_are_the_materialised_windows(spec: WindowSpec) -> None:
    """Cut from the scaled series a batch at a time == windows.history/targets, materialised."""
    panel = load_panel(PANEL, DataSpec(id_col="series_id"), "panel")
    full = build(panel, spec)
    lean = build(panel, spec, windows=False)
    assert lean.x.shape[0] == 0 and lean.streamed is not None  # nothing materialised
    streamed = lean.windows()
    assert len(streamed) == len(full.x) and streamed.padded == (full.mask is not None)
    idx = np.random.default_rng(0).permutation(len(full.x))[:500]
    c = streamed.cut(idx)
    np.testing.assert_array_equal(c.x, full.x[idx])
    np.testing.assert_array_equal(c.y, full.y[idx])
    if full.mask is None:
        assert c.mask is None
    else:
        np.testing.assert_array_equal(c.mask, full.mask[idx])
    # the batch the network sees: level-normalised inputs, mask, shifted targets
    inputs, y = model_batch(streamed, idx, "last", masked=full.mask is not None)
    mask = full.mask[idx] if full.mask is not None else None
    x_ref, level = normalize_windows(full.x[idx], mask, 1, "last")
    np.testing.assert_array_equal(inputs[0], x_ref)
    np.testing.assert_array_equal(y, full.y[idx] - level[:, None, :])
    if mask is not None:
        np.testing.assert_array_equal(inputs[1], mask)


@pytest.mark.tf
@pytest.mark.parametrize("n, batch", [(48, 48), (10, 16), (40, 16)])
def test_the_loop_takes_the_steps_keras_fit_takes(n: int, batch: int) -> None:
    """SGD without shuffling effects: our weighted loss and update == Keras's fit with
    sample weights (one full batch; a batch padded to size; three batches, the last short,
    checked by the first step's loss)."""
    import keras

    from rnncli import runtime
    from rnncli.fitting import Loop, Part, seed_everything

    tf = runtime.tensorflow()
    rng = np.random.default_rng(1)
    x = rng.normal(size=(n, 5, 2)).astype("float32")
    y = rng.normal(size=(n, 3, 1)).astype("float32")
    w = rng.uniform(0.5, 2.0, size=n).astype("float32")

    def model() -> keras.Model:
        seed_everything(3)
        inp = keras.Input((5, 2))
        out = keras.layers.Reshape((3, 1))(keras.layers.Dense(3)(keras.layers.GRU(4)(inp)))
        m = keras.Model(inp, out)
        m.compile(optimizer=keras.optimizers.SGD(0.1), loss="mae")
        return m

    ref = model()
    before = ref.get_weights()
    if n <= batch:
        ref.fit(x, y, sample_weight=w[:, None], batch_size=batch, epochs=1, verbose=0)
    ours = model()
    np.testing.assert_array_equal(ours.get_weights()[0], before[0])
    spec = tiny_config(loss="mae", optimizer="sgd", learning_rate=0.1, clipnorm=None).train
    loop = Loop(ours, spec, tf.distribute.get_strategy(), xla=False)
    part = Part(ArrayWindows(x, None, y), np.arange(n), w)
    losses = loop.epoch(part, batch, np.random.default_rng(0))
    assert len(losses) == -(-n // batch)
    if n <= batch:  # one step: the same update
        for a, b in zip(ours.get_weights(), ref.get_weights(), strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    else:  # each step's loss: sum(|error| x weight) / (windows x horizon) of its batch
        order = np.random.default_rng(0).permutation(n)[:batch]
        pred = model()(x[order]).numpy()
        expect = np.sum(np.abs(pred - y[order]).mean(-1) * w[order, None]) / (batch * 3)
        assert losses[0] == pytest.approx(expect, rel=1e-5)


def _weights(path: Path) -> dict[str, np.ndarray]:
    with np.load(path / "weights.npz") as f:
        return {k: f[k] for k in f.files}


@pytest.mark.tf
def test_xla_runs_repeat_bit_for_bit_and_the_card_says_so(tmp_path: Path) -> None:
    """On CPU the default compiles with XLA (op determinism off); two runs with one seed give
    identical weights; --no-xla turns op determinism on; both recorded in the card."""
    from rnncli import train as pipeline

    runs = {}
    for name, xla in (("a", None), ("b", None), ("c", False)):
        out = tmp_path / name
        run = tiny_config(cell="lstm", xla=xla, epochs=2)
        pipeline.train(run, str(AIR), str(AIR), out, note=_quiet)
        runs[name] = out
    a, b = _weights(runs["a"]), _weights(runs["b"])
    for key in a:
        np.testing.assert_array_equal(a[key], b[key])
    engine = {k: yaml.safe_load((runs[k] / "rnncli.yaml").read_text())["engine"] for k in "ac"}
    assert engine["a"]["xla"] is True and engine["a"]["deterministic"] is False
    assert engine["c"]["xla"] is False and engine["c"]["deterministic"] is True


@pytest.mark.tf
def test_mirrored_on_a_cpu_trains_one_replica(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from rnncli.cli import app

    out = tmp_path / "m"
    flags = ["--units", "3", "--epochs", "2", "--look-back", "12", "--ensemble", "2", "-q"]
    result = CliRunner().invoke(
        app, ["train", str(AIR), "--distribute", "mirrored", "--out", str(out), *flags]
    )
    assert result.exit_code == 0, result.stderr
    meta = yaml.safe_load((out / "rnncli.yaml").read_text())
    assert meta["train"]["distribute"] == "mirrored"
    assert meta["engine"]["xla"] is False and meta["engine"]["deterministic"] is True


@pytest.mark.tf
@pytest.mark.parametrize(
    "args, env, message",
    [
        (
            ["--distribute", "multiworker"],
            {},
            "Error: --distribute multiworker needs the TF_CONFIG",
        ),
        (["--distribute", "multiworker"], {"TF_CONFIG": "{nope"}, "Error: TF_CONFIG is not a"),
        (
            ["--distribute", "mirrored", "--xla"],
            {},
            "Error: --xla does not work with --distribute mirrored",
        ),
    ],
)
def test_distribute_mistakes_are_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], env: dict, message: str
) -> None:
    from typer.testing import CliRunner

    from rnncli.cli import app

    monkeypatch.delenv("TF_CONFIG", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    out = tmp_path / "m"
    result = CliRunner().invoke(app, ["train", str(AIR), "--out", str(out), "-q", *args])
    assert result.exit_code != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(message), result.stderr
    assert not out.exists()


def test_small_xla_steps_on_a_cpu_take_one_thread_per_op() -> None:
    from rnncli.fitting import ONE_THREAD_PER_OP, threads_per_op

    assert ONE_THREAD_PER_OP == 128 * 96
    assert threads_per_op(64, 128, True, "CPU (x86_64)") == 1  # the defaults
    assert threads_per_op(96, 128, True, "CPU (x86_64)") == 1
    assert threads_per_op(128, 128, True, "CPU (x86_64)") == 0  # big enough to split
    assert threads_per_op(64, 512, True, "CPU (x86_64)") == 0
    assert threads_per_op(64, 128, False, "CPU (x86_64)") == 0  # --no-xla: TF's threads
    assert threads_per_op(64, 128, True, "GPU (H200)") == 0


@pytest.mark.tf
def test_a_fresh_train_runs_one_thread_per_op_and_the_card_says_so(tmp_path: Path) -> None:
    """In its own process (no TensorFlow op has run yet) a small model trains with one
    thread per op: TensorFlow reports it in force, and the card records it."""
    import subprocess
    import sys

    out = tmp_path / "m"
    code = (
        "import sys, tensorflow as tf\n"
        "from rnncli.__main__ import run\n"
        "try:\n"
        "    run()\n"
        "finally:\n"
        "    print('threads', tf.config.threading.get_intra_op_parallelism_threads())\n"
    )
    args = ["train", str(AIR), "--out", str(out), "--units", "4", "--epochs", "1",
            "--ensemble", "1", "--look-back", "12", "--horizon", "3", "-q"]  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "threads 1"
    engine = yaml.safe_load((out / "rnncli.yaml").read_text())["engine"]
    assert engine["op_threads"] == 1 and engine["xla"] is True
