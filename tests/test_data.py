"""model/data.py: MNIST from folders, env, cache and a local mirror; digits; synthetic sets.

The loader's mechanisms run on a small fake MNIST written by the tests (its checksums patched in
as the canonical ones where verification is under test); only the facts about the canonical
files themselves need the real data set.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import http.server
import struct
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from conftest import REAL_MNIST, FakeMnist, needs_real_mnist
from scipy.optimize import linprog
from sklearn.linear_model import LogisticRegression

from model import data

MNIST_GZ = [stem + ".gz" for stem in data.MNIST_SHA256]

# Facts from shared/data/mnist/README.md.
FIRST_TRAIN_LABELS = [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
TEST_LABEL_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]

# What dl2024-a1 (001_*.txt, section 1.6) prints after standardising with the unbiased std.
DL2024_MIN, DL2024_MAX = -0.8117526680606131, 1.8474621222310277


@pytest.fixture
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No $MNIST_DIR, an empty cache under tmp_path, and no mirror that could be reached."""
    monkeypatch.delenv("MNIST_DIR", raising=False)
    monkeypatch.delenv("MNIST_MIRROR", raising=False)
    monkeypatch.delenv("MNIST_UNVERIFIED", raising=False)
    monkeypatch.setenv("NNREPORT_CACHE", str(tmp_path / "cache"))
    return tmp_path


@pytest.fixture
def canonical(fake_mnist: FakeMnist, monkeypatch: pytest.MonkeyPatch) -> FakeMnist:
    """The fake set's checksums stand in for the canonical ones, so verification is exercised."""
    monkeypatch.setattr(data, "MNIST_SHA256", fake_mnist.sha256())
    return fake_mnist


def _files_under(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


def _mnist_folder_with(source: Path, folder: Path, damaged: str, damage: str) -> Path:
    """A copy of `source`'s four files, `damaged` truncated or with one byte flipped."""
    folder.mkdir()
    for name in MNIST_GZ:
        if name != damaged:
            (folder / name).symlink_to(source / name)
    payload = bytearray((source / damaged).read_bytes())
    if damage == "truncated":
        payload = payload[: len(payload) // 2]
    else:
        payload[len(payload) // 2] ^= 0xFF
    (folder / damaged).write_bytes(bytes(payload))
    return folder


# --- The canonical files ---------------------------------------------------------------------


@needs_real_mnist
def test_real_mnist_has_canonical_shapes_range_and_labels(isolated: Path) -> None:
    (xtrain, ytrain), (xtest, ytest), num_cls = data.load_mnist(
        final=True, folder=REAL_MNIST, download=False
    )
    assert num_cls == 10
    assert xtrain.shape == (60_000, 784) and xtest.shape == (10_000, 784)
    assert xtrain.min() == 0.0 and xtrain.max() == 1.0
    assert ytrain[:10].tolist() == FIRST_TRAIN_LABELS
    assert np.bincount(ytest, minlength=10).tolist() == TEST_LABEL_COUNTS
    (x39, y39), (x39_test, y39_test) = data.load_mnist_3_vs_9(folder=REAL_MNIST, download=False)
    assert x39.shape == (12_080, 784) and x39_test.shape == (2_019, 784)
    assert np.bincount(y39).tolist() == [6_131, 5_949]
    assert np.bincount(y39_test).tolist() == [1_010, 1_009]


def test_real_mnist_is_not_required_by_the_checksums_of_the_fake(fake_mnist: FakeMnist) -> None:
    assert set(fake_mnist.sha256()) == set(data.MNIST_SHA256)
    assert fake_mnist.sha256() != data.MNIST_SHA256


# --- Loading, splitting and scaling (on the fake set) ----------------------------------------


def test_mnist_final_scales_pixels_and_keeps_labels(isolated: Path, canonical: FakeMnist) -> None:
    (xtrain, ytrain), (xtest, ytest), num_cls = data.load_mnist(
        final=True, folder=canonical.folder, download=False
    )
    assert num_cls == 10
    assert xtrain.shape == (len(canonical.train_labels), 784)
    assert xtest.shape == (len(canonical.test_labels), 784)
    assert xtrain.dtype == np.float64 and ytrain.dtype == np.int64
    assert xtrain.min() == 0.0 and xtrain.max() == 1.0
    np.testing.assert_array_equal(ytrain, canonical.train_labels)
    np.testing.assert_array_equal(ytest, canonical.test_labels)


def test_mnist_is_found_via_env_var_with_chosen_dtype(
    isolated: Path, canonical: FakeMnist, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MNIST_DIR", str(canonical.folder))
    (xtrain, ytrain), _, _ = data.load_mnist(final=True, dtype=np.float32, download=False)
    assert xtrain.dtype == np.float32
    np.testing.assert_array_equal(ytrain, canonical.train_labels)
    # 255 * x gives back the stored integers: the scaling is exactly division by 255.
    np.testing.assert_array_equal(np.rint(xtrain[:100] * 255),
                                  canonical.train_images[:100].reshape(100, -1))


def test_mnist_validation_split_holds_out_the_last_training_images(
    isolated: Path, canonical: FakeMnist
) -> None:
    load = functools.partial(data.load_mnist, folder=canonical.folder, dtype=np.float32,
                             download=False)
    n = len(canonical.train_labels)
    (xtrain, ytrain), (xval, yval), _ = load()
    (full_x, full_y), _, _ = load(final=True)
    assert xtrain.shape == (n - 5_000, 784) and xval.shape == (5_000, 784)
    np.testing.assert_array_equal(xval, full_x[-5_000:])
    np.testing.assert_array_equal(ytrain, full_y[: n - 5_000])
    (_, _), (xval10, _), _ = load(num_val=1_000)
    assert xval10.shape == (1_000, 784)


def test_mnist_3_vs_9_keeps_only_threes_and_nines_labelled_0_and_1(
    isolated: Path, canonical: FakeMnist
) -> None:
    (xtrain, ytrain), (xtest, ytest) = data.load_mnist_3_vs_9(folder=canonical.folder,
                                                              download=False)
    train_counts = [int(np.sum(canonical.train_labels == d)) for d in (3, 9)]
    assert xtrain.shape == (sum(train_counts), 784)
    assert np.bincount(ytrain).tolist() == train_counts
    assert 0.0 <= xtrain.min() and xtrain.max() <= 1.0
    # Order is kept: the first test images of the subset are the first 3s and 9s of the test set.
    labels = canonical.test_labels
    first = np.flatnonzero((labels == 3) | (labels == 9))[:20]
    np.testing.assert_array_equal(np.rint(xtest[:20] * 255),
                                  canonical.test_images[first].reshape(20, -1))
    assert ytest[:20].tolist() == [int(label == 9) for label in labels[first]]


def test_mnist_arrays_are_decoded_once_and_read_only(isolated: Path, canonical: FakeMnist) -> None:
    first = data.read_mnist(canonical.folder, download=False)
    second = data.read_mnist(canonical.folder, download=False)
    assert all(a is b for a, b in zip(first, second, strict=True))
    assert not first[0].flags.writeable


def test_uncompressed_files_in_a_folder_are_accepted(isolated: Path, canonical: FakeMnist) -> None:
    folder = isolated / "plain"
    folder.mkdir()
    for name in MNIST_GZ:
        if "labels" in name:
            (folder / name.removesuffix(".gz")).write_bytes(
                gzip.decompress((canonical.folder / name).read_bytes())
            )
        else:
            (folder / name).symlink_to(canonical.folder / name)
    (_, ytrain), (_, ytest), _ = data.load_mnist(final=True, folder=folder, download=False)
    np.testing.assert_array_equal(ytrain, canonical.train_labels)
    np.testing.assert_array_equal(ytest, canonical.test_labels)


# --- A user's own MNIST-format files ---------------------------------------------------------


def test_non_canonical_files_are_refused_unless_mnist_unverified(
    isolated: Path, fake_mnist: FakeMnist, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MNIST_DIR", str(fake_mnist.folder))
    with pytest.raises(data.DataError, match="is corrupt or truncated"):
        data.load_mnist(download=False)
    monkeypatch.setenv("MNIST_UNVERIFIED", "1")
    (_, ytrain), _, _ = data.load_mnist(download=False)
    np.testing.assert_array_equal(ytrain, fake_mnist.train_labels[:-5_000])


def test_unverified_files_get_a_fingerprint_of_their_own(
    isolated: Path, fake_mnist: FakeMnist, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    canonical = data.fingerprint("mnist")
    monkeypatch.setenv("MNIST_DIR", str(fake_mnist.folder))
    monkeypatch.setenv("MNIST_UNVERIFIED", "1")
    fake = data.fingerprint("mnist")
    other = tmp_path / "other"
    _mnist_folder_with(fake_mnist.folder, other, "t10k-labels-idx1-ubyte.gz", "flipped byte")
    monkeypatch.setenv("MNIST_DIR", str(other))
    assert len({canonical, fake, data.fingerprint("mnist")}) == 3


def test_unverified_never_applies_to_the_cache_or_downloads(
    isolated: Path, fake_mnist: FakeMnist, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = data.mnist_cache_dir()
    cache.mkdir(parents=True)
    for name in MNIST_GZ:
        (cache / name).symlink_to(fake_mnist.folder / name)
    monkeypatch.setenv("MNIST_UNVERIFIED", "1")
    with pytest.raises(data.DataError, match="not found"):
        data.load_mnist(download=False)


# --- MNIST errors ----------------------------------------------------------------------------


@pytest.mark.parametrize("damage", ["truncated", "flipped byte"])
def test_loader_rejects_a_damaged_file_naming_it_and_what_to_do(
    isolated: Path, canonical: FakeMnist, damage: str
) -> None:
    folder = _mnist_folder_with(canonical.folder, isolated / "mnist",
                                "train-labels-idx1-ubyte.gz", damage)
    with pytest.raises(data.DataError) as info:
        data.load_mnist(folder=folder, download=False)
    message = str(info.value)
    assert str(folder / "train-labels-idx1-ubyte.gz") in message
    assert "corrupt or truncated" in message
    assert "MNIST_DIR=" in message and "download" in message
    assert len(message.splitlines()) <= 2


def test_damaged_file_in_mnist_dir_is_reported_as_found_there(
    isolated: Path, canonical: FakeMnist, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _mnist_folder_with(canonical.folder, isolated / "mnist",
                                "t10k-images-idx3-ubyte.gz", "flipped byte")
    monkeypatch.setenv("MNIST_DIR", str(folder))
    with pytest.raises(data.DataError, match=r"t10k-images-idx3-ubyte\.gz \(found via \$MNIST_DIR"):
        data.load_mnist(download=False)


def test_missing_files_error_lists_where_it_looked(
    isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty_arg, empty_env = isolated / "arg", isolated / "env"
    empty_arg.mkdir()
    empty_env.mkdir()
    monkeypatch.setenv("MNIST_DIR", str(empty_env))
    with pytest.raises(data.DataError) as info:
        data.load_mnist(folder=empty_arg, download=False)
    message = str(info.value)
    assert "train-images-idx3-ubyte.gz not found" in message
    for place in (empty_arg, empty_env, data.mnist_cache_dir()):
        assert str(place) in message
    assert "download disabled" in message
    assert "MNIST_DIR=" in message
    assert len(message.splitlines()) <= 2


# --- IDX reader ------------------------------------------------------------------------------


def _idx_bytes(array: np.ndarray, type_code: int) -> bytes:
    header = bytes([0, 0, type_code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def test_read_idx_decodes_plain_and_gzip_files_of_several_types(tmp_path: Path) -> None:
    ints = np.arange(-6, 6, dtype=np.int32).reshape(3, 4)
    pixels = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    (tmp_path / "ints.idx").write_bytes(_idx_bytes(ints, 0x0C))
    (tmp_path / "pixels.idx.gz").write_bytes(gzip.compress(_idx_bytes(pixels, 0x08)))
    decoded_ints = data.read_idx(tmp_path / "ints.idx")
    decoded_pixels = data.read_idx(tmp_path / "pixels.idx.gz")
    np.testing.assert_array_equal(decoded_ints, ints)
    np.testing.assert_array_equal(decoded_pixels, pixels)
    assert decoded_ints.dtype == np.int32 and decoded_pixels.dtype == np.uint8


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (_idx_bytes(np.zeros((4, 5), np.uint8), 0x08)[:-3], "truncated or corrupt"),
        (_idx_bytes(np.zeros((4, 5), np.uint8), 0x08) + b"\0", "truncated or corrupt"),
        (b"\0\0\x08\x03\0\0", "header"),
        (b"PK\x03\x04 not idx", "not an IDX file"),
        (b"", "not an IDX file"),
        (gzip.compress(b"\0\0\x08\x01\0\0\0\x10" + bytes(16))[:-8], "gzip stream"),
    ],
    ids=["short-body", "long-body", "short-header", "bad-magic", "empty", "truncated-gzip"],
)
def test_read_idx_rejects_malformed_files_naming_them(
    tmp_path: Path, payload: bytes, expected: str
) -> None:
    path = tmp_path / "bad.idx"
    path.write_bytes(payload)
    with pytest.raises(data.IdxFormatError, match=expected) as info:
        data.read_idx(path)
    assert str(path) in str(info.value)


# --- Download from a local mirror ------------------------------------------------------------


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        """Keep the test output clean."""


@pytest.fixture
def mirror(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A folder served over HTTP on 127.0.0.1 as $MNIST_MIRROR; the server stops afterwards."""
    root = tmp_path / "served"
    root.mkdir()
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    monkeypatch.setenv("MNIST_MIRROR", f"http://127.0.0.1:{server.server_address[1]}/")
    # A proxy configured in the environment must not intercept the loopback requests.
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.setattr(data, "DOWNLOAD_TIMEOUT_S", 10.0)
    try:
        yield root
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_download_fills_an_empty_cache_and_later_loads_use_it(
    isolated: Path, mirror: Path, canonical: FakeMnist
) -> None:
    for name in MNIST_GZ:
        (mirror / name).symlink_to(canonical.folder / name)
    cache = data.mnist_cache_dir()
    # A damaged file already in the cache is replaced, not trusted.
    cache.mkdir(parents=True)
    (cache / "t10k-labels-idx1-ubyte.gz").write_bytes(b"damaged")

    (_, ytrain), (_, ytest), _ = data.load_mnist(final=True)

    np.testing.assert_array_equal(ytrain, canonical.train_labels)
    np.testing.assert_array_equal(ytest, canonical.test_labels)
    assert sorted(p.name for p in _files_under(cache)) == sorted(MNIST_GZ)
    for name in MNIST_GZ:
        digest = hashlib.sha256((cache / name).read_bytes()).hexdigest()
        assert digest == data.MNIST_SHA256[name.removesuffix(".gz")][0]
    # With the mirror emptied, the cache alone serves the next load.
    for name in MNIST_GZ:
        (mirror / name).unlink()
    (_, again), _, _ = data.load_mnist(final=True)
    np.testing.assert_array_equal(again, ytrain)


def test_corrupted_download_is_rejected_and_leaves_no_file_in_cache(
    isolated: Path, mirror: Path, canonical: FakeMnist
) -> None:
    for name in MNIST_GZ:
        payload = bytearray((canonical.folder / name).read_bytes())
        payload[100] ^= 0xFF
        (mirror / name).write_bytes(bytes(payload))

    with pytest.raises(data.DataError) as info:
        data.load_mnist(final=True)

    message = str(info.value)
    assert "train-images-idx3-ubyte.gz not found" in message
    assert "checksum mismatch" in message
    assert "MNIST_DIR=" in message
    assert _files_under(data.mnist_cache_dir()) == []


def test_mirror_without_the_files_is_reported(isolated: Path, mirror: Path) -> None:
    with pytest.raises(data.DataError, match="HTTPError 404") as info:
        data.load_mnist(download=True)
    assert "train-images-idx3-ubyte.gz" in str(info.value)
    assert _files_under(data.mnist_cache_dir()) == []


# --- digits ----------------------------------------------------------------------------------


def test_digits_with_unbiased_std_reproduce_what_dl2024_prints() -> None:
    x, y = data.load_digits_binary(ddof=1)
    summary = data.summarize(x, y)
    assert summary.x_shape == (1797, 64) and summary.y_shape == (1797,)
    assert summary.x_min == pytest.approx(DL2024_MIN, rel=1e-12)
    assert summary.x_max == pytest.approx(DL2024_MAX, rel=1e-12)
    assert summary.labels == (0.0, 1.0)
    assert x.dtype == np.float64 and y.dtype == np.float64


def test_digits_with_numpy_std_are_standardised_like_dl2023() -> None:
    x, y = data.load_digits_binary(ddof=0)
    assert abs(x.mean()) < 1e-12
    assert x.std() == pytest.approx(1.0, rel=1e-12)
    # ddof changes only the scale: the two versions differ by sqrt(N / (N - 1)).
    x1, _ = data.load_digits_binary(ddof=1)
    np.testing.assert_allclose(x / x1, np.sqrt(x.size / (x.size - 1)), rtol=1e-12)
    from sklearn.datasets import load_digits

    np.testing.assert_array_equal(y, (load_digits()["target"] < 5).astype(float))


def test_digits_loads_are_independent_copies() -> None:
    x, _ = data.load_digits_binary()
    x[:] = 0.0
    assert data.load_digits_binary()[0].max() > 1.0


def test_split_reproduces_dl2023_half_split() -> None:
    x, y = data.load_digits_binary()
    (x_train, y_train), (x_test, y_test) = data.split(x, y, [0.5], seed=12345)
    assert (len(x_train), len(x_test)) == (898, 899)
    order = np.random.default_rng(12345).permutation(len(x))
    np.testing.assert_array_equal(x_train, x[order[:898]])
    np.testing.assert_array_equal(y_test, y[order[898:]])


def test_split_into_three_parts_is_a_partition() -> None:
    x = np.arange(100.0)[:, None]
    parts = data.split(x, x[:, 0], [0.6, 0.25], seed=3)
    assert [len(px) for px, _ in parts] == [60, 25, 15]
    joined = np.concatenate([px[:, 0] for px, _ in parts])
    np.testing.assert_array_equal(np.sort(joined), np.arange(100.0))
    assert all(np.array_equal(px[:, 0], py) for px, py in parts)


@pytest.mark.parametrize("fractions", [[0.7, 0.4], [-0.1]])
def test_split_rejects_fractions_outside_the_unit_budget(fractions: list[float]) -> None:
    with pytest.raises(ValueError, match="fractions"):
        data.split(np.zeros((10, 2)), np.zeros(10), fractions, seed=0)


# --- synthetic sets --------------------------------------------------------------------------


def test_synth_is_deterministic_for_a_seed_and_has_the_loader_shapes() -> None:
    (xtrain, ytrain), (xval, yval), num_cls = data.load_synth(num_train=500, num_val=200, seed=4)
    (xtrain2, ytrain2), (xval2, _), _ = data.load_synth(num_train=500, num_val=200, seed=4)
    (other, _), _, _ = data.load_synth(num_train=500, num_val=200, seed=5)
    assert num_cls == 2
    assert xtrain.shape == (500, 2) and xval.shape == (200, 2) and yval.shape == (200,)
    assert xtrain.dtype == np.float64 and ytrain.dtype == np.int64
    np.testing.assert_array_equal(xtrain, xtrain2)
    np.testing.assert_array_equal(ytrain, ytrain2)
    np.testing.assert_array_equal(xval, xval2)
    assert not np.array_equal(xtrain, other)


def test_synth_is_balanced_and_defeats_a_line_but_not_a_curve() -> None:
    (x, y), (xval, yval), _ = data.load_synth(num_train=4_000, num_val=2_000, seed=0)
    assert 0.47 < y.mean() < 0.53
    line = LogisticRegression().fit(x, y)
    assert line.score(xval, yval) < 0.65
    squares = LogisticRegression().fit(np.hstack([x, x**2]), y)
    assert squares.score(np.hstack([xval, xval**2]), yval) > 0.97


def test_five_points_lie_in_the_square_and_are_not_linearly_separable() -> None:
    x, y = data.five_points()
    assert x.shape == (5, 2) and y.shape == (5, 1)
    assert np.all(np.abs(x) <= 2.0)
    assert set(y[:, 0].tolist()) == {0.0, 1.0}
    # A separating line w.x + b would satisfy s_i (w.x_i + b) >= 1 with s_i = +-1; the linear
    # program for it must be infeasible (status 2).
    signs = 2 * y[:, 0] - 1
    a_ub = -signs[:, None] * np.hstack([x, np.ones((5, 1))])
    result = linprog(np.zeros(3), A_ub=a_ub, b_ub=-np.ones(5), bounds=[(None, None)] * 3)
    assert result.status == 2


def test_five_points_returns_fresh_arrays() -> None:
    x, _ = data.five_points()
    x[:] = 9.0
    assert np.all(np.abs(data.five_points()[0]) <= 2.0)


def test_toy_batch_has_the_4_2_1_shapes_and_is_deterministic_for_a_seed() -> None:
    x_batch, y_batch, weights, biases = data.make_toy_batch(seed=7, n=5)
    assert x_batch.shape == (5, 4) and y_batch.shape == (5,)
    assert set(y_batch.tolist()) == {0, 1}
    assert [w.shape for w in weights] == [(4, 2), (2, 1)]
    assert [b.shape for b in biases] == [(1, 2), (1, 1)]
    again = data.make_toy_batch(seed=7, n=5)
    np.testing.assert_array_equal(again[0], x_batch)
    np.testing.assert_array_equal(again[2][0], weights[0])
    assert not np.array_equal(data.make_toy_batch(seed=8, n=5)[0], x_batch)


def test_toy_batch_file_round_trips_and_is_written_atomically(tmp_path: Path) -> None:
    path = data.save_toy_batch(tmp_path / "out", seed=2)
    first_bytes = path.read_bytes()
    assert path.name == "test_batch_weights_biases.pkl"
    (x_batch, y_batch, weights, biases) = data.load_toy_batch(path)
    expected = data.make_toy_batch(seed=2)
    np.testing.assert_array_equal(x_batch, expected[0])
    np.testing.assert_array_equal(y_batch, expected[1])
    for got, want in zip(weights + biases, expected[2] + expected[3], strict=True):
        np.testing.assert_array_equal(got, want)
    data.save_toy_batch(tmp_path / "out", seed=2)
    assert path.read_bytes() == first_bytes
    assert [p.name for p in (tmp_path / "out").iterdir()] == [path.name]


def test_toy_batch_through_file_is_the_seeded_batch_as_its_pickle_reads_back(monkeypatch) -> None:
    written, save = [], data.save_toy_batch

    def spy(*args: object, **kwargs: object) -> Path:
        written.append(save(*args, **kwargs))
        return written[-1]

    monkeypatch.setattr(data, "save_toy_batch", spy)
    x_batch, y_batch, weights, biases = data.toy_batch_through_file(seed=3, n=4)
    expected = data.make_toy_batch(seed=3, n=4)
    for got, want in zip([x_batch, y_batch, *weights, *biases],
                         [expected[0], expected[1], *expected[2], *expected[3]], strict=True):
        np.testing.assert_array_equal(got, want)
    assert len(written) == 1 and not written[0].exists()  # read from a file, then cleaned up


# --- fingerprints ----------------------------------------------------------------------------


def test_fingerprints_are_stable_short_and_distinct() -> None:
    names = ["mnist", "digits", "synth", "five_points", "toy_batch"]
    prints = [data.fingerprint(name) for name in names]
    assert prints == [data.fingerprint(name) for name in names]
    assert len(set(prints)) == len(names)
    assert all(len(p) == 16 and int(p, 16) >= 0 for p in prints)


def test_mnist_fingerprint_follows_the_checksums(monkeypatch: pytest.MonkeyPatch) -> None:
    before = data.fingerprint("mnist")
    changed = dict(data.MNIST_SHA256, **{"t10k-labels-idx1-ubyte": ("0" * 64, "0" * 64)})
    monkeypatch.setattr(data, "MNIST_SHA256", changed)
    assert data.fingerprint("mnist") != before


def test_fingerprint_rejects_unknown_names() -> None:
    with pytest.raises(ValueError, match="unknown data set 'cifar'"):
        data.fingerprint("cifar")


def test_exact_summary_adds_exactly_summed_extremes_to_the_summary():
    raw = np.array([[0.0, 1.0], [2.0, 7.0]])
    x = (raw - raw.mean()) / raw.std(ddof=1)
    stats = data.exact_summary(raw, x, np.array([0.0, 1.0]), ddof=1)
    assert stats["x_shape"] == (2, 2) and stats["labels"] == (0.0, 1.0)
    # mean 2.5, sum of squares 29, std sqrt(29 / 3)
    assert stats["exact_min"] == pytest.approx(-2.5 / np.sqrt(29 / 3), abs=1e-15)
    assert stats["exact_max"] == pytest.approx(4.5 / np.sqrt(29 / 3), abs=1e-15)
    assert stats["x_min"] == pytest.approx(stats["exact_min"], rel=1e-14)


def test_digits_overview_reports_the_split_sizes_raw_images_and_which_digits_are_one():
    stats = data.digits_overview({"ddof": 1, "train_fraction": 0.5, "split_seed": 12345})
    assert (stats["n_train"], stats["n_val"]) == (898, 899)
    raw, digit = data.digits_raw()
    np.testing.assert_array_equal(stats["first_ten"], raw[:10])
    x, y = data.load_digits_binary(ddof=1)
    np.testing.assert_array_equal(stats["first_ten_labels"], y[:10])
    assert stats["label_one_digits"] == sorted(set(digit[y == 1].tolist()))
    assert stats["x_min"] == x.min() and stats["x_shape"] == (1797, 64)


def test_digits_are_read_as_scikit_learn_loads_them_without_importing_it():
    """digits_raw reads load_digits' own table: the same arrays, the same dtypes, and no
    scikit-learn import in a process that only wants the digits."""
    import subprocess
    import sys

    from sklearn.datasets import load_digits

    from model.data import digits_raw

    data, target = digits_raw()
    bunch = load_digits()
    np.testing.assert_array_equal(data, bunch["data"])
    np.testing.assert_array_equal(target, bunch["target"])
    assert (data.dtype, target.dtype) == (np.float64, bunch["target"].dtype)
    probe = ("import sys; from model.data import digits_raw; digits_raw(); "
             "print('sklearn' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True, cwd=Path(__file__).resolve().parent.parent)
    assert out.stdout.strip() == "False"
