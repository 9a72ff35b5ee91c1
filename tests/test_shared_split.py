"""model.data.shared_split: one scaled MNIST split per process and file set, read-only."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import FakeMnist, write_fake_mnist

from model import data


def test_shared_split_is_the_loaders_split_made_once_and_read_only(
        fake_mnist_env: FakeMnist) -> None:
    first = data.shared_split(data.load_mnist_3_vs_9)
    again = data.shared_split(data.load_mnist_3_vs_9)
    (x, y), (x_test, y_test) = data.load_mnist_3_vs_9()
    assert again is first
    for shared, fresh in zip((*first[0], *first[1]), (x, y, x_test, y_test), strict=True):
        np.testing.assert_array_equal(shared, fresh)
        assert not shared.flags.writeable
    with pytest.raises(ValueError, match="read-only"):
        first[0][0][0, 0] = 1.0


def test_shared_split_keeps_options_apart(fake_mnist_env: FakeMnist) -> None:
    split64 = data.shared_split(data.load_mnist, final=True)
    split32 = data.shared_split(data.load_mnist, final=True, dtype=np.float32)
    held = data.shared_split(data.load_mnist, final=False, dtype=np.float32)
    assert (split64[0][0].dtype, split32[0][0].dtype) == (np.float64, np.float32)
    assert len(held[0][0]) == len(split32[0][0]) - 5_000


def test_shared_split_reads_other_files_afresh(fake_mnist_env: FakeMnist, tmp_path: Path) -> None:
    before = data.shared_split(data.load_mnist_3_vs_9)
    other = write_fake_mnist(tmp_path / "other", seed=1)
    with data.mnist_folder(other.folder):
        after = data.shared_split(data.load_mnist_3_vs_9)
    assert not np.array_equal(before[1][1], after[1][1])
    np.testing.assert_array_equal(after[1][1], data.load_mnist_3_vs_9(folder=other.folder)[1][1])
