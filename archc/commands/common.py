"""Helpers shared by subcommands: argument types, loading several specs with all their errors at once."""

from __future__ import annotations

import argparse
import re
from typing import TYPE_CHECKING

from archc.diagnostics import SpecError
from archc.settings import LIMITS

if TYPE_CHECKING:
    from archc.pipeline import Compiled


def input_size(text: str) -> tuple[int, int]:
    """``160`` or ``160x200`` (height × width)."""
    m = re.fullmatch(r"(\d{1,5})(?:[xX×](\d{1,5}))?", text.strip())
    sizes = [int(g) for g in m.groups() if g] if m else []
    if not m or any(not 1 <= v <= LIMITS.max_spatial for v in sizes):
        raise argparse.ArgumentTypeError(
            f"invalid input size {text!r}: write H or HxW, e.g. 224 or 160x200 (1 to {LIMITS.max_spatial})"
        )
    h = int(m.group(1))
    return h, int(m.group(2) or h)


def add_specs_argument(parser: argparse.ArgumentParser, default_all: bool = False) -> None:
    """SPEC...; with ``default_all`` none given means every built-in spec (``archc build --check``)."""
    help = "spec path or built-in name (resnet50, cifar/resnet56)"
    if default_all:
        help += "; none: every built-in spec"
    parser.add_argument("specs", nargs="*" if default_all else "+", metavar="SPEC", help=help)


def compile_all(refs: list[str], input_size=None) -> list[Compiled]:
    """Compile every spec; if any fails, raise one SpecError holding the diagnostics of all of them."""
    from archc.pipeline import compile_spec  # imported here: `archc cost` answers cache hits without it

    compiled, errors = [], []
    for ref in refs:
        try:
            compiled.append(compile_spec(ref, input_size=input_size))
        except SpecError as exc:
            errors.extend(exc.diagnostics)
    if errors:
        raise SpecError(errors)
    return compiled
