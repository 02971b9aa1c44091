"""Tests for rnncli.dataset: chronological splits, train-only scaling, ragged panels, .npz files."""

import json
import zipfile
from pathlib import Path

import numpy as np
import pytest

from rnncli.columns import Columns
from rnncli.config import DataSpec, WindowSpec
from rnncli.data import Panel, Series, load_panel
from rnncli.dataset import build, spec_dict
from rnncli.errors import DataError
from rnncli.scaling import Scaler, fit_scale
from rnncli.splits import PANEL_SERIES, TEST, TRAIN, VAL, part_sizes
from rnncli.windowsfile import load_npz, save_npz

SAMPLE = Path(__file__).resolve().parent.parent / "sample_data"


def make_panel(*series: tuple[str, np.ndarray], n_targets: int = 1) -> Panel:
    """A panel of series given as (id, values (n,) or (n, k)), times = row positions."""
    items = []
    for sid, vals in series:
        vals = np.asarray(vals, dtype=np.float64)
        vals = vals[:, None] if vals.ndim == 1 else vals
        n = len(vals)
        items.append(Series(sid, np.arange(n, dtype=np.int64), vals, np.arange(n) + 2))
    n_inputs = items[0].values.shape[1]
    names = tuple(f"c{i}" for i in range(n_inputs))
    columns = Columns(None, names[:n_targets], names, "id" if len(items) > 1 else None)
    return Panel("test.csv", columns, tuple(items), None, ())


def pinned(**kw) -> WindowSpec:
    """A window spec with the fixed choices these tests count by hand, instead of the automatic
    defaults: look-back 30 and no padding (min look-back = look-back), val and test 10 % each,
    standard scaling, no log, no deseasonalisation."""
    options = {
        "look_back": 30,
        "val_size": 0.1,
        "test_size": 0.1,
        "scale": "standard",
        "transform": "none",
        "deseasonalize": "none",
        **kw,
    }
    options.setdefault("min_look_back", options["look_back"])
    return WindowSpec(**options)


def spec(**kw) -> WindowSpec:
    return pinned(**{"scale": "none", **kw})


# ---- splits ------------------------------------------------------------------------------------

# arange(20), look_back 3, horizon 2, val 4, test 4: train rows 0..11, val 12..15, test 16..19.
# Origins 3..18. Train: targets end by 12 (origins 3..10); val: origins 12..14; test 16..18.
# Origin 11 (targets 11, 12) and 15 (targets 15, 16) straddle two parts and are dropped.
ARANGE = make_panel(("s", np.arange(20)))
SPLIT_SPEC = spec(look_back=3, horizon=2, val_size=4, test_size=4)


def test_split_boundaries_exact() -> None:
    ds = build(ARANGE, SPLIT_SPEC)
    assert ds.sizes == {"train": [12], "val": [4], "test": [4]}
    assert ds.counts() == {"train": 8, "val": 3, "test": 3}
    # windows whose targets straddle two parts (origins 11 and 15) are labelled -1, unused
    assert ds.split.tolist() == [TRAIN] * 8 + [-1] + [VAL] * 3 + [-1] + [TEST] * 3
    first_target = ds.target_time[:, 0]
    assert first_target.tolist() == list(range(3, 19))
    np.testing.assert_array_equal(ds.target_time[:, 1], first_target + 1)
    used = first_target[ds.split >= 0]
    assert 11 not in used
    assert 15 not in used
    # every target step lies inside its own part
    train, val, test = (ds.target_time[ds.part(i)] for i in (TRAIN, VAL, TEST))
    assert train.min() >= 0
    assert train.max() == 11
    assert val.min() == 12
    assert val.max() == 15
    assert test.min() == 16
    assert test.max() == 19


def test_val_and_test_take_their_look_back_from_earlier_parts() -> None:
    ds = build(ARANGE, SPLIT_SPEC)
    val, test = ds.part(VAL), ds.part(TEST)
    np.testing.assert_array_equal(ds.x[val[0], :, 0], [9, 10, 11])  # all train rows
    np.testing.assert_array_equal(ds.y[val[0], :, 0], [12, 13])
    np.testing.assert_array_equal(ds.x[test[0], :, 0], [13, 14, 15])  # all val rows
    np.testing.assert_array_equal(ds.y[test[0], :, 0], [16, 17])
    np.testing.assert_array_equal(ds.y[test[-1], :, 0], [18, 19])
    for i in range(len(ds.x)):
        t = ds.target_time[i, 0]
        np.testing.assert_array_equal(ds.x[i, :, 0], [t - 3, t - 2, t - 1])
        np.testing.assert_array_equal(ds.y[i, :, 0], ds.target_time[i])


def test_fraction_sizes() -> None:
    ds = build(ARANGE, spec(look_back=3, horizon=1, val_size=0.2, test_size=0.1))
    assert ds.sizes == {"train": [14], "val": [4], "test": [2]}
    assert ds.target_time[ds.part(TRAIN)].max() == 13
    assert ds.target_time[ds.part(VAL)].tolist() == [[14], [15], [16], [17]]
    assert ds.target_time[ds.part(TEST)].tolist() == [[18], [19]]


def test_no_val_no_test() -> None:
    ds = build(ARANGE, spec(look_back=3, horizon=2, val_size=0, test_size=0))
    assert ds.counts() == {"train": 16, "val": 0, "test": 0}


def test_stride_with_splits() -> None:
    ds = build(ARANGE, spec(look_back=3, horizon=2, stride=3, val_size=4, test_size=4))
    # origins 3, 6, 9, 12, 15, 18: 15 straddles val/test
    assert ds.target_time[:, 0].tolist() == [3, 6, 9, 12, 15, 18]
    assert ds.split.tolist() == [TRAIN, TRAIN, TRAIN, VAL, -1, TEST]


def test_splits_are_per_series_in_a_panel() -> None:
    p = make_panel(("a", np.arange(20)), ("b", np.arange(10)))
    ds = build(p, spec(look_back=2, horizon=1, val_size=0.2, test_size=0.2))
    assert ds.sizes == {"train": [12, 6], "val": [4, 2], "test": [4, 2]}
    b = ds.series == 1
    assert ds.target_time[b & (ds.split == TRAIN)].max() == 5
    assert ds.target_time[b & (ds.split == VAL)].ravel().tolist() == [6, 7]
    assert ds.target_time[b & (ds.split == TEST)].ravel().tolist() == [8, 9]
    assert ds.series_ids == ["a", "b"]
    assert ds.series.dtype == np.int16  # int32 from 32,768 series on
    assert ds.split.dtype == np.int8


def test_nothing_left_to_train_on() -> None:
    with pytest.raises(DataError, match=r"the series has 20 steps: nothing left to train on"):
        build(ARANGE, spec(look_back=3, val_size=10, test_size=9))


def test_no_training_window() -> None:
    with pytest.raises(DataError, match="no training window"):
        build(ARANGE, spec(look_back=10, horizon=1, val_size=5, test_size=5))


def test_datetime_target_time_from_csv() -> None:
    p = load_panel(SAMPLE / "airpassengers.csv", DataSpec(), "air")
    ds = build(p, pinned(look_back=12, horizon=3, val_size=12, test_size=12))
    assert ds.target_time.dtype == np.dtype("datetime64[ns]")
    assert ds.target_time.shape == (len(ds.x), 3)
    test = ds.target_time[ds.part(TEST)]
    assert test.min() == np.datetime64("1960-01-01")
    assert test.max() == np.datetime64("1960-12-01")
    assert ds.target_time[ds.part(VAL)].max() == np.datetime64("1959-12-01")
    assert ds.x.dtype == np.float32
    assert ds.y.dtype == np.float32
    assert ds.mask is None


# ---- scaling -----------------------------------------------------------------------------------

RAW = np.array([3.0, 5.0, 4.0, 8.0, 10.0, 6.0, 7.0, 20.0, 30.0, 40.0])  # train = first 6 rows


def test_standard_scaling_uses_train_rows_only() -> None:
    ds = build(make_panel(("s", RAW)), pinned(look_back=2, val_size=2, test_size=2))
    train = [3.0, 5.0, 4.0, 8.0, 10.0, 6.0]
    mean = sum(train) / 6  # 6.0
    std = (sum((v - mean) ** 2 for v in train) / 6) ** 0.5  # population std: sqrt(34/6)
    assert mean == 6.0
    np.testing.assert_allclose(ds.scaler.center, [[mean]])
    np.testing.assert_allclose(ds.scaler.scale, [[std]])
    assert ds.scaler.method == "standard"
    np.testing.assert_allclose(ds.x[0, :, 0], [(3 - mean) / std, (5 - mean) / std], rtol=1e-6)
    np.testing.assert_allclose(ds.y[-1, 0, 0], (40 - mean) / std, rtol=1e-6)


def test_minmax_scaling_uses_train_rows_only() -> None:
    ds = build(make_panel(("s", RAW)), pinned(look_back=2, val_size=2, test_size=2, scale="minmax"))
    np.testing.assert_allclose(ds.scaler.center, [[3.0]])
    np.testing.assert_allclose(ds.scaler.scale, [[7.0]])  # 10 - 3
    np.testing.assert_allclose(ds.x[0, :, 0], [0.0, 2 / 7], rtol=1e-6)


def test_changing_the_test_part_does_not_change_the_scaler() -> None:
    ws = pinned(look_back=2, val_size=2, test_size=2)
    a = build(make_panel(("s", RAW)), ws)
    changed = RAW.copy()
    changed[-2:] = [-1e6, 1e6]
    b = build(make_panel(("s", changed)), ws)
    np.testing.assert_array_equal(a.scaler.center, b.scaler.center)
    np.testing.assert_array_equal(a.scaler.scale, b.scaler.scale)
    train = a.part(TRAIN)
    np.testing.assert_array_equal(a.x[train], b.x[train])
    np.testing.assert_array_equal(a.y[train], b.y[train])
    assert not np.array_equal(a.y[a.part(TEST)], b.y[b.part(TEST)])


def test_constant_training_part_has_unit_scale() -> None:
    center, scale = fit_scale(np.array([[2.0, 1.0], [2.0, 3.0]]), "standard")
    np.testing.assert_array_equal(center, [2.0, 2.0])
    np.testing.assert_array_equal(scale, [1.0, 1.0])
    center, scale = fit_scale(np.array([[5.0], [5.0]]), "minmax")
    np.testing.assert_array_equal(center, [5.0])
    np.testing.assert_array_equal(scale, [1.0])
    center, scale = fit_scale(np.array([[5.0], [7.0]]), "none")
    np.testing.assert_array_equal(center, [0.0])
    np.testing.assert_array_equal(scale, [1.0])


def test_per_series_scaling_in_a_panel() -> None:
    a = np.arange(20, dtype=np.float64)
    b = 1000 + 10 * np.arange(20, dtype=np.float64)
    ds = build(make_panel(("a", a), ("b", b)), pinned(look_back=3, val_size=4, test_size=4))
    np.testing.assert_allclose(ds.scaler.center[:, 0], [a[:12].mean(), b[:12].mean()])
    np.testing.assert_allclose(ds.scaler.scale[:, 0], [a[:12].std(), b[:12].std()])
    # an affine copy of a series scales to the same windows
    np.testing.assert_allclose(ds.x[ds.series == 0], ds.x[ds.series == 1], atol=1e-6)
    first_b = np.flatnonzero(ds.series == 1)[0]
    expected = (b[0:3] - b[:12].mean()) / b[:12].std()
    np.testing.assert_allclose(ds.x[first_b, :, 0], expected, rtol=1e-6)


def test_inverse_targets_round_trips() -> None:
    rng = np.random.default_rng(0)
    a = rng.normal(50, 5, size=(30, 2))  # two targets, different statistics
    b = rng.normal(-3, 0.1, size=(25, 2)) * [1, 100]
    ds = build(
        make_panel(("a", a), ("b", b), n_targets=2),
        pinned(look_back=4, horizon=3, val_size=0.2, test_size=0.2),
    )
    assert ds.y.shape[1:] == (3, 2)
    raw = np.concatenate([a, b])
    offset = np.where(ds.series == 0, 0, len(a))
    steps = ds.target_time + offset[:, None]
    np.testing.assert_allclose(ds.scaler.inverse_targets(ds.y, ds.series), raw[steps], rtol=1e-5)


def test_inverse_targets_with_extra_inputs() -> None:
    vals = np.stack([np.arange(12.0) * 3, np.arange(12.0) ** 2], axis=1)  # target, feature
    ds = build(make_panel(("s", vals)), pinned(look_back=2, val_size=0, test_size=0))
    assert ds.x.shape[2] == 2
    assert ds.y.shape[2] == 1
    back = ds.scaler.inverse_targets(ds.y, ds.series)
    np.testing.assert_allclose(back[:, 0, 0], vals[2:, 0], rtol=1e-5, atol=1e-5)


def test_scaler_dict_round_trip() -> None:
    scaler = Scaler(
        "standard", np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[5.0, 6.0], [7.0, 8.0]])
    )
    data = json.loads(json.dumps(scaler.to_dict(["a", "b"])))
    back = Scaler.from_dict(data, ["a", "b"])
    assert back.method == "standard"
    np.testing.assert_array_equal(back.center, scaler.center)
    np.testing.assert_array_equal(back.scale, scaler.scale)
    np.testing.assert_array_equal(scaler.transform(np.array([[3.0, 4.0]]), 1), [[0.0, 0.0]])


# ---- ragged panels -----------------------------------------------------------------------------


def test_short_series_gets_padded_masked_windows() -> None:
    p = make_panel(("long", np.arange(1, 11)), ("short", np.arange(1, 5)))
    ds = build(p, spec(look_back=4, horizon=1, min_look_back=2, val_size=0, test_size=0))
    assert ds.mask is not None
    assert ds.mask.shape == (len(ds.x), 4)
    short = np.flatnonzero(ds.series == 1)
    assert ds.target_time[short, 0].tolist() == [2, 3]
    np.testing.assert_array_equal(ds.x[short, :, 0], [[1, 2, 0, 0], [1, 2, 3, 0]])
    np.testing.assert_array_equal(
        ds.mask[short], [[True, True, False, False], [True, True, True, False]]
    )
    long = np.flatnonzero(ds.series == 0)
    assert ds.target_time[long, 0].tolist() == list(range(2, 10))
    assert ds.mask[long].sum(axis=1).tolist() == [2, 3, 4, 4, 4, 4, 4, 4]


def test_pre_padding_in_a_panel() -> None:
    p = make_panel(("long", np.arange(1, 11)), ("short", np.arange(1, 5)))
    ds = build(p, spec(look_back=4, horizon=1, min_look_back=2, pad="pre", val_size=0, test_size=0))
    short = np.flatnonzero(ds.series == 1)
    np.testing.assert_array_equal(ds.x[short, :, 0], [[0, 0, 1, 2], [0, 1, 2, 3]])
    np.testing.assert_array_equal(
        ds.mask[short], [[False, False, True, True], [False, True, True, True]]
    )


def test_series_too_short_even_for_min_look_back() -> None:
    p = make_panel(("ok", np.arange(10)), ("tiny", np.arange(2)))
    with pytest.raises(DataError) as info:
        build(p, spec(look_back=4, horizon=1, min_look_back=2, val_size=0, test_size=0))
    msg = str(info.value)
    assert "series 'tiny' has 2 time steps" in msg
    assert "look-back 2 + horizon 1 = 3" in msg
    assert "--skip-short" in msg


def test_skip_short() -> None:
    p = make_panel(("ok", np.arange(10)), ("tiny", np.arange(2)))
    ws = spec(look_back=4, horizon=1, min_look_back=2, val_size=0, test_size=0, skip_short=True)
    ds = build(p, ws)
    assert ds.skipped == ["tiny (2 steps)"]
    assert ds.series_ids == ["ok"]
    assert set(ds.series.tolist()) == {0}
    assert ds.scaler.center.shape == (1, 1)
    assert ds.sizes == {"train": [10], "val": [0], "test": [0]}


def test_skip_short_of_every_series() -> None:
    p = make_panel(("a", np.arange(3)), ("b", np.arange(2)))
    with pytest.raises(DataError, match="no series is long enough"):
        build(p, spec(look_back=5, skip_short=True))


def test_without_min_look_back_the_look_back_is_required() -> None:
    p = make_panel(("a", np.arange(10)), ("b", np.arange(4)))
    with pytest.raises(DataError, match=r"series 'b' has 4 time steps, fewer than look-back 4"):
        build(p, spec(look_back=4, val_size=0, test_size=0))


def test_sample_panel_ragged() -> None:
    p = load_panel(SAMPLE / "employment_panel.csv", DataSpec(id_col="series_id"), "panel")
    ds = build(p, pinned(look_back=300, min_look_back=24, horizon=12))
    assert len(ds.series_ids) == 6
    assert ds.mask is not None
    short = ds.series_ids.index("CEU2023800101")  # 225 rows < 300 + 12
    rows = np.flatnonzero(ds.series == short)
    assert len(rows) > 0
    assert not ds.mask[rows].all(axis=1).any()  # every window of it is padded
    assert ds.mask[rows].sum(axis=1).min() == 24
    padded = ~ds.mask[:, :, None] & np.ones_like(ds.x, dtype=bool)
    assert (ds.x[padded] == 0).all()


# ---- .npz files --------------------------------------------------------------------------------


def _ragged():
    p = make_panel(("long", np.arange(1, 21)), ("short", np.arange(1, 6)))
    ws = pinned(look_back=4, horizon=2, min_look_back=2, val_size=0.2, test_size=0.2)
    return p, build(p, ws)


def assert_same(a, b) -> None:
    for name in ("x", "y", "series", "split", "target_time"):
        got, want = getattr(a, name), getattr(b, name)
        assert got.dtype == want.dtype, name
        np.testing.assert_array_equal(got, want, err_msg=name)
    if a.mask is None:
        assert b.mask is None
    else:
        np.testing.assert_array_equal(a.mask, b.mask)
    assert a.series_ids == b.series_ids
    assert a.sizes == b.sizes
    np.testing.assert_array_equal(a.scaler.center, b.scaler.center)
    np.testing.assert_array_equal(a.scaler.scale, b.scaler.scale)
    assert a.scaler.method == b.scaler.method


def test_npz_round_trip_with_mask(tmp_path: Path) -> None:
    p, ds = _ragged()
    assert ds.mask is not None
    sd = spec_dict(p, ds)
    path = tmp_path / "sub" / "w.npz"
    save_npz(path, ds, sd)
    assert sorted(f.name for f in path.parent.iterdir()) == ["w.npz"]  # no temporary left
    back, spec_back = load_npz(path)
    assert_same(ds, back)
    assert spec_back == json.loads(json.dumps(sd))
    assert spec_back["window"]["min_look_back"] == 2
    assert spec_back["columns"]["targets"] == ["c0"]
    with np.load(path, allow_pickle=False) as f:
        required = {"x", "y", "mask", "series", "split", "target_time", "series_ids", "spec"}
        assert required <= set(f.files)
        assert json.loads(str(f["spec"]))["counts"] == ds.counts()


def test_npz_round_trip_datetimes_no_mask(tmp_path: Path) -> None:
    p = load_panel(SAMPLE / "airpassengers.csv", DataSpec(), "air")
    ws = pinned(look_back=12, horizon=2)
    ds = build(p, ws)
    path = tmp_path / "air.npz"
    save_npz(path, ds, spec_dict(p, ds))
    back, spec_back = load_npz(path)
    assert_same(ds, back)
    assert back.target_time.dtype == np.dtype("datetime64[ns]")
    assert spec_back["freq"] == "MS"
    assert spec_back["columns"]["time_col"] == "month"
    with np.load(path, allow_pickle=False) as f:
        assert "mask" not in f.files


def test_npz_overwrites(tmp_path: Path) -> None:
    p, ds = _ragged()
    path = tmp_path / "w.npz"
    path.write_bytes(b"old")
    save_npz(path, ds, spec_dict(p, ds))
    assert load_npz(path)[0].x.shape == ds.x.shape


def _bad_files(tmp_path: Path) -> dict[str, Path]:
    p, ds = _ragged()
    good = tmp_path / "good.npz"
    save_npz(good, ds, spec_dict(p, ds))
    files = {
        "garbage": b"this is not a zip file at all",
        "empty": b"",
        "truncated": good.read_bytes()[:100],
    }
    out = {}
    for name, data in files.items():
        out[name] = tmp_path / f"{name}.npz"
        out[name].write_bytes(data)
    out["foreign"] = tmp_path / "foreign.npz"
    np.savez(out["foreign"], a=np.arange(3))
    out["npy"] = tmp_path / "plain.npy"
    np.save(out["npy"], np.arange(3))
    out["bad_spec"] = tmp_path / "bad_spec.npz"
    with np.load(good) as f:
        arrays = {k: f[k] for k in f.files}
    np.savez(out["bad_spec"], **{**arrays, "spec": np.array("{not json")})
    out["list_spec"] = tmp_path / "list_spec.npz"
    np.savez(out["list_spec"], **{**arrays, "spec": np.array("[1, 2]")})
    out["pickled"] = tmp_path / "pickled.npz"
    np.savez(out["pickled"], **{**arrays, "spec": np.array([{"a": 1}], dtype=object)})
    out["zip"] = tmp_path / "other.npz"
    with zipfile.ZipFile(out["zip"], "w") as z:
        z.writestr("readme.txt", "hello")
    return out


@pytest.mark.parametrize(
    "kind",
    ["garbage", "empty", "truncated", "foreign", "npy", "bad_spec", "list_spec", "pickled", "zip"],
)
def test_corrupt_or_foreign_npz_is_a_data_error(tmp_path: Path, kind: str) -> None:
    path = _bad_files(tmp_path)[kind]
    with pytest.raises(DataError, match="is not a windows file written by 'rnncli ingest'"):
        load_npz(path)


def test_missing_npz(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="not found"):
        load_npz(tmp_path / "nope.npz")


# ---- automatic parts ---------------------------------------------------------------------------


def sizes(n: int, horizon: int = 3, n_series: int = 1, lag: int = 0, **kw) -> tuple:
    ws = WindowSpec(horizon=horizon, **kw)
    return part_sizes(ws, n, n - lag, n_series, 1 + horizon, "the series")


def test_auto_parts_of_a_panel_of_100_series_are_one_horizon_of_validation() -> None:
    """A big panel validates on each series' last horizon and holds out no test part."""
    assert PANEL_SERIES == 100
    assert sizes(50, horizon=3, n_series=100) == (47, 3, 0)
    assert sizes(500, horizon=6, n_series=250) == (494, 6, 0)
    # an explicit test size still holds one out
    assert sizes(50, horizon=3, n_series=100, test_size=3) == (44, 3, 3)


def test_auto_parts_of_a_smaller_panel_are_the_horizon_or_10_percent() -> None:
    assert sizes(50, horizon=3, n_series=99) == (40, 5, 5)  # 10 % of 50 = 5 > 3
    assert sizes(50, horizon=12) == (26, 12, 12)  # the horizon is longer
    assert sizes(144, horizon=1) == (116, 14, 14)  # 14.4 rounds to 14
    # with --difference the parts count the original series, the training part what is left
    assert sizes(60, horizon=2, lag=12) == (36, 6, 6)


def test_a_short_series_gets_no_val_or_test() -> None:
    # horizon 3, min look-back 1: a part is given while 4 training rows remain
    assert sizes(10) == (4, 3, 3)
    assert sizes(9) == (6, 3, 0)
    assert sizes(6) == (6, 0, 0)
    assert sizes(4) == (4, 0, 0)


def test_explicit_sizes_behave_as_before() -> None:
    assert sizes(50, val_size=0.2, test_size=5) == (35, 10, 5)
    assert sizes(6, val_size=2, test_size=2) == (2, 2, 2)  # kept even for a short series
    assert sizes(50, n_series=200, val_size=0, test_size=0.1) == (45, 0, 5)
    assert sizes(50, val_size=0) == (45, 0, 5)  # one explicit, the other automatic
    with pytest.raises(DataError, match="the series has 6 steps: nothing left to train on"):
        sizes(6, val_size=3, test_size=2)


def test_build_records_the_decided_spec() -> None:
    air = load_panel(SAMPLE / "airpassengers.csv", DataSpec(), "air")
    ds = build(air, WindowSpec(horizon=3))
    assert ds.spec is not None
    # season 12 (monthly), look-back ceil(1.25 x 12) = 15, every origin from 1 on
    assert (ds.spec.season, ds.spec.look_back, ds.spec.min_look_back) == (12, 15, 1)
    assert ds.x.shape[1] == 15 and ds.mask is not None
    # 116 - 3 = 113 training windows, fewer than 500: seasonal differences instead of the
    # seasonal indices, 12 rows fewer
    assert ds.few_windows and ds.spec.difference == 12 and ds.spec.deseasonalize == "none"
    assert ds.origin.min() == 1 and len(ds.x) == 132 - 3  # origins 1 .. 129
    assert ds.sizes == {"train": [104], "val": [14], "test": [14]}
    # deseasonalize yes: never the few-windows rule
    ds = build(air, WindowSpec(horizon=3, deseasonalize="yes"))
    assert ds.spec is not None and not ds.few_windows and ds.spec.difference is None
    assert len(ds.x) == 144 - 3 and ds.sizes == {"train": [116], "val": [14], "test": [14]}
    # --season overrides the frequency: look-back ceil(1.25 x max(3, 4)) = 5
    ds = build(air, WindowSpec(horizon=3, season=4))
    assert ds.spec is not None and (ds.spec.season, ds.spec.look_back) == (4, 5)
    # explicit values are kept; positions have no season: look-back at least 2
    ds = build(ARANGE, spec(look_back=None, min_look_back=None, horizon=1, val_size=0))
    assert ds.spec is not None and (ds.spec.season, ds.spec.look_back) == (1, 2)
    assert ds.spec.min_look_back == 1


def test_prices_default_windows() -> None:
    prices = load_panel(SAMPLE / "prices.csv", DataSpec(target=("Close",)), "prices")
    ds = build(prices, WindowSpec())
    assert ds.spec is not None
    # business days: season 5, look-back ceil(6.25) = 7; 750 rows, origins 1 .. 749
    assert (ds.spec.season, ds.spec.look_back, ds.spec.min_look_back) == (5, 7, 1)
    assert ds.x.shape == (749, 7, 1)
    # val and test: 10 % of 750 each; train windows: origins 1 .. 599
    assert ds.sizes == {"train": [600], "val": [75], "test": [75]}
    assert ds.counts() == {"train": 599, "val": 75, "test": 75}


# ---- automatic scaling -------------------------------------------------------------------------


def test_auto_scale_of_a_target_that_is_not_logged() -> None:
    target = np.array([0.0, 2, -4, 6, 8, 10, 12, 14, 16, 18])  # a zero: no log
    feature = np.arange(1.0, 11.0)
    ws = WindowSpec(look_back=2, min_look_back=2, val_size=2, test_size=2, deseasonalize="none")
    ds = build(make_panel(("s", np.column_stack([target, feature]))), ws)
    assert ds.transforms is not None and ds.transforms[0].log == (False,)
    assert ds.scaler.method == "auto"
    # the target: center 0, scale its training rows' mean |value| (0+2+4+6+8+10) / 6 = 5
    # the feature: standardised on its training rows 1..6
    np.testing.assert_allclose(ds.scaler.center, [[0.0, 3.5]])
    np.testing.assert_allclose(ds.scaler.scale, [[5.0, np.sqrt(35 / 12)]])
    np.testing.assert_allclose(ds.y[:, 0, 0], target[2:] / 5, rtol=1e-6)
    np.testing.assert_allclose(ds.x[0, :, 1], (feature[:2] - 3.5) / np.sqrt(35 / 12), rtol=1e-6)


def test_auto_scale_of_a_logged_target_is_none() -> None:
    target = np.array([1.0, 2, 4, 8, 16, 32, 64, 128, 256, 512])
    feature = np.array([5.0, 1, 5, 1, 5, 1, 0, 0, 0, 0])
    ws = WindowSpec(look_back=2, min_look_back=2, val_size=2, test_size=2)
    ds = build(make_panel(("s", np.column_stack([target, feature]))), ws)
    assert ds.transforms is not None and ds.transforms[0].log == (True,)
    np.testing.assert_allclose(ds.scaler.center, [[0.0, 3.0]])  # feature: mean 3, std 2
    np.testing.assert_allclose(ds.scaler.scale, [[1.0, 2.0]])
    np.testing.assert_allclose(ds.y[:, 0, 0], np.log(target[2:]), rtol=1e-6)
    np.testing.assert_allclose(ds.x[0, :, 1], [1.0, -1.0])


def test_auto_scale_with_transform_none_and_a_zero_target() -> None:
    ws = WindowSpec(look_back=2, val_size=0, test_size=0, transform="none")
    ds = build(make_panel(("s", np.array([3.0, 5.0, 4.0, 8.0]))), ws)
    np.testing.assert_allclose(ds.scaler.scale, [[5.0]])  # (3 + 5 + 4 + 8) / 4
    ds = build(make_panel(("s", np.zeros(4))), ws)
    np.testing.assert_allclose(ds.scaler.scale, [[1.0]])  # all zero: unit scale


# ---- .npz files with transforms ----------------------------------------------------------------


def test_npz_keeps_the_transforms_and_their_phases(tmp_path: Path) -> None:
    prices = load_panel(SAMPLE / "prices.csv", DataSpec(target=("Close",)), "prices")
    ds = build(prices, WindowSpec(horizon=2, difference=5, deseasonalize="yes"))
    path = tmp_path / "prices.npz"
    save_npz(path, ds, spec_dict(prices, ds))
    back, spec_back = load_npz(path)
    assert back.spec == ds.spec and spec_back["window"]["look_back"] == 7
    assert back.transforms == ds.transforms and back.transforms is not None
    assert back.transforms[0].log == (True,) and len(back.transforms[0].season[0]) == 5
    assert back.ordinals is not None and ds.ordinals is not None and ds.base is not None
    np.testing.assert_array_equal(back.ordinals[0], ds.ordinals[0])
    assert back.base is not None
    np.testing.assert_allclose(back.base[0], ds.base[0], rtol=1e-12)
    # the way back to original units is the same: a perfect forecast is the original targets
    idx = back.part(TEST)
    got = back.originals.to_original(back.y[idx], back.series[idx], back.origin[idx])
    np.testing.assert_allclose(got, ds.original_targets(idx), rtol=1e-5)
