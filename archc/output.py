"""One output contract for every command that prints results: ``--format`` and ``--out``.

A command declares the formats it can print (``text``, ``json``, ``csv``, ``markdown`` and, where they
exist, ``latex``, ``dot``, ``mermaid``, ``svg``) with :func:`add_output_arguments`; :func:`chosen_format`
picks one — ``--format`` if given, else an old alias flag (``--json``, ``--csv``, ``--markdown``), else the
extension of ``--out``, else the command's default — and :func:`emit` writes the rendered text to stdout
(``--out -`` or no ``--out``) or, atomically, to the file. A missing folder is an error (exit 2), never
created silently; a format the command cannot print is an error that names the ones it can.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from archc.diagnostics import usage_error

# The format an --out file's extension asks for, when --format does not say.
EXTENSIONS = {
    ".txt": "text",
    ".json": "json",
    ".jsonl": "json",
    ".csv": "csv",
    ".md": "markdown",
    ".markdown": "markdown",
    ".tex": "latex",
    ".dot": "dot",
    ".gv": "dot",
    ".mmd": "mermaid",
    ".svg": "svg",
}


def add_output_arguments(
    parser: argparse.ArgumentParser,
    formats: list[str],
    default: str = "text",
    aliases: tuple[str, ...] = (),
) -> None:
    """``--format`` (one of ``formats``), ``--out FILE`` and the old flags in ``aliases`` (``"json"`` adds
    ``--json`` meaning ``--format json``), kept so that scripts written for 0.1.0 keep working."""
    parser.set_defaults(output_formats=tuple(formats), output_default=default)
    parser.add_argument(
        "--format",
        dest="format",
        metavar="FORMAT",
        help=f"output format: {', '.join(formats)} (default: from --out's extension, else {default})",
    )
    parser.add_argument(
        "--out",
        metavar="FILE",
        help="write the output to FILE instead of stdout ('-' is stdout); its extension picks the format",
    )
    for alias in aliases:
        parser.add_argument(
            f"--{alias}",
            dest="format_alias",
            action="append_const",
            const=alias,
            help=f"same as --format {alias}",
        )


def chosen_format(args: argparse.Namespace) -> str:
    """The format to print: ``--format``, an alias flag, ``--out``'s extension, the default — in that order."""
    formats = args.output_formats
    aliases = getattr(args, "format_alias", None) or []
    if len(set(aliases)) > 1 or (aliases and args.format and args.format != aliases[0]):
        given = ", ".join(([f"--format {args.format}"] if args.format else []) + [f"--{a}" for a in aliases])
        raise usage_error("E600", f"conflicting output formats: {given}", "give one --format")
    fmt = args.format or (aliases[0] if aliases else None)
    if fmt is None and args.out not in (None, "-"):
        fmt = EXTENSIONS.get(Path(args.out).suffix.lower())
    fmt = fmt or args.output_default
    if args.out not in (None, "-"):
        check_writable(Path(args.out))  # before any work: a run that cannot be saved is refused up front
    if fmt not in formats:
        raise usage_error(
            "E600",
            f"this command cannot print --format {fmt}",
            f"use one of: {', '.join(formats)}",
        )
    return fmt


def emit(text: str, out: str | None) -> None:
    """Print ``text`` (ending in one newline; nothing stays nothing) to stdout, or write it atomically to ``out``."""
    if text and not text.endswith("\n"):
        text += "\n"
    if out in (None, "-"):
        sys.stdout.write(text)
        return
    target = Path(out)
    check_writable(target)
    from archc.files import atomic_save

    atomic_save(target, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def check_writable(target: Path) -> None:
    """An ``--out`` whose folder does not exist is a mistake to report, not a folder to create."""
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise usage_error(
            "E500",
            f"cannot write {target.as_posix()}: folder {folder.as_posix()} does not exist",
            f"create it first (mkdir -p {folder.as_posix()}) or choose another --out",
            path=target.as_posix(),
        )


def to_json(doc) -> str:
    """JSON as every command prints it: indented, exact integers, non-ASCII kept."""
    import json

    return json.dumps(doc, indent=2, ensure_ascii=False)


def _flat(value) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return "x".join(map(str, value))
    return str(value)


def to_csv(rows: list[dict], columns: list[str]) -> str:
    """CSV with a header row: exact values, shapes as ``2048x7x7``, None as an empty cell."""
    import csv
    import io

    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows([[_flat(r.get(c)) for c in columns] for r in rows])
    return buf.getvalue()


def to_markdown(rows: list[dict], columns: list[str]) -> str:
    """A markdown table of exact values (``|`` in a cell escaped)."""
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for r in rows:
        lines.append("| " + " | ".join(_flat(r.get(c)).replace("|", "\\|") for c in columns) + " |")
    return "\n".join(lines)
