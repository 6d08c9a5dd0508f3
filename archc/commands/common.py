"""Helpers shared by subcommands: argument types and the SPEC... argument (light: no compiler imports, so
that `archc cost` can answer from its cache without loading pydantic or networkx)."""

from __future__ import annotations

import argparse

from archc.settings import input_size_of


def input_size(text: str) -> tuple[int, int]:
    """``--input-size 160`` or ``160x200`` (height × width)."""
    try:
        return input_size_of(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_specs_argument(parser: argparse.ArgumentParser, default_all: bool = False) -> None:
    """SPEC...; with ``default_all`` none given means every built-in spec (``archc build --check``)."""
    help = "spec path or built-in name (resnet50, cifar/resnet56)"
    if default_all:
        help += "; none: every built-in spec"
    parser.add_argument("specs", nargs="*" if default_all else "+", metavar="SPEC", help=help)
