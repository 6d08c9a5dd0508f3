"""The Python API validates its arguments (issue 13, item 9): a ValueError naming the choices instead of
a bare KeyError, a silently wrong default, or a dict looked up as a spec name; CLI spellings accepted."""

from __future__ import annotations

import pytest

import archc
from archc.diagnostics import SpecError

TINY = {
    "archc": 1,
    "name": "tiny",
    "block": "basic",
    "input": {"size": 32},
    "stages": [{"name": "s1", "width": 16, "blocks": 2}],
    "head": {"classes": 10},
}


@pytest.mark.parametrize(
    "call, choices",
    [
        (lambda: archc.build("resnet18", backend="jax"), "'pytorch', 'keras', 'all'"),
        (lambda: archc.graph("resnet18", format="png"), "'dot', 'svg', 'json', 'mermaid'"),
        (lambda: archc.load("resnet18").per_layer(profile="tf"), "'torchvision', 'keras'"),
        (lambda: archc.table("resnet18", format="html"), "'markdown', 'latex'"),
        (lambda: archc.load("resnet18").code("jax"), "'pytorch', 'keras'"),
        (lambda: archc.verify("resnet18", backend="jax"), "'pytorch', 'keras', 'all'"),
        (lambda: archc.compare("resnet18", sort="speed"), "macs, flops"),
    ],
    ids=["build-backend", "graph-format", "profile", "table-format", "code-backend", "verify-backend", "sort"],
)
def test_bad_choices_are_value_errors_naming_the_choices(call, choices, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match="unknown") as info:
        call()
    assert choices in str(info.value)
    assert list(tmp_path.iterdir()) == []  # build wrote nothing


@pytest.mark.parametrize("size, shape", [(160, [3, 160, 160]), ("160x200", [3, 160, 200]), ((96, 128), [3, 96, 128])])
def test_input_size_takes_what_the_cli_takes(size, shape):
    assert archc.load("resnet50", input_size=size).cost()["input_shape"] == shape


@pytest.mark.parametrize("size", [0, "0x7", (1, 2, 3), 2.5, True, "big"])
def test_bad_input_sizes(size):
    with pytest.raises(ValueError, match="invalid input size"):
        archc.load("resnet18", input_size=size)


def test_a_dict_is_a_spec():
    m = archc.load(TINY)
    # by hand: no stem, so block 0's conv1 and its 1×1 projection see 3 channels; 5 BNs (γ, β) of 16
    convs = 3 * 16 * 9 + 16 * 16 * 9 + 3 * 16 + 2 * 16 * 16 * 9
    bns = 5 * 2 * 16
    assert m.cost()["params"] == convs + bns + 16 * 10 + 10
    assert archc.compare(TINY, "cifar/resnet20")[0]["label"] == "tiny"


def test_a_dict_spec_error_is_located():
    bad = {**TINY, "stages": [{"name": "s1", "width": "16", "blocks": 2}]}
    with pytest.raises(SpecError) as info:
        archc.load(bad)
    (d,) = info.value.diagnostics
    assert d.path == "<dict>" and d.code == "E202" and "'width' must be an integer" in d.message


def test_a_dict_may_extend_a_builtin():
    m = archc.load({"archc": 1, "name": "r18_10", "extends": "resnet18", "head": {"classes": 10}})
    assert m.cost()["params"] == 11_689_512 - 513 * 990  # torchvision resnet18 with a 10-class fc


def test_other_things_are_type_errors():
    with pytest.raises(TypeError, match="a path, a built-in name, a dict or an archc.Model"):
        archc.load(3)
    with pytest.raises(ValueError, match="at least one spec"):
        archc.compare()
