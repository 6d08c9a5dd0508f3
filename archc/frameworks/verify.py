"""``archc verify``: build the generated code in memory, instantiate it in each installed framework and
check it against the IR — params, MACs and per-stage / output shapes.

- PyTorch: ``numel`` of the parameters (and of the BatchNorm running statistics against ``buffers``),
  MACs from ``torch.utils.flop_counter.FlopCounterMode`` (FLOPs / 2) on a real forward pass of one
  sample, stage shapes from forward hooks.
- Keras: ``count_params()`` against ``keras_params`` (params + BN moving statistics), MACs summed over the
  built model's Conv2D / Dense layers from their kernels and output shapes, stage shapes from the layers
  named like the IR's stage outputs.
A framework that is not installed is skipped, and the report says so. torch / keras are imported only
here, only when verifying.
"""

from __future__ import annotations

import importlib.util
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from archc.frameworks.convert import torch_names
from archc.frameworks.generated import load_generated
from archc.frameworks.quiet import import_keras
from archc.ir.graph import operands
from archc.pipeline import Compiled
from archc.reports.summary import summary

FRAMEWORKS = {"pytorch": "torch", "keras": "keras"}


@dataclass(frozen=True)
class Check:
    item: str  # "params", "MACs", "stage conv3 shape", …
    expected: object
    actual: object

    @property
    def ok(self) -> bool:
        return self.expected == self.actual


@dataclass
class Result:
    spec: str
    framework: str
    checks: list[Check] = field(default_factory=list)
    skipped: str = ""  # why the framework was not checked

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)


def _stage_shapes(c: Compiled) -> dict[str, list[int]]:
    g = c.graph
    return {info.name: list(g.nodes[info.output]["shape"]) for info in g.graph["stages"]}


def _torch_stage_module(c: Compiled, model, index: int) -> str | None:
    """The module whose (last) output is stage ``index``'s output: its container, else the output op."""
    g = c.graph
    names = torch_names(g)
    stage_of = {n: d["scope"][:2] for n, d in g.nodes(data=True) if d["scope"][2:3] != ("downsample",)}

    def heads(i: int) -> set[str]:  # layer1 (ResNet), s1 (timm's RegNet), trunk_output.block1 (torchvision's)
        return {_container(names[n]) for n, scope in stage_of.items() if scope == ("stage", i)}

    mine, others = heads(index), set().union(*(heads(i) for i in range(len(g.graph["stages"])) if i != index))
    modules = dict(model.named_modules())
    if len(mine) == 1 and not mine & others and next(iter(mine)) in modules:  # layer1 … (not VGG's features)
        return next(iter(mine))
    own = names[g.graph["stages"][index].output]
    return own if own in modules else None


def _container(name: str) -> str:
    two = name.startswith(("trunk_output.", "stages.")) or re.match(r"features\.\d+\.\d+\.", name)
    return ".".join(name.split(".")[:2]) if two else name.split(".")[0]  # ConvNeXt: stages.1, features.3


def check_pytorch(c: Compiled) -> list[Check]:
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    s = summary(c)
    model = load_generated(c, "pytorch").build_model().eval()
    seen: dict[str, list[int]] = {}
    hooks, checks = [], []
    for info in c.graph.graph["stages"]:
        target = _torch_stage_module(c, model, info.index)
        if target is None:
            checks.append(Check(f"stage {info.name} shape", "a module to hook", "none found"))
            continue
        hook = lambda m, a, out, n=info.name: seen.__setitem__(n, list(out.shape[1:]))  # noqa: E731
        hooks.append(model.get_submodule(target).register_forward_hook(hook))
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        out = model(torch.zeros(1, *s["input_shape"]))
    for h in hooks:
        h.remove()
    buffers = sum(b.numel() for n, b in model.named_buffers() if n.endswith(("running_mean", "running_var", ".filt")))
    checks += [
        Check("params", s["params"], sum(p.numel() for p in model.parameters())),
        Check("buffers", s["buffers"], buffers),
        Check("MACs", s["macs"], counter.get_total_flops() // 2),
    ]
    checks += [Check(f"stage {n} shape", shape, seen.get(n)) for n, shape in _stage_shapes(c).items() if n in seen]
    if isinstance(out, torch.Tensor):
        checks.append(Check("output shape", s["output_shape"], list(out.shape[1:])))
    return checks


def _chw(shape) -> list[int]:
    """Keras (None, H, W, C) → [C, H, W]; (None, F) → [F]."""
    dims = list(shape)[1:]
    return [dims[-1], *dims[:-1]] if len(dims) == 3 else dims


def keras_macs(model) -> int:
    """Multiply-accumulates of every Conv2D, Conv1D (ECA), DepthwiseConv2D (a blur pool) and Dense layer, from the built model's kernels and
    shapes: output elements × kernel window × input channels per group."""
    total = 0
    for layer in model.layers:
        kind = type(layer).__name__
        if hasattr(layer, "layers"):  # a nested Sequential (keras.applications ConvNeXt's stem, downsampling)
            total += keras_macs(layer)
        elif kind in ("Conv1D", "Conv2D"):
            total += math.prod(layer.output.shape[1:]) * math.prod(layer.kernel.shape[:-1])
        elif kind == "DepthwiseConv2D":  # a blur pool's fixed filter: output elements × window
            total += math.prod(layer.output.shape[1:]) * math.prod(layer.kernel.shape[:2])
        elif kind == "Dense":
            total += math.prod(layer.kernel.shape) * math.prod(layer.output.shape[1:-1] or (1,))
    return total


def measure_keras(model, layers: list[str]) -> dict:
    """What :func:`check_keras` compares, measured on a built Keras model (in this process or a Keras child)."""
    names = {layer.name for layer in model.layers}
    return {
        "input_shape": _chw(model.inputs[0].shape),
        "keras_params": model.count_params(),
        "macs": keras_macs(model),
        "layers": {name: _chw(model.get_layer(name).output.shape) if name in names else None for name in layers},
        "outputs": [_chw(o.shape) for o in model.outputs],
    }


def _stage_layers(c: Compiled) -> list[str]:
    """Each stage output's Keras layer; ConvNeXt's ends in ``shortcut + x`` (an op, no layer): its main path."""
    g, out = c.graph, []
    for info in g.graph["stages"]:
        node = info.output
        if g.graph.get("family") == "convnext" and g.nodes[node]["op"] == "add":
            node = operands(g, node)[0]  # the main path into the addition: the same shape
        out.append(g.nodes[node]["names"]["keras"])
    return out


def _keras_children(compiled: list[Compiled], keras_backend: str) -> Iterator[dict]:
    """Each spec's Keras measurements, from one child process with Keras on ``keras_backend``."""
    from archc.codegen import emit
    from archc.frameworks.keras_backends import run_child

    jobs = [{"source": emit(c, "keras"), "name": c.loaded.key, "layers": _stage_layers(c)} for c in compiled]
    return run_child("verify", jobs, keras_backend)


def check_keras(c: Compiled, got: dict | None = None) -> list[Check]:
    """The Keras model against the IR: measured here (Keras' own backend), or ``got`` from a Keras child."""
    s = summary(c)
    g = c.graph
    layers = _stage_layers(c)
    got = got or measure_keras(load_generated(c, "keras").build_model(), layers)
    checks = [
        Check("input shape", s["input_shape"], got["input_shape"]),
        Check("keras_params", s["keras_params"], got["keras_params"]),
        Check("MACs", s["macs"], got["macs"]),
    ]
    for info, name in zip(g.graph["stages"], layers):
        actual = got["layers"][name] or f"no layer {name!r}"
        checks.append(Check(f"stage {info.name} shape", list(g.nodes[info.output]["shape"]), actual))
    if len(got["outputs"]) == 1:
        checks.append(Check("output shape", s["output_shape"], got["outputs"][0]))
    return checks


CHECKERS = {"pytorch": check_pytorch, "keras": check_keras}


def verify(compiled: list[Compiled], frameworks: list[str], keras_backend: str | None = None) -> list[Result]:
    """Check every spec in every framework (spec by spec); frameworks not installed are skipped.
    ``keras_backend``: Keras on that backend, in a child process (default: Keras' own setting, here)."""
    return list(each_result(compiled, frameworks, keras_backend))


def each_result(compiled: list[Compiled], frameworks: list[str], keras_backend: str | None = None) -> Iterator[Result]:
    """:func:`verify`, one result at a time as each check finishes (``archc verify`` prints them so)."""
    needs = {
        name: [FRAMEWORKS[name], *([keras_backend] if name == "keras" and keras_backend else [])] for name in frameworks
    }
    missing = {name: [m for m in needs[name] if importlib.util.find_spec(m) is None] for name in frameworks}
    installed = {name: not missing[name] for name in frameworks}
    children = None
    if installed.get("keras") and keras_backend:
        children = _keras_children(compiled, keras_backend)  # one process for every spec, started lazily
    elif installed.get("keras"):
        import_keras()  # before the generated code imports it: no TensorFlow start-up chatter
    for c in compiled:
        for name in frameworks:
            result = Result(c.loaded.key, f"keras/{keras_backend}" if name == "keras" and keras_backend else name)
            if installed[name]:
                measured = (next(children),) if name == "keras" and children else ()  # from the Keras child
                result.checks = CHECKERS[name](c, *measured)
            else:
                result.skipped = f"{' and '.join(missing[name])} is not installed"
            yield result


def _fmt(v) -> str:
    if isinstance(v, int) and not isinstance(v, bool):
        return f"{v:,}"
    if isinstance(v, list):
        return "×".join(map(str, v))
    return str(v)


def report(results: list[Result]) -> str:
    lines = []
    for r in results:
        if r.skipped:
            lines.append(f"{r.spec} · {r.framework}: skipped ({r.skipped})")
            continue
        bad = [c for c in r.checks if not c.ok]
        if not bad:
            figures = " · ".join(f"{c.item} {_fmt(c.actual)}" for c in r.checks if not c.item.startswith("stage"))
            stages = sum(c.item.startswith("stage") for c in r.checks)
            lines.append(f"{r.spec} · {r.framework}: ok — {figures} · {stages} stage shapes")
            continue
        lines.append(f"{r.spec} · {r.framework}: {len(bad)} difference(s)")
        for c in bad:
            delta = (
                f" (Δ {c.actual - c.expected:+,})" if isinstance(c.actual, int) and isinstance(c.expected, int) else ""
            )
            lines.append(f"  {c.item}: IR {_fmt(c.expected)}, generated model {_fmt(c.actual)}{delta}")
    return "\n".join(lines)
