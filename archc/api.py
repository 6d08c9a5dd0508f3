"""The public Python API, mirroring the CLI one function per command.

``import archc`` stays light: these names are re-exported lazily by :mod:`archc` (PEP 562), and each
function imports what it needs (backends, frameworks, matplotlib) only when called. Invalid specs raise
:class:`archc.diagnostics.SpecError`, whose ``diagnostics`` hold ``path:line:col`` locations; an invalid
argument (an unknown backend, format or profile) raises :class:`ValueError` naming the choices.

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

from archc.codegen import BACKENDS
from archc.pipeline import Compiled, compile_all, compile_spec, input_size_of
from archc.spec.loader import LoadedSpec

SpecRef = str | Path

BUILD_BACKENDS = (*BACKENDS, "all")
PROFILES = ("torchvision", "timm", "keras")
TABLE_FORMATS = ("markdown", "latex")
GRAPH_FORMATS = ("dot", "svg", "json", "mermaid")


def _choice(what: str, value: object, choices) -> str:
    if value not in choices:
        raise ValueError(f"unknown {what} {value!r}; choose one of: {', '.join(map(repr, choices))}")
    return value


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
        from archc.reports.summary import summary

        return summary(self.compiled)

    def per_layer(self, profile: str | None = None) -> list[dict]:
        """One row per op (``archc cost --json --per-layer``), named with ``profile`` (torchvision | timm |
        keras; default: the spec's ``names.pytorch``)."""
        from archc.reports.summary import per_layer

        return per_layer(self.compiled, profile and _choice("naming profile", profile, PROFILES))

    def counters(self, by_kind: bool = False) -> dict:
        """What FlopCounterMode, fvcore, ptflops and thop print for the generated PyTorch model (``archc cost
        --json --counters``): ``{counter: figure}``, or ``{counter: {op kind: figure}}`` with ``by_kind``.

        >>> load("torchvision/resnet50").counters()["fvcore"]
        4111512576
        """
        from archc.counters.count import count

        figures = count(self.compiled.graph)
        return figures.by_kind if by_kind else figures.totals

    def code(self, backend: str = "pytorch") -> str:
        """The generated source (what ``archc build`` writes), as a string."""
        from archc.codegen import emit

        return emit(self.compiled, _choice("backend", backend, tuple(BACKENDS)))

    def __repr__(self) -> str:
        s = self.cost()
        return f"<archc.Model {s['name']}: {s['params']:,} params, {s['macs']:,} MACs, depth {s['depth']}>"


def _compiled_all(specs, input_size=None) -> list[Compiled]:
    """Compile every spec (Models pass through); all invalid specs are reported in one SpecError."""
    if not specs:
        raise ValueError("give at least one spec (a path, a built-in name such as 'resnet50', or a Model)")
    size = input_size_of(input_size)
    todo = [s for s in specs if not isinstance(s, Model)]
    done = iter(compile_all([_ref(s) for s in todo], size))
    return [s.compiled if isinstance(s, Model) else next(done) for s in specs]


def _ref(spec):
    if isinstance(spec, dict):
        from archc.spec.loader import load_mapping

        return load_mapping(spec)
    if isinstance(spec, str | Path):
        return str(spec)
    if isinstance(spec, LoadedSpec):
        return spec
    raise TypeError(f"a spec is a path, a built-in name, a dict or an archc.Model, not {type(spec).__name__}")


def load(spec: SpecRef | dict, input_size: int | str | tuple[int, int] | None = None) -> Model:
    """Load, validate and compile a spec: a path, a built-in name such as ``"resnet50"``, or a dict with the
    keys of a spec file. ``input_size`` is ``224``, ``(160, 200)`` or ``"160x200"`` (height × width)."""
    if isinstance(spec, Model):
        return spec if input_size is None else load(spec.compiled.loaded, input_size)
    return Model(compile_spec(_ref(spec), input_size=input_size_of(input_size)))


def compare(*specs: SpecRef | Model, sort: str | None = None) -> list[dict]:
    """``archc compare --json``: one row per spec, ratios against the first one.

    >>> [(r["label"], r["macs_ratio"]) for r in compare("resnet18", "resnet34", sort="-macs")]
    [('resnet34', 2.0196), ('resnet18', 1.0)]
    """
    from archc.reports.comparison import compare as _compare
    from archc.reports.comparison import parse_sort

    if sort is not None:
        parse_sort(sort)  # ValueError naming the keys
    return _compare(_compiled_all(specs), sort=sort).rows


def build(*specs: SpecRef | Model, backend: str = "all", out: SpecRef = "generated") -> list[Path]:
    """``archc build``: write ``out/<backend>/<key>.py`` for every spec (all or nothing); return the paths."""
    from archc.codegen import render_files
    from archc.files import write_all

    _choice("backend", backend, BUILD_BACKENDS)
    backends = list(BACKENDS) if backend == "all" else [backend]
    files = render_files(_compiled_all(specs), backends, Path(out))
    write_all(files)
    return sorted(files)


def table(*specs: SpecRef | Model, format: str = "markdown", exact: bool = False) -> str:
    """``archc table``: the ResNet paper's Table 1 layout, markdown or LaTeX."""
    from archc.reports.table1 import build_table, exact_rows
    from archc.reports.table1_text import to_latex, to_markdown

    _choice("table format", format, TABLE_FORMATS)
    compiled = _compiled_all(specs)
    result = build_table(compiled)
    if exact:
        result.rows += exact_rows(compiled)
    return to_latex(result) if format == "latex" else to_markdown(result)


def graph(spec: SpecRef | Model, format: str = "json", collapse: bool = False):
    """``archc graph``: node-link data (a dict) for ``json``, else the dot / svg / mermaid text."""
    from archc.graphs import render
    from archc.graphs.view import to_json_data, view

    _choice("graph format", format, GRAPH_FORMATS)
    (compiled,) = _compiled_all([spec])
    v = view(compiled, collapse=collapse)
    if format == "json":
        return to_json_data(v)
    return {"dot": render.to_dot, "svg": render.to_svg, "mermaid": render.to_mermaid}[format](v)


def verify(*specs: SpecRef | Model, backend: str = "all") -> list:
    """``archc verify``: instantiate the generated code in each installed framework and compare params,
    MACs and shapes with the IR. Returns :class:`archc.frameworks.verify.Result` objects (``.ok``,
    ``.checks``, ``.skipped``), one per (spec, framework)."""
    from archc.frameworks.verify import FRAMEWORKS
    from archc.frameworks.verify import verify as _verify

    _choice("backend", backend, (*FRAMEWORKS, "all"))
    frameworks = list(FRAMEWORKS) if backend == "all" else [backend]
    return _verify(_compiled_all(specs), frameworks)


def measure(*specs: SpecRef | Model, backend: str = "pytorch", device: str = "cpu", **options) -> list[dict]:
    """``archc bench --json`` (``archc.bench`` is the package that measures, hence the name): measured img/s,
    step time, peak memory and achieved MAC/s of the generated models, one row per (spec, backend), each
    measured in a fresh process. ``options`` are :class:`archc.bench.options.Settings` fields (``batch``,
    ``train``, ``amp``, ``threads``, ``warmup``, ``steps``, ``repeats``, …), checked as the CLI checks them
    (a ValueError naming the choices); an impossible request raises ``SpecError`` (E600 / E602) before any
    framework is imported."""
    from archc.bench.options import DEFAULTS, Refusal, Settings, check, options_from_api
    from archc.bench.runner import measure as run

    _choice("backend", backend, ("pytorch", "keras", "all"))
    batch, warmup, steps, repeats = DEFAULTS[_choice("device", device, tuple(DEFAULTS))]
    defaults = {"batch": batch, "warmup": warmup, "steps": steps, "repeats": repeats}
    backends = ("pytorch", "keras") if backend == "all" else (backend,)
    settings = Settings(backends=backends, device=device, **{**defaults, **options_from_api(options)})
    try:
        check(settings)
        return run(_compiled_all(specs), settings)
    except Refusal as exc:
        raise exc.usage_error() from None


def sweep(
    base: SpecRef,
    vary: dict | list[str],
    *,
    sample: int | None = None,
    seed: int | None = None,
    where: str | None = None,
    pareto: str | None = None,
    out: SpecRef | None = None,
    resume: bool = False,
    plot: SpecRef | None = None,
    jobs: int | None = None,
    measure: bool = False,
    backend: str | None = None,
    device: str | None = None,
    executor: str = "local",
    ray_address: str | None = None,
    cpus_per_task: float | None = None,
    gpus_per_task: float | None = None,
    retries: int | None = None,
    **options,
) -> dict:
    """``archc sweep --format json``: the completed sweep as a dict (the counts, ``rows`` in variant order and,
    with ``measure=True``, ``predictors``). ``vary`` maps each key to its values (``{"stages[0].blocks":
    "1..4", "groups": [1, 32]}``) or is a list of ``KEY=VALUES``. ``out`` is the sweep's log, as on the command
    line (``resume=True`` continues it); ``options`` are the measuring options of ``archc bench``
    (``batch``, ``steps``, ``warmup``, ``repeats``, ``threads``, ``train``, ``amp``, …). An unknown choice raises
    ValueError naming the choices; what the CLI refuses with exit 2 raises :class:`SpecError`.

    >>> [r["stages[0].blocks"] for r in sweep("resnet18", {"stages[0].blocks": "1..3"})["rows"]]
    [1, 2, 3]
    """
    from archc.commands.sweep import _plot, plan
    from archc.sweep.argv import SWEEP_OPTIONS, sweep_argv
    from archc.sweep.driver import run

    _choice("executor", executor, ("local", "ray"))
    for name, value, choices in (
        ("backend", backend, ("pytorch", "keras", "all")),
        ("device", device, ("cpu", "cuda")),
    ):
        if value is not None:
            _choice(name, value, choices)
    for name in options:
        _choice("measuring option", name, SWEEP_OPTIONS)
    given = dict(sample=sample, seed=seed, where=where, pareto=pareto, out=out, jobs=jobs, backend=backend,
                 device=device, ray_address=ray_address, cpus_per_task=cpus_per_task, gpus_per_task=gpus_per_task,
                 retries=retries, executor=executor, resume=resume, measure=measure, plot=plot)  # fmt: skip
    request = plan(_parse("sweep", sweep_argv(base, vary, given, options)))
    result = run(request, _Quiet(), keep_rows=True, to_stdout=False)
    if plot is not None:
        _plot(request, result, str(plot))
    return {**result.head, "rows": result.rows}


def _parse(command: str, argv: list[str]):
    """Parse ``argv`` with the CLI's own parser; a value it refuses is a ValueError with its message."""
    from archc.cli import build_parser
    from archc.diagnostics import SpecError

    try:
        args, extra = build_parser(argv).parse_known_args(argv)
    except SpecError as exc:
        d = exc.diagnostics[0]
        raise ValueError(f"{command}: {d.message.removeprefix('argument ')}") from None
    if extra:
        raise ValueError(f"{command}: unexpected {' '.join(extra)}")
    return args


class _Quiet:
    """stderr for the driver's progress: the API prints nothing."""

    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False


def check(*specs: SpecRef | dict) -> list:
    """``archc check``: every diagnostic of every spec (:class:`archc.diagnostics.Diagnostic`, with ``path``,
    ``line``, ``col``, ``code``, ``message``, ``help``), an empty list when all are valid.

    >>> check("resnet50")
    []
    """
    from archc.diagnostics import SpecError

    if not specs:
        raise ValueError("give at least one spec (a path, a built-in name such as 'resnet50', or a dict)")
    try:
        compile_all([_ref(s) for s in specs])  # a dict is read inside the try: its mistakes are diagnostics too
    except SpecError as exc:
        return exc.diagnostics
    return []


def list_specs(*patterns: str) -> list[dict]:
    """``archc list --format json`` (``archc.list``): one row per built-in spec matching a pattern (a glob such as
    ``'cifar/*'`` or a prefix such as ``'cifar'``; none: all), with ``label, name, spec, depth, params, buffers,
    keras_params, macs, flops, description``. A pattern that matches nothing raises ValueError.

    >>> [(r["label"], r["depth"]) for r in list_specs("cifar/resnet120")]
    [('cifar/resnet1202', 1202)]
    """
    from archc.commands.listing import matching, rows_of
    from archc.diagnostics import SpecError

    try:
        names = matching(list(patterns))
    except SpecError as exc:
        d = exc.diagnostics[0]
        raise ValueError(f"{d.message}; {d.help}") from None
    return rows_of(names)


def schema() -> dict:
    """``archc schema``: the JSON Schema of the spec language."""
    from archc.spec.json_schema import spec_schema

    return spec_schema()


__all__ = [
    "Model",
    "load",
    "check",
    "list_specs",
    "compare",
    "build",
    "table",
    "graph",
    "verify",
    "measure",
    "sweep",
    "schema",
]
