"""Keras backend: ``emit(compiled) -> str``, the whole generated file (a keras.applications-style module).

Decisions live in the file's view (:class:`FileView`); the jinja2 template only loops and prints
(StrictUndefined: a missing value is an error, never an empty string). ``family: convnext`` prints
keras.applications' ConvNeXt (:mod:`~archc.backends.keras.convnext`), every other family its ResNet layout
(:mod:`~archc.backends.keras.resnet`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import networkx as nx
from archc.backends.keras import convnext, resnet
from archc.backends.keras.printers import CONV_INITIALIZER, Unsupported
from archc.backends.keras.pycode import literal
from archc.backends.pyformat import environment

from archc.codegen import provenance
from archc.diagnostics import Diagnostic, SpecError
from archc.ir import rules
from archc.pipeline import Compiled

TEMPLATES = Path(__file__).resolve().parent / "templates"

# Words that keras.applications capitalises its own way (ResNet50, ResNeXt50, VGG16, …).
_WORDS = {"resnet": "ResNet", "resnext": "ResNeXt", "vgg": "VGG", "preact": "PreAct", "se": "SE", "v": "V"}
_WORDS |= {"regnetx": "RegNetX", "regnety": "RegNetY", "seresnet": "SEResNet", "seresnext": "SEResNeXt"}
_WORDS |= {"ecaresnet": "ECAResNet", "ecaresnext": "ECAResNeXt", "ecaresnetlight": "ECAResNetLight"}
_WORDS |= {"convnext": "ConvNeXt", "xlarge": "XLarge"}


# The fixed helpers (op → template): keras.applications' LayerScale, a StochasticDepth (drop path, identity in
# inference) and timm's BlurPool2d as ``blur_pool``.
_FIXED = {"layer_scale": "layer_scale", "drop_path": "stochastic_depth", "blurpool": "blur_pool"}

# The file's ``CONV_INITIALIZER`` line where the spec says ``init: he_normal`` (every layout's).
_HE_NORMAL = f"""# init: he_normal (He et al. 2015): normal, std sqrt(2 / fan_out)
{CONV_INITIALIZER} = keras.initializers.VarianceScaling(scale=2.0, mode="fan_out", distribution="untruncated_normal")"""


def constructor_name(spec_name: str) -> str:
    """``resnet50`` → ``ResNet50``, ``resnet50v2`` → ``ResNet50V2``, ``wide_resnet50_2`` → ``WideResNet50_2``."""
    out = ""
    for part in spec_name.split("_"):
        if out and part[:1].isdigit():
            out += "_"
        out += "".join(_WORDS.get(t, t.capitalize()) for t in re.findall(r"[a-z]+|[0-9]+", part))
    return out if out[:1].isalpha() else f"Model{out}"


@dataclass
class FileView:
    provenance: str
    comment: list[str]
    constructor: str
    model_name: str
    classes: str
    input_shape: str
    any_shape: str
    features: bool  # head.features_only: the model returns every stage's output
    initializer: str | None  # the ``CONV_INITIALIZER`` line (``init: he_normal``)
    convnext: bool  # keras.applications' ConvNeXt: its names, include_preprocessing, its no-top norm; no comment
    helpers: list[str] = field(default_factory=list)  # helper functions (SE rounding, ECA kernel size)
    imports: list[str] = field(default_factory=list)  # standard-library imports the helpers need
    functions: list = field(default_factory=list)  # block, stack, stage functions: fname, signature, body
    body: list[str] = field(default_factory=list)  # model function, after the input
    head: list[str] = field(default_factory=list)  # under ``if include_top:``
    no_top: list[str] = field(default_factory=list)  # after the ``if include_top:`` lines (``pooling``)
    third_party: list[str] = field(default_factory=list)  # imports beside keras (numpy)
    drop_path_rate: str = ""  # ConvNeXt's ``drop_path_rate`` argument, where the spec sets one


def emit(compiled: Compiled) -> str:
    """The generated file's text; :class:`SpecError` E403, located in the spec, for what Keras cannot express."""
    try:
        file_view = build_view(compiled)
    except Unsupported as exc:
        mark = compiled.loaded.marks.value(exc.origin or compiled.graph.nodes[exc.node]["origin"])
        help = "use the PyTorch backend (--backend pytorch) for this spec, or change the spec"
        raise SpecError([Diagnostic(mark.path, mark.line, mark.col, "E403", f"keras: {exc.message}", help)]) from None
    return environment(TEMPLATES).get_template("model.py.j2").render(m=file_view)


def build_view(c: Compiled) -> FileView:
    """The file's view: the parts every family shares, then the family's module fills the rest."""
    g, is_convnext = c.graph, c.spec.family == "convnext"
    a = g.nodes[g.graph["input"]]["attrs"]
    file_view = FileView(
        provenance=provenance(c.loaded.source, c.loaded.sha256),
        comment=[t.strip().replace("\t", " ") for t in c.spec.description.splitlines() if t.strip()]
        * (not is_convnext),
        constructor=constructor_name(c.spec.name),
        model_name=literal(c.spec.name),
        classes=literal(c.spec.head.classes),
        input_shape=literal((*a["size"], a["channels"])),
        any_shape=literal((None, None, a["channels"])),
        features=c.spec.head.features_only,
        initializer=_HE_NORMAL if g.graph["blocks"].init == "he_normal" else None,
        convnext=is_convnext,
    )
    _helpers(g, file_view, {"layer_scale", "drop_path"} if is_convnext else set())
    (convnext.fill if is_convnext else resnet.fill)(c, file_view)
    return file_view


def _helpers(g: nx.DiGraph, file_view: FileView, used: set[str]) -> None:
    """The helpers the file defines (those the family always has, ``used``, and those the graph needs), in order:
    the functions the expressions of the blocks' recipes call (``make_divisible``, ``eca_kernel_size``), then the
    fixed helpers, printed as they are (``templates/<name>.py.txt``): a generated file stays standalone."""
    used |= {n for d in g.graph["blocks"].definitions for e in d.recipe.exprs() for n in e.calls()}
    used |= {op for _, op in g.nodes(data="op") if op in ("layer_scale", "blurpool")}
    used |= {"drop_path" for _, d in g.nodes(data=True) if d["op"] == "drop_path" and d["attrs"]["rate"]}
    file_view.helpers = [rules.source(name) for name in ("make_divisible", "eca_kernel_size") if name in used]
    file_view.helpers += [
        (TEMPLATES / f"{n}.py.txt").read_text("utf-8").rstrip() for op, n in _FIXED.items() if op in used
    ]
    file_view.imports = ["import math"] * any("math." in text for text in file_view.helpers)
