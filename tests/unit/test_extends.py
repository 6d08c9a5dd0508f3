"""extends: merging, built-in names and relative paths, and diagnostics that point into the right file."""

from __future__ import annotations

import pytest

from archc.pipeline import compile_spec
from archc.reports.summary import summary
from archc.spec.loader import load_spec
from tests.conftest import run_cli

BASE = """archc: 1
name: tiny
input: {channels: 3, size: 32}
stem:
  - {op: conv, kernel: 3, width: 8}
block: basic
stages:
  - {name: a, width: 8, blocks: 1}
  - {name: b, width: 16, blocks: 1, stride: 2}
head: {classes: 10}
"""


def test_child_overrides_scalars_and_merges_mappings(tmp_path):
    (tmp_path / "base.yaml").write_text(BASE)
    (tmp_path / "child.yaml").write_text("extends: base.yaml\nshortcut: C\nhead: {pool: max}\n")
    s = compile_spec(str(tmp_path / "child.yaml")).spec
    assert s.shortcut == "C" and s.head.pool == "max" and s.head.classes == 10 and s.name == "tiny"


def test_builtin_name_target(tmp_path):
    (tmp_path / "mine.yaml").write_text("extends: torchvision/resnet50\nname: mine\nhead: {classes: 10}\n")
    s = summary(compile_spec(str(tmp_path / "mine.yaml")))
    assert s["name"] == "mine"
    assert s["params"] == 25_557_032 - 2048 * 990 - 990  # 1000 → 10 classes: fc weights and biases


def test_error_points_into_the_file_that_wrote_it(tmp_path):
    (tmp_path / "base.yaml").write_text(BASE.replace("blocks: 1}\n  - {name: b", "blocks: 0}\n  - {name: b"))
    (tmp_path / "child.yaml").write_text("extends: base.yaml\nshortcut: X\n")
    code, _, err = run_cli("check", str(tmp_path / "child.yaml"))
    assert code == 2
    assert "base.yaml:8:33: error[E204]" in err
    assert "child.yaml:2:11: error[E203]: invalid value 'X' for 'shortcut'" in err


def test_lists_replace_and_marks_follow(tmp_path):
    (tmp_path / "base.yaml").write_text(BASE)
    (tmp_path / "child.yaml").write_text("extends: base.yaml\nstem:\n  - {op: conv, kernel: 7, width: 8, padding: 0}\n")
    code, _, err = run_cli("cost", str(tmp_path / "child.yaml"), "--input-size", "4")
    assert code == 2 and "child.yaml:3:5: error[E400]" in err
    assert "7x7 window with stride 1 on a 4x4 feature map" in err


def test_groups_on_a_basic_block_is_refused_where_it_is_written(tmp_path):
    """Issue 13, item 5: ``groups: 4`` on a basic block used to build an ungrouped conv1 four times as wide.
    torchvision refuses it ("BasicBlock only supports groups=1 and base_width=64"); archc points at the key."""
    from archc.diagnostics import SpecError

    child = tmp_path / "child.yaml"
    child.write_text("archc: 1\nname: child\nextends: resnet18\n\ngroups: 4\nbase_width: 64\n")
    with pytest.raises(SpecError) as info:
        load_spec(str(child))
    (d,) = info.value.diagnostics
    assert (d.line, d.col, d.code) == (5, 9, "E401") and d.message.startswith("groups: 4 applies to a bottleneck")
    neutral = tmp_path / "neutral.yaml"
    neutral.write_text("archc: 1\nname: neutral\nextends: resnet18\ngroups: 1\nbase_width: 64\n")
    assert summary(compile_spec(str(neutral)))["params"] == 11_689_512  # torchvision resnet18, unchanged
