"""The data sets the five reports run on: sklearn's digits, MNIST and three small synthetic sets.

Every loader is deterministic (fixed files checked by sha256, or seeded generators), returns NumPy
arrays, and fails with a `DataError` whose message says which file, where it looked and what to do.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import gzip
import hashlib
import importlib.util
import math
import os
import pickle
import struct
import tempfile
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt


class DataError(RuntimeError):
    """A data set could not be found, fetched or read; the message says what to do about it."""


class IdxFormatError(DataError):
    """A file is not a well-formed IDX file (bad magic number, or a size its header contradicts)."""


# ---------------------------------------------------------------------------------------------
# sklearn digits (dl2023-a1 and dl2024-a1, section 1.6)


@functools.lru_cache(maxsize=1)
def digits_raw() -> tuple[np.ndarray, np.ndarray]:
    """sklearn's digits as loaded, before any scaling: pixels (1797, 64) float64 and the digit
    0-9 of each image (1797,), both read-only."""
    # The table load_digits reads, read the way it reads it, without importing scikit-learn
    # (~0.9 CPU-s in every process that loads the digits, against 0.02 s for the file).
    spec = importlib.util.find_spec("sklearn")
    table = (Path(spec.origin).parent / "datasets" / "data" / "digits.csv.gz"
             if spec is not None and spec.origin else None)
    if table is not None and table.is_file():
        rows = np.loadtxt(table, delimiter=",")
        data, target = rows[:, :-1], rows[:, -1].astype(int)
    else:  # a scikit-learn that keeps the table elsewhere
        from sklearn.datasets import load_digits

        bunch = load_digits()
        data, target = bunch["data"].astype(np.float64), bunch["target"]
    data.flags.writeable = False
    target.flags.writeable = False
    return data, target


def load_digits_binary(ddof: int = 0) -> tuple[np.ndarray, np.ndarray]:
    r"""sklearn's 8x8 digits as a binary problem, standardised with one global mean and std.

    x <- (x - mean(x)) / std(x, ddof) over all 1797 * 64 pixel values at once, as both notebooks
    do. ddof=0 is NumPy's default std (dl2023); ddof=1 is the unbiased std that torch.std computes
    (dl2024). The label is 1.0 for the digits 0-4 and 0.0 for 5-9, as the notebooks' code sets it.

    Returns:
        x: (1797, 64) float64, standardised pixels.
        y: (1797,) float64 in {0.0, 1.0}.
    """
    data, target = digits_raw()
    x = data - data.mean()
    x /= x.std(ddof=ddof)
    return x, (target < 5).astype(np.float64)


def split(
    x: np.ndarray, y: np.ndarray, fractions: Sequence[float], seed: int
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Shuffle with `np.random.default_rng(seed).permutation` and cut into consecutive parts.

    Part i holds int(n * fractions[i]) samples and one more part holds the rest, so
    `split(x, y, [0.5], 12345)` is dl2023's 898/899 train/test split. dl2024 drew its
    permutation from torch's generator, which NumPy cannot reproduce; its report uses this
    split, whose sizes (898/899) are the same.

    Args:
        x: (n, ...) samples.
        y: (n, ...) targets.
        fractions: the share of n for every part but the last; their sum must be at most 1.
        seed: seed of the permutation.

    Returns:
        len(fractions) + 1 pairs (x_part, y_part), together a partition of the samples.
    """
    if len(x) != len(y):
        raise ValueError(f"x has {len(x)} samples but y has {len(y)}")
    if any(f < 0 for f in fractions) or sum(fractions) > 1:
        raise ValueError(f"fractions must be non-negative and sum to at most 1, got {fractions}")
    n = len(x)
    order = np.random.default_rng(seed).permutation(n)
    cuts = np.cumsum([int(n * f) for f in fractions])
    return [(x[part], y[part]) for part in np.split(order, cuts)]


def digits_split(
    ddof: int = 0, train_fraction: float = 0.5, split_seed: int = 12345
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """`load_digits_binary(ddof)` cut by `split` into ((x_train, y_train), (x_test, y_test)).

    The defaults are the notebooks' seeded 50/50 split (898/899); x (n, 64), y (n,).
    """
    x, y = load_digits_binary(ddof=ddof)
    train, test = split(x, y, [train_fraction], split_seed)
    return train, test


@dataclass(frozen=True)
class Summary:
    """The statistics the notebooks print about a data set before training on it."""

    x_shape: tuple[int, ...]
    y_shape: tuple[int, ...]
    x_min: float
    x_max: float
    labels: tuple[float, ...]


def summarize(x: np.ndarray, y: np.ndarray) -> Summary:
    """Shapes, value range and distinct labels of a data set, as plain Python values."""
    return Summary(
        x_shape=tuple(x.shape),
        y_shape=tuple(y.shape),
        x_min=float(np.min(x)),
        x_max=float(np.max(x)),
        labels=tuple(np.unique(y).tolist()),
    )


# ---------------------------------------------------------------------------------------------
# MNIST (hw2-mnist and mlp-numpy)

# For each canonical file: the sha256 of its gzip form and of its decompressed form, so that a
# folder holding either is accepted and verified.
MNIST_SHA256 = {
    "train-images-idx3-ubyte": (
        "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
        "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    ),
    "train-labels-idx1-ubyte": (
        "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
        "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    ),
    "t10k-images-idx3-ubyte": (
        "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
        "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    ),
    "t10k-labels-idx1-ubyte": (
        "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
        "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    ),
}
# Public mirrors of the original files; MNIST_MIRROR replaces them (tests point it at a local
# server).
MNIST_MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)
DOWNLOAD_TIMEOUT_S = 60.0

_IDX_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path: str | os.PathLike[str]) -> np.ndarray:
    """Decode one IDX file, gzip-compressed or plain (told apart by the gzip magic bytes).

    Raises:
        IdxFormatError: the gzip stream is damaged, the magic number is not IDX's, or the file
            holds a different number of bytes than its header's dimensions imply.
    """
    path = Path(path)
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (EOFError, OSError, zlib.error) as exc:
            raise IdxFormatError(f"{path}: gzip stream is truncated or corrupt ({exc})") from None
    if len(raw) < 4 or raw[:2] != b"\0\0" or raw[2] not in _IDX_DTYPES:
        raise IdxFormatError(f"{path}: not an IDX file (magic number {raw[:4].hex() or 'empty'})")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise IdxFormatError(f"{path}: truncated inside its {header}-byte header")
    dims = struct.unpack(f">{ndim}I", raw[4:header])
    dtype = np.dtype(_IDX_DTYPES[raw[2]])
    expected = header + math.prod(dims) * dtype.itemsize
    if len(raw) != expected:
        raise IdxFormatError(
            f"{path}: {len(raw)} bytes but its header (shape {dims}) implies {expected}; "
            "the file is truncated or corrupt"
        )
    data = np.frombuffer(raw, dtype, offset=header).reshape(dims)
    return data.astype(dtype.newbyteorder("="), copy=False)


def mnist_cache_dir() -> Path:
    """Where downloaded MNIST files go: $NNREPORT_CACHE/mnist, else the user cache's nnreport/."""
    root = os.environ.get("NNREPORT_CACHE")
    if not root:
        import pooch

        root = pooch.os_cache("nnreport")
    return Path(root) / "mnist"


def _sha256(path: Path) -> str:
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _download(stem: str, cache: Path) -> tuple[Path | None, list[str]]:
    """Fetch `stem`.gz into `cache` from each mirror in turn; (path, []) or (None, failures)."""
    import pooch

    fname = stem + ".gz"
    mirror = os.environ.get("MNIST_MIRROR")
    bases = (mirror,) if mirror else MNIST_MIRRORS
    downloader = pooch.HTTPDownloader(timeout=DOWNLOAD_TIMEOUT_S, chunk_size=1 << 16)
    failures = []
    for base in bases:
        url = base.rstrip("/") + "/" + fname
        try:
            path = pooch.retrieve(
                url,
                known_hash="sha256:" + MNIST_SHA256[stem][0],
                fname=fname,
                path=cache,
                downloader=downloader,
            )
            return Path(path), []
        except ValueError:
            # pooch has already deleted the temporary file, so nothing bad reaches the cache.
            failures.append(f"{url}: checksum mismatch, download rejected")
        except OSError as exc:  # requests' errors derive from OSError too
            # requests' messages run to several hundred characters; the kind and status suffice.
            status = getattr(getattr(exc, "response", None), "status_code", None)
            failures.append(f"{url}: {type(exc).__name__}" + (f" {status}" if status else ""))
    return None, failures


# The build's `[data] mnist_dir`, set around each experiment by `mnist_folder`: a context
# variable, not an environment variable, so the config beats $MNIST_DIR and nothing leaks out.
_CONFIGURED_MNIST: contextvars.ContextVar[Path | None] = contextvars.ContextVar(
    "configured_mnist_dir", default=None
)


@contextlib.contextmanager
def mnist_folder(folder: str | os.PathLike[str] | None) -> Iterator[None]:
    """Within the block, loaders given no folder look in `folder` first (before $MNIST_DIR)."""
    token = _CONFIGURED_MNIST.set(Path(folder) if folder is not None else None)
    try:
        yield
    finally:
        _CONFIGURED_MNIST.reset(token)


def configured_mnist_folder() -> Path | None:
    """The folder `mnist_folder` set, if any: what a worker process must be handed (with
    `mnist_folder`) so that it reads the same files as the build that started it."""
    return _CONFIGURED_MNIST.get()


def unverified() -> bool:
    """Whether $MNIST_UNVERIFIED=1 lets user folders hold MNIST-format files of their own.

    Only the argument folder and $MNIST_DIR are affected (a subset, or the small fake set the
    tests write); the cache and downloads are always checked against the canonical sha256.
    """
    return os.environ.get("MNIST_UNVERIFIED") == "1"


def _locate(stem: str, folder: str | os.PathLike[str] | None, download: bool) -> Path:
    """The verified path of one canonical MNIST file: argument folder (else the configured
    folder, see `mnist_folder`), $MNIST_DIR, cache, mirror.

    A bad file in the first two places is an error (those copies are the user's own); a bad file
    in the cache is replaced by a download.
    """
    places = []
    if folder is not None:
        places.append(("argument folder", Path(folder)))
    elif configured_mnist_folder() is not None:
        places.append(("[data] mnist_dir", configured_mnist_folder()))
    if os.environ.get("MNIST_DIR"):
        places.append(("$MNIST_DIR", Path(os.environ["MNIST_DIR"])))
    for where, place in places:
        gz_sha, raw_sha = MNIST_SHA256[stem]
        for path, expected in ((place / (stem + ".gz"), gz_sha), (place / stem, raw_sha)):
            if path.is_file():
                if unverified():
                    return path
                digest = _sha256(path)
                if digest == expected:
                    return path
                raise DataError(
                    f"MNIST file {path} (found via {where}) is corrupt or truncated: its sha256 "
                    f"{digest[:12]}... is not the canonical {expected[:12]}...\n"
                    "Replace it with the canonical file, or remove it and set "
                    "MNIST_DIR=<folder with the four files> or let the loader download it."
                )
    cache = mnist_cache_dir()
    cached = cache / (stem + ".gz")
    if cached.is_file() and _sha256(cached) == MNIST_SHA256[stem][0]:
        return cached
    failures = ["download disabled"]
    if download:
        path, failures = _download(stem, cache)
        if path is not None:
            return path
    looked = ", ".join(f"{where} {place}" for where, place in places) or "no folder given"
    raise DataError(
        f"MNIST file {stem}.gz not found (looked in: {looked}, cache {cache}; "
        f"{'; '.join(failures)}).\n"
        f"Set MNIST_DIR=<folder with the four MNIST files> or let the loader download them."
    )


@functools.lru_cache(maxsize=4)
def _decode(paths: tuple[Path, ...], stamps: tuple[tuple[int, int], ...]) -> tuple[np.ndarray, ...]:
    # `stamps` (size, mtime) is only part of the key, so that a replaced file is decoded afresh.
    arrays = tuple(read_idx(path) for path in paths)
    for array in arrays:
        array.flags.writeable = False
    return arrays


def read_mnist(
    folder: str | os.PathLike[str] | None = None, download: bool = True
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The four canonical MNIST arrays as stored, located, verified, and decoded once per process.

    Each file is looked for, in order, in `folder` (else the build's `[data] mnist_dir`, see
    `mnist_folder`), in $MNIST_DIR, in `mnist_cache_dir()`, and
    finally fetched from the mirrors (MNIST_MIRROR if set) into the cache, unless download=False.
    Every file is checked against its sha256 before use.

    Returns:
        Read-only arrays shared between calls: train images (60000, 28, 28) uint8, train labels
        (60000,) uint8, test images (10000, 28, 28) uint8, test labels (10000,) uint8.

    Raises:
        DataError: a file is missing everywhere and cannot be downloaded, or a file is corrupt.
    """
    paths = tuple(_locate(stem, folder, download).resolve() for stem in MNIST_SHA256)
    stamps = tuple((p.stat().st_size, p.stat().st_mtime_ns) for p in paths)
    return _decode(paths, stamps)


def _scaled(images: np.ndarray, dtype: npt.DTypeLike) -> np.ndarray:
    x = images.reshape(len(images), -1).astype(dtype)
    x /= 255
    return x


def load_mnist(
    final: bool = False,
    num_val: int = 5_000,
    folder: str | os.PathLike[str] | None = None,
    dtype: npt.DTypeLike = np.float64,
    download: bool = True,
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray], int]:
    """MNIST in the roles mlp-numpy's loader gives it: ((xtrain, ytrain), (xval, yval), 10).

    final=False keeps the test set hidden and returns the last `num_val` training images as the
    validation set (5,000, as the loader the assignment links did); final=True returns the full
    training set and the canonical test set. Pixels are scaled to [0, 1]. See `read_mnist` for
    where the files are looked for.

    Returns:
        xtrain: (N, 784) `dtype`, ytrain: (N,) int64, with N = 60000 - num_val or 60000.
        xval: (M, 784) `dtype`, yval: (M,) int64, with M = num_val or 10000.
        num_cls: 10.
    """
    train_images, train_labels, test_images, test_labels = read_mnist(folder, download)
    if final:
        train = (train_images, train_labels)
        held_out = (test_images, test_labels)
    else:
        if not 0 < num_val < len(train_images):
            raise ValueError(f"num_val must be in 1..{len(train_images) - 1}, got {num_val}")
        cut = len(train_images) - num_val
        train = (train_images[:cut], train_labels[:cut])
        held_out = (train_images[cut:], train_labels[cut:])
    return (
        (_scaled(train[0], dtype), train[1].astype(np.int64)),
        (_scaled(held_out[0], dtype), held_out[1].astype(np.int64)),
        10,
    )


def load_mnist_3_vs_9(
    folder: str | os.PathLike[str] | None = None,
    dtype: npt.DTypeLike = np.float64,
    download: bool = True,
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """hw2's subset: the 3s and 9s of both canonical splits, a 3 labelled 0 and a 9 labelled 1.

    Pixels are divided by 255 and each image is flattened to 784 values; order is kept.

    Returns:
        (xtrain (12080, 784) `dtype`, ytrain (12080,) int64),
        (xtest (2019, 784) `dtype`, ytest (2019,) int64).
    """
    train_images, train_labels, test_images, test_labels = read_mnist(folder, download)
    parts = []
    for images, labels in ((train_images, train_labels), (test_images, test_labels)):
        keep = (labels == 3) | (labels == 9)
        parts.append((_scaled(images[keep], dtype), (labels[keep] == 9).astype(np.int64)))
    return parts[0], parts[1]


# ---------------------------------------------------------------------------------------------
# Synthetic sets

# The median distance from the origin of a standard 2-D normal point: P(|x| < r) = 1 - exp(-r²/2).
SYNTH_RADIUS = math.sqrt(2 * math.log(2))


def load_synth(
    num_train: int = 60_000, num_val: int = 10_000, seed: int = 0
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray], int]:
    """mlp-numpy Q4's synthetic set: standard-normal 2-D points, class 1 inside a disk.

    A point x ~ N(0, I) has class 1 when |x| < SYNTH_RADIUS = sqrt(2 ln 2), the median radius,
    so both classes have probability 1/2. A line cannot separate a disk from its surroundings
    (a linear classifier stays near chance), while a hidden layer of three sigmoid units can
    enclose it with a triangle; the values need no normalisation.

    Returns:
        (xtrain (num_train, 2) float64, ytrain (num_train,) int64),
        (xval (num_val, 2) float64, yval (num_val,) int64),
        num_cls = 2.
    """
    x = np.random.default_rng(seed).standard_normal((num_train + num_val, 2))
    y = (np.linalg.norm(x, axis=1) < SYNTH_RADIUS).astype(np.int64)
    return (x[:num_train], y[:num_train]), (x[num_train:], y[num_train:]), 2


def five_points() -> tuple[np.ndarray, np.ndarray]:
    """lab4's five-point data set, our own: the lab does not give its points.

    Two opposite corners of [-2, 2]^2 are class 1; the other two corners and a point near the
    centre are class 0. Like XOR, no line separates the classes, so a tanh network has to bend
    its boundary into a band along the class-0 diagonal. The points are slightly irregular so
    that no symmetry of the square maps the data set onto itself.

    Returns:
        x: (5, 2) float64 in [-2, 2]^2.
        y: (5, 1) float64 in {0.0, 1.0}, a column like the network's output.
    """
    x = np.array([[-1.5, 1.2], [1.3, -1.4], [-1.2, -1.5], [1.5, 1.1], [0.1, -0.2]])
    y = np.array([[1.0], [1.0], [0.0], [0.0], [0.0]])
    return x, y


def xor() -> tuple[np.ndarray, np.ndarray]:
    """The four corners of the unit square, class 1 where exactly one coordinate is 1.

    Returns:
        x: (4, 2) float64 in {0, 1}^2.
        y: (4, 1) float64 in {0.0, 1.0}, a column like a one-output network's.
    """
    x = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    return x, np.array([[0.0], [1.0], [1.0], [0.0]])


def blobs(
    n: int = 200, centres: Sequence[Sequence[float]] = ((-1.0, -1.0), (1.0, 1.0)),
    std: float = 0.5, seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian blobs, one class per centre, `n` samples each, from default_rng(seed).

    Returns:
        x: (n * len(centres), d) float64, the samples of class 0 first.
        y: (n * len(centres),) int64 class indices.
    """
    rng = np.random.default_rng(seed)
    centres = np.asarray(centres, dtype=float)
    x = np.concatenate([c + std * rng.standard_normal((n, centres.shape[1])) for c in centres])
    return x, np.repeat(np.arange(len(centres)), n)


TOY_BATCH_FILENAME = "test_batch_weights_biases.pkl"


def make_toy_batch(
    seed: int = 0, n: int = 3
) -> tuple[np.ndarray, np.ndarray, list[np.ndarray], list[np.ndarray]]:
    """A seeded stand-in for hw2's toy pickle: a batch and the parameters of a 4-2-1 network.

    hw2's own file is not available. Weights are standard normal (not hw2's 0.01 init) so that
    the gradients printed to two decimals are not all zero; biases are N(0, 0.5²) row vectors.
    Both labels occur whenever n >= 2.

    Returns:
        X_batch: (n, 4) float64.
        y_batch: (n,) int64 in {0, 1}.
        weight_matrices: [(4, 2), (2, 1)] float64.
        biases: [(1, 2), (1, 1)] float64.
    """
    rng = np.random.default_rng(seed)
    x_batch = rng.standard_normal((n, 4))
    y_batch = rng.permutation(np.arange(n) % 2).astype(np.int64)
    weights = [rng.standard_normal((4, 2)), rng.standard_normal((2, 1))]
    biases = [0.5 * rng.standard_normal((1, 2)), 0.5 * rng.standard_normal((1, 1))]
    return x_batch, y_batch, weights, biases


def save_toy_batch(folder: str | os.PathLike[str], seed: int = 0, n: int = 3) -> Path:
    """Write `make_toy_batch(seed, n)` as hw2 expects its pickle, atomically; return its path.

    The file is a pickled tuple (X_batch, y_batch, weight_matrices, biases), so hw2's
    `(X_batch, y_batch, weight_matrices, biases) = pickle.load(fn)` reads it unchanged.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / TOY_BATCH_FILENAME
    with tempfile.NamedTemporaryFile(dir=folder, prefix=".toy-", delete=False) as tmp:
        # A fixed protocol keeps the bytes identical across Python versions.
        pickle.dump(make_toy_batch(seed, n), tmp, protocol=4)
    os.replace(tmp.name, target)
    return target


def load_toy_batch(
    path: str | os.PathLike[str],
) -> tuple[np.ndarray, np.ndarray, list[np.ndarray], list[np.ndarray]]:
    """Read a pickle written by `save_toy_batch` (our own file, so unpickling it is safe)."""
    with Path(path).open("rb") as f:
        return pickle.load(f)


# ---------------------------------------------------------------------------------------------
# Identity for cache keys


def _digest_arrays(*arrays: np.ndarray) -> str:
    h = hashlib.sha256()
    for a in arrays:
        h.update(f"{a.dtype.str}{a.shape}".encode())
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()


def fingerprint(name: str) -> str:
    """A short (16 hex digits) stable identity of a data set's content, for cache keys.

    "mnist": the canonical files' sha256 (the loader accepts no other content), or with
    $MNIST_UNVERIFIED=1 the sha256 of the files $MNIST_DIR holds; "digits": the
    raw sklearn arrays; "synth", "five_points", "toy_batch": the arrays their generators make
    with default arguments, so any change to a generator changes its fingerprint. Callers add
    their own arguments (seed, ddof, ...) to their keys.
    """
    if name == "mnist" and unverified():
        # Results computed on other files must never be taken for canonical ones.
        content = "unverified:" + ",".join(
            _sha256(_locate(stem, None, download=False)) for stem in MNIST_SHA256)
    elif name == "mnist":
        content = ",".join(gz_sha for gz_sha, _ in MNIST_SHA256.values())
    elif name == "digits":
        content = _digest_arrays(*digits_raw())
    elif name == "synth":
        (xtrain, ytrain), (xval, yval), _ = load_synth()
        content = _digest_arrays(xtrain, ytrain, xval, yval)
    elif name == "five_points":
        content = _digest_arrays(*five_points())
    elif name == "toy_batch":
        x_batch, y_batch, weights, biases = make_toy_batch()
        content = _digest_arrays(x_batch, y_batch, *weights, *biases)
    else:
        known = "mnist, digits, synth, five_points, toy_batch"
        raise ValueError(f"unknown data set {name!r}; known: {known}")
    return hashlib.sha256(f"{name}:{content}".encode()).hexdigest()[:16]


def square_grid(lim: float, n: int) -> tuple[np.ndarray, np.ndarray]:
    """An n x n grid over [-lim, lim]^2, to evaluate a classifier on for a decision-boundary plot.

    Returns:
        axis: (n,) the coordinates along either axis.
        points: (n * n, 2); row r * n + c is (axis[c], axis[r]), so outputs reshaped to (n, n)
            are what `contourf(axis, axis, out)` reads.
    """
    axis = np.linspace(-lim, lim, n)
    xx, yy = np.meshgrid(axis, axis)
    return axis, np.column_stack([xx.ravel(), yy.ravel()])


def square_symmetries(x: np.ndarray, labels: np.ndarray) -> int:
    """How many of the seven symmetries of the square other than the identity (rotations and
    reflections about the origin) map the labelled points (x (n, 2), labels (n,)) onto
    themselves: 0 means no mirror image of a solution is automatically another one."""
    def labelled(m: np.ndarray) -> set:
        return {(tuple(p), label) for p, label in zip((x @ m).tolist(), np.ravel(labels).tolist(),
                                                      strict=True)}

    # The signed permutation matrices, the identity first.
    square = [np.diag(s) @ p for p in (np.eye(2), np.eye(2)[::-1])
              for s in ((1, 1), (1, -1), (-1, 1), (-1, -1))]
    return sum(labelled(m) == labelled(square[0]) for m in square[1:])


# ---------------------------------------------------------------------------------------------
# MNIST splits shared by the runs of one process

_SPLITS: list[tuple[tuple, tuple[np.ndarray, ...], object]] = []
_SPLITS_KEPT = 2  # one split and its `final` twin: ~400 MB of float32 at most


def shared_split(loader: Callable[..., Any], **options: object) -> Any:
    """loader(**options) (`load_mnist` or `load_mnist_3_vs_9`), scaled once per process and per
    set of MNIST files, its arrays read-only.

    A sweep runs many points in one worker process, and each would otherwise scale the same
    55,000 images again (0.3 s of a 5 s run). The arrays are shared by every caller, hence
    read-only: a caller that writes into one gets an error instead of changing the next run's
    data. The result is reused only while `read_mnist` returns the very arrays it was made
    from, so replaced files (or another `mnist_folder`) give a fresh split.
    """
    raw = read_mnist(options.get("folder"), options.get("download", True))
    key = (loader, tuple(sorted(options.items(), key=lambda item: item[0])))
    for i, (known, source, split) in enumerate(_SPLITS):
        if known == key and all(a is b for a, b in zip(source, raw, strict=True)):
            _SPLITS.append(_SPLITS.pop(i))
            return split
    split = loader(**options)
    for array in _arrays(split):
        array.flags.writeable = False
    _SPLITS.append((key, raw, split))
    del _SPLITS[:-_SPLITS_KEPT]
    return split


def _arrays(value: object) -> Iterator[np.ndarray]:
    """Every ndarray in a nest of tuples and lists."""
    if isinstance(value, np.ndarray):
        yield value
    elif isinstance(value, tuple | list):
        for item in value:
            yield from _arrays(item)


# --- a data set's printed statistics, recomputed with exact sums --------------------------------


def exact_summary(raw: np.ndarray, x: np.ndarray, y: np.ndarray, ddof: int = 0) -> dict:
    """`summarize(x, y)` as a dict (x_shape, y_shape, x_min, x_max, labels) of the data x
    standardised from `raw` with one global mean and std, plus `exact_min` and `exact_max`:
    the same extremes with the mean and the sum of squares summed exactly (`math.fsum`).

    A notebook's printed extremes that differ from x's in the last digits, while ours equal the
    exact ones, differ by its summation order, not by its method (`digits_overview` uses it).
    """
    centred = raw - math.fsum(raw.ravel()) / raw.size
    std = math.sqrt(math.fsum((centred * centred).ravel()) / (raw.size - ddof))
    return dict(vars(summarize(x, y))) | {"exact_min": float(centred.min() / std),
                                        "exact_max": float(centred.max() / std)}


# --- what both digits notebooks print before training ------------------------------------------


def digits_overview(config: dict[str, Any]) -> dict:
    """What the digits notebooks print before training, for `digits_split`'s settings (ddof,
    train_fraction, split_seed), as an experiment: `exact_summary` of the standardised set,
    its first ten images as loaded and their labels (an image strip draws each image from its
    own min to max, so they look as the standardised ones), the digits labelled 1
    (`label_one_digits`), and the split's sizes `n_train` and `n_val`."""
    (raw, digit), (x, y) = digits_raw(), load_digits_binary(ddof=config["ddof"])
    (x_train, _), (x_val, _) = digits_split(**config)
    return exact_summary(raw, x, y, config["ddof"]) | {
        "first_ten": raw[:10], "first_ten_labels": y[:10],
        "label_one_digits": np.unique(digit[y == 1]).tolist(),
        "n_train": len(x_train), "n_val": len(x_val)}


# --- a split's parts keyed by name ----------------------------------------------------------------

def keyed(parts: Sequence[tuple[np.ndarray, np.ndarray]],
          names: Sequence[str] = ("train", "val")) -> tuple[dict[str, np.ndarray],
                                                           dict[str, np.ndarray]]:
    """A split's (x, y) parts (`split`, `digits_split`) as two dicts keyed by the parts'
    `names`: ({"train": x_train, "val": x_val}, {"train": y_train, "val": y_val}), the form of
    an API that takes x["train"] and y["val"] (dl2024's `fit`)."""
    if len(parts) != len(names):
        raise ValueError(f"{len(parts)} parts but {len(names)} names")
    return ({name: x for name, (x, _) in zip(names, parts, strict=True)},
            {name: y for name, (_, y) in zip(names, parts, strict=True)})


# --- the toy batch as a reader of hw2's pickle gets it --------------------------------------------

def toy_batch_through_file(
    seed: int = 0, n: int = 3
) -> tuple[np.ndarray, np.ndarray, list[np.ndarray], list[np.ndarray]]:
    """`make_toy_batch(seed, n)` written by `save_toy_batch` to a temporary folder and read
    back by `load_toy_batch`: exactly what code that reads hw2's own pickle would get."""
    with tempfile.TemporaryDirectory() as folder:
        return load_toy_batch(save_toy_batch(folder, seed=seed, n=n))
