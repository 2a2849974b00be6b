"""Deprecated path: named runs moved to `nn.cli.runs`. This alias is removed in the next release."""

import sys
import warnings

import nn.cli.runs as _moved

warnings.warn("nn.runs moved to nn.cli.runs", DeprecationWarning, stacklevel=2)
sys.modules[__name__] = _moved
