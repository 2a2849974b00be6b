"""The largest sizes `nn` accepts from a user, each checked before anything is allocated.

Every value here is a size that a scalar engine can still handle on a laptop: each number in a model is a
`Value` of about 100 bytes, and training touches every one at every step. Past a limit the library raises
ValueError and the command line prints one line and exits with status 2, instead of running out of memory.
"""

from __future__ import annotations

import os
import stat

# Samples in one generated data set (a million-float image set at 8x8 pixels, a few seconds to make).
MAX_SAMPLES = 100_000
# Numbers in one generated data set (samples times the numbers in each): about 150 MB as Python floats.
MAX_DATA_NUMBERS = 5_000_000
# Parameters in one model: about 100 MB of Values, and about a second per sample per step to train.
MAX_PARAMETERS = 1_000_000
# Output positions of one convolution or pooling call: only padding makes an output larger than its input,
# and a huge one (say from a crafted model file) would spend minutes building windows that see only zeros.
MAX_POSITIONS = 1_000_000
# Numbers in one input sample given by its shape (`export --input-shape`), and sizes in that shape: the example
# is built as nested lists and run through the model once; the largest sample of the data sets holds 64.
MAX_SAMPLE_NUMBERS = 100_000
MAX_SAMPLE_DIMENSIONS = 8
# Optimizer steps in one training run.
MAX_STEPS = 1_000_000
# Bytes of a model file read by `eval` or `nn.load`: MAX_PARAMETERS numbers as JSON fit easily.
MAX_MODEL_FILE_BYTES = 64 * 1024 * 1024


def read_bounded_bytes(path: str | os.PathLike[str], limit: int = MAX_MODEL_FILE_BYTES) -> bytes:
    """The bytes of the regular file `path`, refusing before reading when it is not a file or too big.

    Raises OSError when it cannot be opened, and ValueError naming the file when it is a device, a folder or a
    pipe (`/dev/zero` never ends) or larger than `limit` bytes.
    """
    where = os.fspath(path)
    # Non-blocking, so that opening a named pipe returns at once instead of waiting for a writer.
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ValueError(f"{where}: not a regular file, so not a saved model")
        if info.st_size > limit:
            raise ValueError(f"{where}: {info.st_size:,} bytes, larger than the limit of {limit:,} for a model file")
    except BaseException:
        os.close(fd)
        raise
    with open(fd, "rb") as f:
        data = f.read(limit + 1)  # the file may have grown since fstat
    if len(data) > limit:
        raise ValueError(f"{where}: larger than the limit of {limit:,} bytes for a model file")
    return data
