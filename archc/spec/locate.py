"""Turn pydantic validation errors into located diagnostics with a fix-it ``help`` line."""

from __future__ import annotations

import difflib
import types
import typing
import unicodedata

from pydantic import BaseModel, ValidationError

from archc.diagnostics import Diagnostic, did_you_mean
from archc.settings import LIMITS
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
    return mapping.get("op") == part or mapping.get("kind") == part or "[" in part


def _tag_key(path: tuple) -> str:
    """The key that tags a list item's kind: ``op`` (stem layers), ``kind`` (a block recipe's steps)."""
    return "kind" if "steps" in path else "op"


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
            for key in ("op", "kind"):
                tag = m.model_fields.get(key)
                if tag is not None and value.get(key) in typing.get_args(tag.annotation):
                    return m
    return models[0] if models else tp


def _literal_choices(error: dict) -> list[str]:
    expected = error.get("ctx", {}).get("expected", "")
    return [part.strip().strip("'\"") for part in expected.replace(" or ", ",").split(",") if part.strip()]


def _field_name(path: tuple) -> str:
    """``width`` for (stages, 1, width); ``stem[0]`` for (stem, 0); ``spec`` for ()."""
    for n in range(len(path) - 1, -1, -1):
        if isinstance(path[n], str):
            return path[n] + "".join(f"[{i}]" for i in path[n + 1 :])
    return "spec"


def to_diagnostics(exc: ValidationError, data: object, marks: Marks, root: type[BaseModel]) -> list[Diagnostic]:
    """One diagnostic per offending value (a union's alternatives are merged into one message)."""
    groups: dict[tuple, list[dict]] = {}
    for error in exc.errors(include_url=False):
        groups.setdefault(_data_path(error["loc"], data), []).append(error)
    out = []
    for path, errors in groups.items():
        if len(errors) > 1 and all(e["type"] in _EXPECTED or e["type"] == "literal_error" for e in errors):
            out.append(_union(errors, path, marks))
        else:
            out.extend(_one(e, data, marks, root) for e in errors)
    return out


def _union(errors: list[dict], path: tuple, marks: Marks) -> Diagnostic:
    wanted = []
    for e in errors:
        wanted += [_EXPECTED[e["type"]]] if e["type"] in _EXPECTED else [f"'{c}'" for c in _literal_choices(e)]
    value = errors[0].get("input")
    name = _field_name(path)
    help = next((_type_help(e["type"], value, name) for e in errors if e["type"] in _EXPECTED), _SCHEMA)
    return _diag(marks.value(path), "E202", f"'{name}' must be {' or '.join(wanted)}, got {describe(value)}", help)


_SCHEMA = "see `archc schema` for what this key accepts"


def _one(error: dict, data: object, marks: Marks, root: type[BaseModel]) -> Diagnostic:
    kind = error["type"]
    path = _data_path(error["loc"], data)
    name = _field_name(path)
    value = error.get("input")
    if kind == "extra_forbidden":
        return _unknown_key(path, data, marks, root)
    if kind in ("missing", "union_tag_not_found"):
        return _missing(kind, path, data, marks, root)
    m = marks.value(path)
    if kind == "literal_error" and path == ("archc",):
        return _diag(
            m, "E203", f"unsupported spec version {value!r}", "this archc reads spec version 1: write 'archc: 1'"
        )
    if kind in ("literal_error", "union_tag_invalid"):
        if kind == "union_tag_invalid":
            choices = [c.strip().strip("'\"") for c in error["ctx"]["expected_tags"].split(",")]
            tag = _tag_key(path)
            value, m, name = error["ctx"]["tag"], marks.value(path + (tag,)), tag
        else:
            choices = _literal_choices(error)
        if value is None:
            return _diag(m, "E203", f"'{name}' is empty (null)", did_you_mean("", choices))
        return _diag(m, "E203", f"invalid value {value!r} for '{name}'", did_you_mean(value, choices))
    if kind in _EXPECTED:
        expected = "an integer or a list [height, width]" if name == "size" else _EXPECTED[kind]
        return _diag(m, "E202", f"'{name}' must be {expected}, got {describe(value)}", _type_help(kind, value, name))
    if kind == "string_pattern_mismatch":
        return _pattern(m, name, value)
    if kind == "reserved_name":
        help = f"use a name that is not a Python keyword, built-in, __dunder__ or device name, e.g. '{value.strip('_')}_net'"
        return _diag(m, "E203", f"'{name}': {error['msg']}", help)
    if kind == "metadata_value":
        return _diag(
            m, "E202", f"'{name}': {error['msg']}", "write one value, e.g. 'dataset: ImageNet' or 'paper_params: 25.5'"
        )
    if kind.startswith(("greater", "less")):
        return _diag(m, "E204", _range_message(name, error, value), _range_help(error, name))
    if kind.startswith(("too_short", "too_long", "string_too_long")):
        return _diag(m, "E204", _length_message(name, error, value), _length_help(name, error))
    return _diag(m, "E203", f"'{name}': {error['msg']}", (error.get("ctx") or {}).get("help", _SCHEMA))


def _diag(mark, code: str, message: str, help: str) -> Diagnostic:
    return Diagnostic(mark.path, mark.line, mark.col, code, message, help)


def _unknown_key(path: tuple, data: object, marks: Marks, root: type[BaseModel]) -> Diagnostic:
    key, m = path[-1], marks.key(path)
    parent = _model_at(root, path[:-1], data)
    fields = sorted(parent.model_fields) if parent else []
    if key == "<<":
        return _diag(m, "E200", "YAML merge keys ('<<') are not supported", "write the keys out, or use 'extends:'")
    close = difflib.get_close_matches(str(key), fields, n=1, cutoff=0.6)
    home = _home_of(key, parent)
    if len(path) > 1 and key in root.model_fields and parent is not root:
        # a spec-level key written inside a stage (`block:`): not a typo of a stage key (`blocks`)
        help = f"'{key}' is a top-level key of the spec (it applies to every stage); move it out of '{path[0]}:'"
    elif close or not home:
        help = did_you_mean(key, fields)
    else:
        help = f"'{key}' belongs under '{home}:'"
    return _diag(m, "E200", f"unknown key '{key}'", help)


def _home_of(key: str, model: type[BaseModel] | None) -> str | None:
    """The field of ``model`` whose own model has a key ``key`` (one level down), if any."""
    if model is None:
        return None
    for name, field in sorted(model.model_fields.items()):
        sub = _pick(field.annotation, None)
        if isinstance(sub, type) and issubclass(sub, BaseModel) and key in sub.model_fields:
            return name
    return None


def _missing(kind: str, path: tuple, data: object, marks: Marks, root: type[BaseModel]) -> Diagnostic:
    if kind == "missing":
        key, where = path[-1], path[:-1]
        parent = _model_at(root, where, data)
        field = parent.model_fields.get(key) if parent else None
        choices = _choices(field.annotation) if field else []
    else:
        key, where = _tag_key(path), path
        choices = _op_choices(root, path, data, key)
    help = f"add '{key}: {choices[0]}'" if len(choices) == 1 else f"add '{key}: …'"
    if len(choices) > 1:
        help += " (one of " + ", ".join(f"'{c}'" for c in choices) + ")"
    return _diag(marks.value(where), "E201", f"missing key '{key}'", help)


def _choices(annotation) -> list[str]:
    tp, _ = _unwrap(annotation)
    return [str(a) for a in typing.get_args(tp)] if typing.get_origin(tp) is typing.Literal else []


def _op_choices(root: type[BaseModel], path: tuple, data: object, key: str = "op") -> list[str]:
    """The ``op`` (or ``kind``) values of the tagged union that validates the list item at ``path``."""
    parent = _model_at(root, path[:-2], data) if len(path) >= 2 else None
    field = parent.model_fields.get(path[-2]) if parent and isinstance(path[-2], str) else None
    if field is None:
        return []
    tp, _ = _unwrap(field.annotation)
    item = typing.get_args(tp)[0] if typing.get_origin(tp) is list else tp
    out: list[str] = []
    for member in _unwrap(item)[1]:
        op = getattr(member, "model_fields", {}).get(key)
        out += _choices(op.annotation) if op else []
    return out


_EXAMPLES = {
    "stem": "{op: conv, kernel: 7, width: 64, stride: 2}",
    "stages": "{name: conv2, width: 64, blocks: 3, stride: 1}",
}


def _type_help(kind: str, value: object, name: str) -> str:
    if kind == "bool_type" and isinstance(value, str) and value.lower() in ("true", "false"):
        return f"remove the quotes: write {value.lower()}"
    if kind == "bool_type" and isinstance(value, str):
        return "YAML 1.2: only true and false are booleans ('yes', 'no', 'on', 'off' are strings)"
    if value is None:
        return f"give '{name}' a value, or remove the key to use its default"
    if kind in ("int_type", "float_type") and isinstance(value, bool):
        return "write a number; true and false are booleans"
    if kind in ("int_type", "int_from_float") and isinstance(value, float) and value.is_integer():
        return f"write the integer {int(value)} without a decimal point or exponent"
    if kind in ("int_type", "int_from_float") and isinstance(value, float):
        return "write a whole number"
    if kind in ("int_type", "float_type") and isinstance(value, str):
        return "remove the quotes and write a plain number"
    if kind == "string_type" and value is not None:
        return "put the value in quotes to make it a string"
    base = name.split("[")[0]
    if kind in ("model_type", "dict_type", "model_attributes_type") and base in _EXAMPLES:
        return f"write each item of '{base}' as a mapping, e.g. {_EXAMPLES[base]}"
    if name == "size":
        return "write 'size: 224' or 'size: [height, width]'"
    if kind == "list_type" and base in _EXAMPLES:
        return f"write '{base}:' as a list of mappings such as {_EXAMPLES[base]}"
    return _SCHEMA


def _pattern(mark, name: str, value: object) -> Diagnostic:
    text = str(value)
    bad = next((c for c in text if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") and c not in "\t\n"), None)
    if bad is not None and name not in _IDENTIFIER_FIELDS:
        message = f"'{name}' contains the character {ascii(bad)} (U+{ord(bad):04X})"
        help = "text may hold tabs and newlines, but no control, bidi-override or line-separator characters"
        return _diag(mark, "E203", message, help)
    shown = repr(text) if len(text) <= 40 else repr(text[:37]) + "..."
    help = "use 1-64 lowercase letters, digits and underscores, not starting with a digit (e.g. 'resnet50')"
    return _diag(mark, "E203", f"invalid {name} {shown}", help)


_IDENTIFIER_FIELDS = {"name"}


def _range_message(name: str, error: dict, value: object) -> str:
    ctx = error.get("ctx", {})
    words = {"ge": "at least", "gt": "greater than", "le": "at most", "lt": "less than"}
    bound = next(f"{words[k]} {ctx[k]}" for k in ("ge", "gt", "le", "lt") if k in ctx)
    return f"'{name}' must be {bound}, got {_short_value(value)}"


def _short_value(value: object) -> str:
    shown = repr(value)
    return shown if len(shown) <= 24 else f"{shown[:12]}…({len(shown)} digits)"


def _range_help(error: dict, name: str) -> str:
    ctx = error.get("ctx", {})
    if "gt" in ctx:  # strict bounds say so: `wm: 1.0` against gt 1 is not helped by "at least 1.0"
        return f"use a value greater than {ctx['gt']}"
    if "lt" in ctx:
        return f"use a value less than {ctx['lt']}"
    upper = ctx.get("le")
    if upper is None:
        return f"use a value of at least {ctx.get('ge')}"
    limit = _LIMIT_OF.get(name.split("[")[0])
    if limit and getattr(LIMITS, limit) == upper:
        return f"the limit is {limit} (raise it with ARCHC_{limit.upper()}, see README 'Limits')"
    return f"use a value of at most {upper}"


# Which setting bounds a key (README 'Limits').
_LIMIT_OF = {
    "size": "max_spatial",
    "width": "max_channels",
    "channels": "max_channels",
    "hidden": "max_channels",
    "blocks": "max_blocks",
    "kernel": "max_kernel",
    "padding": "max_kernel",
    "stride": "max_stride",
}


def _length_message(name: str, error: dict, value: object) -> str:
    ctx = error.get("ctx", {})
    actual = ctx.get("actual_length", len(value) if isinstance(value, (str, list)) else None)
    if "min_length" in ctx:
        n = ctx["min_length"]
        return f"'{name}' must have at least {n} item{'s' if n != 1 else ''}, got {actual}"
    unit = "characters" if error["type"].startswith("string") else "items"
    return f"'{name}' must have at most {ctx.get('max_length')} {unit}, got {actual}"


def _length_help(name: str, error: dict) -> str:
    if name == "size":
        return "write 'size: 224' or 'size: [height, width]'"
    if error["type"] == "string_too_long":
        return f"shorten the text to at most {error.get('ctx', {}).get('max_length')} characters"
    if "max_length" in error.get("ctx", {}):
        return f"the spec language allows at most {error['ctx']['max_length']} items in '{name}'"
    if name in _EXAMPLES:
        return f"write at least one item, e.g. {_EXAMPLES[name]}"
    return f"check the number of items in '{name}'"
