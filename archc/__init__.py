"""archc: a declarative architecture-spec compiler for convolutional networks.

The public Python API lives in :mod:`archc.api`; this package imports nothing heavy at import time.
"""

from archc._version import __version__

__all__ = ["__version__"]
