"""Diagnostics: located, ruff-style error messages and the exit codes that go with them.

A :class:`Diagnostic` says *where* (path, line, column; 1-based), *what* (a stable code and a message)
and *how to fix it* (a ``help`` line). :class:`SpecError` carries one or more diagnostics through the
pipeline; the CLI renders them and exits with :data:`EXIT_INVALID`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass

EXIT_OK = 0
EXIT_DIFFERENCE = 1
EXIT_INVALID = 2
EXIT_INTERNAL = 3

# Stable codes. E1xx: reading YAML; E2xx: schema; E3xx: extends/resolution; E4xx: semantics (shapes, sizes);
# E5xx: writing outputs; E6xx: command-line options and the files they name (no spec location).
CODES = {
    "E100": "file cannot be read",
    "E101": "YAML syntax error",
    "E102": "duplicate key",
    "E103": "resource limit exceeded while reading",
    "E104": "unsupported YAML construct",
    "E200": "unknown key",
    "E201": "missing key",
    "E202": "wrong type",
    "E203": "invalid value",
    "E204": "value out of range",
    "E300": "extends: target not found",
    "E301": "extends: cycle",
    "E302": "spec not found",
    "E400": "feature map shrinks below 1x1",
    "E401": "inconsistent architecture",
    "E402": "model too large",
    "E403": "not expressible in a backend",
    "E500": "output cannot be written",
    "E600": "invalid command-line option",
    "E601": "input file not found",
    "E602": "optional dependency not installed",
    "E603": "weights do not fit the spec",
    "E604": "input file cannot be read",
}


@dataclass(frozen=True)
class Diagnostic:
    """``path:line:col: error[CODE]: message``; with an empty ``path`` (a command-line mistake that no
    spec location explains) just ``error[CODE]: message``."""

    path: str
    line: int
    col: int
    code: str
    message: str
    help: str = ""
    notes: tuple[str, ...] = ()  # further lines (``  note: …``), e.g. which keys of a weights file differ

    def render(self) -> str:
        """One line per diagnostic (+ one help line), whatever the spec contained: control and bidi
        characters are escaped (no terminal escapes, no fake extra lines) and long parts are shortened."""
        path, message, help = (
            _printable(t, limit) for t, limit in ((self.path, 300), (self.message, 300), (self.help, 600))
        )
        where = f"{path}:{self.line}:{self.col}: " if self.path else ""
        lines = [f"{where}error[{self.code}]: {message}"]
        lines += [f"  note: {_printable(n, 300)}" for n in self.notes]
        lines += [f"  help: {help}"] if help else []
        return "\n".join(lines)

    def sort_key(self) -> tuple:
        return (self.path, self.line, self.col, self.code, self.message)


# Patterns of rendering, which only an error does: compiled on first use (re's own cache), not at import.
_UNPRINTABLE = "[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]"


def _printable(text: str, limit: int) -> str:
    text = re.sub(_UNPRINTABLE, lambda m: ascii(m.group())[1:-1], text)
    return text if len(text) <= limit else f"{text[: limit - 20]}… ({len(text)} characters)"


class SpecError(Exception):
    """One or more diagnostics about user input (exit code 2)."""

    def __init__(self, diagnostics: Iterable[Diagnostic]):
        self.diagnostics = sorted(set(diagnostics), key=Diagnostic.sort_key)
        super().__init__("\n".join(d.render() for d in self.diagnostics))


def usage_error(code: str, message: str, help: str = "", path: str = "") -> SpecError:
    """A command-line mistake (exit 2) as a diagnostic: located at ``path`` (line 1) when a file is to blame."""
    return SpecError([Diagnostic(path, 1 if path else 0, 1 if path else 0, code, message, help)])


class Unsupported(Exception):
    """A backend cannot express a valid spec (yet): reported as E403 (exit 2), not as a crash."""


def render_all(diagnostics: list[Diagnostic], color: bool = False) -> str:
    """All diagnostics followed by the ``Found N errors.`` summary line; ``color``: ANSI styles (a terminal)."""
    n = len(diagnostics)
    lines = [_colored(d.render()) if color else d.render() for d in diagnostics]
    lines.append(f"Found {n} error{'s' if n != 1 else ''}.")
    return "\n".join(lines)


# ANSI styles of the parts of a rendered diagnostic (as ruff colours them). The text was made printable
# before (no escapes from the spec survive), so these are the only escapes in the output.
_BOLD, _RED, _CYAN, _BLUE, _RESET = "\x1b[1m", "\x1b[1;31m", "\x1b[1;36m", "\x1b[1;34m", "\x1b[0m"
_HEAD = r"^(?P<where>.*?: )?error\[(?P<code>E\d+)\]: "


def _colored(text: str) -> str:
    out = []
    for line in text.split("\n"):
        if m := re.match(_HEAD, line):
            where = f"{_BOLD}{m['where'][:-2]}{_RESET}: " if m["where"] else ""
            line = f"{where}{_RED}error{_RESET}[{_BOLD}{m['code']}{_RESET}]: {line[m.end() :]}"
        elif line.startswith(("  help: ", "  note: ")):
            style = _CYAN if line.startswith("  help") else _BLUE
            line = f"  {style}{line[2:6]}{_RESET}:{line[7:]}"
        out.append(line)
    return "\n".join(out)


def use_color(stream) -> bool:
    """Colour on a terminal unless ``NO_COLOR`` is set (no-color.org) or ``TERM=dumb``; ``FORCE_COLOR`` forces it."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty()) and os.environ.get("TERM") != "dumb"


def to_json(diagnostics: list[Diagnostic]) -> list[dict]:
    """``archc check --output-format json``: one object per diagnostic (raw text; JSON escapes it)."""
    return [{**asdict(d), "notes": list(d.notes)} for d in diagnostics]


def to_github(diagnostics: list[Diagnostic]) -> str:
    """``--output-format github``: GitHub Actions ``::error`` workflow commands (annotations on the file)."""
    lines = []
    for d in diagnostics:
        props = [f"file={_gh_property(_printable(d.path, 300))}"] if d.path else []
        props += [f"line={d.line}", f"col={d.col}"] if d.path else []
        props.append(f"title={_gh_property(f'archc {d.code}')}")
        parts = [d.message, *d.notes, *([f"help: {d.help}"] if d.help else [])]
        body = "\n".join(_printable(p, 600) for p in parts)  # no control characters from a spec in CI logs
        lines.append(f"::error {','.join(props)}::{_gh_data(body)}")
    return "\n".join(lines)


def _gh_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _gh_property(text: str) -> str:
    return _gh_data(text).replace(":", "%3A").replace(",", "%2C")


def did_you_mean(word: object, choices: Iterable[str], list_limit: int | None = None) -> str:
    """``did you mean 'x'?`` for a close choice, else a list of the valid choices (or ``""`` when there are
    more than ``list_limit``). Options are compared without their dashes: ``--where`` is not close to
    ``--threads`` just because both start with ``--``."""
    import difflib  # here, not at the top: a cache hit of `archc cost` never suggests anything

    options = sorted(set(choices))
    bare = {}
    for o in options:
        bare.setdefault(o.lstrip("-").lower(), o)
    text = str(word).lstrip("-").lower()
    close = [text] if text in bare else difflib.get_close_matches(text, list(bare), n=1, cutoff=0.6)
    if close:
        return f"did you mean '{bare[close[0]]}'?"
    if list_limit is not None and len(options) > list_limit:
        return ""
    return "expected one of: " + ", ".join(f"'{o}'" for o in options)
