"""Safe YAML reading with source positions.

Pre:  a path to a file.
Post: plain Python data (dict / list / str / int / float / bool / None) and a :class:`Marks` table that maps
      every value's path (a tuple of keys and indices) to where it was written, so later passes can point
      at ``file:line:col``.

Rules, stricter than PyYAML's ``load``:
- YAML 1.2 core scalars: only ``true``/``false`` are booleans, ``no``/``on``/``off``/``yes`` stay strings;
  ``1e3`` is a float, ``0o17`` octal.
- duplicate keys are an error, not "last wins"; keys must be strings.
- no Python tags, no ``!!binary``/``!!timestamp``/``!!set``; no ``<<`` merge keys (they are unknown keys).
- explicit limits: file size, node count (alias expansion included: "billion laughs"), nesting depth.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import yaml

from archc.diagnostics import Diagnostic, SpecError
from archc.settings import LIMITS

Path = tuple


@dataclass(frozen=True)
class Mark:
    path: str
    line: int
    col: int


@dataclass
class Marks:
    """Where each value (``values``) and each mapping key (``keys``) was written."""

    values: dict[Path, Mark] = field(default_factory=dict)
    keys: dict[Path, Mark] = field(default_factory=dict)

    def value(self, path: Path) -> Mark:
        """The mark of ``path``, or of its nearest written ancestor."""
        for n in range(len(path), -1, -1):
            mark = self.values.get(tuple(path[:n]))
            if mark is not None:
                return mark
        raise KeyError(path)

    def key(self, path: Path) -> Mark:
        return self.keys.get(tuple(path)) or self.value(path)

    def update(self, other: Marks, prefix: Path = ()) -> None:
        for p, m in other.values.items():
            self.values[prefix + p] = m
        for p, m in other.keys.items():
            self.keys[prefix + p] = m

    def drop_under(self, path: Path) -> None:
        n = len(path)
        for table in (self.values, self.keys):
            for p in [p for p in table if p[:n] == path and len(p) > n]:
                del table[p]


_INT = re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$")
_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")
_SPECIAL_FLOATS = {".inf": math.inf, "+.inf": math.inf, "-.inf": -math.inf, ".nan": math.nan}
_BOOLS = {"true": True, "false": False}
_NULLS = {"", "~", "null"}
_STR, _SEQ, _MAP = "tag:yaml.org,2002:str", "tag:yaml.org,2002:seq", "tag:yaml.org,2002:map"
_EXPLICIT_SCALAR_TAGS = {
    _STR,
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
}


class _Composer(yaml.SafeLoader):
    """SafeLoader used only to *compose* node trees; resolution is done by :func:`_scalar`."""


# Every plain (unquoted, untagged) scalar is tagged "archc:plain" at compose time; _scalar then applies the
# YAML 1.2 core rules to it. Quoted scalars and explicit !!str stay strings.
_PLAIN = "archc:plain"
_Composer.yaml_implicit_resolvers = {None: [(_PLAIN, re.compile(r"(?s).*"))]}


def _scalar(node: yaml.ScalarNode):
    text = node.value
    if node.tag != _PLAIN and node.tag not in _EXPLICIT_SCALAR_TAGS:
        raise _Unsupported(node, f"tag '{node.tag}' is not allowed in a spec")
    if node.tag == _STR:  # quoted or explicitly a string
        return text
    if node.tag != _PLAIN:  # explicit !!int, !!float, …: must parse as that type
        return _explicit(node)
    low = text.lower() if text in ("True", "TRUE", "False", "FALSE", "Null", "NULL") else text
    if low in _BOOLS:
        return _BOOLS[low]
    if low in _NULLS:
        return None
    if _INT.match(text):
        if text.startswith("0o"):
            return int(text[2:], 8)
        return int(text, 16) if text.startswith("0x") else int(text, 10)
    if _FLOAT.match(text):
        return float(text)
    if text.lower() in _SPECIAL_FLOATS:
        return _SPECIAL_FLOATS[text.lower()]
    return text


def _explicit(node: yaml.ScalarNode):
    value = _scalar(yaml.ScalarNode(_PLAIN, node.value, node.start_mark, node.end_mark))
    kind = node.tag.rsplit(":", 1)[1]
    expected = {"int": int, "float": (int, float), "bool": bool, "null": type(None)}[kind]
    if isinstance(value, bool) and kind != "bool" or not isinstance(value, expected):
        raise _Unsupported(node, f"'{node.value}' is not a valid !!{kind}", "E202")
    return float(value) if kind == "float" else value


class _Unsupported(Exception):
    def __init__(self, node, message: str, code: str = "E104", help: str = ""):
        super().__init__(message)
        self.node, self.message, self.code, self.help = node, message, code, help


class _Builder:
    """Turns a composed node tree into data + marks, enforcing the node and depth limits."""

    def __init__(self, path: str):
        self.path = path
        self.marks = Marks()
        self.count = 0

    def mark(self, node) -> Mark:
        return Mark(self.path, node.start_mark.line + 1, node.start_mark.column + 1)

    def build(self, node, where: Path):
        self.count += 1
        if self.count > LIMITS.max_yaml_nodes:
            raise _Unsupported(
                node,
                f"the document expands to more than {LIMITS.max_yaml_nodes} YAML nodes",
                "E103",
                "anchors/aliases multiply: expand them by hand or simplify the spec",
            )
        if len(where) > LIMITS.max_yaml_depth:
            raise _Unsupported(
                node,
                f"nesting deeper than {LIMITS.max_yaml_depth} levels",
                "E103",
                "a spec needs only a few levels of nesting",
            )
        self.marks.values[where] = self.mark(node)
        if isinstance(node, yaml.ScalarNode):
            return _scalar(node)
        if isinstance(node, yaml.SequenceNode):
            if node.tag not in (_SEQ,):
                raise _Unsupported(node, f"tag '{node.tag}' is not allowed in a spec")
            return [self.build(item, where + (i,)) for i, item in enumerate(node.value)]
        if node.tag not in (_MAP,):
            raise _Unsupported(node, f"tag '{node.tag}' is not allowed in a spec")
        return self.build_map(node, where)

    def build_map(self, node: yaml.MappingNode, where: Path) -> dict:
        out: dict = {}
        for knode, vnode in node.value:
            if not isinstance(knode, yaml.ScalarNode):
                raise _Unsupported(knode, "mapping keys must be plain strings", "E202")
            key = _scalar(knode)
            if not isinstance(key, str):
                key = knode.value
            if key in out:
                first = self.marks.keys[where + (key,)]
                raise _Unsupported(
                    knode,
                    f"duplicate key '{key}' (first defined at line {first.line})",
                    "E102",
                    "each key may appear once in a mapping; remove or rename one of them",
                )
            self.marks.keys[where + (key,)] = self.mark(knode)
            out[key] = self.build(vnode, where + (key,))
        return out


def _decode(path: str, raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        col = len(before) - (before.rfind(b"\n") + 1) + 1
        raise SpecError(
            [
                Diagnostic(
                    path,
                    line,
                    col,
                    "E100",
                    f"file is not valid UTF-8 (byte 0x{raw[exc.start]:02x})",
                    "save the spec as UTF-8 text",
                )
            ]
        ) from None


def _yaml_error(path: str, exc: yaml.MarkedYAMLError) -> Diagnostic:
    mark = exc.problem_mark or exc.context_mark
    line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    problem = exc.problem or str(exc)
    help = "check indentation, colons and brackets near this position"
    if "\t" in problem or "'\\t'" in problem:
        help = "YAML does not allow tabs for indentation: use spaces"
    if exc.context:
        problem = f"{problem} ({exc.context})"
    return Diagnostic(path, line, col, "E101", f"invalid YAML: {problem}", help)


def read_yaml(path: str, display: str | None = None) -> tuple[object, Marks]:
    """Read one YAML document from ``path``; diagnostics name the file as ``display``."""
    shown = display or path
    try:
        with open(path, "rb") as fh:
            raw = fh.read(LIMITS.max_file_bytes + 1)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise SpecError(
            [Diagnostic(shown, 1, 1, "E100", f"cannot read file: {reason}", "check the path")]
        ) from None
    if len(raw) > LIMITS.max_file_bytes:
        raise SpecError(
            [
                Diagnostic(
                    shown,
                    1,
                    1,
                    "E103",
                    f"file is larger than {LIMITS.max_file_bytes} bytes",
                    "a spec is a few hundred bytes; is this the right file?",
                )
            ]
        )
    return parse_yaml(_decode(shown, raw), shown)


def parse_yaml(text: str, shown: str) -> tuple[object, Marks]:
    loader = _Composer(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, Marks({(): Mark(shown, 1, 1)})
        builder = _Builder(shown)
        data = builder.build(node, ())
        return data, builder.marks
    except yaml.MarkedYAMLError as exc:
        raise SpecError([_yaml_error(shown, exc)]) from None
    except yaml.YAMLError as exc:  # reader errors (control characters)
        raise SpecError([_reader_error(shown, exc)]) from None
    except _Unsupported as exc:
        m = exc.node.start_mark
        help = exc.help or "write plain YAML scalars, lists and mappings"
        raise SpecError(
            [Diagnostic(shown, m.line + 1, m.column + 1, exc.code, exc.message, help)]
        ) from None
    finally:
        loader.dispose()


def _reader_error(path: str, exc: yaml.YAMLError) -> Diagnostic:
    line, col = 1, 1
    if isinstance(exc, yaml.reader.ReaderError):
        text = exc.buffer if isinstance(exc.buffer, str) else ""
        before = text[: exc.position]
        line = before.count("\n") + 1
        col = exc.position - (before.rfind("\n") + 1) + 1
        message = f"control character {exc.character!r} is not allowed"
        return Diagnostic(path, line, col, "E101", message, "remove the control character")
    return Diagnostic(path, line, col, "E101", f"invalid YAML: {exc}", "check the file")
