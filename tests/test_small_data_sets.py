"""The small data sets of the core: XOR, blobs and the digits split."""

from __future__ import annotations

import numpy as np

from model.data import blobs, digits_split, xor


def test_xor_labels_are_one_where_exactly_one_input_is_one():
    x, y = xor()
    np.testing.assert_array_equal(y[:, 0], np.logical_xor(x[:, 0], x[:, 1]))


def test_blobs_are_seeded_and_centred_on_their_centres():
    x, y = blobs(n=500, centres=[(-2.0, 0.0), (2.0, 1.0)], std=0.3, seed=4)
    np.testing.assert_array_equal(x, blobs(n=500, centres=[(-2.0, 0.0), (2.0, 1.0)], std=0.3,
                                           seed=4)[0])
    np.testing.assert_allclose(x[y == 1].mean(axis=0), [2.0, 1.0], atol=0.05)
    assert np.bincount(y).tolist() == [500, 500]


def test_digits_split_is_the_notebooks_898_899_split_of_every_sample():
    (x_train, y_train), (x_test, y_test) = digits_split()
    assert (len(x_train), len(x_test)) == (898, 899)
    assert y_train.shape == (898,) and set(np.unique(y_test)) == {0.0, 1.0}
    assert not np.array_equal(digits_split(split_seed=1)[0][0], x_train)
