"""Small sequence sets for RNN/LSTM/GRU models: sine continuation, bit parity, counting, and next character.

A sample is a sequence `[T][features]` of floats (what `nn.RNN` takes); the target is the next value
(a float) for the sine set and a class index (an int) for the others. Everything is generated
locally from `seed` (or `rng`).
"""

from __future__ import annotations

import math
import random

from nn.checks import check_count, check_samples, check_scale, make_rng

Sequence2d = list[list[float]]

# A short built-in text for the character-level set (written for this project; lower case, few symbols).
TEXT = (
    "the cat sat on the mat. the dog sat on the log. "
    "a cat and a dog met on a mat by a log. "
    "the dog ran to the cat and the cat ran to the dog. "
    "one cat, one dog, one mat, one log. "
)


def make_sine_sequences(
    n_samples: int = 100,
    length: int = 10,
    noise: float = 0.0,
    seed: int | None = None,
    *,
    rng: random.Random | None = None,
) -> tuple[list[Sequence2d], list[float]]:
    """Windows `[length][1]` of sin(w t + phase) (random w in [0.3, 0.8] and phase) and the value that comes next.

    Gaussian noise of std `noise` is added to the inputs only. Raises ValueError for bad counts or noise.
    """
    length = check_count(length, "length")
    n_samples = check_samples(n_samples, length)
    noise = check_scale(noise, "noise")
    rng = make_rng(rng, seed)
    X, y = [], []
    for _ in range(n_samples):
        w, phase = rng.uniform(0.3, 0.8), rng.uniform(0.0, 2.0 * math.pi)
        X.append([[math.sin(w * t + phase) + (rng.gauss(0.0, noise) if noise else 0.0)] for t in range(length)])
        y.append(math.sin(w * length + phase))
    return X, y


def _bit_sequences(
    n_samples: int, length: int, seed: int | None, rng: random.Random | None
) -> tuple[list[Sequence2d], list[list[int]]]:
    """Random bit sequences as `[length][1]` float inputs, with the bits themselves for labelling."""
    length = check_count(length, "length")
    n_samples = check_samples(n_samples, length)
    gen = make_rng(rng, seed)
    bits = [[gen.randrange(2) for _ in range(length)] for _ in range(n_samples)]
    return [[[float(b)] for b in row] for row in bits], bits


def make_parity(
    n_samples: int = 100, length: int = 6, seed: int | None = None, *, rng: random.Random | None = None
) -> tuple[list[Sequence2d], list[int]]:
    """Random bit sequences `[length][1]`, labelled 1 when the number of ones is odd, else 0.

    Raises ValueError for n_samples < 1 or length < 1.
    """
    X, bits = _bit_sequences(n_samples, length, seed, rng)
    return X, [sum(row) % 2 for row in bits]


def make_counting(
    n_samples: int = 100, length: int = 6, seed: int | None = None, *, rng: random.Random | None = None
) -> tuple[list[Sequence2d], list[int]]:
    """Random bit sequences `[length][1]`, labelled with their number of ones (classes 0..length).

    Raises ValueError for n_samples < 1 or length < 1.
    """
    X, bits = _bit_sequences(n_samples, length, seed, rng)
    return X, [sum(row) for row in bits]


def vocabulary(text: str) -> list[str]:
    """The distinct characters of `text`, sorted: a character's index in this list is its class."""
    return sorted(set(text))


def one_hot(index: int, size: int) -> list[float]:
    """A list of `size` zeros with a 1.0 at `index`.

    Raises TypeError unless both are ints and ValueError unless 0 <= index < size (no negative indices,
    as torch.nn.functional.one_hot).
    """
    size = check_count(size, "one_hot size")
    index = check_count(index, "one_hot index", minimum=0)
    if index >= size:
        raise ValueError(f"one_hot index {index} is out of range for size {size} (0 to {size - 1})")
    row = [0.0] * size
    row[index] = 1.0
    return row


def make_chars(
    n_samples: int = 200,
    window: int = 6,
    text: str = TEXT,
    seed: int | None = None,
    *,
    rng: random.Random | None = None,
) -> tuple[list[Sequence2d], list[int], list[str]]:
    """Next-character prediction: `window` one-hot characters `[window][vocab]` from `text`, labelled by the next one.

    Windows start at random places in the text. Returns (X, y, vocab) with vocab = `vocabulary(text)`.
    Raises ValueError for bad counts or a text not longer than `window`, TypeError for a non-str text.
    """
    window = check_count(window, "window")
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    n_samples = check_samples(n_samples, window * len(set(text)))
    if len(text) <= window:
        raise ValueError(f"text must be longer than window={window}, got {len(text)} characters")
    rng = make_rng(rng, seed)
    vocab = vocabulary(text)
    index = {ch: i for i, ch in enumerate(vocab)}
    X, y = [], []
    for _ in range(n_samples):
        start = rng.randrange(len(text) - window)
        X.append([one_hot(index[ch], len(vocab)) for ch in text[start : start + window]])
        y.append(index[text[start + window]])
    return X, y, vocab
