"""The reference libraries the tests compare with: torchvision, timm and keras.applications themselves.

torchvision 0.28.0 is torch 2.13's release, but its wheel is a CUDA build: on CPU torch, ``import
torchvision`` fails with ``operator torchvision::nms does not exist`` while it registers fake (meta) kernels
for its compiled detection ops. Its model code is pure Python, so :func:`torchvision_models` tries the plain
import first and, only when it fails that way, imports again with ``torch.library.register_fake`` skipping
``torchvision::`` operators for the length of that one import (then restores it). Models work; ``nms`` and
friends stay unavailable, which no classification model needs. With a matching torchvision build the
plain import succeeds and nothing is patched.

Each getter returns the module or calls :func:`pytest.skip` when the library is not installed, so a core-only
checkout still runs the rest of the suite; CI installs the test extra, which pins all three.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import sys

import pytest


def _is_missing_op_error(exc: BaseException) -> bool:
    return "torchvision::" in str(exc) and "does not exist" in str(exc)


def _forget(prefix: str) -> None:
    for name in [m for m in sys.modules if m == prefix or m.startswith(prefix + ".")]:
        del sys.modules[name]


@functools.cache
def _import_torchvision():
    torch = pytest.importorskip("torch")
    try:
        return importlib.import_module("torchvision")
    except (RuntimeError, AttributeError) as exc:
        if not _is_missing_op_error(exc):
            raise
    _forget("torchvision")
    original = torch.library.register_fake

    def register_fake(op, *args, **kwargs):
        name = op if isinstance(op, str) else getattr(op, "__name__", "")
        if str(name).startswith("torchvision::"):
            return lambda fn=None, *a, **k: fn  # used as a decorator: leave the function as it is
        return original(op, *args, **kwargs)

    torch.library.register_fake = register_fake
    try:
        return importlib.import_module("torchvision")
    finally:
        torch.library.register_fake = original


def torchvision_if_installed() -> None:
    """Import torchvision through the helper when it is installed (ptflops imports ``torchvision.ops``, which
    would fail on CPU torch); nothing when it is not."""
    if importlib.util.find_spec("torchvision") is not None and importlib.util.find_spec("torch") is not None:
        _import_torchvision()


def torchvision_models():
    """``torchvision.models`` (skips the test when torchvision is not installed)."""
    if importlib.util.find_spec("torchvision") is None:
        pytest.skip("torchvision is in the test extra")
    return _import_torchvision().models


def timm():
    """``timm`` (it imports torchvision, so the helper's import runs first)."""
    if importlib.util.find_spec("timm") is None:
        pytest.skip("timm is in the test extra")
    if importlib.util.find_spec("torchvision") is not None:
        _import_torchvision()
    return importlib.import_module("timm")


def keras_applications():
    """``keras.applications`` (skips when Keras is not installed)."""
    keras = pytest.importorskip("keras")
    return keras.applications
