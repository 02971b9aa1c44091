"""The NumPy engine against Keras 3 (parity) and against hand-computed values (no Keras).

Parity models are tiny (4 units, look-back 5) with random non-trivial weights and are built
once per test. One batch per model holds every mask layout at once (all real, post padding,
pre padding, holes in the middle, fully masked rows), so a model is built and traced once.
Padded steps hold random values: both engines must ignore them.
"""

from __future__ import annotations

import io
import math
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import yaml

from rnncli.engine import NetworkSpec, parity, weight_shapes
from rnncli.engine.numpy_engine import NumpyEngine, load_engine, save_weights
from rnncli.errors import ArtifactError, DataError

ROOT = Path(__file__).resolve().parent.parent
TOL = 1e-5
LOOK_BACK = 5
UNITS = 4

# mask rows by layout; every layout has windows of different lengths
LAYOUTS: dict[str, list[list[int]]] = {
    "none": [[1, 1, 1, 1, 1]] * 3,
    "post": [[1, 1, 1, 1, 0], [1, 1, 1, 0, 0], [1, 0, 0, 0, 0]],
    "pre": [[0, 1, 1, 1, 1], [0, 0, 0, 1, 1], [0, 0, 0, 0, 1]],
    "holes": [[1, 0, 1, 0, 1], [1, 1, 0, 0, 1], [0, 1, 0, 1, 0]],
    "empty": [[0, 0, 0, 0, 0]] * 2,
}


def _layout_mask() -> tuple[np.ndarray, dict[str, slice]]:
    rows: list[list[int]] = []
    groups: dict[str, slice] = {}
    for name, layout in LAYOUTS.items():
        groups[name] = slice(len(rows), len(rows) + len(layout))
        rows.extend(layout)
    return np.array(rows, dtype=bool), groups


def _spec(**changes: object) -> NetworkSpec:
    base: dict[str, object] = {
        "cell": "lstm",
        "units": 3,
        "layers": 1,
        "bidirectional": False,
        "activation": "tanh",
        "look_back": 4,
        "n_features": 2,
        "horizon": 2,
        "n_targets": 1,
        "masked": True,
    }
    base.update(changes)
    return NetworkSpec(**base)  # type: ignore[arg-type]


def _random_arrays(spec: NetworkSpec, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        name: rng.normal(0.0, 0.7, shape).astype(np.float32)
        for name, shape in weight_shapes(spec).items()
    }


# ---- parity with Keras -------------------------------------------------------------------

# (cell, layers, bidirectional, activation, masked, n_features, horizon, n_targets): every
# cell with every mask layout uni- and bidirectional, stacked, and each activation
CASES = [
    (cell, *rest)
    for cell in ("simple_rnn", "lstm", "gru")
    for rest in (
        (1, False, "tanh", True, 2, 3, 2),
        (2, False, "relu", True, 3, 2, 1),
        (1, True, "linear", True, 2, 1, 2),
        (2, True, "tanh", True, 2, 2, 2),
        (1, False, "linear", False, 1, 1, 1),
        (2, True, "relu", False, 2, 3, 1),
    )
]


def _case_id(case: tuple) -> str:
    cell, layers, bidi, act, masked, f, h, t = case
    direction = "bi" if bidi else "uni"
    return f"{cell}-{layers}L-{direction}-{act}-{'masked' if masked else 'plain'}-f{f}h{h}t{t}"


def _keras_model(case: tuple, seed: int):
    """A Keras model from build_model with random weights large enough to use the gates."""
    from rnncli.config import ModelSpec
    from rnncli.network import build_model

    cell, layers, bidi, act, masked, f, h, t = case
    model = build_model(
        ModelSpec(cell=cell, units=UNITS, layers=layers, bidirectional=bidi, activation=act),
        look_back=LOOK_BACK,
        n_features=f,
        horizon=h,
        n_targets=t,
        masked=masked,
        right_padded=False,
    )
    rng = np.random.default_rng(seed)
    gain = 1.5 if act == "tanh" else 1.0  # relu/linear grow with the weights: keep O(1)
    for w in model.weights:
        shape = tuple(w.shape)
        if w.path.endswith("recurrent_kernel"):
            std = 1.0 / math.sqrt(shape[0])
        elif w.path.endswith("kernel"):
            std = gain / math.sqrt(shape[0])
        else:
            std = 0.5
        w.assign(rng.normal(0.0, std, shape).astype(np.float32))
    spec = NetworkSpec(cell, UNITS, layers, bidi, act, LOOK_BACK, f, h, t, masked)
    return model, spec


@pytest.mark.tf
@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_parity_with_keras(case: tuple) -> None:
    from rnncli.engine.keras_engine import KerasEngine, export_weights

    seed = CASES.index(case)
    model, spec = _keras_model(case, seed)
    arrays = export_weights(model, spec)
    assert set(arrays) == set(weight_shapes(spec))
    numpy_engine, keras_engine = NumpyEngine(spec, arrays), KerasEngine(model)
    assert (keras_engine.horizon, keras_engine.n_targets, keras_engine.masked) == (
        spec.horizon,
        spec.n_targets,
        spec.masked,
    )

    rng = np.random.default_rng(100 + seed)
    mask, groups = _layout_mask()
    x = rng.normal(0.0, 1.0, (len(mask), LOOK_BACK, spec.n_features)).astype(np.float32)
    if spec.masked:  # junk in the padding: a masked step's input must never be read
        x[~mask] = rng.normal(0.0, 5.0, (int((~mask).sum()), spec.n_features))
    got = numpy_engine.predict(x, mask if spec.masked else None)
    want = keras_engine.predict(x, mask if spec.masked else None)
    assert got.dtype == np.float32
    assert got.shape == want.shape == (len(x), spec.horizon, spec.n_targets)
    # the weights do something: forecasts differ between windows
    assert float(np.std(want[groups["none"]])) > 1e-2
    if spec.masked:
        diffs = {
            name: float(np.max(np.abs(got[rows] - want[rows]))) for name, rows in groups.items()
        }
        assert max(diffs.values()) <= TOL, diffs
        # one window per block: steps where no window of the block is real are skipped
        single = NumpyEngine(spec, arrays, block_rows=1).predict(x, mask)
        assert float(np.max(np.abs(single - want))) <= TOL
        # a fully masked window reads nothing: its forecast is the head's bias
        bias = arrays["head/bias"].reshape(spec.horizon, spec.n_targets)
        np.testing.assert_allclose(got[groups["empty"]], np.broadcast_to(bias, (2, *bias.shape)))
    else:
        assert float(np.max(np.abs(got - want))) <= TOL

    if spec.layers > 1 and spec.masked:
        # the lower layer's sequence output, masked steps included, is Keras's too
        import keras

        name = f"bidirectional_{spec.cell}_1" if spec.bidirectional else f"{spec.cell}_1"
        sub = keras.Model(model.inputs, model.get_layer(name).output)
        keras_seq = np.asarray(sub.predict_on_batch([x, mask]))
        numpy_seq = numpy_engine.layer_outputs(x, mask)[0]
        assert numpy_seq.shape == keras_seq.shape == (len(x), LOOK_BACK, spec.out_dim)
        assert float(np.max(np.abs(numpy_seq - keras_seq))) <= TOL
        per_window = [
            numpy_engine.layer_outputs(x[i : i + 1], mask[i : i + 1])[0] for i in range(len(x))
        ]
        assert float(np.max(np.abs(np.concatenate(per_window) - keras_seq))) <= TOL
        if spec.bidirectional:
            # Bidirectional sets zero_output_for_mask for sequences: zeros at masked steps
            assert np.all(keras_seq[~mask] == 0.0)
        else:
            # a masked step repeats the previous output (zeros before the first real step)
            for row, t in zip(*np.nonzero(~mask), strict=True):
                prev = keras_seq[row, t - 1] if t > 0 else np.zeros(spec.units)
                np.testing.assert_array_equal(keras_seq[row, t], prev)


@pytest.mark.tf
def test_keras_engine_large_batch_and_parity_helper() -> None:
    """More than 1024 windows go through model.predict; an all-True mask equals None."""
    from rnncli.engine.keras_engine import KerasEngine, export_weights

    case = ("gru", 1, True, "tanh", True, 2, 2, 1)
    model, spec = _keras_model(case, 99)
    numpy_engine = NumpyEngine(spec, export_weights(model, spec), block_rows=300)
    keras_engine = KerasEngine(model)
    rng = np.random.default_rng(5)
    n = 1100
    x = rng.normal(size=(n, LOOK_BACK, 2)).astype(np.float32)
    lengths = rng.integers(0, LOOK_BACK + 1, n)
    mask = np.arange(LOOK_BACK)[None, :] >= (LOOK_BACK - lengths)[:, None]  # pre padding
    assert parity(numpy_engine, keras_engine, x, mask) <= TOL
    assert parity(numpy_engine, keras_engine, x[:7], None) <= TOL
    full = np.ones((7, LOOK_BACK), dtype=bool)
    same = keras_engine.predict(x[:7], full), keras_engine.predict(x[:7], None)
    np.testing.assert_array_equal(*same)
    assert keras_engine.predict(x[:0], None).shape == (0, 2, 1)


@pytest.mark.tf
def test_export_weights_rejects_a_model_that_does_not_match() -> None:
    from rnncli.engine.keras_engine import export_weights

    model, spec = _keras_model(("lstm", 1, False, "tanh", False, 1, 1, 1), 3)
    with pytest.raises(ArtifactError, match="activation"):
        export_weights(model, _spec(cell="lstm", units=UNITS, activation="relu", n_features=1))
    with pytest.raises(ArtifactError, match="no layer 'gru_1'"):
        export_weights(model, _spec(cell="gru", units=UNITS))
    with pytest.raises(ArtifactError, match="rnn1/forward/kernel"):
        wrong = NetworkSpec(**{**spec.to_dict(), "n_features": 3})
        export_weights(model, wrong)


# ---- hand-computed values (no Keras) -------------------------------------------------------


def _sig(v: float) -> float:
    return 1.0 / (1.0 + math.exp(-v))


ACT = {"tanh": math.tanh, "relu": lambda v: max(v, 0.0), "linear": lambda v: v}
X = [0.8, -1.5]  # two steps, one feature
HEAD_K, HEAD_B = 2.0, 0.5


def _hand_engine(cell: str, activation: str, kernel, recurrent, bias) -> NumpyEngine:
    spec = NetworkSpec(cell, 1, 1, False, activation, 2, 1, 1, 1, True)
    arrays = {
        "rnn1/forward/kernel": np.array([kernel], dtype=np.float32),
        "rnn1/forward/recurrent_kernel": np.array([recurrent], dtype=np.float32),
        "rnn1/forward/bias": np.array(bias, dtype=np.float32),
        "head/kernel": np.array([[HEAD_K]], dtype=np.float32),
        "head/bias": np.array([HEAD_B], dtype=np.float32),
    }
    return NumpyEngine(spec, arrays)


def _check_hand(engine: NumpyEngine, step) -> None:
    """Compare engine forecasts with `step` folded over the real steps, for four masks."""
    x = np.array([[[X[0]], [X[1]]]] * 4, dtype=np.float32)
    mask = np.array([[1, 1], [1, 0], [0, 1], [0, 0]], dtype=bool)
    want = []
    for row in mask:
        state = None
        for t, real in enumerate(row):
            if real:
                state = step(X[t], state)
        h = 0.0 if state is None else (state[0] if isinstance(state, tuple) else state)
        want.append(HEAD_K * h + HEAD_B)
    got = engine.predict(x, mask)[:, 0, 0]
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-6)
    assert got[3] == pytest.approx(HEAD_B)  # a fully masked window: the head's bias


@pytest.mark.parametrize("activation", ["tanh", "relu", "linear"])
def test_simple_rnn_by_hand(activation: str) -> None:
    w, u, b = 0.9, -1.2, 0.3
    act = ACT[activation]

    def step(x: float, h: float | None) -> float:
        return act(x * w + (h or 0.0) * u + b)  # h' = act(x W + h U + b)

    _check_hand(_hand_engine("simple_rnn", activation, [w], [u], [b]), step)


def test_lstm_by_hand() -> None:
    w = [0.5, -0.4, 1.1, 0.7]  # i, f, c, o
    u = [-0.6, 0.9, 0.3, -1.0]
    b = [0.1, 1.0, -0.2, 0.4]

    def step(x: float, state: tuple[float, float] | None) -> tuple[float, float]:
        h, c = state or (0.0, 0.0)
        z = [x * w[k] + h * u[k] + b[k] for k in range(4)]
        i, f, o = _sig(z[0]), _sig(z[1]), _sig(z[3])
        c = f * c + i * math.tanh(z[2])
        return o * math.tanh(c), c

    _check_hand(_hand_engine("lstm", "tanh", w, u, b), step)


def test_gru_by_hand() -> None:
    w = [0.7, -0.5, 1.3]  # z, r, h
    u = [0.4, 1.1, -0.8]
    b_in, b_rec = [0.2, -0.3, 0.1], [-0.1, 0.5, 0.6]

    def step(x: float, h: float | None) -> float:
        h = h or 0.0
        z = _sig(x * w[0] + b_in[0] + h * u[0] + b_rec[0])
        r = _sig(x * w[1] + b_in[1] + h * u[1] + b_rec[1])
        cand = math.tanh(x * w[2] + b_in[2] + r * (h * u[2] + b_rec[2]))  # reset_after
        return z * h + (1 - z) * cand

    _check_hand(_hand_engine("gru", "tanh", w, u, [b_in, b_rec]), step)


def test_bidirectional_by_hand() -> None:
    """Forward reads x1, x2; backward reads x2, x1; the head sees [h_fwd, h_bwd]."""
    spec = NetworkSpec("simple_rnn", 1, 1, True, "tanh", 2, 1, 1, 1, True)
    fw, fu, fb = 0.9, -0.7, 0.1
    bw, bu, bb = -0.6, 0.8, 0.2
    arrays = {
        "rnn1/forward/kernel": np.array([[fw]], dtype=np.float32),
        "rnn1/forward/recurrent_kernel": np.array([[fu]], dtype=np.float32),
        "rnn1/forward/bias": np.array([fb], dtype=np.float32),
        "rnn1/backward/kernel": np.array([[bw]], dtype=np.float32),
        "rnn1/backward/recurrent_kernel": np.array([[bu]], dtype=np.float32),
        "rnn1/backward/bias": np.array([bb], dtype=np.float32),
        "head/kernel": np.array([[1.0], [10.0]], dtype=np.float32),
        "head/bias": np.array([0.0], dtype=np.float32),
    }
    engine = NumpyEngine(spec, arrays)
    x = np.array([[[X[0]], [X[1]]]] * 2, dtype=np.float32)
    mask = np.array([[1, 1], [0, 1]], dtype=bool)
    f1 = math.tanh(X[0] * fw + fb)
    f2 = math.tanh(X[1] * fw + f1 * fu + fb)
    b2 = math.tanh(X[1] * bw + bb)
    b1 = math.tanh(X[0] * bw + b2 * bu + bb)
    f_only2 = math.tanh(X[1] * fw + fb)  # second row: only step 2 is real
    got = engine.predict(x, mask)[:, 0, 0]
    np.testing.assert_allclose(got, [f2 + 10 * b1, f_only2 + 10 * b2], rtol=0, atol=1e-6)


def test_masked_inputs_are_never_read_and_unmasked_models_ignore_the_mask() -> None:
    spec = _spec(cell="gru", layers=2, bidirectional=True)
    engine = NumpyEngine(spec, _random_arrays(spec))
    rng = np.random.default_rng(1)
    x = rng.normal(size=(6, 4, 2)).astype(np.float32)
    mask = np.array([[1, 1, 0, 0], [0, 1, 1, 1], [1, 0, 0, 1], [0] * 4, [1] * 4, [0, 0, 1, 0]])
    mask = mask.astype(bool)
    padded = x.copy()
    padded[~mask] = np.nan
    np.testing.assert_array_equal(engine.predict(padded, mask), engine.predict(x, mask))
    np.testing.assert_array_equal(engine.predict(x, np.ones((6, 4), bool)), engine.predict(x, None))
    # blocks of windows give the same forecasts as one block
    blocked = NumpyEngine(spec, _random_arrays(spec), block_rows=4)
    np.testing.assert_array_equal(blocked.predict(x, mask), engine.predict(x, mask))

    plain_spec = _spec(masked=False)
    plain = NumpyEngine(plain_spec, _random_arrays(plain_spec))
    np.testing.assert_array_equal(plain.predict(x, mask), plain.predict(x, None))


def test_predict_checks_shapes_and_takes_empty_batches() -> None:
    spec = _spec()
    engine = NumpyEngine(spec, _random_arrays(spec))
    assert engine.predict(np.zeros((0, 4, 2), np.float32), None).shape == (0, 2, 1)
    with pytest.raises(DataError, match="windows have shape"):
        engine.predict(np.zeros((3, 5, 2), np.float32), None)
    with pytest.raises(DataError, match="mask shape"):
        engine.predict(np.zeros((3, 4, 2), np.float32), np.ones((3, 5), bool))


# ---- NetworkSpec ---------------------------------------------------------------------------


def test_network_spec_round_trip_through_yaml() -> None:
    spec = _spec(cell="gru", bidirectional=True, activation="relu", masked=False)
    d = spec.to_dict()
    assert all(type(v) in (str, int, bool) for v in d.values())
    text = yaml.safe_dump(d)
    assert NetworkSpec.from_dict(yaml.safe_load(text)) == spec


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"units": "4"}, "units"),
        ({"units": 0}, "units"),
        ({"layers": True}, "layers"),
        ({"look_back": 2.0}, "look_back"),
        ({"cell": "rnn"}, "cell"),
        ({"activation": "sigmoid"}, "activation"),
        ({"bidirectional": "yes"}, "bidirectional"),
        ({"masked": 1}, "masked"),
        ({"dropout": 0.1}, "dropout"),
        ({"horizon": None}, "horizon"),
    ],
)
def test_network_spec_rejects_bad_values(change: dict, key: str) -> None:
    d = {**_spec().to_dict(), **change}
    with pytest.raises(ArtifactError) as err:
        NetworkSpec.from_dict(d)
    message = str(err.value)
    assert f"'{key}'" in message and "\n" not in message


def test_network_spec_rejects_missing_keys_and_non_mappings() -> None:
    d = _spec().to_dict()
    del d["n_targets"]
    with pytest.raises(ArtifactError, match="missing key 'n_targets'"):
        NetworkSpec.from_dict(d)
    with pytest.raises(ArtifactError, match="must be a mapping"):
        NetworkSpec.from_dict(["lstm"])


# ---- weights file --------------------------------------------------------------------------


def test_weights_file_round_trip(tmp_path: Path) -> None:
    spec = _spec(cell="lstm", layers=2, bidirectional=True)
    arrays = _random_arrays(spec)
    x = np.random.default_rng(2).normal(size=(5, 4, 2)).astype(np.float32)
    mask = np.ones((5, 4), bool)
    mask[1, 2:] = False
    want = NumpyEngine(spec, arrays).predict(x, mask)

    path = tmp_path / "weights.npz"
    save_weights(path, arrays)
    assert path.exists() and not (tmp_path / "weights.npz.npz").exists()
    np.testing.assert_array_equal(load_engine(spec, path).predict(x, mask), want)

    buffer = io.BytesIO()
    save_weights(buffer, arrays)
    other = tmp_path / "other.bin"  # any name: nothing is appended to it
    other.write_bytes(buffer.getvalue())
    np.testing.assert_array_equal(load_engine(spec, other).predict(x, mask), want)


def _one_line_about(err: pytest.ExceptionInfo, *words: str) -> None:
    message = str(err.value)
    assert "\n" not in message
    for word in (*words, "retrain"):
        assert word in message, message


@pytest.mark.parametrize(
    "content", [b"", b"not a zip file at all", b"PK\x03\x04 truncated zip"], ids=str
)
def test_corrupt_weights_file(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "weights.npz"
    path.write_bytes(content)
    with pytest.raises(ArtifactError) as err:
        load_engine(_spec(), path)
    _one_line_about(err, str(path))


def test_truncated_and_missing_weights_files(tmp_path: Path) -> None:
    spec = _spec()
    path = tmp_path / "weights.npz"
    save_weights(path, _random_arrays(spec))
    path.write_bytes(path.read_bytes()[:-200])
    with pytest.raises(ArtifactError) as err:
        load_engine(spec, path)
    _one_line_about(err, str(path))
    with pytest.raises(ArtifactError) as err:
        load_engine(spec, tmp_path / "absent.npz")
    _one_line_about(err, "absent.npz", "missing")


def test_pickled_weights_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "weights.npz"
    np.savez(path, **{"head/bias": np.array([{"evil": 1}], dtype=object)})
    with pytest.raises(ArtifactError) as err:
        load_engine(_spec(), path)
    _one_line_about(err, str(path))
    with pytest.raises(ValueError, match="dtype object"):
        save_weights(tmp_path / "w.npz", {"a": np.array([None], dtype=object)})


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("rnn1/forward/recurrent_kernel", "shape"),
        ("rnn1/forward/bias", "missing"),
        ("rnn2/forward/kernel", "unexpected"),
        ("head/kernel", "NaN"),
    ],
)
def test_weights_that_do_not_fit_the_spec(tmp_path: Path, name: str, problem: str) -> None:
    spec = _spec()
    arrays = _random_arrays(spec)
    if problem == "shape":
        arrays[name] = np.zeros((2, 12), np.float32)
    elif problem == "missing":
        del arrays[name]
    elif problem == "unexpected":
        arrays[name] = np.zeros((3, 12), np.float32)
    else:
        arrays[name][0, 0] = np.nan
    with pytest.raises(ArtifactError, match=name):
        NumpyEngine(spec, arrays)
    path = tmp_path / "weights.npz"
    save_weights(path, arrays)
    with pytest.raises(ArtifactError) as err:
        load_engine(spec, path)
    _one_line_about(err, str(path), name)


# ---- no TensorFlow -------------------------------------------------------------------------


def test_numpy_engine_runs_without_tensorflow() -> None:
    script = textwrap.dedent(
        """
        import sys
        import numpy as np
        import rnncli.engine.numpy_engine as ne
        from rnncli.engine import NetworkSpec, weight_shapes

        spec = NetworkSpec("gru", 3, 2, True, "tanh", 4, 2, 2, 1, True)
        rng = np.random.default_rng(0)
        arrays = {k: rng.normal(size=s).astype("float32") for k, s in weight_shapes(spec).items()}
        engine = ne.NumpyEngine(spec, arrays)
        mask = np.ones((3, 4), bool)
        mask[0, 2:] = False
        out = engine.predict(rng.normal(size=(3, 4, 2)).astype("float32"), mask)
        assert out.shape == (3, 2, 1) and np.isfinite(out).all()
        loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("tensorflow", "keras"))
        assert not loaded, loaded
        print("ok")
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
