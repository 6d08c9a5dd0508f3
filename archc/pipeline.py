"""The compiler pipeline, readable top to bottom: load → lower → shapes → cost → names.

Each pass states its pre/post conditions in its module docstring; with ``verify_each=True`` (the tests)
the IR verifier runs after every pass.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import networkx as nx

from archc.diagnostics import Diagnostic, SpecError
from archc.passes.cost import count_costs
from archc.passes.lower import LoweringError, lower
from archc.passes.names import assign_names
from archc.passes.shapes import ShapeFailure, infer_shapes
from archc.settings import LIMITS
from archc.spec.loader import LoadedSpec, load_spec

PASSES = (
    ("lower", lower),
    ("shapes", infer_shapes),
    ("cost", count_costs),
    ("names", assign_names),
)


@dataclass
class Compiled:
    loaded: LoadedSpec
    graph: nx.DiGraph

    @property
    def spec(self):
        return self.loaded.spec


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


def with_input_size(loaded: LoadedSpec, size: tuple[int, int] | None) -> LoadedSpec:
    if size is None:
        return loaded
    spec = loaded.spec.model_copy(update={"input": loaded.spec.input.model_copy(update={"size": list(size)})})
    return LoadedSpec(spec, loaded.marks, loaded.path, loaded.builtin, loaded.sha256)


def compile_spec(ref: str | LoadedSpec, input_size=None, verify_each: bool = False) -> Compiled:
    loaded = ref if isinstance(ref, LoadedSpec) else load_spec(ref)
    loaded = with_input_size(loaded, input_size)
    _check_size(loaded)
    data = loaded.spec
    if verify_each:
        from archc.ir.verify import verify  # tests only: keep it off the start-up path
    try:
        for name, run in PASSES:
            data = run(data)
            if verify_each:
                verify(data, after=name)
    except ShapeFailure as exc:
        raise _located(loaded, exc.origin, "E400", f"{exc.node}: {exc.message}", _SHRINK_HELP) from None
    except LoweringError as exc:
        raise _located(loaded, exc.origin, "E401", exc.message, exc.help) from None
    _check_params(loaded, data)
    return Compiled(loaded, data)


def compile_all(refs: list, input_size=None) -> list[Compiled]:
    """Compile every spec; if any fails, raise one SpecError holding the diagnostics of all of them."""
    compiled, errors = [], []
    for ref in refs:
        try:
            compiled.append(compile_spec(ref, input_size=input_size))
        except SpecError as exc:
            errors.extend(exc.diagnostics)
    if errors:
        raise SpecError(errors)
    return compiled


def _check_params(loaded: LoadedSpec, g: nx.DiGraph) -> None:
    params = sum(d.get("params", 0) for _, d in g.nodes(data=True))
    if params > LIMITS.max_params:
        message = f"the model has {params:,} parameters, more than the limit of {LIMITS.max_params:,}"
        raise _located(loaded, ("stages",), "E402", message, "use narrower stages, or raise ARCHC_MAX_PARAMS")


_SHRINK_HELP = "use a larger input size (--input-size) or fewer/smaller strides"


def _check_size(loaded: LoadedSpec) -> None:
    blocks = sum(stage.blocks for stage in loaded.spec.stages)
    estimate = 12 * blocks + 4 * len(loaded.spec.stem) + 4
    if estimate > LIMITS.max_ops:
        raise _located(
            loaded,
            ("stages",),
            "E402",
            f"{blocks} blocks expand to about {estimate} ops, more than the limit of {LIMITS.max_ops}",
            "use fewer blocks, or raise ARCHC_MAX_OPS (README 'Limits')",
        )


def _located(loaded: LoadedSpec, origin: tuple, code: str, message: str, help: str) -> SpecError:
    mark = loaded.marks.value(origin)
    return SpecError([Diagnostic(mark.path, mark.line, mark.col, code, message, help)])
