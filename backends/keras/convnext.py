"""ConvNeXt as keras.applications' ``convnext.py`` builds it (``family: convnext``), its block printed from the
recipe: the whole generated file.

The user block (``blocks:``) is one function whose layers walk the recipe's steps (Keras is channels-last
throughout: a ``linear`` conv is a ``Dense``, a depthwise conv a grouped ``Conv2D``, a LayerNorm a
``LayerNormalization``, layer scale the file's own ``LayerScale``, drop path at rate 0 keras.applications'
``Activation("linear")`` ``_identity`` and otherwise the file's own ``StochasticDepth``). Layer names are
keras.applications': ``{name}_stage_{i}_block_{j}_depthwise_conv`` …, the ``_stem`` and
``_downsampling_block_{i}`` Sequentials, ``_head_gap`` / ``_head_layernorm`` / ``_head_dense``, and the
``_prestem_normalization`` of ``include_preprocessing``. The file is standalone (keras only).
"""

from __future__ import annotations

from archc.backends.keras.layer_sources import ACTIVATIONS, LAYER_SCALE, STOCHASTIC_DEPTH

from archc.codegen import provenance
from archc.diagnostics import Diagnostic, SpecError
from archc.ir.convnext_names import KERAS_LOCAL as _LOCAL
from archc.ir.expr import simplify
from archc.ir.recipe import Act, Add, Branch, Conv, DropPath, LayerScale, Norm
from archc.pipeline import Compiled

HELPERS = f"{LAYER_SCALE}\n\n\n{STOCHASTIC_DEPTH}"


class _Refused(Exception):
    def __init__(self, message: str, origin: tuple):
        super().__init__(message)
        self.message, self.origin = message, origin


def emit(c: Compiled) -> str:
    try:
        return _emit(c)
    except _Refused as exc:
        mark = c.loaded.marks.value(exc.origin)
        help = "use the PyTorch backend (--backend pytorch) for this spec, or change the spec"
        raise SpecError([Diagnostic(mark.path, mark.line, mark.col, "E403", f"keras: {exc.message}", help)]) from None


def constructor_name(spec_name: str) -> str:
    """keras.applications' constructor: ``convnext_tiny`` → ``ConvNeXtTiny``."""
    rest = spec_name.removeprefix("convnext")
    return "ConvNeXt" + "".join({"xlarge": "XLarge"}.get(p, p.capitalize()) for p in rest.split("_") if p)


def block_function(d, scheduled: bool = False) -> list[str]:
    """The user block ``d`` as a function ``{kind}_block(x, dim, name)``, printed from its recipe; ``scheduled``:
    it takes its ``drop_path_rate`` (the spec's ``drop_path_rate``, rising over the blocks)."""
    bind = {**d.constants(), "in": "dim", "planes": "dim"}
    for name, e in d.recipe.lets:
        bind[name] = simplify(e, bind)
    text = lambda e: simplify(e, bind).text()  # noqa: E731
    body, kinds = [], [s.kind for s in d.recipe.steps]
    if kinds[0] != "branch" or kinds[-1] != "add":
        raise _Refused("a ConvNeXt block branches at its input and adds last", ("blocks", d.kind))
    for step in d.recipe.steps:
        suffix = f'name=f"{{name}}_{_LOCAL.get(getattr(step, "role", ""), getattr(step, "role", ""))}"'
        if isinstance(step, Branch):
            body.append("shortcut = x")
        elif isinstance(step, Conv):
            width, groups = text(step.width), text(step.groups)
            if step.linear:
                layer = f"layers.Dense({width}, use_bias={step.bias}, {suffix})"
            else:
                pad = ', padding="same"' * (step.kernel > 1)
                grp = f", groups={groups}" * (groups != "1")
                layer = f"layers.Conv2D({width}, {step.kernel}{pad}{grp}, use_bias={step.bias}, {suffix})"
            body.append(f"x = {layer.replace(', use_bias=True', '')}(x)")
        elif isinstance(step, Norm):
            if step.norm.kind != "layernorm":
                raise _Refused(f"a {step.norm.kind} in a Keras ConvNeXt block", ("defaults", "norm"))
            body.append(f"x = layers.LayerNormalization(epsilon={step.norm.eps!r}, {suffix})(x)")
        elif isinstance(step, Act):
            body.append(f'x = layers.Activation("{ACTIVATIONS[step.fn]}", {suffix})(x)')
        elif isinstance(step, LayerScale):
            body.append(f"x = LayerScale({step.init!r}, dim, {suffix})(x)")
        elif isinstance(step, DropPath) and scheduled:  # keras.applications' ConvNeXtBlock
            body += ["if drop_path_rate:", '    x = StochasticDepth(drop_path_rate, name=f"{name}_stochastic_depth")(x)',
                     "else:", '    x = layers.Activation("linear", name=f"{name}_identity")(x)']  # fmt: skip
        elif isinstance(step, DropPath):
            body.append(
                f'x = StochasticDepth({step.rate!r}, name=f"{{name}}_stochastic_depth")(x)'
                if step.rate
                else 'x = layers.Activation("linear", name=f"{name}_identity")(x)'
            )
        elif isinstance(step, Add):
            body.append("return shortcut + x")
        else:
            raise _Refused(f"a {step.kind} step in a Keras ConvNeXt block", ("blocks", d.kind))
    doc = f'"""The spec\'s \'{d.kind}\' block, printed from its recipe (keras.applications\' layer names)."""'
    signature = f"def {d.kind}_block(x, dim, name{', drop_path_rate=0.0' * scheduled}):"
    return [signature, f"    {doc}", *(f"    {ln}" for ln in body)]


def _emit(c: Compiled) -> str:
    g, spec = c.graph, c.spec
    model = g.graph["blocks"]
    if len(model.definitions) != 1 or model.definitions[0].custom is None:
        raise _Refused("a ConvNeXt layout needs one user-defined block for every stage", ("block",))
    d = model.definitions[0]
    if not all(b.residual for b in model.blocks):
        raise _Refused("a ConvNeXt block without its shortcut (shortcut: identity on a block that changes its shape)",
                       ("blocks", d.kind))  # fmt: skip
    rate = spec.drop_path_rate  # keras.applications' ConvNeXt(drop_path_rate=…): np.linspace over the blocks
    downs = [s.downsample for s in model.stages]
    if downs[0] is not None or any(x is None or (x.stride, x.norm, x.bias) != (2, True, True) for x in downs[1:]):
        raise _Refused("keras.applications' ConvNeXt downsamples (LN, 2x2/2 conv) before stages 2…", ("downsample",))
    stem = [n for n, data in g.nodes(data=True) if data["scope"][0] == "stem"]
    if [g.nodes[n]["op"] for n in stem] != ["conv", "layernorm"]:
        raise _Refused("a ConvNeXt stem is one patchify conv and a LayerNorm", ("stem",))
    a, eps = g.nodes[stem[0]]["attrs"], g.nodes[stem[1]]["attrs"]["eps"]
    k, s = a["kernel"][0], a["stride"][0]
    table = ", ".join(f"({st.blocks[0].out}, {len(st.blocks)})" for st in model.stages)
    h, w = spec.input.size
    ctor = constructor_name(spec.name)
    lines = [
        provenance(c.loaded.source, c.loaded.sha256),
        f'"""{ctor} for Keras 3: functional API, channels-last inputs, keras.applications\' ConvNeXt layer names."""',
        "",
        "import keras",
        *["import numpy as np"] * bool(rate),
        "from keras import layers",
        "",
        "",
        HELPERS,
        "",
        "",
        *block_function(d, bool(rate)),
        "",
        "",
        f"def {d.kind}_stage(x, dim, depth, name, index{', drop_path_rates=None' * bool(rate)}):",
        '    """Stage `index`: a downsampling block in front (not in the first stage), then `depth` blocks."""',
        "    if index > 0:",
        "        x = keras.Sequential(",
        "            [",
        f'                layers.LayerNormalization(epsilon={eps!r}, name=f"{{name}}_downsampling_layernorm_{{index - 1}}"),',
        '                layers.Conv2D(dim, 2, strides=2, name=f"{name}_downsampling_conv_{index - 1}"),',
        "            ],",
        '            name=f"{name}_downsampling_block_{index - 1}",',
        "        )(x)",
        *["    drop_path_rates = drop_path_rates or [0.0] * depth"] * bool(rate),
        "    for j in range(depth):",
        f'        x = {d.kind}_block(x, dim, f"{{name}}_stage_{{index}}_block_{{j}}"'
        + ", drop_path_rates[j]" * bool(rate)
        + ")",
        "    return x",
        "",
        "",
        f"def {ctor}(",
        "    include_top=True,",
        "    include_preprocessing=True,",
        "    weights=None,",
        "    input_tensor=None,",
        "    input_shape=None,",
        "    pooling=None,",
        f"    classes={spec.head.classes},",
        '    classifier_activation="softmax",',
        f'    name="{spec.name}",',
        *[f"    drop_path_rate={rate!r},"] * bool(rate),
        "):",
        '    """Build the model (the signature of keras.applications\' ConvNeXt).',
        "",
        "    Args:",
        "        include_top: whether to include the classifier head.",
        "        include_preprocessing: whether the model normalises its inputs (ImageNet mean and variance).",
        "        weights: `None` (random initialisation) or the path to a `.weights.h5` file; nothing is downloaded.",
        "        input_tensor: optional Keras tensor to use as the model's input.",
        f"        input_shape: optional `(height, width, channels)`; default ({h}, {w}, {spec.input.channels}) with "
        "the top.",
        '        pooling: without the top, `None`, `"avg"` or `"max"` (then a LayerNormalization, as keras does).',
        "        classes: number of classes of the classifier.",
        "        classifier_activation: activation of the classifier (`None` for logits).",
        "        name: the model's name.",
        *["        drop_path_rate: stochastic depth, rising linearly over the blocks from 0 to this rate."]
        * bool(rate),
        '    """',
        '    if weights is not None and not str(weights).endswith(".weights.h5"):',
        "        raise ValueError(",
        '            "`weights` must be None or the path to a .weights.h5 file (this model downloads nothing); "',
        '            f"got weights={weights!r}"',
        "        )",
        "    if input_shape is None:",
        f"        input_shape = ({h}, {w}, {spec.input.channels}) if include_top else (None, None, "
        f"{spec.input.channels})",
        "    if input_tensor is None:",
        "        img_input = layers.Input(shape=input_shape)",
        "    elif keras.backend.is_keras_tensor(input_tensor):",
        "        img_input = input_tensor",
        "    else:",
        "        img_input = layers.Input(tensor=input_tensor, shape=input_shape)",
        "",
        "    x = img_input",
        "    if include_preprocessing and input_shape[-1] == 3:",
        "        x = layers.Normalization(",
        "            mean=[0.485 * 255, 0.456 * 255, 0.406 * 255],",
        "            variance=[(0.229 * 255) ** 2, (0.224 * 255) ** 2, (0.225 * 255) ** 2],",
        '            name=f"{name}_prestem_normalization",',
        "        )(x)",
        f"    stages = [{table}]  # (width, blocks) of each stage",
        "    x = keras.Sequential(",
        "        [",
        f'            layers.Conv2D({a["out_channels"]}, {k}, strides={s}, name=f"{{name}}_stem_conv"),',
        f'            layers.LayerNormalization(epsilon={eps!r}, name=f"{{name}}_stem_layernorm"),',
        "        ],",
        '        name=f"{name}_stem",',
        "    )(x)",
        *[
            "    rates = [float(r) for r in np.linspace(0.0, drop_path_rate, sum(depth for _, depth in stages))]",
            "    cur = 0",
        ]
        * bool(rate),
        "    for i, (dim, depth) in enumerate(stages):",
        f"        x = {d.kind}_stage(x, dim, depth, name, i{', rates[cur : cur + depth]' * bool(rate)})",
        *["        cur += depth"] * bool(rate),
        "",
        "    if include_top:",
        '        x = layers.GlobalAveragePooling2D(name=f"{name}_head_gap")(x)',
        f'        x = layers.LayerNormalization(epsilon={eps!r}, name=f"{{name}}_head_layernorm")(x)',
        '        x = layers.Dense(classes, activation=classifier_activation, name=f"{name}_head_dense")(x)',
        "    else:",
        '        if pooling == "avg":',
        "            x = layers.GlobalAveragePooling2D()(x)",
        '        elif pooling == "max":',
        "            x = layers.GlobalMaxPooling2D()(x)",
        f"        x = layers.LayerNormalization(epsilon={eps!r})(x)",
        "",
        "    inputs = img_input if input_tensor is None else keras.utils.get_source_inputs(input_tensor)",
        "    model = keras.Model(inputs, x, name=name)",
        "    if weights is not None:",
        "        model.load_weights(weights)",
        "    return model",
        "",
        "",
        "def build_model(**kwargs):",
        f'    """The model with this spec\'s defaults, keyword arguments as for `{ctor}`; like the PyTorch model of',
        "    this spec it does not normalise its inputs unless asked (`include_preprocessing=True`, keras.applications'",
        '    default for the constructor)."""',
        '    kwargs.setdefault("include_preprocessing", False)',
        f"    return {ctor}(**kwargs)",
    ]
    return "\n".join(lines) + "\n"
