"""Helpers for the PyTorch backend tests: emit a spec, import the generated file, build the model once.

Generated code is written to a temporary folder and imported like any module (``torch.jit.script`` needs
its source on disk); models are cached per test module, so each spec is compiled, emitted and built once.
"""

from __future__ import annotations

import importlib.util
import sys
from dataclasses import dataclass
from pathlib import Path

from archc.backends.pytorch.emitter import emit

from archc.diagnostics import SpecError
from archc.pipeline import Compiled, compile_spec
from archc.reports.summary import summary

SMALL = (32, 32)  # forward passes run at this size when the generated code does not depend on the size


@dataclass
class Generated:
    compiled: Compiled  # at the spec's own input size
    text: str
    module: object
    probe: Compiled  # the IR at the size the forward tests use (SMALL when the code is size-independent)

    @property
    def summary(self) -> dict:
        return summary(self.compiled)

    def build(self, **kwargs):
        return self.module.build_model(**kwargs)


def import_text(text: str, folder: Path, stem: str):
    path = folder / f"{stem}.py"
    path.write_text(text, encoding="utf-8")
    spec = importlib.util.spec_from_file_location(f"archc_generated_{stem}", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def generate(ref: str, folder: Path) -> Generated:
    compiled = compile_spec(ref, verify_each=True)
    text = emit(compiled)
    probe = compiled
    if tuple(compiled.spec.input.size) != SMALL:
        try:
            small = compile_spec(ref, input_size=SMALL)
        except SpecError:
            small = None
        if small is not None and _code(emit(small)) == _code(text):
            probe = small
    stem = compiled.loaded.key.replace("/", "__")
    return Generated(compiled, text, import_text(text, folder, stem), probe)


def _code(text: str) -> str:
    """The generated code without its module docstring (which states the input size and MACs)."""
    return text.split('"""', 2)[2]


class Cache:
    def __init__(self, folder: Path):
        self.folder, self.items = folder, {}

    def __call__(self, ref: str) -> Generated:
        if ref not in self.items:
            self.items[ref] = generate(ref, self.folder)
        return self.items[ref]


def _names(g) -> dict[str, str]:
    """The PyTorch module name of every op, as the model layout names it (RegNet: the library's names)."""
    from archc.frameworks.convert import torch_names

    return torch_names(g)


def stage_modules(g) -> list[str]:
    """The module name of each stage (``layer1``…) as the IR names it, in stage order."""
    return [_names(g)[info.output].split(".")[0] for info in g.graph["stages"]]


def hook_stage_outputs(model, g) -> list:
    """Record each stage's output shape: a forward hook on the innermost module that produces the IR's
    stage-output node (``layer1`` … or ``features.4``); the last call of a shared module counts."""
    seen = [None] * len(g.graph["stages"])
    for i, info in enumerate(g.graph["stages"]):
        parts = _names(g)[info.output].split(".")
        for k in range(len(parts), 0, -1):
            try:
                module = model.get_submodule(".".join(parts[:k]))
            except AttributeError:
                continue
            module.register_forward_hook(lambda m, a, o, i=i: seen.__setitem__(i, list(o.shape[1:])))
            break
    return seen
