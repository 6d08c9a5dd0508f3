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

import copy
import math
import re
from dataclasses import dataclass, field

import yaml

from archc.diagnostics import Diagnostic, SpecError
from archc.settings import LIMITS

Path = tuple


@dataclass(frozen=True)
class Mark:
    """Where a value was written: the file as shown to the user, its line and its column (1-based)."""

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
_TAG = "tag:yaml.org,2002:"
_STR, _SEQ, _MAP = _TAG + "str", _TAG + "seq", _TAG + "map"
_EXPLICIT_SCALAR_TAGS = {
    _TAG + "int": int,
    _TAG + "float": (int, float),
    _TAG + "bool": bool,
    _TAG + "null": type(None),
}


def _scalar(event: yaml.ScalarEvent):
    """YAML 1.2 core-schema value of a scalar event (quoted and ``!!str`` scalars stay strings)."""
    text, tag = event.value, event.tag
    if tag in (_STR, "!") or (tag is None and not event.implicit[0]):
        return text
    if tag is None:
        return _plain(text)
    if tag not in _EXPLICIT_SCALAR_TAGS:
        raise _Unsupported(event, f"tag '{_short(tag)}' is not allowed in a spec")
    value, expected = _plain(text), _EXPLICIT_SCALAR_TAGS[tag]
    if isinstance(value, bool) and tag != _TAG + "bool" or not isinstance(value, expected):
        raise _Unsupported(event, f"'{text}' is not a valid {_short(tag)}", "E202", "remove the tag or fix the value")
    return float(value) if tag == _TAG + "float" else value


def _plain(text: str):
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


def _short(tag: str) -> str:
    return "!!" + tag.removeprefix(_TAG) if tag.startswith(_TAG) else tag


class _Unsupported(Exception):
    """A construct archc refuses; ``where`` is an event or a PyYAML mark."""

    def __init__(self, where, message: str, code: str = "E104", help: str = ""):
        super().__init__(message)
        self.mark = getattr(where, "start_mark", where)
        self.message, self.code, self.help = message, code, help


_NODES_HELP = "a spec needs a few hundred values; limit: ARCHC_MAX_YAML_NODES (README 'Limits')"
_DEPTH_HELP = "a spec needs only a few levels of nesting; limit: ARCHC_MAX_YAML_DEPTH (README 'Limits')"
_ALIAS_HELP = "anchors and aliases multiply (a 'billion laughs'): write the values out, or simplify the spec"
_UNDEFINED_HELP = "define '&name' before '*name', and never inside the collection that the alias is part of"
_KEY_HELP = "write each key as a plain word such as 'stride:', not a list or a mapping"
_UNSUPPORTED_HELP = "a spec holds plain YAML scalars, lists and mappings; remove the tag"


@dataclass
class _Frame:
    """An open mapping or sequence while composing."""

    value: dict | list
    path: Path
    event: object
    start: tuple[int, int]  # lengths of the value/key mark logs when the collection opened
    count: int  # node count when it opened
    height: int = 0
    key: object = None
    has_key: bool = False


@dataclass
class _Anchor:
    """An anchored node, read once: its value, the marks inside it, and its size and height for the limits."""

    value: object
    values: list  # (relative path, mark) of every value inside, in document order
    keys: list
    size: int
    height: int


class _Composer:
    """Builds data + marks from parser events, iteratively (no recursion: ``[[[[…`` cannot exhaust the stack).

    Enforces the node limit (aliases count with their full expansion: "billion laughs" is refused before
    anything is copied) and the nesting limit, and rejects duplicate keys, complex keys and tags.
    """

    def __init__(self, shown: str):
        self.shown = shown
        self.values: list[tuple[Path, Mark]] = []
        self.keys: list[tuple[Path, Mark]] = []
        self.anchors: dict[str, _Anchor] = {}
        self.stack: list[_Frame] = []
        self.count = 0
        self.root: tuple | None = None

    def mark(self, event) -> Mark:
        return Mark(self.shown, event.start_mark.line + 1, event.start_mark.column + 1)

    def feed(self, event) -> None:
        if isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            return self.close()
        if not isinstance(event, (yaml.ScalarEvent, yaml.AliasEvent, yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            return None
        top = self.stack[-1] if self.stack else None
        if top is not None and isinstance(top.value, dict) and not top.has_key:
            return self.take_key(top, event)
        path = self.child_path(top)
        if len(path) > LIMITS.max_yaml_depth:
            raise _Unsupported(event, f"nesting deeper than {LIMITS.max_yaml_depth} levels", "E103", _DEPTH_HELP)
        if isinstance(event, yaml.AliasEvent):
            return self.alias(event, path)
        self.grow(event, 1)
        self.values.append((path, self.mark(event)))
        if isinstance(event, yaml.ScalarEvent):
            return self.place(_scalar(event), 0, event)
        tag, want = event.tag, (_MAP if isinstance(event, yaml.MappingStartEvent) else _SEQ)
        if tag not in (None, "!", want):
            raise _Unsupported(event, f"tag '{_short(tag)}' is not allowed in a spec")
        value = {} if want == _MAP else []
        start = (len(self.values) - 1, len(self.keys))
        self.stack.append(_Frame(value, path, event, start, self.count - 1))
        return None

    def grow(self, where, n: int) -> None:
        self.count += n
        if self.count > LIMITS.max_yaml_nodes:
            raise _Unsupported(
                where, f"the document has more than {LIMITS.max_yaml_nodes} YAML nodes", "E103", _NODES_HELP
            )

    def child_path(self, top: _Frame | None) -> Path:
        if top is None:
            return ()
        if isinstance(top.value, list):
            return top.path + (len(top.value),)
        return top.path + (top.key,)

    def take_key(self, top: _Frame, event) -> None:
        if isinstance(event, yaml.AliasEvent) and isinstance(self.anchors.get(event.anchor, _NOPE).value, str):
            key = self.anchors[event.anchor].value
        elif isinstance(event, yaml.ScalarEvent):
            key = _scalar(event)
            key = key if isinstance(key, str) else event.value
        else:
            raise _Unsupported(event, "mapping keys must be plain strings", "E202", _KEY_HELP)
        if key in top.value:
            first = next(m for p, m in reversed(self.keys) if p == top.path + (key,))
            raise _Unsupported(
                event,
                f"duplicate key '{key}' (first defined at {first.line}:{first.col})",
                "E102",
                "each key may appear once in a mapping; remove or rename one of them",
            )
        self.grow(event, 1)
        self.keys.append((top.path + (key,), self.mark(event)))
        top.key, top.has_key = key, True

    def alias(self, event, path: Path) -> None:
        anchor = self.anchors.get(event.anchor)
        if anchor is None:
            raise _Unsupported(
                event,
                f"alias '*{event.anchor}' has no complete anchor '&{event.anchor}' before it",
                "E104",
                _UNDEFINED_HELP,
            )
        if len(path) + anchor.height > LIMITS.max_yaml_depth:
            raise _Unsupported(event, f"nesting deeper than {LIMITS.max_yaml_depth} levels", "E103", _DEPTH_HELP)
        if self.count + anchor.size > LIMITS.max_yaml_nodes:
            message = f"alias '*{event.anchor}' ({anchor.size} nodes) takes the document over {LIMITS.max_yaml_nodes} YAML nodes"
            raise _Unsupported(event, message, "E103", _ALIAS_HELP)
        self.grow(event, anchor.size)
        self.values.append((path, self.mark(event)))
        self.values.extend((path + p, m) for p, m in anchor.values[1:])
        self.keys.extend((path + p, m) for p, m in anchor.keys)
        self.place(copy.deepcopy(anchor.value), anchor.height, None)

    def close(self) -> None:
        frame = self.stack.pop()
        if frame.event.anchor is not None:
            n = len(frame.path)
            values = [(p[n:], m) for p, m in self.values[frame.start[0] :]]
            keys = [(p[n:], m) for p, m in self.keys[frame.start[1] :]]
            self.anchors[frame.event.anchor] = _Anchor(
                frame.value, values, keys, self.count - frame.count, frame.height
            )
        self.place(frame.value, frame.height, None)

    def place(self, value, height: int, event) -> None:
        if event is not None and event.anchor is not None:
            self.anchors[event.anchor] = _Anchor(value, [((), None)], [], 1, 0)
        if not self.stack:
            self.root = (value,)
            return
        top = self.stack[-1]
        top.height = max(top.height, height + 1)
        if isinstance(top.value, list):
            top.value.append(value)
        else:
            top.value[top.key] = value
            top.has_key = False

    def marks(self) -> Marks:
        return Marks(dict(self.values), dict(self.keys))


_NOPE = _Anchor(None, [], [], 0, 0)


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


# PyYAML problem text → the fix to suggest (first match wins).
_YAML_HELP = (
    ("'\\t'", "YAML does not allow tabs for indentation: use spaces"),
    ("tab character", "YAML does not allow tabs for indentation: use spaces"),
    ("undefined alias", "define the anchor ('&name') before the alias ('*name') that uses it"),
    ("another document", "a spec is one YAML document: remove the '---' separator and what follows"),
    ("duplicate anchor", "each anchor name ('&name') may be defined once"),
    ("mapping values are not allowed", "put a space after each ':' and quote values that contain ': '"),
    ("could not find expected ':'", "write each mapping entry as 'key: value'"),
    ("end of stream", "close the quote or bracket that is still open"),
    ("expected ',' or", "close the bracket, or separate items with ', '"),
    ("expected <block end>", "indent the entries of one mapping or list equally"),
)


def _yaml_error(path: str, exc: yaml.MarkedYAMLError, text: str) -> Diagnostic:
    mark = exc.problem_mark or exc.context_mark
    line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    problem = exc.problem or str(exc)
    if mark is not None and text[mark.index : mark.index + 1] == "\t":
        help = "YAML does not allow tabs for indentation: use spaces"
        return Diagnostic(path, line, col, "E101", "invalid YAML: a tab character where YAML expects spaces", help)
    help = next((h for key, h in _YAML_HELP if key in problem), "check indentation, colons and brackets near here")
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
        raise SpecError([Diagnostic(shown, 1, 1, "E100", f"cannot read file: {reason}", "check the path")]) from None
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
    """Parse one YAML document (events from LibYAML when available, else PyYAML's pure-Python parser)."""
    composer = _Composer(shown)
    try:
        documents = 0
        for event in yaml.parse(text, Loader=_LOADER):
            if isinstance(event, yaml.DocumentStartEvent):
                documents += 1
                if documents > 1:
                    raise _Unsupported(event, "a spec file holds one YAML document, found another", "E101", _DOCS_HELP)
            composer.feed(event)
    except yaml.MarkedYAMLError as exc:
        raise SpecError([_yaml_error(shown, exc, text)]) from None
    except yaml.reader.ReaderError as exc:
        raise SpecError([_reader_error(shown, exc, text)]) from None
    except _Unsupported as exc:
        m = exc.mark
        help = exc.help or _UNSUPPORTED_HELP
        raise SpecError([Diagnostic(shown, m.line + 1, m.column + 1, exc.code, exc.message, help)]) from None
    if composer.root is None:
        return None, Marks({(): Mark(shown, 1, 1)})
    return composer.root[0], composer.marks()


_LOADER = yaml.CSafeLoader if yaml.__with_libyaml__ else yaml.SafeLoader
_DOCS_HELP = "remove the '---' separator and what follows"


def _reader_error(path: str, exc: yaml.reader.ReaderError, text: str) -> Diagnostic:
    before = text[: exc.position]
    line = before.count("\n") + 1
    col = exc.position - (before.rfind("\n") + 1) + 1
    char = chr(exc.character) if isinstance(exc.character, int) else str(exc.character)
    message = f"control character {ascii(char)} (U+{ord(char[:1] or chr(0)):04X}) is not allowed in YAML"
    return Diagnostic(
        path, line, col, "E101", message, "remove it; write escapes such as \\t only inside double quotes"
    )
