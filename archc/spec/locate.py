"""Turn pydantic validation errors into located diagnostics with a fix-it ``help`` line."""

from __future__ import annotations

import types
import typing

from pydantic import BaseModel, ValidationError

from archc.diagnostics import Diagnostic, did_you_mean
from archc.spec.yamlread import Marks

_TYPE_NAMES = {
    bool: "a boolean",
    int: "an integer",
    float: "a number",
    str: "a string",
    list: "a list",
    dict: "a mapping",
    type(None): "null",
}
_EXPECTED = {
    "int_type": "an integer",
    "int_from_float": "an integer",
    "float_type": "a number",
    "string_type": "a string",
    "bool_type": "a boolean (true or false)",
    "list_type": "a list",
    "model_type": "a mapping",
    "dict_type": "a mapping",
    "model_attributes_type": "a mapping",
}


def describe(value: object) -> str:
    kind = _TYPE_NAMES.get(type(value), type(value).__name__)
    if isinstance(value, (dict, list)) or value is None:
        return kind
    shown = repr(value)
    return f"{kind} {shown if len(shown) <= 40 else shown[:37] + '...'}"


def _unwrap(tp):
    """Strip Annotated/Optional wrappers; return (origin type, union members)."""
    while typing.get_origin(tp) is typing.Annotated:
        tp = typing.get_args(tp)[0]
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        members = [a for a in typing.get_args(tp) if a is not type(None)]
        return tp, [_unwrap(m)[0] for m in members]
    return tp, [tp]


def _data_path(loc: tuple, data: object) -> tuple:
    """The path into the YAML data for a pydantic ``loc`` (drops union tags and validator names)."""
    path: list = []
    current = data
    for part in loc:
        if isinstance(current, dict) and isinstance(part, str) and part in current:
            current = current[part]
            path.append(part)
        elif isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current):
            current = current[part]
            path.append(part)
        elif isinstance(current, dict) and isinstance(part, str) and not _is_tag(part, current):
            path.append(part)  # an absent key (missing / extra)
            current = None
    return tuple(path)


def _is_tag(part: str, mapping: dict) -> bool:
    return mapping.get("op") == part or "[" in part


def _model_at(root: type[BaseModel], path: tuple, data: object) -> type[BaseModel] | None:
    """The pydantic model class that validates the mapping at ``path``."""
    model: object = root
    current = data
    for part in path:
        if isinstance(part, int):
            current = current[part] if isinstance(current, list) else None
            continue
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return None
        field = model.model_fields.get(part)
        if field is None:
            return None
        current = current.get(part) if isinstance(current, dict) else None
        model = _pick(field.annotation, current)
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def _pick(annotation, value):
    """Follow list[...] and tagged unions down to the model that validates ``value``."""
    tp, members = _unwrap(annotation)
    if typing.get_origin(tp) is list:
        return _pick(typing.get_args(tp)[0], None)
    models = [m for m in members if isinstance(m, type) and issubclass(m, BaseModel)]
    if len(models) > 1 and isinstance(value, dict):
        for m in models:
            op = m.model_fields.get("op")
            if op is not None and value.get("op") in typing.get_args(op.annotation):
                return m
    return models[0] if models else tp


def _literal_choices(error: dict) -> list[str]:
    expected = error.get("ctx", {}).get("expected", "")
    return [part.strip().strip("'\"") for part in expected.replace(" or ", ",").split(",") if part.strip()]


def _field_name(path: tuple) -> str:
    names = [p for p in path if isinstance(p, str)]
    return names[-1] if names else "spec"


def to_diagnostics(exc: ValidationError, data: object, marks: Marks, root: type[BaseModel]) -> list[Diagnostic]:
    out = []
    for error in exc.errors(include_url=False):
        out.append(_one(error, data, marks, root))
    return out


def _one(error: dict, data: object, marks: Marks, root: type[BaseModel]) -> Diagnostic:
    kind = error["type"]
    path = _data_path(error["loc"], data)
    name = _field_name(path)
    value = error.get("input")
    if kind == "extra_forbidden":
        parent = _model_at(root, path[:-1], data)
        fields = sorted(parent.model_fields) if parent else []
        m = marks.key(path)
        return _diag(m, "E200", f"unknown key '{path[-1]}'", did_you_mean(path[-1], fields))
    if kind in ("missing", "union_tag_not_found"):
        missing = name if kind == "missing" else "op"
        where = path[:-1] if kind == "missing" else path
        m = marks.value(where)
        return _diag(m, "E201", f"missing key '{missing}'", f"add '{missing}: …' here")
    m = marks.value(path)
    if kind in ("literal_error", "union_tag_invalid"):
        if kind == "union_tag_invalid":
            choices = [c.strip().strip("'\"") for c in error["ctx"]["expected_tags"].split(",")]
            value = error["ctx"]["tag"]
            m = marks.value(path + ("op",))
            name = "op"
        else:
            choices = _literal_choices(error)
        help = did_you_mean(value, choices)
        return _diag(m, "E203", f"invalid value {value!r} for '{name}'", help)
    if kind in _EXPECTED:
        expected = _EXPECTED[kind]
        return _diag(m, "E202", f"'{name}' must be {expected}, got {describe(value)}", _type_help(kind, value))
    if kind == "string_pattern_mismatch":
        return _diag(m, "E203", f"invalid {name} {describe(value)}", _pattern_help(name))
    if kind.startswith(("greater", "less", "too_short", "too_long")):
        return _diag(m, "E204", f"'{name}': {error['msg'].lower()}, got {describe(value)}", _range_help(kind, name))
    return _diag(m, "E203", f"'{name}': {error['msg']}", "see `archc schema` for what this key accepts")


def _diag(mark, code: str, message: str, help: str) -> Diagnostic:
    return Diagnostic(mark.path, mark.line, mark.col, code, message, help)


def _type_help(kind: str, value: object) -> str:
    if kind == "bool_type" and isinstance(value, str):
        return "YAML 1.2: only true and false are booleans ('yes', 'no', 'on', 'off' are strings)"
    if kind in ("int_type", "int_from_float") and isinstance(value, float) and value.is_integer():
        return f"write the integer {int(value)} without a decimal point or exponent"
    if kind in ("int_type", "float_type") and isinstance(value, str):
        return "remove the quotes and write a plain number"
    if kind == "string_type" and value is not None:
        return "put the value in quotes to make it a string"
    return "see `archc schema` for what this key accepts"


def _pattern_help(name: str) -> str:
    if name in ("paper", "notes", "description", "paper_flops"):
        return "remove control characters (tabs, escapes, NUL) from the text"
    return "use 1-64 lowercase letters, digits and underscores, not starting with a digit"


def _range_help(kind: str, name: str) -> str:
    if kind.startswith(("too_short", "too_long")):
        return f"check the number of items in '{name}'"
    return "see README 'Limits' for the allowed range of sizes"
