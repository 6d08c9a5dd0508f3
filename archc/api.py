"""The public Python API, mirroring the CLI one function per command.

``import archc`` stays light: these names are re-exported lazily by :mod:`archc` (PEP 562), and each
function imports what it needs (backends, frameworks, matplotlib) only when called. Invalid specs raise
:class:`archc.diagnostics.SpecError`, whose ``diagnostics`` hold ``path:line:col`` locations.

>>> import archc
>>> m = archc.load("resnet34")
>>> m
<archc.Model resnet34: 21,797,672 params, 3,663,761,408 MACs, depth 34>
>>> m.cost()["flops"] == 2 * m.cost()["macs"]
True
>>> archc.load("resnet50", input_size=(160, 160)).cost()["stages"][-1]["output_shape"]
[2048, 5, 5]
"""

from __future__ import annotations

from pathlib import Path

import networkx as nx

from archc.pipeline import Compiled, compile_spec

SpecRef = str | Path


class Model:
    """A compiled spec: its validated spec, the graph IR with shapes / costs / names, and reports."""

    def __init__(self, compiled: Compiled):
        self.compiled = compiled

    @property
    def name(self) -> str:
        return self.compiled.spec.name

    @property
    def spec(self):
        """The validated :class:`archc.spec.schema.Spec` (pydantic, frozen)."""
        return self.compiled.spec

    @property
    def graph(self) -> nx.DiGraph:
        """The graph IR (networkx DiGraph, one node per op, shapes / params / MACs / names on the nodes)."""
        return self.compiled.graph

    def cost(self) -> dict:
        """The ``archc cost --json`` summary: params, buffers, MACs, FLOPs, depth, activations, stages."""
        from archc.report import summary

        return summary(self.compiled)

    def per_layer(self, profile: str = "torchvision") -> list[dict]:
        """One row per op (``archc cost --json --per-layer``), named with ``profile`` (torchvision | keras)."""
        from archc.report import per_layer

        return per_layer(self.compiled, profile)

    def code(self, backend: str = "pytorch") -> str:
        """The generated source (what ``archc build`` writes), as a string."""
        import importlib

        from archc.commands.build import BACKENDS

        return importlib.import_module(BACKENDS[backend]).emit(self.compiled)

    def __repr__(self) -> str:
        s = self.cost()
        return f"<archc.Model {s['name']}: {s['params']:,} params, {s['macs']:,} MACs, depth {s['depth']}>"


def _compiled(spec: SpecRef | Model, input_size=None) -> Compiled:
    if isinstance(spec, Model):
        return spec.compiled
    return compile_spec(str(spec), input_size=input_size)


def load(spec: SpecRef, input_size: tuple[int, int] | None = None) -> Model:
    """Load, validate and compile a spec (a path or a built-in name such as ``"resnet50"``)."""
    return Model(_compiled(spec, input_size))


def compare(*specs: SpecRef | Model, sort: str | None = None) -> list[dict]:
    """``archc compare --json``: one row per spec, ratios against the first one.

    >>> [(r["label"], r["macs_ratio"]) for r in compare("resnet18", "resnet34", sort="-macs")]
    [('resnet34', 2.0196), ('resnet18', 1.0)]
    """
    from archc.comparison import compare as _compare

    return _compare([_compiled(s) for s in specs], sort=sort).rows


def build(*specs: SpecRef | Model, backend: str = "all", out: SpecRef = "generated") -> list[Path]:
    """``archc build``: write ``out/<backend>/<key>.py`` for every spec (all or nothing); return the paths."""
    from archc.commands.build import BACKENDS, render
    from archc.outputs import write_all

    backends = list(BACKENDS) if backend == "all" else [backend]
    files = render([_compiled(s) for s in specs], backends, Path(out))
    write_all(files)
    return sorted(files)


def table(*specs: SpecRef | Model, format: str = "markdown", exact: bool = False) -> str:
    """``archc table``: the ResNet paper's Table 1 layout, markdown or LaTeX."""
    from archc.commands.table import to_latex, to_markdown
    from archc.table1 import build_table, exact_rows

    compiled = [_compiled(s) for s in specs]
    result = build_table(compiled)
    if exact:
        result.rows += exact_rows(compiled)
    return to_latex(result) if format == "latex" else to_markdown(result)


def graph(spec: SpecRef | Model, format: str = "json", collapse: bool = False):
    """``archc graph``: node-link data (a dict) for ``json``, else the dot / svg / mermaid text."""
    from archc import graph_render
    from archc.graphview import to_json_data, view

    v = view(_compiled(spec), collapse=collapse)
    if format == "json":
        return to_json_data(v)
    render = {"dot": graph_render.to_dot, "svg": graph_render.to_svg, "mermaid": graph_render.to_mermaid}
    return render[format](v)


def verify(*specs: SpecRef | Model, backend: str = "all") -> list:
    """``archc verify``: instantiate the generated code in each installed framework and compare params,
    MACs and shapes with the IR. Returns :class:`archc.crosscheck.Result` objects (``.ok``, ``.checks``,
    ``.skipped``), one per (spec, framework)."""
    from archc.crosscheck import FRAMEWORKS
    from archc.crosscheck import verify as _verify

    frameworks = list(FRAMEWORKS) if backend == "all" else [backend]
    return _verify([_compiled(s) for s in specs], frameworks)


def measure(*specs: SpecRef | Model, backend: str = "all", device: str = "cpu", **options) -> list[dict]:
    """``archc bench --json`` (named ``measure``: ``archc.bench`` is the package that measures): measured img/s, step time, peak memory and achieved MAC/s of the generated
    models, one row per (spec, backend), each measured in a fresh process. ``options`` are the
    :class:`archc.bench.options.Settings` fields (``batch``, ``train``, ``amp``, ``steps``, …); an impossible
    request raises :class:`archc.bench.options.Refusal`."""
    from archc.bench.options import DEFAULTS, Settings, check
    from archc.bench.runner import measure as run

    batch, warmup, steps, repeats = DEFAULTS[device]
    defaults = {"batch": batch, "warmup": warmup, "steps": steps, "repeats": repeats}
    backends = ("pytorch", "keras") if backend == "all" else (backend,)
    settings = Settings(backends=backends, device=device, **{**defaults, **options})
    check(settings)
    return run([_compiled(s) for s in specs], settings)


def schema() -> dict:
    """``archc schema``: the JSON Schema of the spec language."""
    from archc.spec.json_schema import spec_schema

    return spec_schema()


__all__ = ["Model", "load", "compare", "build", "table", "graph", "verify", "measure", "schema"]
