"""Gradient descent on the two-variable test function of dl2023/dl2024 §1.1.

f(x, y) = x^2 + y^2 + x (y + 2) + cos(3x) has several local minima, which is what makes the
step size and its decay schedule eta_t = eta_0 d^t matter.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def f(x, y):
    """f(x, y) = x^2 + y^2 + x (y + 2) + cos 3x; works on scalars and arrays alike."""
    return x**2 + y**2 + x * (y + 2) + np.cos(3 * x)


def grad_x_f(x, y):
    """df/dx = 2x - 3 sin 3x + y + 2."""
    return 2 * x - 3 * np.sin(3 * x) + y + 2


def grad_y_f(x, y):
    """df/dy = x + 2y."""
    return x + 2 * y


def optimize_f(
    x: float, y: float, step_size: float, steps: int, decay: float = 1.0
) -> tuple[float, float, float, list[float], list[float]]:
    """Run `steps` gradient-descent updates on f from (x, y).

    Step t (counting from 0) moves by eta_t = step_size * decay**t times the gradient, so
    decay = 1 is plain gradient descent.

    Returns the final x, y, f(x, y) and the histories of x and y (steps + 1 points each).
    """
    x_hist, y_hist = [x], [y]
    for t in range(steps):
        eta = step_size * decay**t
        dx, dy = grad_x_f(x, y), grad_y_f(x, y)
        x, y = x - eta * dx, y - eta * dy
        x_hist.append(x)
        y_hist.append(y)
    return x, y, f(x, y), x_hist, y_hist


def descend(x: float, y: float, etas: np.ndarray) -> dict[str, Any]:
    """Gradient descent on f from (x, y) with step size etas[t] in step t; the whole path."""
    xs, ys = [x], [y]
    for eta in etas:
        x, y = optimize_f(x, y, float(eta), 1)[:2]
        xs.append(x)
        ys.append(y)
    return {"x": x, "y": y, "f": float(f(x, y)), "x_hist": xs, "y_hist": ys, "etas": etas,
            "f_hist": [float(f(a, b)) for a, b in zip(xs, ys, strict=True)]}
