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
