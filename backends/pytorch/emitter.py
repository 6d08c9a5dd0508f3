"""The PyTorch backend: ``emit(compiled) -> str``, the whole text of ``generated/pytorch/<spec>.py``.

The model layout's family module writes the classes (:mod:`.resnet`: torchvision's or timm's ResNet, and VGG;
:mod:`.regnet`; :mod:`.convnext`), each from the block model (one class per block definition, printed from its
recipe by :mod:`.blocks`, RegNet's and ConvNeXt's under their libraries' names) and the IR's names. This
module adds the file around them: the provenance header, the spec's figures, the helper definitions and imports
the classes' code uses. The template ``templates/model.py.j2`` only loops and prints. The output is already
formatted the way ``ruff format`` would format it (tested), and byte-identical across runs. What PyTorch cannot
express is a :class:`SpecError` E403 located in the spec.
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass
from pathlib import Path

from archc.backends.pyformat import environment

from archc.codegen import provenance
from archc.diagnostics import Diagnostic, SpecError
from archc.ir import rules
from archc.ir.naming import pytorch_profile
from archc.pipeline import Compiled
from archc.reports.summary import summary

from . import convnext, regnet, resnet
from .printers import EmitError
from .pycode import ClassView, title

TEMPLATES = Path(__file__).resolve().parent / "templates"
_RESERVED = {"torch", "nn", "F", "math", "build_model"}  # with the helper names: never a constructor's name


@dataclass
class ModelView:
    header: str
    title: str
    facts: str
    imports: list[str]
    helpers: list[str]  # the helper classes and functions the code calls (SqueezeExcitation, make_divisible), as text
    classes: list[ClassView]
    class_name: str
    num_classes: int
    constructor: str | None


def emit(compiled: Compiled) -> str:
    layout = compiled.graph.graph.get("model_layout")
    family = {"regnet": regnet, "convnext": convnext}.get(layout.family if layout else "", resnet)
    try:
        view = _model_view(compiled, *family.model_classes(compiled))
    except EmitError as exc:
        mark = compiled.loaded.marks.value(exc.origin)
        help = "use the Keras backend (--backend keras) for this spec, or change the spec"
        raise SpecError([Diagnostic(mark.path, mark.line, mark.col, "E403", f"pytorch: {exc}", help)]) from None
    return environment(TEMPLATES).get_template("model.py.j2").render(view=view)


def _model_view(c: Compiled, classes: list[ClassView], name: str) -> ModelView:
    """The file's view: the provenance header, the spec's title and figures, the classes (``name``: the model's),
    and the imports and helpers their code uses."""
    s, spec, table = summary(c), c.spec, _helper_table(pytorch_profile(c.graph))
    imports, helpers = _imports_and_helpers(classes, table)
    reserved = _RESERVED | {helper for helper, _ in table}
    return ModelView(
        header=provenance(c.loaded.source, c.loaded.sha256),
        title=title(spec),
        facts=f"Input {'×'.join(map(str, s['input_shape']))} · {s['params']:,} params · {s['macs']:,} MACs "
        f"(FLOPs = 2 × MACs) · depth {s['depth']}.",
        imports=imports,
        helpers=helpers,
        classes=classes,
        class_name=name,
        num_classes=spec.head.classes,
        constructor=None if spec.name in reserved or keyword.iskeyword(spec.name) else spec.name,
    )


def _imports_and_helpers(classes: list[ClassView], table: list[tuple[str, str]]) -> tuple[list[str], list[str]]:
    """The helper definitions the classes' code calls (and those the helpers call), in :func:`_helper_table`'s
    order, then the imports that code and those helpers use."""
    code = "\n".join(ln for v in classes for m in v.methods for ln in m)
    used = set()
    for name, text in reversed(table):  # a helper calls only helpers before it in the table
        if re.search(rf"(?<![\w.]){name}\(", code):
            used.add(name)
            code += "\n" + text
    helpers = [text for name, text in table if name in used]
    stdlib = ["import math"] * bool(re.search(r"\bmath\.", code))
    stdlib += ["from collections import OrderedDict"] * bool(re.search(r"(?<![\w.])OrderedDict\(", code))
    functional = ["import torch.nn.functional as F"] * bool(re.search(r"(?<![\w.])F\.", code))
    imports = [*stdlib, *[""] * bool(stdlib), "import torch", *functional, "from torch import nn"]
    return imports, helpers


# Each helper the generated code may call, in the order the file prints it (a helper calls only those before
# it): a width rule of :mod:`archc.ir.rules`, else ``templates/<name>.py.txt`` as it is; ``{form}``: the profile's
# code form of squeeze-and-excitation and ECA (timm's: the squeeze as ``x.mean``, as timm's SEModule / EcaModule;
# fvcore, ptflops and thop count it as on timm's model). The rest are timm's own GroupNorm, LayerNorm, GELU, ….
HELPERS = ("trunc_normal", "make_divisible", "eca_kernel_size", "squeeze_excitation{form}",
           "efficient_channel_attention{form}", "conv_norm_act", "group_norm_timm", "blur_pool", "layer_norm_2d",
           "permute", "layer_norm_timm", "gelu_timm", "drop_path_timm", "stochastic_depth")  # fmt: skip
RULES = ("make_divisible", "eca_kernel_size")


def _helper_table(profile: str) -> list[tuple[str, str]]:
    """Each helper of :data:`HELPERS` in the profile's form: (the name it defines, its last class or function;
    its text)."""
    names = [h.format(form="_timm" if profile == "timm" else "") for h in HELPERS]
    texts = [rules.source(n) if n in RULES else (TEMPLATES / f"{n}.py.txt").read_text("utf-8").rstrip() for n in names]
    return [(re.findall(r"^(?:class|def) (\w+)", text, re.M)[-1], text) for text in texts]


__all__ = ["emit", "EmitError"]
