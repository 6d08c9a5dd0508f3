"""The compiler pipeline, readable top to bottom: load → lower → shapes → cost → names.

Each pass states its pre/post conditions in its module docstring; with ``verify_each=True`` (the tests)
the IR verifier runs after every pass.
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx

from archc.diagnostics import Diagnostic, SpecError
from archc.ir.layouts import LayoutError
from archc.passes.cost import count_costs
from archc.passes.lower import LoweringError, lower
from archc.passes.names import assign_names
from archc.passes.shapes import ShapeFailure, infer_shapes
from archc.settings import LIMITS, input_size_of  # noqa: F401 - input_size_of: re-exported (archc.api)
from archc.spec.loader import LoadedSpec, load_spec

PASSES = (
    ("lower", lower),
    ("shapes", infer_shapes),
    ("cost", count_costs),
    ("names", assign_names),
)


@dataclass
class Compiled:
    """A compiled spec: the loaded spec and its graph IR."""

    loaded: LoadedSpec
    graph: nx.DiGraph

    @property
    def spec(self):
        return self.loaded.spec


def with_input_size(loaded: LoadedSpec, size: tuple[int, int] | None) -> LoadedSpec:
    if size is None:
        return loaded
    spec = loaded.spec.model_copy(update={"input": loaded.spec.input.model_copy(update={"size": list(size)})})
    return LoadedSpec(spec, loaded.marks, loaded.path, loaded.builtin, loaded.sha256, loaded.files)


def compile_spec(ref: str | LoadedSpec, input_size=None, verify_each: bool = False) -> Compiled:
    loaded = ref if isinstance(ref, LoadedSpec) else load_spec(ref)
    loaded = with_input_size(loaded, input_size)
    check_ops(loaded)
    data = loaded.spec
    if verify_each:
        from archc.ir.verify import verify  # tests only: keep it off the start-up path
    try:
        for name, run in PASSES:
            data = run(data)
            if verify_each:
                verify(data, after=name)
    except ShapeFailure as exc:
        raise located(loaded, exc.origin, "E400", f"{exc.node}: {exc.message}", SHRINK_HELP) from None
    except LoweringError as exc:
        raise located(loaded, exc.origin, "E401", exc.message, exc.help) from None
    except LayoutError as exc:
        raise layout_error(loaded, exc) from None
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
    check_params(loaded, sum(d.get("params", 0) for _, d in g.nodes(data=True)))


def check_params(loaded: LoadedSpec, params: int) -> None:
    """E402 when the model has more parameters than ``max_params``."""
    if params > LIMITS.max_params:
        message = f"the model has {params:,} parameters, more than the limit of {LIMITS.max_params:,}"
        raise located(loaded, ("stages",), "E402", message, "use narrower stages, or raise ARCHC_MAX_PARAMS")


SHRINK_HELP = "use a larger input size (--input-size) or fewer/smaller strides"


def check_ops(loaded: LoadedSpec) -> None:
    """E402 when the blocks would expand to more ops than ``max_ops`` (checked before lowering)."""
    blocks = sum(stage.blocks for stage in loaded.spec.stages)
    estimate = 12 * blocks + 4 * len(loaded.spec.stem) + 4
    if estimate > LIMITS.max_ops:
        raise located(
            loaded,
            ("stages",),
            "E402",
            f"{blocks} blocks expand to about {estimate} ops, more than the limit of {LIMITS.max_ops}",
            "use fewer blocks, or raise ARCHC_MAX_OPS (README 'Limits')",
        )


def layout_error(loaded: LoadedSpec, exc: LayoutError) -> SpecError:
    """E401 for an op the family's layout has no module for, at the key the spec wrote: a stage's knob, else
    the top level's that the stage inherits (``exc.fallback``)."""
    written = exc.fallback is None or exc.origin in loaded.marks.values
    return located(loaded, exc.origin if written else exc.fallback, "E401", exc.message, exc.help)


def located(loaded: LoadedSpec, origin: tuple, code: str, message: str, help: str) -> SpecError:
    mark = loaded.marks.value(origin)
    return SpecError([Diagnostic(mark.path, mark.line, mark.col, code, message, help)])
