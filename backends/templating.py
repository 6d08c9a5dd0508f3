"""The jinja2 environment every backend renders with: strict (undefined names are errors), no autoescape,
whitespace control on. One Environment per template folder and process, so templates compile once."""

from __future__ import annotations

import functools
from pathlib import Path


@functools.cache
def environment(folder: Path):
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(folder)),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
