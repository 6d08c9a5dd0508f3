"""The committed JSON Schema is fresh, and every built-in spec validates against it (jsonschema)."""

from __future__ import annotations

import jsonschema
import pytest

from archc.spec.json_schema import FILE_NAME, spec_schema
from archc.spec.loader import _read_chain, builtin_names, specs_dir
from archc.spec.yamlread import read_yaml
from tests.conftest import REPO, run_cli

VALIDATOR = jsonschema.Draft202012Validator(spec_schema())
NAMES = builtin_names()


def test_committed_schema_is_fresh():
    code, out, _ = run_cli("schema")
    assert code == 0
    committed = (REPO / FILE_NAME).read_text(encoding="utf-8")
    assert out == committed, f"{FILE_NAME} is stale: run `archc schema > {FILE_NAME}`"
    jsonschema.Draft202012Validator.check_schema(spec_schema())


def test_builtin_specs_point_their_modeline_at_the_schema():
    for name in NAMES:
        path = specs_dir() / f"{name}.yaml"
        first = path.read_text(encoding="utf-8").splitlines()[0]
        target = first.removeprefix("# yaml-language-server: $schema=")
        assert first != target, f"{name}: no yaml-language-server modeline"
        assert (path.parent / target).resolve() == (REPO / FILE_NAME).resolve(), name


@pytest.mark.parametrize("name", NAMES)
def test_builtin_spec_validates_as_written_and_merged(name):
    path = specs_dir() / f"{name}.yaml"
    data, _ = read_yaml(str(path), name)
    VALIDATOR.validate(data)  # as written: a file with extends: may be partial
    merged, _, _ = _read_chain(path, name, [])
    assert "extends" not in merged
    VALIDATOR.validate(merged)  # after extends: a complete spec


BASE = {"archc": 1, "name": "n", "block": "basic", "stages": [{"name": "s", "width": 8, "blocks": 1}]}


@pytest.mark.parametrize(
    "change, ok",
    [
        ({}, True),
        ({"input": {"size": 160}}, True),  # one integer: a square input
        ({"input": {"size": [160, 200]}}, True),
        ({"stages": [{"name": "s", "width": 8, "blocks": 1, "strid": 2}]}, False),  # unknown key
        ({"stages": [{"name": "s", "width": "8", "blocks": 1}]}, False),  # "8" is not 8
        ({"archc": 2}, False),
        ({"block": "Triple"}, False),  # a block name is an identifier ("triple" is one: 'blocks:' may define it)
        ({"name": "Bad-Name"}, False),
        ({"stem": [{"op": "conv", "kernel": 7}]}, False),  # width missing
    ],
)
def test_schema_agrees_with_the_loader(tmp_path, change, ok):
    """The schema accepts exactly what archc's own validation accepts on these cases."""
    import yaml

    data = {**BASE, **change}
    assert VALIDATOR.is_valid(data) is ok
    spec = tmp_path / "s.yaml"
    spec.write_text(yaml.safe_dump(data), encoding="utf-8")
    code, _, err = run_cli("check", str(spec))
    assert (code == 0) is ok, err


def test_partial_spec_needs_extends():
    assert VALIDATOR.is_valid({"archc": 1, "extends": "resnet50", "stride_at": "3x3"})
    assert not VALIDATOR.is_valid({"archc": 1, "stride_at": "3x3"})


def test_the_spec_names_the_irs_activations():
    """A spec's activation names (top level, stage row, recipe act step) are the IR's list, in one place each."""
    import typing

    from archc.ir.ops import ACTIVATIONS
    from archc.spec.fields import Activation

    assert typing.get_args(Activation) == ACTIVATIONS
