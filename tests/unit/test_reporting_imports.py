"""The reporting commands import no framework: table / graph / schema in a fresh interpreter
(``archc verify`` is the one command that imports torch / keras, inside its checks)."""

from __future__ import annotations

import pytest

from tests.unit.test_no_framework_import import FRAMEWORKS, loaded_after


@pytest.mark.parametrize(
    "args",
    [("table", "resnet18", "resnet50", "--format", "latex"), ("graph", "resnet50", "--format", "json"), ("schema",)],
    ids=lambda a: a[0],
)
def test_reporting_commands_import_no_framework(args):
    loaded = loaded_after(*args)
    assert not loaded & set(FRAMEWORKS), f"archc {' '.join(args)} imported {sorted(loaded & set(FRAMEWORKS))}"
    assert "matplotlib" not in loaded and "rich" not in loaded
