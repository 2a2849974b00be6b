"""Argument checks and seeding shared by layers and data sets, so every constructor words its errors alike."""

from __future__ import annotations

import math
import numbers
import random
from typing import cast


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
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise TypeError(f"seed must be an int or None, got {type(seed).__name__} ({seed!r:.40})")
    return random.Random(seed)


def check_count(value: object, name: str, minimum: int = 1) -> int:
    """`value` as an int >= `minimum`; raises TypeError for non-ints (bool included) and ValueError below it."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} ({value!r:.40})")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return value


def check_real(value: object, name: str) -> float:
    """`value` as a float; raises TypeError naming `name` unless it is a real number (bool excluded)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {type(value).__name__} ({value!r:.40})")
    try:
        return float(value)
    except OverflowError:  # only an int can be beyond every float: infinite for every purpose here
        return math.inf if cast(int, value) > 0 else -math.inf


def check_number(value: object, name: str, minimum: float | None = None, strict: bool = False) -> float:
    """`value` as a finite float, at least `minimum` (above it when `strict`) if given.

    Raises TypeError for non-numbers and ValueError naming `name` and the rule otherwise.
    """
    f = check_real(value, name)
    if minimum is None:
        if not math.isfinite(f):
            raise ValueError(f"{name} must be a finite number, got {value!r:.40}")
        return f
    if not math.isfinite(f) or f < minimum or (strict and f == minimum):
        raise ValueError(f"{name} must be a finite number {'>' if strict else '>='} {minimum:g}, got {value!r:.40}")
    return f


def check_scale(value: object, name: str) -> float:
    """`value` as a finite float >= 0 (a noise level, a spread, a penalty); raises TypeError or ValueError."""
    return check_number(value, name, minimum=0.0)


def check_positive(value: object, name: str) -> float:
    """`value` as a finite float > 0 (a learning rate); raises TypeError or ValueError naming `name`."""
    return check_number(value, name, minimum=0.0, strict=True)
