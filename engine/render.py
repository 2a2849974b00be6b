"""Deprecated path: the renderers moved to `engine.draw.render`. This alias is removed in the next release."""

import sys
import warnings

import engine.draw.render as _moved

warnings.warn("engine.render moved to engine.draw.render", DeprecationWarning, stacklevel=2)
sys.modules[__name__] = _moved
