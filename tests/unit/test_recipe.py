"""Block recipes: width expressions are parsed (never evaluated as Python), printed back from the parse and
computed with Python's arithmetic; every built-in definition compiles into steps that serialise as data."""

from __future__ import annotations

import json

import pytest

from archc.ir.expr import ExprError, parse, simplify
from archc.ir.recipe import Add, Branch, Conv, Norm, SqueezeExcite, as_dict
from archc.pipeline import compile_spec


@pytest.mark.parametrize(
    "text",
    [
        "int(planes * (base_width / 64.0)) * groups",
        "planes * expansion",
        "max(1, out // reduction)",
        "make_divisible(out / reduction, 8, round_limit=0.9)",
        "int(round(out * bottleneck_ratio))",
        "width // group_width",
        "eca_kernel_size(out, 2.0, 1.0)",
    ],
)
def test_expressions_print_back_as_written(text):
    assert parse(text).text() == text


def test_torchvision_width_rule_as_torchvision_computes_it():
    e = parse("int(planes * (base_width / 64.0)) * groups")
    for planes, base_width, groups in ((64, 4, 32), (128, 8, 32), (64, 128, 1), (256, 64, 1)):
        assert (
            e.value(dict(planes=planes, base_width=base_width, groups=groups))
            == int(planes * (base_width / 64.0)) * groups
        )


@pytest.mark.parametrize("text", ["__import__('os')", "planes.__class__", "open(1)", "planes ** 2", "a[0]", "1 +"])
def test_anything_but_arithmetic_and_the_rules_is_refused(text):
    with pytest.raises(ExprError):
        parse(text).value({"planes": 1, "a": 1})


def test_simplify_drops_no_op_arithmetic():
    bind = {"groups": 1, "base_width": 64, "planes": "filters", "bottleneck_ratio": 1.0}
    assert simplify(parse("int(planes * (base_width / 64.0)) * groups"), bind).text() == "filters"
    out = simplify(parse("planes * expansion"), {"planes": "filters", "expansion": 4})
    assert out.text() == "4 * filters"
    assert simplify(parse("int(round(out * bottleneck_ratio))"), {**bind, "out": out}).text() == "4 * filters"
    assert simplify(parse("int(round(planes * bottleneck_ratio))"), {"bottleneck_ratio": 0.5}).text() == (
        "int(round(planes * 0.5))"
    )


def test_seresnext_recipe_as_data():
    model = compile_spec("timm/seresnext26d_32x4d").graph.graph["blocks"]
    recipe = model.definitions[0].recipe
    kinds = [type(s) for s in recipe.steps]
    assert kinds[:1] == [Branch] and kinds[-3:-1] == [SqueezeExcite, Add]
    assert [s.role for s in recipe.steps if isinstance(s, Conv)] == ["conv1", "conv2", "conv3"]
    assert [s.role for s in recipe.steps if isinstance(s, Norm)] == ["bn1", "bn2", "bn3"]
    data = as_dict(recipe)
    assert json.loads(json.dumps(data)) == data
    assert data["lets"] == {"width": "int(planes * (base_width / 64.0)) * groups", "out": "planes * expansion"}
    assert data["steps"][-3]["hidden"] == "make_divisible(out / reduction, 8, round_limit=0.0)"
    assert [s["kind"] for s in data["shortcut"]["projection"]] == ["pool", "conv", "norm"]


def test_preactivation_recipe_branches_after_the_preactivation():
    recipe = compile_spec("cifar/preact_resnet164").graph.graph["blocks"].definitions[0].recipe
    assert [s.kind for s in recipe.steps[:3]] == ["norm", "act", "branch"]
    assert recipe.steps[-1].kind == "add"
