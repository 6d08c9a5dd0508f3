"""Explicit resource limits. Every limit is a documented setting (README, "Limits"), not an accident.

They bound what a hostile or broken spec can make archc do: read, expand, allocate or generate.
Override them with environment variables ``ARCHC_MAX_FILE_BYTES`` etc. (integers).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields


@dataclass(frozen=True)
class Limits:
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


def _from_env() -> Limits:
    values = {}
    for f in fields(Limits):
        raw = os.environ.get(f"ARCHC_{f.name.upper()}")
        if raw is not None and raw.strip().isdigit():
            values[f.name] = int(raw)
    return Limits(**values)


LIMITS = _from_env()
