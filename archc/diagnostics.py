"""Diagnostics: located, ruff-style error messages and the exit codes that go with them.

A :class:`Diagnostic` says *where* (path, line, column; 1-based), *what* (a stable code and a message)
and *how to fix it* (a ``help`` line). :class:`SpecError` carries one or more diagnostics through the
pipeline; the CLI renders them and exits with :data:`EXIT_INVALID`.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass

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

    def render(self) -> str:
        """One line per diagnostic (+ one help line), whatever the spec contained: control and bidi
        characters are escaped (no terminal escapes, no fake extra lines) and long parts are shortened."""
        path, message, help = (
            _printable(t, limit) for t, limit in ((self.path, 300), (self.message, 300), (self.help, 600))
        )
        where = f"{path}:{self.line}:{self.col}: " if self.path else ""
        head = f"{where}error[{self.code}]: {message}"
        return f"{head}\n  help: {help}" if help else head

    def sort_key(self) -> tuple:
        return (self.path, self.line, self.col, self.code, self.message)


_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _printable(text: str, limit: int) -> str:
    text = _UNPRINTABLE.sub(lambda m: ascii(m.group())[1:-1], text)
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


def render_all(diagnostics: list[Diagnostic]) -> str:
    """All diagnostics followed by the ``Found N errors.`` summary line."""
    n = len(diagnostics)
    lines = [d.render() for d in diagnostics]
    lines.append(f"Found {n} error{'s' if n != 1 else ''}.")
    return "\n".join(lines)


def did_you_mean(word: object, choices: Iterable[str]) -> str:
    """``did you mean 'x'?`` for the closest choice, or a list of the valid choices."""
    options = sorted(set(choices))
    same = [o for o in options if o.lower() == str(word).lower()]
    close = same or difflib.get_close_matches(str(word), options, n=1, cutoff=0.6)
    if close:
        return f"did you mean '{close[0]}'?"
    return "expected one of: " + ", ".join(f"'{o}'" for o in options)
