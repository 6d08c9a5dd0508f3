"""The IR verifier accepts every built-in after every pass and rejects broken graphs."""

from __future__ import annotations

import pytest

from archc.ir.verify import IRVerifyError, verify
from archc.pipeline import compile_spec
from archc.spec.loader import builtin_names


@pytest.mark.parametrize("name", builtin_names())
def test_builtins_verify_after_every_pass(name):
    compile_spec(name, verify_each=True)


@pytest.fixture
def graph():
    return compile_spec("resnet18").graph


def test_edge_shape_mismatch(graph):
    graph.edges["stem.0.conv", "stem.0.bn"]["shape"] = (1, 2, 3)
    with pytest.raises(IRVerifyError, match="edge shape"):
        verify(graph, "shapes")


def test_missing_attribute(graph):
    del graph.nodes["s0.b0.conv1"]["attrs"]["stride"]
    with pytest.raises(IRVerifyError, match="lacks attributes"):
        verify(graph, "lower")


def test_wrong_arity(graph):
    graph.remove_edge("stem.1.pool", "s0.b0.add")
    with pytest.raises(IRVerifyError, match="add has 1 inputs"):
        verify(graph, "lower")


def test_duplicate_weight_names(graph):
    graph.nodes["s0.b0.conv2"]["names"]["torchvision"] = "layer1.0.conv1"
    with pytest.raises(IRVerifyError, match="also used by"):
        verify(graph, "names")


def test_negative_cost(graph):
    graph.nodes["head.fc"]["macs"] = -1
    with pytest.raises(IRVerifyError, match="macs"):
        verify(graph, "cost")


def test_block_view_and_op_view_must_agree(graph):
    """The block model says what each block is; an op that disagrees with its block's plan is caught."""
    graph.nodes["s1.b0.conv1"]["attrs"]["stride"] = (1, 1)  # the plan strides s1.b0 on its first 3x3
    with pytest.raises(IRVerifyError, match=r"s1\.b0: conv1 is .* the recipe says"):
        verify(graph, "lower")


def test_a_block_that_projects_against_its_plan(graph):
    graph.graph["blocks"].block("s2.b0").projects = False  # its ops have a projection: the views disagree
    with pytest.raises(IRVerifyError, match=r"s2\.b0: has ops \[.*'down_conv'.*\], its recipe says \[(?!.*down_conv)"):
        verify(graph, "lower")


def test_an_se_width_against_its_recipe():
    """SE's hidden width is the recipe's expression (timm: make_divisible(C / 16, 8)) evaluated per block."""
    g = compile_spec("timm/seresnet18").graph
    g.nodes["s0.b0.se_reduce"]["attrs"]["out_channels"] = 4  # SENet's floor 64 // 16, not timm's rounding to 8
    with pytest.raises(IRVerifyError, match=r"s0\.b0: SE squeezes to 4, the recipe says 8"):
        verify(g, "lower")


def test_an_op_tagged_with_another_block(graph):
    graph.nodes["s0.b1.conv2"]["block"] = "s0.b0"
    with pytest.raises(IRVerifyError, match=r"s0\.b0: the block lists \d+ ops, \d+ are tagged"):
        verify(graph, "lower")


def test_blocks_with_equal_plans_share_one_definition():
    model = compile_spec("torchvision/resnext50_32x4d").graph.graph["blocks"]
    assert len(model.definitions) == 1 and all(b.definition is model.definitions[0] for b in model.blocks)
    d = model.definitions[0]
    assert (d.kind, d.groups, d.base_width, d.expansion) == ("bottleneck", 32, 4, 4)
    assert [(b.planes, b.inner, b.out, b.stride, b.projects) for b in model.stages[1].blocks[:2]] == [
        (128, 256, 512, 2, True),
        (128, 256, 512, 1, False),
    ]
