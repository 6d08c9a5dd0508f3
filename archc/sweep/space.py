"""The design space of a sweep: ``--vary KEY=VALUES`` axes over a base spec's data, grid or seeded sample.

- KEY is a path into the spec as written after ``extends:`` is merged: ``groups``, ``input.size``,
  ``stages[2].blocks``, ``stem[0].width``, ``se.reduction``, ``stages.regnet.w0`` (a generator's parameter).
  It must exist in the base spec or be a key the schema allows there (did-you-mean otherwise, located at
  the nearest key the base spec writes).
- VALUES: ``1,32`` (a list), ``2..8`` (inclusive), ``160..288:32`` (a step), ``20..40:2.5`` (a decimal step,
  exact: 20, 22.5, …); integers stay integers, ``1.5`` is a number, ``true``/``false`` booleans, ``null`` (or
  ``~``) is None, anything else a string (``stride_at=1x1,3x3``).

Variant ``i`` of the space is the mixed-radix digit expansion of ``i`` over the axes (the last axis fastest),
so workers only need the axes and an index: a grid is never listed. A full grid above the setting
``max_sweep_variants`` (``ARCHC_MAX_SWEEP_VARIANTS``, default 10⁷) is refused before anything is computed;
``--sample N`` draws N distinct indices from a grid of any size.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from decimal import Decimal

from archc.diagnostics import Diagnostic, SpecError, did_you_mean
from archc.spec.yamlread import Marks

MAX_AXIS_VALUES = 100_000

_TOKEN = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)((?:\[\d+\])*)")
_INT = re.compile(r"^[-+]?\d+$")
_NUM = re.compile(r"^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$")


@dataclass(frozen=True)
class Axis:
    key: str  # as the user wrote it: "stages[2].blocks"
    path: tuple  # ("stages", 2, "blocks")
    values: tuple


@dataclass(frozen=True)
class Space:
    axes: tuple[Axis, ...]

    @property
    def size(self) -> int:
        n = 1
        for axis in self.axes:
            n *= len(axis.values)
        return n

    def variant(self, index: int) -> tuple:
        """The values of variant ``index`` (mixed radix, last axis fastest)."""
        out = []
        for axis in reversed(self.axes):
            index, digit = divmod(index, len(axis.values))
            out.append(axis.values[digit])
        return tuple(reversed(out))


class VaryError(ValueError):
    """A ``--vary`` argument that is malformed (reported as E600 by the caller)."""


def parse_path(key: str) -> tuple:
    parts: list = []
    for token in key.split("."):
        m = _TOKEN.fullmatch(token)
        if not m:
            raise VaryError(f"'{key}' is not a key path (write e.g. stages[2].blocks or input.size)")
        parts.append(m.group(1))
        parts += [int(i) for i in re.findall(r"\[(\d+)\]", m.group(2))]
    return tuple(parts)


def _scalar(text: str):
    text = text.strip()
    if _INT.match(text):
        return int(text)
    if _NUM.match(text):
        return float(text)
    return {"true": True, "false": False, "null": None, "~": None}.get(text, text)


def _decimal_range(text: str, start: str, stop: str, step: str | None) -> list:
    if not all(_NUM.match(x) for x in (start, stop, step or "1")):
        raise VaryError(f"'{text}' is not a range START..STOP[:STEP] of numbers")
    a, b, s = Decimal(start), Decimal(stop), Decimal(step or "1")
    if s <= 0:
        raise VaryError(f"the step of '{text}' must be positive")
    if (b - a) / s >= MAX_AXIS_VALUES:
        raise VaryError(f"'{text}' has more than {MAX_AXIS_VALUES:,} values")
    whole = all(_INT.match(x) for x in (start, stop, step or "1"))
    out, v = [], a
    while v <= b:
        out.append(int(v) if whole else float(v))
        v += s
    return out


def parse_values(text: str) -> tuple:
    """``1,32`` / ``2..8`` / ``160..288:32`` / ``0.5..1:0.25`` (a list may mix ranges: ``1,4..6``)."""
    values: list = []
    for item in text.split(","):
        if ".." in item:
            start, _, rest = item.partition("..")
            stop, _, step = rest.partition(":")
            values += _decimal_range(item.strip(), start.strip(), stop.strip(), step.strip() or None)
        elif item.strip():
            values.append(_scalar(item))
    if not values:
        raise VaryError(f"'{text}' gives no values")
    return tuple(dict.fromkeys(values))  # in order, without repeats


def parse_axis(arg: str) -> Axis:
    key, sep, values = arg.partition("=")
    if not sep or not key.strip():
        raise VaryError(f"'{arg}' is not KEY=VALUES (e.g. stages[2].blocks=2..8)")
    return Axis(key.strip(), parse_path(key.strip()), parse_values(values))


def overlapping(axes: tuple[Axis, ...]) -> tuple[Axis, Axis] | None:
    """Two axes ``(outer, inner)`` whose keys are equal or one inside the other (``se`` and ``se.reduction``):
    each variant would set one over the other. None when the keys are apart."""
    for i, a in enumerate(axes):
        for b in axes[i + 1 :]:
            outer, inner = (a, b) if len(a.path) <= len(b.path) else (b, a)
            if inner.path[: len(outer.path)] == outer.path:
                return outer, inner
    return None


def sample_indices(size: int, n: int | None, seed: int | None) -> list[int] | range:
    """Every index (a lazy range: the grid), or ``n`` distinct indices drawn with ``random.Random(seed)``
    (default seed 0) from ``range(size)`` — which ``random.sample`` never lists — in order."""
    if n is None:
        return range(size)
    return sorted(random.Random(seed or 0).sample(range(size), n))


def too_large(space: Space, sample: int | None, limit: int) -> str | None:
    """Why the sweep is refused (a grid or a sample above ``limit``), or None; decided from the axes alone."""
    size = space.size
    if sample is None and size > limit:
        sizes = " × ".join(str(len(a.values)) for a in space.axes)
        return f"the grid has {size:,} variants ({sizes}), more than the limit of {limit:,}"
    if sample is not None and sample > limit:
        return f"--sample {sample:,} is more than the limit of {limit:,} variants"
    return None


def apply(data: dict, path: tuple, value) -> dict:
    """A copy of ``data`` with ``path`` set (containers on the path are copied; the rest is shared)."""
    head, rest = path[0], path[1:]
    container = list(data) if isinstance(data, list) else dict(data)
    if rest:
        inner = container[head] if isinstance(container, list) else container.get(head)
        container[head] = apply(inner if inner is not None else {}, rest, value)
    else:
        container[head] = value
    return container


def with_values(data: dict, space: Space, values: tuple) -> dict:
    for axis, value in zip(space.axes, values):
        data = apply(data, axis.path, value)
    return data


def check_paths(space: Space, data: dict, marks: Marks, shown: str) -> None:
    """Each axis must name a key of the base spec, or one the schema allows where it would go."""
    errors = []
    for axis in space.axes:
        problem = _path_problem(axis.path, data)
        if problem is not None:
            where, message, help = problem
            m = marks.value(where) if where else None  # the spec itself: its own file, not one it extends
            line, col, path = (m.line, m.col, m.path) if m else (1, 1, shown)
            errors.append(Diagnostic(path, line, col, "E200", f"--vary {axis.key}: {message}", help))
    if errors:
        raise SpecError(errors)


def _path_problem(path: tuple, data: object) -> tuple[tuple, str, str] | None:
    if path[0] == "extends":  # merged before the axes apply: a varied value would change nothing
        return (), "'extends' is merged before a sweep varies the spec", _EXTENDS_HELP
    current, model = data, _root_model()
    for n, part in enumerate(path):
        here = path[:n]
        if isinstance(part, int):
            if isinstance(current, dict) and here == ("stages",):
                return here, "'stages' is a generator here", "vary its parameters, e.g. stages.regnet.depth=10..20"
            if not isinstance(current, list) or part >= len(current):
                count = f"has {len(current)} items" if isinstance(current, list) else "is not a list"
                return here, f"'{_show(here)}' {count}", "index from 0; `archc table` shows the stages"
            current = current[part]  # model: _field_model already followed list[...] to the item model
            continue
        fields = _fields(model, current)
        if not isinstance(current, dict) or part not in set(current) | fields:
            choices = (set(current) if isinstance(current, dict) else set()) | fields
            where = f"'{_show(here)}'" if here else "the spec"
            return here, f"{where} has no key '{part}'", did_you_mean(part, choices) if choices else _NO_KEYS
        model = _field_model(model, part, current.get(part))
        current = current.get(part)
        if current is None and n < len(path) - 1:
            current = {}
    return None


_NO_KEYS = "vary a key that the base spec writes, or one `archc schema` allows there"
_EXTENDS_HELP = "vary the keys that differ between the specs, or compare them: archc compare resnet18 resnet34"


def _show(path: tuple) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else (f".{p}" if i else p) for i, p in enumerate(path))


def _root_model():
    from archc.spec.schema import Spec

    return Spec


def _fields(model, current) -> set[str]:
    from pydantic import BaseModel

    return set(model.model_fields) if isinstance(model, type) and issubclass(model, BaseModel) else set()


def _field_model(model, part: str, value):
    """The model that validates ``value`` under field ``part`` (generators for ``stages: {…}``)."""
    from archc.spec.generators import StageGenerator
    from archc.spec.locate import _pick
    from archc.spec.schema import Spec

    if model is Spec and part == "stages" and isinstance(value, dict):
        return StageGenerator
    field = getattr(model, "model_fields", {}).get(part)
    return _pick(field.annotation, value) if field is not None else None
