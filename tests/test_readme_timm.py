"""README's timm section: the model table is what archc computes, and the checkpoint-loading snippet runs
(on a checkpoint saved from timm's own resnet50d)."""

from __future__ import annotations

import os
import re

import pytest

from archc.pipeline import compile_spec
from archc.reports.summary import summary
from tests.conftest import REPO, markdown_rows, number

README = (REPO / "README.md").read_text(encoding="utf-8")
SECTION = README.split("\n### timm's ResNet family", 1)[1].split("\n## ", 1)[0]


def test_the_table_lists_every_timm_builtin():
    from archc.spec.loader import builtin_names

    rows = [row[0] for row in markdown_rows(SECTION, "timm model")]
    assert rows == sorted(n for n in builtin_names() if n.startswith("timm/"))


@pytest.mark.parametrize("row", markdown_rows(SECTION, "timm model"), ids=lambda r: r[0])
def test_table_row_is_what_archc_computes(row):
    s = summary(compile_spec(row[0]))
    assert [s["input_shape"][1], s["params"], s["macs"], s["depth"]] == [number(c) for c in row[1:5]]


def test_loading_snippet_runs(tmp_path):
    torch = pytest.importorskip("torch")
    (snippet,) = [b for b in re.findall(r"```python\n(.*?)```", SECTION, re.S) if "load_state_dict" in b]
    from tests.libs import timm

    state = timm().create_model("resnet50d").state_dict()
    with torch.no_grad():
        for value in state.values():
            if value.is_floating_point():
                value.fill_(0.5)
    torch.save(state, tmp_path / "pytorch_model.bin")
    code = snippet.replace('"generated/pytorch/timm"', repr(str(REPO / "generated" / "pytorch" / "timm")))
    old = os.getcwd()
    namespace: dict = {}
    try:
        os.chdir(tmp_path)
        exec(compile(code, "README.md", "exec"), namespace)
    finally:
        os.chdir(old)
    assert float(namespace["model"].conv1[0].weight.mean()) == 0.5
