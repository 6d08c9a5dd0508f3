"""Explicit resource limits. Every limit is a documented setting (README, "Limits"), not an accident.

They bound what a hostile or broken spec can make archc do: read, expand, allocate or generate.
Override them with environment variables ``ARCHC_MAX_FILE_BYTES`` etc. (integers).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, fields


@dataclass(frozen=True)
class Limits:
    """The sizes archc refuses before it does the work (hostile or mistaken input), each with its reason."""

    max_file_bytes: int = 1 << 20  # a spec file larger than 1 MiB is refused before parsing
    max_yaml_nodes: int = 10_000  # YAML nodes after alias expansion ("billion laughs"); real specs: < 500
    max_yaml_depth: int = 64  # nesting depth of mappings/lists
    max_extends_depth: int = 16  # length of an extends: chain
    max_channels: int = 1 << 16  # widths and channel counts
    max_spatial: int = 1 << 16  # input height/width
    max_kernel: int = 64
    max_stride: int = 64
    max_blocks: int = 10_000  # blocks in one stage
    max_ops: int = 20_000  # IR nodes of a whole model (ResNet-1202: ~7,000; compiling 20,000 takes ~1.5 s)
    max_params: int = 10**12  # trainable parameters of a whole model
    max_sweep_variants: int = 10**7  # a full `archc sweep` grid larger than this is refused (--sample draws from any)


def _from_env() -> Limits:
    values = {}
    for f in fields(Limits):
        raw = os.environ.get(f"ARCHC_{f.name.upper()}")
        if raw is not None and raw.strip().isdigit():
            values[f.name] = int(raw)
    return Limits(**values)


LIMITS = _from_env()


_SIZE = re.compile(r"(\d{1,5})(?:[xX×](\d{1,5}))?")


def input_size_of(value) -> tuple[int, int] | None:
    """An input size as (height, width) from ``224``, ``(160, 200)``, ``"160"`` or ``"160x200"``;
    ``None`` stays ``None`` (the spec's own size). Raises ValueError saying what is accepted."""
    if value is None:
        return None
    sizes: list = []
    if isinstance(value, str) and (m := _SIZE.fullmatch(value.strip())):
        sizes = [int(g) for g in m.groups() if g]
    elif isinstance(value, int) and not isinstance(value, bool):
        sizes = [value]
    elif isinstance(value, tuple | list) and len(value) == 2:
        sizes = list(value)
    good = sizes and all(isinstance(v, int) and not isinstance(v, bool) for v in sizes)
    if not good or any(not 1 <= v <= LIMITS.max_spatial for v in sizes):
        raise ValueError(
            f"invalid input size {value!r}: write H or HxW, e.g. 224 or 160x200 (1 to {LIMITS.max_spatial})"
        )
    return sizes[0], sizes[-1]
