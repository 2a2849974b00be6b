"""Argument checks and seeding shared by layers and data sets, so every constructor words its errors alike."""

from __future__ import annotations

import math
import numbers
import random


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


def check_scale(value: object, name: str) -> float:
    """`value` as a finite float >= 0 (a noise level, a spread); raises TypeError or ValueError naming `name`."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {type(value).__name__} ({value!r:.40})")
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    return float(value)
