"""Hidden-unit probes and the small data sets of the core."""

from __future__ import annotations

import numpy as np

from model import Linear, Net, ReLU, Sigmoid, Tanh
from model.data import blobs, digits_split, xor
from model.probes import dead_units, hidden_outputs, saturated_fraction


def _net() -> Net:
    first = Linear.from_params(np.array([[1.0, -1.0, 0.0]]), np.array([0.0, 0.0, -1.0]))
    second = Linear.from_params(np.array([[1.0], [1.0], [1.0]]), np.array([0.0]))
    return Net([first, ReLU(), second, Sigmoid()])


def test_hidden_outputs_are_the_activations_before_the_output_layer():
    outputs = hidden_outputs(_net(), np.array([[2.0], [-3.0]]))
    assert len(outputs) == 1
    np.testing.assert_array_equal(outputs[0], [[2.0, 0.0, 0.0], [0.0, 3.0, 0.0]])


def test_dead_units_count_the_relus_that_never_fire():
    assert dead_units(_net(), np.array([[2.0], [-3.0]])) == 1  # the third unit: bias -1
    assert dead_units(_net(), np.array([[2.0]])) == 2


def test_saturated_fraction_counts_hidden_tanh_outputs_beyond_the_level():
    net = Net([Linear.from_params(np.array([[10.0, 0.1]]), np.zeros(2)), Tanh(),
               Linear.from_params(np.ones((2, 1)), np.zeros(1)), Tanh()])
    assert saturated_fraction(net, np.array([[1.0]]), 0.99, Tanh) == 0.5


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
