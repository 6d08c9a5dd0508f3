"""Residual unit orderings (Identity Mappings paper, Fig. 4) and shortcut knobs, checked op by op.

The expected sequences are written from the paper's figure, not from archc's UNITS table.
"""

from __future__ import annotations

import pytest

from archc.pipeline import compile_spec

TINY = """archc: 1
name: tiny
input: {{channels: 3, size: [16, 16]}}
stem: [{{op: conv, kernel: 3, width: 8, norm: {norm}, activation: {act}}}]
block: basic
unit: {unit}
shortcut: {shortcut}
stages:
  - {{name: conv2, width: 8, blocks: 2, stride: 1}}
  - {{name: conv3, width: 16, blocks: 2, stride: 2}}
head: {{pool: avg, classes: 10}}
"""

# Fig. 4 of "Identity Mappings in Deep Residual Networks", read left to right (weight = conv).
FIG4 = {
    "original": "conv batchnorm relu conv batchnorm add relu",
    "bn_after_addition": "conv batchnorm relu conv add batchnorm relu",
    "relu_before_addition": "conv batchnorm relu conv batchnorm relu add",
    "relu_only_preactivation": "relu conv batchnorm relu conv batchnorm add",
    "full_preactivation": "batchnorm relu conv batchnorm relu conv add",
}


def _compile(tmp_path, **kw):
    fields = dict(unit="original", shortcut="B", norm="true", act="true") | kw
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY.format(**fields), encoding="utf-8")
    return compile_spec(str(path), verify_each=True).graph


def _block_ops(g, s: int, b: int, main_only: bool = True) -> str:
    return " ".join(
        d["op"] for _, d in g.nodes(data=True) if d["scope"] == ("stage", s, b) and (d["main_path"] or not main_only)
    )


@pytest.mark.parametrize("unit", sorted(FIG4))
def test_unit_orderings_follow_fig4(tmp_path, unit):
    g = _compile(tmp_path, unit=unit)
    assert _block_ops(g, 0, 1) == FIG4[unit]


def test_preactivation_adds_a_final_bn_relu_before_the_head(tmp_path):
    g = _compile(tmp_path, unit="full_preactivation", norm="false", act="false")
    head = [(d["op"], d["names"]["keras"]) for _, d in g.nodes(data=True) if d["scope"] == ("head",)]
    assert head[:2] == [("batchnorm", "post_bn"), ("relu", "post_relu")]
    assert [op for op, _ in head[2:]] == ["global_pool", "flatten", "linear"]


def test_projection_branches_from_the_preactivated_input(tmp_path):
    g = _compile(tmp_path, unit="full_preactivation")
    (src,) = g.pred["s1.b0.down_conv"]
    assert src == "s1.b0.preact_act"
    assert "s1.b0.down_bn" not in g  # no BN before the addition on the branch: none on the shortcut either


def test_plain_nets_have_no_addition(tmp_path):
    g = _compile(tmp_path, shortcut="none")
    assert not [n for n, d in g.nodes(data=True) if d["op"] == "add"]
    assert _block_ops(g, 1, 0, main_only=False) == "conv batchnorm relu conv batchnorm relu"


def test_option_a_pads_channels_and_subsamples(tmp_path):
    g = _compile(tmp_path, shortcut="A")
    assert _block_ops(g, 1, 0, main_only=False).split()[-4:] == ["subsample", "pad_channels", "add", "relu"]
    pad = g.nodes["s1.b0.pad"]
    assert (pad["attrs"]["before"], pad["attrs"]["after"], pad["shape"]) == (4, 4, (16, 8, 8))


def test_option_c_projects_every_shortcut(tmp_path):
    g = _compile(tmp_path, shortcut="C")
    assert sum(d["role"] == "down_conv" for _, d in g.nodes(data=True)) == 4


def test_verifier_checks_the_outputs(tmp_path):
    from archc.ir.verify import IRVerifyError, verify

    g = _compile(tmp_path)
    g.graph["outputs"] = ["nowhere"]
    with pytest.raises(IRVerifyError, match="graph outputs"):
        verify(g, "lower")


def test_scale_rejects_a_gate_of_the_wrong_width():
    from archc.ir.ops import OPS, ShapeError

    assert OPS["scale"].shape({}, [(16, 8, 8), (16, 1, 1)]) == (16, 8, 8)
    with pytest.raises(ShapeError, match="gate"):
        OPS["scale"].shape({}, [(16, 8, 8), (8, 1, 1)])


def test_a_unit_written_as_a_mapping_equals_the_named_one(tmp_path):
    """A new ordering is a YAML edit: the mapping form of Fig. 4(e) lowers to the same ops as its name."""
    g = _compile(tmp_path, unit="{preact: [bn, relu], inner: [bn, relu], last: [], after_add: []}")
    named = _compile(tmp_path, unit="full_preactivation")
    assert [(n, d["op"]) for n, d in g.nodes(data=True)] == [(n, d["op"]) for n, d in named.nodes(data=True)]


@pytest.mark.parametrize(
    ("unit", "expected"),
    [
        ("full_preactivaton", "did you mean 'full_preactivation'"),
        ("{preact: [bn, gelu]}", "did you mean 'relu'"),
        ("{inner: [bn, relu, relu]}", "at most once in a position"),  # two layers of one name (was exit 3)
        ("{inner: [bn, relu], after_add: [relu, relu]}", "at most once in a position"),
    ],
)
def test_unit_errors_are_located_with_a_suggestion(tmp_path, unit, expected):
    from archc.diagnostics import SpecError

    with pytest.raises(SpecError) as info:
        _compile(tmp_path, unit=unit)
    (diag,) = info.value.diagnostics
    assert diag.line == 6 and expected in diag.help
