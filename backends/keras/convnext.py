"""ConvNeXt as keras.applications' ``convnext.py`` builds it (``family: convnext``), its user block printed by the
block printer (:func:`archc.backends.keras.blocks.block_function`) as its ``ConvNeXtBlock`` lays it out. Layer
names are keras.applications': ``{name}_stage_{i}_block_{j}_depthwise_conv`` …, the ``_stem`` and
``_downsampling_block_{i}`` Sequentials, ``_head_gap`` / ``_head_layernorm`` / ``_head_dense``.
"""

from __future__ import annotations

from dataclasses import replace

from archc.backends.keras.blocks import Layout, block_function
from archc.backends.keras.printers import GLOBAL_POOLS, Call, Unsupported, print_op, render, sequential
from archc.backends.keras.pycode import Code, literal

from archc.ir.convnext_names import KERAS_LOCAL as _LOCAL
from archc.pipeline import Compiled


def _refused(message: str, *origin) -> Unsupported:
    return Unsupported("", message, origin)


def convnext_block(g, d, blocks) -> dict:
    """``{kind}_block(x, dim, name)``; it takes a ``drop_path_rate`` where the spec's rises over the blocks."""
    kinds = [s.kind for s in d.recipe.steps]
    if kinds[0] != "branch" or kinds[-1] != "add":
        raise _refused("a ConvNeXt block branches at its input and adds last", "blocks", d.kind)
    roles = {getattr(s, "role", "") for s in d.recipe.steps} | {"stochastic_depth"}
    suffixes = {role: f"_{_LOCAL.get(role, role)}" for role in roles}
    layout = Layout("dim", "dim", suffixes, add_operator=True, inline_lets=True, stochastic_depth="stochastic_depth")
    fn = block_function(g, d, blocks, f"{d.kind}_block", layout)
    doc = f'"""The spec\'s \'{d.kind}\' block, printed from its recipe (keras.applications\' layer names)."""'
    signature = ", ".join(["x", "dim", "name", *(f"{p}={v!r}" for p, v in fn.params)])
    return {"fname": fn.fname, "signature": signature, "body": [doc, *fn.body]}


def _layers(g, nodes: list[str], prefix: str, index: str = "") -> list[Call]:
    """The op printers' layers of ``nodes`` (:func:`~archc.backends.keras.printers.print_op`), named from the
    file's ``name``: the IR's ``{spec name}_stem_conv`` → ``f"{name}_stem_conv"``, and a downsampling block's
    ``…_layernorm_0`` → ``f"{name}_…_layernorm_{index - 1}"`` (``index``: the f-string's last field)."""
    calls = []
    for call in (c for n in nodes for c in print_op(g, n)):
        rest = call.name[len(prefix) :]
        rest = rest[: rest.rindex("_") + 1] if index else rest
        calls.append(replace(call, name=Code(f'f"{{name}}{rest}{index}"')))
    return calls


def _parts(g) -> tuple[list[str], list[str], list[str]]:
    """The nodes of the stem, of stage 2's downsampling layer and of the head; :class:`Unsupported`, located by its
    ``origin`` in the spec, for what keras.applications' ConvNeXt layout cannot hold."""
    model = g.graph["blocks"]
    if len(model.definitions) != 1 or model.definitions[0].custom is None:
        raise _refused("a ConvNeXt layout needs one user-defined block for every stage", "block")
    d = model.definitions[0]
    if not all(b.residual for b in model.blocks):
        raise _refused("a ConvNeXt block without its shortcut (shortcut: identity on one that changes its shape)",
                       "blocks", d.kind)  # fmt: skip
    downs = [s.downsample for s in model.stages]
    if downs[0] is not None or any(x is None or (x.stride, x.norm, x.bias) != (2, True, True) for x in downs[1:]):
        raise _refused("keras.applications' ConvNeXt downsamples (LN, 2x2/2 conv) before stages 2…", "downsample")
    scoped = {part: [n for n, data in g.nodes(data=True) if data["scope"][: len(part)] == part]
              for part in [("stem",), ("stage", 1, "downsample"), ("head",)]}  # fmt: skip
    stem, down, head = scoped.values()
    if [g.nodes[n]["op"] for n in stem] != ["conv", "layernorm"]:
        raise _refused("a ConvNeXt stem is one patchify conv and a LayerNorm", "stem")
    if [g.nodes[n]["op"] for n in head] != ["global_pool", "layernorm", "flatten", "linear"]:
        raise _refused("a ConvNeXt head is a global pool, a LayerNorm and the classifier", "head")
    return stem, down, head


def fill(c: Compiled, view) -> None:
    """keras.applications' ConvNeXt: the stage and block functions, body, head and no-top lines into ``view``."""
    g, spec = c.graph, c.spec
    model, (stem, down, head) = g.graph["blocks"], _parts(g)
    d, prefix = model.definitions[0], spec.name
    # ConvNeXt(drop_path_rate=…): np.linspace over the blocks; a model of one block has rate 0 and no schedule
    rate = spec.drop_path_rate if model.drop_path_scheduled else 0.0
    downsampling = [  # stage 2's, printed once for every stage: its conv's width is the stage's `dim`
        replace(x, args=(Code("dim"), *x.args[1:])) if x.func == "layers.Conv2D" else x
        for x in _layers(g, down, prefix, "{index - 1}")
    ]
    downsampling = sequential(downsampling, Code('f"{name}_downsampling_block_{index - 1}"'), 2)
    pool, norm, dense = _layers(g, [head[0], head[1], head[3]], prefix)
    pool = replace(pool, kwargs=(("keepdims", False),))  # keras.applications pools to (N, C), then normalises
    table = ", ".join(f"({st.blocks[0].out}, {len(st.blocks)})" for st in model.stages)
    view.third_party, view.drop_path_rate = ["import numpy as np"] * bool(rate), repr(rate) * bool(rate)
    view.functions = [convnext_block(g, d, model.blocks), {
        "fname": f"{d.kind}_stage",
        "signature": f"x, dim, depth, name, index{', drop_path_rates=None' * bool(rate)}",
        "body": [
            '"""Stage `index`: a downsampling block in front (not in the first stage), then `depth` blocks."""',
            "if index > 0:",
            *("    " + line for line in downsampling),
            *["drop_path_rates = drop_path_rates or [0.0] * depth"] * bool(rate),
            "for j in range(depth):",
            f'    x = {d.kind}_block(x, dim, f"{{name}}_stage_{{index}}_block_{{j}}"{", drop_path_rates[j]" * bool(rate)})',
            "return x",
        ],
    }]  # fmt: skip
    view.body = [  # after the template's input normalisation (``include_preprocessing``)
        f"stages = [{table}]  # (width, blocks) of each stage",
        *sequential(_layers(g, stem, prefix), Code('f"{name}_stem"'), 1),
        *["rates = [float(r) for r in np.linspace(0.0, drop_path_rate, sum(depth for _, depth in stages))]",
          "cur = 0"] * bool(rate),
        "for i, (dim, depth) in enumerate(stages):",
        f"    x = {d.kind}_stage(x, dim, depth, name, i{', rates[cur : cur + depth]' * bool(rate)})",
        *["    cur += depth"] * bool(rate),
    ]  # fmt: skip
    view.head = [line for call in (pool, norm, dense) for line in render(call, "x", "x", 2)]
    view.no_top = ["else:"]
    for i, (mode, cls) in enumerate(GLOBAL_POOLS.items()):  # then keras.applications' unnamed LayerNormalization
        view.no_top += [f"    {'el' * bool(i)}if pooling == {literal(mode)}:", f"        x = {cls}()(x)"]
    view.no_top += ["    " + line for line in render(replace(norm, name=None), "x", "x", 3)]
