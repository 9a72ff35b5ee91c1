"""Weight initialisers under their conventional names, one signature for all.

An initialiser is a function (n_in, n_out, rng, dtype) -> (W, b) with W of shape (n_in, n_out)
and b of shape (n_out,). Weights are drawn in float64 and then cast, so a float32 network starts
from the same numbers (rounded) as its float64 twin built from the same seed. Biases start at 0
in every scheme: the weights already break the symmetry between units. An assignment's own
variant of a rule lives in `model/assignments/<id>.py` under its own name.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import DTypeLike

Initialiser = Callable[[int, int, np.random.Generator, DTypeLike], tuple[np.ndarray, np.ndarray]]


def _zero_bias(n_out: int, dtype: DTypeLike) -> np.ndarray:
    return np.zeros(n_out, dtype=dtype)


def glorot_uniform(
    n_in: int, n_out: int, rng: np.random.Generator, dtype: DTypeLike = np.float64
) -> tuple[np.ndarray, np.ndarray]:
    r"""Glorot (Xavier) uniform: W ~ U(-a, a) with a = \sqrt{6 / (n_in + n_out)}."""
    a = np.sqrt(6 / (n_in + n_out))
    return rng.uniform(-a, a, size=(n_in, n_out)).astype(dtype), _zero_bias(n_out, dtype)


xavier_uniform = glorot_uniform
"""The same rule under the other name the field uses for it."""


def he_normal(
    n_in: int, n_out: int, rng: np.random.Generator, dtype: DTypeLike = np.float64
) -> tuple[np.ndarray, np.ndarray]:
    r"""He (Kaiming) normal with fan-in: W ~ N(0, 2 / n_in), for ReLU layers."""
    std = np.sqrt(2 / n_in)
    return rng.normal(0.0, std, size=(n_in, n_out)).astype(dtype), _zero_bias(n_out, dtype)


def normal(std: float) -> Initialiser:
    """W ~ N(0, std^2) and zero biases: `normal(0.01)` is hw2's rule, `normal(1.0)` a unit draw."""

    def init(
        n_in: int, n_out: int, rng: np.random.Generator, dtype: DTypeLike = np.float64
    ) -> tuple[np.ndarray, np.ndarray]:
        return rng.normal(0.0, std, size=(n_in, n_out)).astype(dtype), _zero_bias(n_out, dtype)

    init.__name__ = init.__qualname__ = f"normal({std:g})"
    return init


def zeros(
    n_in: int, n_out: int, rng: np.random.Generator, dtype: DTypeLike = np.float64
) -> tuple[np.ndarray, np.ndarray]:
    """All-zero weights: the symmetric start that dl2023 §1.7 (c) and lab4's variations ask about.

    `rng` is unused; it is accepted so every initialiser has the same signature.
    """
    return np.zeros((n_in, n_out), dtype=dtype), _zero_bias(n_out, dtype)


standard_normal = normal(1.0)
"""mlp-numpy's draw: weights N(0, 1) (its Q4 tip, "some normally distributed random value")."""


def by_name(name: str) -> Initialiser:
    """The initialiser a config names: 'glorot_uniform', 'he_normal', 'zeros' or 'normal(STD)'.

    Configs hold names, not functions, so that they stay plain data in cache keys and tables.
    """
    if name.startswith("normal(") and name.endswith(")"):
        return normal(float(name[len("normal("):-1]))
    named = {"glorot_uniform": glorot_uniform, "he_normal": he_normal, "zeros": zeros}
    if name not in named:
        raise ValueError(f"unknown initialiser {name!r}; expected one of "
                         f"{', '.join(named)} or normal(STD)")
    return named[name]


def draw_stats(W: np.ndarray, b: np.ndarray) -> dict:
    """What one draw (W, b) of an initialiser looks like: the sample mean, variance and standard
    deviation of W's entries, both shapes, and whether b is all zero."""
    return {"mean": float(W.mean()), "var": float(W.var()), "std": float(W.std()),
            "shape": W.shape, "bias_zero": bool(np.all(b == 0)), "bias_shape": b.shape}
