"""The spec language's field types: constrained scalars (channels, kernels, strides, spatial sizes within
:data:`archc.settings.LIMITS`), identifiers safe in generated code and file names, free text and metadata
values, and the strict, frozen base model every spec model derives from (:mod:`archc.spec.schema`).
"""

# (no `from __future__ import annotations`: real annotations spare pydantic an eval per field at import)

import builtins
import keyword
import math
import re
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

from archc.settings import LIMITS

_RESERVED = frozenset(keyword.kwlist) | frozenset(n for n in dir(builtins) if n.islower())
# Device names Windows reserves whatever the extension (generated/pytorch/con.py cannot be created there).
_DEVICES = frozenset(["con", "prn", "aux", "nul"] + [f"{d}{i}" for d in ("com", "lpt") for i in range(10)])


def _not_reserved(name: str) -> str:
    """Keywords, built-ins and ``__dunder`` names would break or shadow names in generated code."""
    if name in _RESERVED or name.startswith("__"):
        raise PydanticCustomError("reserved_name", "'{name}' is reserved in Python", {"name": name})
    if name in _DEVICES:
        raise PydanticCustomError("reserved_name", "'{name}' is a reserved device name on Windows", {"name": name})
    return name


# A name that is safe as a Python identifier part, a Keras layer-name part and a file name.
Identifier = Annotated[str, StringConstraints(pattern=r"^[a-z_][a-z0-9_]{0,63}$"), AfterValidator(_not_reserved)]
Channels = Annotated[int, Field(ge=1, le=LIMITS.max_channels)]
Kernel = Annotated[int, Field(ge=1, le=LIMITS.max_kernel)]
Stride = Annotated[int, Field(ge=1, le=LIMITS.max_stride)]
Padding = Annotated[int, Field(ge=0, le=LIMITS.max_kernel)]
Spatial = Annotated[int, Field(ge=1, le=LIMITS.max_spatial)]
_TEXT_PATTERN = r"^[^\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]*$"
_TEXT_OK = re.compile(_TEXT_PATTERN)


# Free text (tabs and newlines allowed): no control characters, no bidi overrides or line separators.
MetaText = Annotated[
    str,
    StringConstraints(max_length=2000, pattern=_TEXT_PATTERN),
]


# Start-up (archc cost's first run): an empty-list default comes from a Python function, not the builtin
# ``list``, whose signature pydantic reads through the tokenizer (compiling its large regular expression).
def no_items() -> list:
    return []


class SpecModel(BaseModel):
    # defer_build: validators are built on first use (one for Spec, nested models inline), not one per class
    # at import time: ~20 ms off every `archc` start (benchmarks/cost_speed.py).
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, defer_build=True)


def _scalar(value: object) -> object:
    """A free-form metadata value: one string (as :data:`MetaText`), number, boolean or null."""
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise PydanticCustomError("metadata_value", "metadata numbers must be finite, not {v}", {"v": value})
        return value
    if isinstance(value, str):
        if len(value) > 2000 or not _TEXT_OK.match(value):
            bad = next((c for c in value if not _TEXT_OK.match(c)), None)
            what = f"the character {ascii(bad)}" if bad else f"{len(value)} characters (at most 2000)"
            raise PydanticCustomError("metadata_value", "metadata text may not hold {what}", {"what": what})
        return value
    kind = {dict: "a mapping", list: "a list"}.get(type(value), type(value).__name__)
    raise PydanticCustomError(
        "metadata_value", "a metadata value is one string, number, true/false or null, not {kind}", {"kind": kind}
    )


# Free-form metadata values (``paper_params: 25.5``, ``dataset: ImageNet``): one scalar, never a structure.
MetaScalar = Annotated[
    Any,
    AfterValidator(_scalar),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "maxLength": 2000, "pattern": _TEXT_PATTERN},
                {"type": "number"},
                {"type": "boolean"},
                {"type": "null"},
            ]
        }
    ),
]
METADATA_KEY = re.compile(r"^[a-z_][a-z0-9_]{0,63}$")


# The activation functions a spec may name (the IR's archc.ir.ops.ACTIVATIONS), at the top level, on a stage row
# and in a recipe's act step.
Activation = Literal["relu", "relu6", "gelu", "silu", "hardswish"]
