"""Free-form metadata (issue 13, item 14): any lower_snake_case key with one scalar value is kept; the
known keys stay typed; a near-miss of a known key, a structure or a control character is a located error."""

from __future__ import annotations

import jsonschema
import pytest

from archc.diagnostics import SpecError
from archc.spec.json_schema import spec_schema
from archc.spec.loader import load_spec
from tests.conftest import run_cli

HEAD = "archc: 1\nname: meta\nextends: resnet18\nmetadata:\n"


def spec_file(tmp_path, body: str):
    path = tmp_path / "meta.yaml"
    path.write_text(HEAD + body, encoding="utf-8")
    return path


def errors_of(path) -> list[tuple]:
    with pytest.raises(SpecError) as info:
        load_spec(str(path))
    return [(d.line, d.col, d.code, d.message, d.help) for d in info.value.diagnostics]


def test_free_form_scalars_are_kept_and_known_keys_stay_typed(tmp_path):
    body = "  paper_params: 11.7\n  dataset: ImageNet\n  epochs: 90\n  pretrained: false\n  url: null\n  top1_error: 30.24\n"
    meta = load_spec(str(spec_file(tmp_path, body))).spec.metadata
    assert meta.model_extra == {
        "paper_params": 11.7,
        "dataset": "ImageNet",
        "epochs": 90,
        "pretrained": False,
        "url": None,
    }
    assert meta.top1_error == 30.24
    code, out, _ = run_cli("compare", "--csv", str(tmp_path / "meta.yaml"))
    assert code == 0 and out.splitlines()[0].endswith("top1_error")  # typed keys still reach compare


@pytest.mark.parametrize(
    "body, expected",
    [
        (
            "  paper_params: {value: 11.7}\n",
            (
                5,
                17,
                "E202",
                "'paper_params': a metadata value is one string, number, true/false or null, not a mapping",
            ),
        ),
        (
            "  tags: [a, b]\n",
            (5, 9, "E202", "'tags': a metadata value is one string, number, true/false or null, not a list"),
        ),
        (
            '  note_text: "a\\x1b[2Jb"\n',
            (5, 14, "E202", "'note_text': metadata text may not hold the character '\\x1b'"),
        ),
        (
            "  top1_eror: 30\n",
            (5, 3, "E200", "unknown metadata key 'top1_eror', a typo of the typed key 'top1_error'?"),
        ),
        ("  Paper-Params: 1\n", (5, 3, "E203", "invalid metadata key 'Paper-Params'")),
        ("  top1_error: high\n", (5, 15, "E202", "'top1_error' must be a number, got a string 'high'")),
    ],
    ids=["mapping", "list", "escape", "near-miss", "key-case", "typed"],
)
def test_refused_where_written(tmp_path, body, expected):
    (got,) = errors_of(spec_file(tmp_path, body))
    assert got[:4] == expected
    assert got[4]  # always a help line


def test_the_json_schema_says_the_same(tmp_path):
    validator = jsonschema.Draft202012Validator(spec_schema())
    base = {"archc": 1, "name": "n", "block": "basic", "stages": [{"name": "s", "width": 8, "blocks": 1}]}
    validator.validate({**base, "metadata": {"paper_params": 1.5, "dataset": "x", "ok": True, "none": None}})
    for bad in ({"nested": {"a": 1}}, {"tags": [1]}, {"top1_error": "high"}):
        with pytest.raises(jsonschema.ValidationError):
            validator.validate({**base, "metadata": bad})
