"""The lecture's code, written as a student writes it, for tests that run it beside scalargrad: a hand-written
Value class (`Scalar`) and the lecture's backward, which reads only micrograd's names (`_prev`, `_backward`)."""

from __future__ import annotations

import math
from typing import Any


def lecture_backward(o: Any) -> None:
    """The lecture's backward: a topological order by `_prev`, then `_backward()` node by node from the top."""
    topo: list[Any] = []
    visited: set[Any] = set()

    def build_topo(v: Any) -> None:
        if v not in visited:
            visited.add(v)
            for child in v._prev:
                build_topo(child)
            topo.append(v)

    build_topo(o)
    o.grad = 1.0
    for node in reversed(topo):
        node._backward()


class Scalar:
    """A student's Value from the lecture: data, grad, children, op and a label, with + * tanh and backward."""

    def __init__(self, data: float, _children: tuple = (), _op: str = "", label: str = "") -> None:
        self.data = data
        self.grad = 0.0
        self._backward = lambda: None
        self._prev = set(_children)
        self._op = _op
        self.label = label

    def __add__(self, other: Scalar) -> Scalar:
        out = Scalar(self.data + other.data, (self, other), "+")

        def _backward() -> None:
            self.grad += out.grad
            other.grad += out.grad

        out._backward = _backward
        return out

    def __mul__(self, other: Scalar) -> Scalar:
        out = Scalar(self.data * other.data, (self, other), "*")

        def _backward() -> None:
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = _backward
        return out

    def tanh(self) -> Scalar:
        t = math.tanh(self.data)
        out = Scalar(t, (self,), "tanh")

        def _backward() -> None:
            self.grad += (1 - t**2) * out.grad

        out._backward = _backward
        return out

    def backward(self) -> None:
        lecture_backward(self)
