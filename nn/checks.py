"""Argument checks and seeding for all of `nn`, so every function words its errors alike.

One convention throughout: the checked argument is called `name` in the message ("n_samples must be
>= 1, got 0"), a wrong type raises TypeError and a wrong value raises ValueError.
"""

from __future__ import annotations

import math
import numbers
import random
from collections.abc import Mapping, Sequence
from typing import Any, TypeGuard, cast

from nn.limits import MAX_DATA_NUMBERS, MAX_PARAMETERS, MAX_SAMPLES


class SettingError(ValueError):
    """A ValueError about one named setting (`setting`), so a caller such as the CLI can name its own flag."""

    def __init__(self, setting: str, message: str) -> None:
        super().__init__(message)
        self.setting = setting


def is_real(x: object) -> TypeGuard[numbers.Real]:
    """Whether `x` is a real number; bool is not, though Python counts it as an int."""
    return isinstance(x, numbers.Real) and not isinstance(x, bool)


def is_row(x: object) -> bool:
    """Whether `x` is a 1-D sequence: a list, a tuple or another Sequence that is not text, or a 1-D array
    (NumPy's, or anything else with `ndim == 1` and a length)."""
    ndim = getattr(x, "ndim", None)
    if ndim is not None:
        return ndim == 1 and hasattr(x, "__len__")
    return isinstance(x, Sequence) and not isinstance(x, str | bytes)


def describe_row(x: object) -> str:
    """How an error names a value that is not a 1-D sequence: its type, and its number of dimensions if it has one."""
    ndim = getattr(x, "ndim", None)
    return f"a {ndim}-D {type(x).__name__}" if isinstance(ndim, int) else type(x).__name__


def is_int(x: object) -> TypeGuard[int]:
    """Whether `x` is an int and not a bool."""
    return isinstance(x, int) and not isinstance(x, bool)


def make_rng(rng: random.Random | None = None, seed: int | None = None) -> random.Random:
    """The generator to draw from: `rng` itself, or a new one seeded with `seed` (fresh entropy if both are None).

    Raises ValueError if both are given and TypeError if either has the wrong type.
    """
    if rng is not None:
        if seed is not None:
            raise ValueError("give either rng or seed, not both")
        if not isinstance(rng, random.Random):
            raise TypeError(f"rng must be a random.Random, got {type(rng).__name__}")
        return rng
    if seed is not None and not is_int(seed):
        raise TypeError(f"seed must be an int or None, got {type(seed).__name__} ({seed!r:.40})")
    return random.Random(seed)


def lookup(table: Mapping[str, Any], name: object, what: str) -> Any:
    """`table[name]`, or a ValueError listing the valid names of `what` (a data set, a loss, ...)."""
    if not isinstance(name, str) or name not in table:
        raise ValueError(f"unknown {what} {name!r}; choose one of {', '.join(table)}")
    return table[name]


def check_count(value: object, name: str, minimum: int = 1, maximum: int | None = None) -> int:
    """`value` as an int in [minimum, maximum]; raises TypeError for non-ints (bool included), else ValueError."""
    if not is_int(value):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} ({value!r:.40})")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be at most {maximum:,}, got {value:,}")
    return value


def check_bool(value: object, name: str) -> bool:
    """`value` itself if it is a bool; raises TypeError naming `name` otherwise."""
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be a bool, got {type(value).__name__}")
    return value


def check_real(value: object, name: str) -> float:
    """`value` as a float; raises TypeError naming `name` unless it is a real number (bool excluded)."""
    if not is_real(value):
        raise TypeError(f"{name} must be a number, got {type(value).__name__} ({value!r:.40})")
    try:
        return float(cast(float, value))
    except OverflowError:  # only an int can be beyond every float: infinite for every purpose here
        return math.inf if cast(int, value) > 0 else -math.inf


def check_number(
    value: object,
    name: str,
    minimum: float | None = None,
    maximum: float | None = None,
    *,
    strict: bool = False,
    below: bool = False,
) -> float:
    """`value` as a finite float in [minimum, maximum] (either bound optional).

    `strict` excludes the minimum itself and `below` the maximum: `check_number(b, "beta1", 0, 1, below=True)`
    accepts [0, 1). Raises TypeError for non-numbers and ValueError naming `name` and the rule otherwise.
    """
    f = check_real(value, name)
    too_low = minimum is not None and (f < minimum or (strict and f == minimum))
    too_high = maximum is not None and (f > maximum or (below and f == maximum))
    if math.isfinite(f) and not too_low and not too_high:
        return f
    if minimum is not None and maximum is not None:
        rule = f"in {'(' if strict else '['}{minimum:g}, {maximum:g}{')' if below else ']'}"
    elif minimum is not None:
        rule = f"{'>' if strict else '>='} {minimum:g}"
    elif maximum is not None:
        rule = f"{'<' if below else '<='} {maximum:g}"
    else:
        rule = ""
    raise ValueError(f"{name} must be a finite number{' ' + rule if rule else ''}, got {value!r:.40}")


def check_scale(value: object, name: str, maximum: float | None = None) -> float:
    """`value` as a finite float >= 0 (a noise level, a spread, a penalty); raises TypeError or ValueError."""
    return check_number(value, name, 0.0, maximum)


def check_positive(value: object, name: str) -> float:
    """`value` as a finite float > 0 (a learning rate); raises TypeError or ValueError naming `name`."""
    return check_number(value, name, 0.0, strict=True)


def check_parameter_count(count: int | None, what: str) -> None:
    """Raise ValueError when a model about to be built would have more than `MAX_PARAMETERS` parameters."""
    if count is not None and count > MAX_PARAMETERS:
        raise ValueError(f"{what} would have {count:,} parameters, more than the limit of {MAX_PARAMETERS:,}")


def check_samples(n_samples: object, numbers_each: int = 1) -> int:
    """`n_samples` as an int in [1, MAX_SAMPLES] whose samples, `numbers_each` numbers each, fit MAX_DATA_NUMBERS.

    Raises TypeError for a non-int and ValueError past either limit, before any sample is made.
    """
    count = check_count(n_samples, "n_samples", maximum=MAX_SAMPLES)
    if count * numbers_each > MAX_DATA_NUMBERS:
        raise ValueError(f"{count:,} samples of {numbers_each:,} numbers each make {count * numbers_each:,} numbers, "
                         f"more than the limit of {MAX_DATA_NUMBERS:,} for one data set")
    return count
