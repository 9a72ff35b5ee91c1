"""Reverse-mode automatic differentiation on scalars, small enough to read in one sitting.

A `Value` holds a number and remembers the values it was computed from, with the local
derivative of the operation towards each of them. `backward()` walks that graph from the output
in reverse topological order and applies the chain rule: every node passes its gradient times
the local derivative on to its inputs. As in PyTorch, the inputs (leaves) add up the gradients
of successive backward passes until `zero_grad()` resets them; intermediate nodes start from
zero in every pass.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

Number = float | int


class Value:
    """A scalar in a computation graph: `data`, and after `backward()` the gradient `grad`."""

    __slots__ = ("data", "grad", "inputs", "local", "op")

    def __init__(self, data: Number, inputs: tuple[Value, ...] = (),
                 local: tuple[float, ...] = (), op: str = "") -> None:
        self.data = float(data)
        self.grad = 0.0
        self.inputs = inputs
        self.local = local  # d self / d inputs[i], evaluated at the inputs' values
        self.op = op

    def __repr__(self) -> str:
        return f"Value({self.data:g}, grad={self.grad:g})"

    # --- arithmetic: each returns the result and its local derivatives --------------------------

    def __add__(self, other: Value | Number) -> Value:
        other = lift(other)
        return Value(self.data + other.data, (self, other), (1.0, 1.0), "+")

    def __mul__(self, other: Value | Number) -> Value:
        other = lift(other)
        return Value(self.data * other.data, (self, other), (other.data, self.data), "*")

    def __pow__(self, k: Number) -> Value:
        return Value(self.data**k, (self,), (k * self.data ** (k - 1),), f"**{k:g}")

    def __neg__(self) -> Value:
        return self * -1

    def __sub__(self, other: Value | Number) -> Value:
        return self + -lift(other)

    def __truediv__(self, other: Value | Number) -> Value:
        return self * lift(other) ** -1

    def __radd__(self, other: Number) -> Value:
        return self + other

    def __rmul__(self, other: Number) -> Value:
        return self * other

    def __rsub__(self, other: Number) -> Value:
        return lift(other) - self

    def __rtruediv__(self, other: Number) -> Value:
        return lift(other) / self

    # --- elementary functions -------------------------------------------------------------------

    def exp(self) -> Value:
        e = math.exp(self.data)
        return Value(e, (self,), (e,), "exp")

    def log(self) -> Value:
        return Value(math.log(self.data), (self,), (1 / self.data,), "log")

    def sin(self) -> Value:
        return Value(math.sin(self.data), (self,), (math.cos(self.data),), "sin")

    def cos(self) -> Value:
        return Value(math.cos(self.data), (self,), (-math.sin(self.data),), "cos")

    def tanh(self) -> Value:
        t = math.tanh(self.data)
        return Value(t, (self,), (1 - t * t,), "tanh")

    def sigmoid(self) -> Value:
        # Written so that the exponent is never positive: no overflow for large |x|.
        e = math.exp(-abs(self.data))
        s = 1 / (1 + e) if self.data >= 0 else e / (1 + e)
        return Value(s, (self,), (s * (1 - s),), "sigmoid")

    def relu(self) -> Value:
        # relu'(0) = 0, the convention of model.functional.relu_grad.
        return Value(max(self.data, 0.0), (self,), (float(self.data > 0),), "relu")

    # --- the backward pass ----------------------------------------------------------------------

    def backward(self) -> None:
        """d self / d v for every v the graph holds, added into v.grad (leaves accumulate)."""
        order: list[Value] = []
        seen: set[int] = set()

        def visit(v: Value) -> None:
            if id(v) not in seen:
                seen.add(id(v))
                for u in v.inputs:
                    visit(u)
                order.append(v)

        visit(self)
        for v in order:
            if v.inputs:
                v.grad = 0.0
        self.grad += 1.0
        for v in reversed(order):
            for u, d in zip(v.inputs, v.local, strict=True):
                u.grad += d * v.grad

    def zero_grad(self) -> None:
        """Reset this value's gradient before the next backward pass."""
        self.grad = 0.0


def lift(x: Value | Number) -> Value:
    """x itself if it is a Value, else a constant leaf holding x."""
    return x if isinstance(x, Value) else Value(x)


def grad(f: Callable[..., Value], args: Sequence[Number]) -> tuple[float, list[float]]:
    """f(*args) and its gradient with respect to every argument, by one backward pass."""
    leaves = [Value(a) for a in args]
    out = f(*leaves)
    out.backward()
    return out.data, [v.grad for v in leaves]
