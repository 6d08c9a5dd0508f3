"""Import TensorFlow / Keras without their start-up chatter on the terminal.

TensorFlow's C++ runtime writes lines such as ``WARNING: All log messages before absl::InitializeLog() …``
and ``oneDNN custom operations are on …`` straight to file descriptor 2 while it is imported, whatever
``TF_CPP_MIN_LOG_LEVEL`` says. :func:`import_keras` points fd 2 at a temporary file for the import only,
and prints what was captured if the import fails (so a broken install still explains itself).
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile


@contextlib.contextmanager
def captured_stderr():
    """Send fd 2 (C++ and Python alike) to a temporary file; replay it if the block raises."""
    sys.stderr.flush()
    try:
        saved = os.dup(2)
    except OSError:  # no fd 2 (embedded interpreters): nothing to silence
        yield
        return
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield
        except BaseException:
            sys.stderr.flush()
            os.dup2(saved, 2)
            sink.seek(0)
            os.write(2, sink.read())
            raise
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)


def import_keras():
    """``import keras`` quietly, on Keras' own backend setting (``KERAS_BACKEND``, keras.json, else TensorFlow:
    :mod:`archc.frameworks.keras_backends` runs another backend in a child process); returns the module."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    if "keras" in sys.modules:
        return sys.modules["keras"]
    with captured_stderr():
        import keras
    try:
        from absl import logging as absl_logging

        absl_logging.set_verbosity(absl_logging.ERROR)
    except ImportError:
        pass
    return keras
