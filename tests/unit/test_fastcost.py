"""The sweep's memoised per-segment totals equal the full pipeline's summary, for every built-in."""

from __future__ import annotations

import pytest

from archc.pipeline import compile_spec
from archc.reports.summary import summary
from archc.spec.loader import builtin_names, load_spec
from archc.sweep.fastcost import _MEMO, fast_totals


@pytest.mark.parametrize("name", builtin_names())
def test_totals_equal_the_pipeline(name):
    s = summary(compile_spec(name))
    total, stages = fast_totals(load_spec(name))
    assert (total.params, total.buffers, total.macs) == (s["params"], s["buffers"], s["macs"])
    assert (total.depth, total.activations, list(total.shape)) == (s["depth"], s["activations"], s["output_shape"])
    assert [(t.params, t.macs, list(t.shape)) for t in stages] == [
        (r["params"], r["macs"], r["output_shape"]) for r in s["stages"]
    ]


def test_blocks_are_lowered_once_per_plan_and_shape():
    _MEMO.clear()
    fast_totals(load_spec("resnet152"))
    blocks = [k for k in _MEMO if k[0][0] == "block"]
    assert len(blocks) == 8  # per stage: the strided first block and one repeated block (50 blocks in all)


@pytest.mark.parametrize("case", ["pool_shrinks_below_1x1", "stride_shrinks_below_1x1"])
def test_errors_are_the_pipelines(case):
    from archc.diagnostics import SpecError
    from tests.conftest import REPO

    path = str(REPO / "tests" / "data" / "invalid" / f"{case}.yaml")
    with pytest.raises(SpecError) as fast:
        fast_totals(load_spec(path))
    with pytest.raises(SpecError) as slow:
        compile_spec(path)
    assert fast.value.diagnostics == slow.value.diagnostics


def test_stage_dilation_totals_equal_the_pipeline():
    """A stage row's ``dilation`` and ``output_stride`` (tests/data/counters/tiny_backbone.yaml) plan once, in
    the sweep's fast path as in the pipeline."""
    from tests.conftest import REPO

    path = str(REPO / "tests" / "data" / "counters" / "tiny_backbone.yaml")
    s = summary(compile_spec(path))
    total, stages = fast_totals(load_spec(path))
    assert (total.params, total.macs, list(total.shape)) == (s["params"], s["macs"], s["output_shape"])
    assert [(t.macs, list(t.shape)) for t in stages] == [(r["macs"], r["output_shape"]) for r in s["stages"]]


def test_dilation_without_a_dilating_conv_is_the_pipelines_error(tmp_path):
    from archc.diagnostics import SpecError

    path = tmp_path / "x.yaml"
    path.write_text("archc: 1\nextends: timm/convnext_atto\nname: x\ndilation: 2\n", encoding="utf-8")
    with pytest.raises(SpecError) as fast:
        fast_totals(load_spec(str(path)))
    with pytest.raises(SpecError) as slow:
        compile_spec(str(path))
    assert str(fast.value) == str(slow.value)


REGNET_ROWS = (
    "archc: 1\nname: r\nfamily: regnet\ninput: {channels: 3, size: [32, 32]}\nblock: bottleneck\nexpansion: 1\n"
    "stem: [{op: conv, kernel: 3, width: 8, stride: 2}]\nhead: {classes: 10}\nstages:\n"
    "  - {name: s1, width: 8, blocks: 1, group_width: 8%s}\n  - {name: s2, width: 16, blocks: 1, stride: 2, group_width: 8%s}\n"
)


@pytest.mark.parametrize(
    "text",
    [
        "archc: 1\nextends: regnet/regnetx_002\nname: x\nprojection_stride: avgpool\n",
        "archc: 1\nextends: regnet/regnetx_002\nname: x\nunit: full_preactivation\n",
        "archc: 1\nextends: regnet/regnetx_002\nname: x\ndownsample: {norm: true}\n",
        "archc: 1\nextends: timm/convnext_atto\nname: x\nstem: [{op: conv, kernel: 4, stride: 4, width: 40}]\n",
        REGNET_ROWS % (", pool: max", ""),
        REGNET_ROWS % ("", ", pool: max"),  # the same pool segment in another stage: the error names that stage
        REGNET_ROWS % ("", ", downsample: {norm: true}"),
    ],
)
def test_an_op_the_layout_has_no_module_for_is_the_pipelines_error(tmp_path, text):
    """The sweep's fast path refuses what the pipeline's names pass refuses (it counted such variants valid), with
    the same diagnostic, also when a segment's totals come from the memo of an earlier spec."""
    from archc.diagnostics import SpecError

    path = tmp_path / "x.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SpecError) as slow:
        compile_spec(str(path))
    with pytest.raises(SpecError) as fast:
        fast_totals(load_spec(str(path)))
    assert fast.value.diagnostics == slow.value.diagnostics
    assert slow.value.diagnostics[0].code == "E401"
