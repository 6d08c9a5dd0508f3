"""README "Which number is which" shows what the tool prints: the console blocks are the commands' output, the
rules matrix is the rules data, the versions are the pinned ones."""

from __future__ import annotations

import re
import shlex

import pytest

from archc.counters.render import rules_markdown
from archc.counters.rules import TOOLS
from tests.conftest import REPO, run_cli

README = (REPO / "README.md").read_text(encoding="utf-8")
SECTION = README.split("\n## Which number is which\n", 1)[1].split("\n## ", 1)[0]
BLOCKS = re.findall(r"```console\n\$ archc (.*?)\n(.*?)```", SECTION, re.S)


def test_the_section_has_the_resnet50_command_first():
    assert [b[0] for b in BLOCKS][:1] == ["cost resnet50 torchvision/resnet50 --counters"]
    assert len(BLOCKS) == 2


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_console_blocks_are_the_output(index):
    command, shown = BLOCKS[index]
    code, out, err = run_cli(*shlex.split(command))
    assert code == 0 and err == ""
    if index == 0:  # the whole output
        assert shown == out, f"README is stale: paste the output of `archc {command}`"
    else:  # an excerpt: the per-kind table
        assert shown.strip() in out and "per op kind" in shown, f"README is stale: `archc {command}`"


def test_rules_matrix_is_the_rules_data():
    assert rules_markdown() in SECTION


def test_versions_are_the_pinned_ones():
    pyproject = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    for tool in ("torch", "fvcore", "ptflops", "thop"):
        dist, version = TOOLS[tool].version.split()
        assert f"{dist} {version}" in SECTION.replace("\n  ", " ")
        if tool != "torch":
            assert f'"{dist}=={version}"' in pyproject
