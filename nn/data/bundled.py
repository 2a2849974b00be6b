"""Real data sets that ship inside scikit-learn (nothing is downloaded): 8x8 handwritten digits and iris flowers.

They come back in the project's formats: digits as `[1][8][8]` images like `make_bars` (ink 1.0 on a 0.0
background), iris as rows of 4 numbers like `make_moons`, with int labels. scikit-learn is needed only here;
install it with the `lessons` or `test` extra.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from nn.data.images import Image

DIGIT_CLASSES = tuple(str(k) for k in range(10))
IRIS_CLASSES = ("setosa", "versicolor", "virginica")
IRIS_FEATURES = ("sepal length", "sepal width", "petal length", "petal width")
# The digits' pixels are counts of ink, 0 to 16 (each 8x8 pixel summarises a 4x4 block of a 32x32 bitmap).
DIGIT_INK_MAX = 16.0


def _sklearn_datasets(caller: str) -> ModuleType:
    """sklearn.datasets, or an ImportError naming the extra that installs it."""
    try:
        from sklearn import datasets
    except ImportError as err:
        raise ImportError(
            f"nn.data.{caller}() reads a data set bundled with scikit-learn, which is not installed; "
            "install it with `pip install 'scalargrad[lessons]'` (or `python3 tasks.py lessons`)"
        ) from err
    return datasets


def load_digits() -> tuple[list[Image], list[int]]:
    """scikit-learn's 1,797 handwritten digits as `[1][8][8]` images scaled to 0.0-1.0, with labels 0-9.

    The order is scikit-learn's (not shuffled); split with `nn.data.train_test_split`. Raises ImportError
    (naming the extra to install) without scikit-learn.
    """
    bunch: Any = _sklearn_datasets("load_digits").load_digits()
    images = [[[[float(p) / DIGIT_INK_MAX for p in row] for row in image]] for image in bunch.images.tolist()]
    return images, [int(label) for label in bunch.target.tolist()]


def load_iris(standardize: bool = True) -> tuple[list[list[float]], list[int]]:
    """scikit-learn's 150 iris flowers: 4 measurements in cm per row (IRIS_FEATURES), labels 0-2 (IRIS_CLASSES).

    With `standardize` each feature is shifted and scaled to mean 0 and standard deviation 1 over the whole set,
    the unit scale networks are initialised for. Raises ImportError (naming the extra) without scikit-learn.
    """
    bunch: Any = _sklearn_datasets("load_iris").load_iris()
    rows: list[list[float]] = bunch.data.tolist()
    if standardize:
        columns = list(zip(*rows))
        means = [sum(c) / len(c) for c in columns]
        stds = [(sum((v - m) ** 2 for v in c) / len(c)) ** 0.5 for c, m in zip(columns, means)]
        rows = [[(v - m) / s for v, m, s in zip(row, means, stds)] for row in rows]
    return rows, [int(label) for label in bunch.target.tolist()]
