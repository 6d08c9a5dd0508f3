"""The JSON Schema of the spec language (``archc schema``, committed as ``archc-spec.schema.json``).

Generated from the pydantic models (:class:`~archc.spec.schema.Spec`), with two adjustments so that it
describes the *files* people write, which editors check through the modeline
``# yaml-language-server: $schema=…/archc-spec.schema.json``:

- ``input.size`` also accepts one integer (``size: 224`` means 224×224; the model's before-validator);
- ``stages`` may also be a generator (``{regnet: {...}}``, :mod:`archc.spec.generators`), expanded into a
  table before validation;
- a file with ``extends:`` is a partial spec: it needs none of the otherwise required keys (``name``,
  ``block``, ``stages``), because they come from the spec it extends. After ``extends:`` is resolved the
  merged spec must satisfy the full schema (the tests check both, for every built-in spec).
"""

from __future__ import annotations

import copy
import json
from functools import cache

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
FILE_NAME = "archc-spec.schema.json"


@cache
def _spec_schema() -> dict:
    from archc.spec.schema import Spec

    return Spec.model_json_schema()


def spec_schema() -> dict:
    """The schema as a dict (a fresh copy)."""
    schema = copy.deepcopy(_spec_schema())
    size = schema["$defs"]["InputSpec"]["properties"]["size"]
    one = dict(size["items"])
    schema["$defs"]["InputSpec"]["properties"]["size"] = {
        "anyOf": [one, {k: v for k, v in size.items() if k not in ("default", "title")}],
        "default": size["default"],
        "description": "height and width, or one integer for a square input",
        "title": size["title"],
    }
    _stage_generators(schema)
    required = schema.pop("required")
    schema["anyOf"] = [{"required": ["extends"]}, {"required": required}]
    head = {"$schema": SCHEMA_DIALECT, "title": "archc spec"}
    body = {k: v for k, v in schema.items() if k != "title"}
    body["description"] = (
        "An archc architecture spec (a stage table). A file with 'extends:' may leave out any key that the "
        "spec it extends provides. " + body.get("description", "")
    ).strip()
    return {**head, **body}


def _stage_generators(schema: dict) -> None:
    """``stages``: a table, or a generator that expands into one."""
    from archc.spec.generators import StageGenerator

    generator = StageGenerator.model_json_schema(ref_template="#/$defs/{model}")
    schema["$defs"].update(generator.pop("$defs", {}))
    schema["$defs"]["StageGenerator"] = generator
    table = schema["properties"]["stages"]
    schema["properties"]["stages"] = {
        "anyOf": [{k: v for k, v in table.items() if k != "title"}, {"$ref": "#/$defs/StageGenerator"}],
        "description": "the stage table, or a generator of one (stages: {regnet: {w0, wa, wm, depth, …}})",
        "title": table.get("title", "Stages"),
    }


def schema_text() -> str:
    """The committed file's exact text: 2-space JSON, keys in the models' order, a final newline."""
    return json.dumps(spec_schema(), indent=2, ensure_ascii=False) + "\n"
