"""What each popular counter counts, per op kind: the rules as data, one row per tool.

Read from each tool's source (versions in :data:`TOOLS`) and checked by running the real tools on the generated
PyTorch model of every built-in (``tests/counters/``). A rule is a sum of :class:`Count` terms; a term is a
quantity of the op (:mod:`archc.counters.terms`): ``macs`` (the IR's conv / linear multiply-accumulates), ``in``
(elements of the input the PyTorch module receives), ``out`` (output elements), ``bias`` (the additions of a
bias: output elements of a conv, ``out_features`` of a linear; 0 without a bias) and ``windows`` (thop's
average-pool rule: the input elements summed over every window, each counted once per window that holds it).

Counters that hook ``nn.Module`` calls or patch ``torch.nn.functional`` (ptflops' pytorch backend, thop) count
*code*, not the architecture: what they print depends on how the model is written. Such a rule names the code
form it assumes (:data:`FORMS`, the form archc's PyTorch backend prints, torchvision-style); the CLI prints the
forms a figure depends on. Counters that see aten ops (FlopCounterMode, fvcore's trace, ptflops' aten backend)
count the same ops whichever way they are written.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Tool:
    label: str  # how to call it
    version: str  # the version the rules were read from and are tested with
    unit: str  # what the figure is called where the tool prints it


@dataclass(frozen=True)
class Count:
    term: str  # a quantity of the op, see the module docstring
    times: int
    where: str  # the tool's code that counts it


@dataclass(frozen=True)
class Rule:
    counts: tuple[Count, ...] = ()
    why: str = ""  # for a rule that counts nothing: why not
    forms: tuple[str, ...] = ()  # the code forms (:data:`FORMS`) the rule depends on


# Op kinds as the counters see them: the IR's op kinds, with global / adaptive pools split by mode.
KINDS = (
    "conv",
    "linear",
    "batchnorm",
    "timm_batchnorm_act",
    "groupnorm",
    "timm_groupnorm",
    "channel_conv",
    "blurpool",
    "relu",
    "maxpool",
    "avgpool",
    "adaptive_avgpool",
    "adaptive_maxpool",
    "mean",
    "add",
    "scale",
    "sigmoid",
    "flatten",
    "dropout",
    "subsample",
    "pad_channels",
    "input",
    "layernorm",
    "layernorm2d",
    "timm_layernorm",
    "gelu",
    "timm_gelu",
    "relu6",
    "silu",
    "hardswish",
    "layer_scale",
    "layer_scale_mul",
    "drop_path",
)

TOOLS = {
    "macs": Tool(
        "archc cost (torchvision's docs, the ResNet paper's 'FLOPs')",
        "archc",
        "MACs",
    ),
    "torch": Tool(
        "torch.utils.flop_counter.FlopCounterMode().get_total_flops()",
        "torch 2.13.0",
        "FLOPs",
    ),
    "fvcore": Tool(
        "fvcore.nn.FlopCountAnalysis(model.eval(), x).total() (timm's GMACs)",
        "fvcore 0.1.5.post20221221",
        "MACs",
    ),
    "ptflops": Tool(
        "ptflops.get_model_complexity_info(model, (C, H, W), backend='pytorch')",
        "ptflops 0.7.5",
        "MACs",
    ),
    "ptflops_aten": Tool(
        "ptflops.get_model_complexity_info(model, (C, H, W), backend='aten')",
        "ptflops 0.7.5",
        "MACs",
    ),
    "thop": Tool(
        "thop.profile(model, (x,)) (PyPI: ultralytics-thop)",
        "ultralytics-thop 2.2.3",
        "MACs",
    ),
}

FORMS = {
    "module": "convs, norms, linears and pools are nn.Module calls (nn.Conv2d, ECA's nn.Conv1d, nn.BatchNorm2d and "
    "nn.GroupNorm with affine, nn.Linear, nn.MaxPool2d, nn.AvgPool2d, nn.AdaptiveAvgPool2d; ptflops matches these "
    "exact classes, not "
    "subclasses): module hooks count them per call. "
    "Written functionally (F.conv2d, F.batch_norm, x.mean(...)) ptflops and thop would not see them.",
    "relu-module": "every ReLU is an nn.ReLU call (a torchvision-named block reuses one self.relu, a timm-named one "
    "has act1, act2, …; hooks count each call). ptflops "
    "counts it twice: its nn.ReLU hook and its patch of F.relu, which nn.ReLU.forward calls; written as torch.relu "
    "it would count 0, as F.relu once.",
    "pool-patch": "pools are nn.MaxPool2d / nn.AvgPool2d / nn.Adaptive*Pool2d calls, whose forward calls the "
    "F.*pool* functions ptflops patches: ptflops counts each pool twice (hook + patch).",
    "explicit-pad": "padding a module cannot express (asymmetric, or zeros around a max pool whose input may be "
    "negative) is an F.pad before the module: pool counts see the padded input.",
    "operators": "additions and the SE scale are the + and * operators: ptflops patches torch.add / Tensor.add / "
    "torch.mul / Tensor.mul (1 per element) but not the operators, so nothing counts them.",
    "layernorm-module": "LayerNorm over channels is an nn.LayerNorm call on channels-last (layernorm) or a LayerNorm2d, "
    "its subclass, on N×C×H×W (layernorm2d): thop resolves rules along the class's MRO and counts both; ptflops "
    "matches exact classes, so it counts nn.LayerNorm (1 per element: its hook reads `affine`, which nn.LayerNorm "
    "calls `elementwise_affine`) and not LayerNorm2d.",
    "activation-module": "GELU / ReLU6 / SiLU / Hardswish are nn.GELU / nn.ReLU6 / nn.SiLU / nn.Hardswish calls: "
    "ptflops hooks nn.GELU and nn.ReLU6 (1 per output) and patches F.gelu and F.silu (1 per input; nn.ReLU6 calls "
    "F.hardtanh, which it does not patch); thop registers none of them but ReLU6 (zero).",
    "layer-scale-mul": "layer scale is x.mul(gamma) where timm writes it (N×C×H×W: layer_scale_mul) and the * "
    "operator elsewhere (channels-last, torchvision's layer_scale * block(x)): ptflops' patch of Tensor.mul counts "
    "the first, 1 per element, not the operator.",
    "timm-code": "a timm-named model (names: {pytorch: timm}) is counted as timm's own code: the squeeze of SE and "
    "ECA is x.mean((2, 3)) (an aten::mean no counter handles and no module for the hooks: 0 everywhere) and a "
    "GroupNorm is timm.layers.GroupNorm and a RegNet's BatchNorm timm's BatchNormAct2d (norm and activation in one "
    "module), subclasses ptflops does not match (0; thop and fvcore count them as nn.GroupNorm / nn.BatchNorm2d); a "
    "GELU is timm.layers.GELU (get_act_layer('gelu')), an nn.Module whose forward calls F.gelu: ptflops counts it "
    "once (its F.gelu patch, 1 per input; no hook, as it is not nn.GELU), thop not at all; a channels-last "
    "LayerNorm is timm.layers.LayerNorm, an nn.LayerNorm subclass: ptflops 0, thop and fvcore as nn.LayerNorm.",
    "blur-functional": "a blur pool is a BlurPool2d written as timm's (a module of its own class whose forward is "
    "F.pad(…, mode='reflect') then F.conv2d with its fixed filter, groups = C): ptflops and thop have no hook for the "
    "class and patch neither F.conv2d nor F.pad (0); FlopCounterMode, fvcore and ptflops' aten backend count the "
    "convolution (C × k × k per output position).",
    "eval": "fvcore traces the model in eval mode (timm's figure): in train mode its BN rule is 5 per element.",
}

# What each tool counts, one block per tool: kind → rule for the kinds it counts; every other kind costs 0 in
# that tool, for the reason in ``UNCOUNTED`` (or in ``ZERO``, where the reason depends on the code form).
_M, _2M = Count("macs", 1, "multiply-accumulates"), Count("macs", 2, "2 × multiply-accumulates")
_BIAS = Count("bias", 1, "one add per output element of a biased conv / linear")
_PTFLOPS_POOL = Rule(
    (Count("in", 1, "pool_flops_counter_hook: input elements"), Count("in", 1, "patched F.*pool*: input elements")),
    forms=("pool-patch", "explicit-pad"),
)
_THOP_AVG = (Count("windows", 1, "one add per pooled input, per window"), Count("out", 1, "one divide per output"))

COUNTED: dict[str, dict[str, Rule]] = {
    "macs": {
        "conv": Rule((_M,)),  # output elements × Cin/groups × kh × kw
        "channel_conv": Rule((_M,)),  # ECA's Conv1d across the channels: C × k
        "blurpool": Rule((_M,)),  # its depthwise F.conv2d: output elements × k × k (as FlopCounterMode)
        "linear": Rule((_M,)),  # in_features × out_features
    },
    "torch": {
        "conv": Rule((_2M,)),  # conv_flop: 2 × out × Cin/groups × kh × kw, bias ignored
        "channel_conv": Rule((_2M,)),  # conv_flop on the Conv1d's aten.convolution
        "blurpool": Rule((_2M,)),  # conv_flop on the blur's aten.convolution (groups = C)
        "linear": Rule((_2M,)),  # addmm_flop = mm_flop: 2 × m × n × k, bias ignored
    },
    "fvcore": {
        "conv": Rule((_M,)),  # conv_flop_jit on aten::_convolution, bias ignored
        "channel_conv": Rule((_M,)),  # conv_flop_jit (the Conv1d is an aten::_convolution too)
        "blurpool": Rule((_M,)),  # conv_flop_jit on the blur's aten::_convolution; reflection_pad2d: no handle
        "linear": Rule((_M,)),  # linear_flop_jit on aten::linear, bias ignored
        "batchnorm": Rule((Count("in", 2, "batchnorm_flop_jit, eval, affine: 2 × input elements"),), forms=("eval",)),
        "timm_batchnorm_act": Rule(
            (Count("in", 2, "batchnorm_flop_jit (BatchNormAct2d calls F.batch_norm), eval: 2 × input"),),
            forms=("eval",),
        ),
        "groupnorm": Rule((Count("in", 5, "norm_flop_counter(2) on aten::group_norm, affine: 5 × input"),)),
        "timm_groupnorm": Rule((Count("in", 5, "norm_flop_counter(2) on aten::group_norm, affine: 5 × input"),)),
        "adaptive_avgpool": Rule((Count("in", 1, "elementwise_flop_counter(1, 0) on aten::adaptive_avg_pool2d"),)),
        "layernorm": Rule((Count("in", 5, "norm_flop_counter(2) on aten::layer_norm, affine: 5 × input"),)),
        "layernorm2d": Rule((Count("in", 5, "norm_flop_counter(2) on aten::layer_norm, affine: 5 × input"),)),
        "timm_layernorm": Rule((Count("in", 5, "norm_flop_counter(2) on aten::layer_norm, affine: 5 × input"),)),
    },
    "ptflops": {
        "conv": Rule((_M, _BIAS), forms=("module",)),  # conv_flops_counter_hook
        "linear": Rule((_M, _BIAS), forms=("module",)),  # linear_flops_counter_hook
        "batchnorm": Rule((Count("in", 2, "bn_flops_counter_hook, affine: 2 × input elements"),), forms=("module",)),
        "groupnorm": Rule(
            (Count("in", 2, "bn_flops_counter_hook on nn.GroupNorm, affine: 2 × input"),), forms=("module",)
        ),
        "channel_conv": Rule((_M, _BIAS), forms=("module",)),  # conv_flops_counter_hook on nn.Conv1d
        "relu": Rule(
            (Count("out", 1, "relu_flops_counter_hook: output elements"), Count("in", 1, "patched F.relu: input")),
            forms=("relu-module",),
        ),
        "maxpool": _PTFLOPS_POOL,
        "avgpool": _PTFLOPS_POOL,
        "adaptive_avgpool": _PTFLOPS_POOL,
        "adaptive_maxpool": _PTFLOPS_POOL,
        "layernorm": Rule(
            (Count("in", 1, "bn_flops_counter_hook on nn.LayerNorm (no `affine`)"),), forms=("layernorm-module",)
        ),  # fmt: skip
        "gelu": Rule(
            (Count("out", 1, "relu_flops_counter_hook on nn.GELU"), Count("in", 1, "patched F.gelu: input")),
            forms=("activation-module",),
        ),
        "relu6": Rule((Count("out", 1, "relu_flops_counter_hook on nn.ReLU6"),), forms=("activation-module",)),
        "layer_scale_mul": Rule((Count("out", 1, "patched Tensor.mul: output elements"),), forms=("layer-scale-mul",)),
        "silu": Rule((Count("in", 1, "patched F.silu: input elements"),), forms=("activation-module",)),
        "timm_gelu": Rule(
            (Count("in", 1, "patched F.gelu, which timm.layers.GELU.forward calls: input (no hook: not nn.GELU)"),),
            forms=("timm-code",),
        ),
    },
    "ptflops_aten": {
        "conv": Rule((_M, _BIAS)),  # conv_flop on aten.convolution, with its bias
        "channel_conv": Rule((_M, _BIAS)),  # the Conv1d's aten.convolution
        "blurpool": Rule((_M, _BIAS)),  # the blur's aten.convolution (no bias: 0 adds)
        "linear": Rule((_M, _BIAS)),  # addmm_flop (with a bias) or matmul_flop on aten.mm (without)
    },
    "thop": {
        "conv": Rule((_M,), forms=("module",)),  # count_convNd, bias ignored
        "linear": Rule((_M,), forms=("module",)),  # count_linear: in_features × output elements
        "batchnorm": Rule((Count("in", 4, "count_normalization: 2 × input elements, × 2 affine"),), forms=("module",)),
        "timm_batchnorm_act": Rule(
            (Count("in", 4, "count_normalization (subclasses too): 2 × input, × 2 affine"),), forms=("module",)
        ),
        "groupnorm": Rule(
            (Count("in", 4, "count_normalization on nn.GroupNorm: 2 × input, × 2 affine"),), forms=("module",)
        ),
        "timm_groupnorm": Rule(
            (Count("in", 4, "count_normalization (subclasses too): 2 × input, × 2 affine"),), forms=("module",)
        ),
        "channel_conv": Rule((_M,), forms=("module",)),  # count_convNd on nn.Conv1d, bias ignored
        "avgpool": Rule(_THOP_AVG, forms=("module", "explicit-pad")),  # count_avgpool
        "adaptive_avgpool": Rule(_THOP_AVG, forms=("module",)),  # count_adap_avgpool
        "layernorm": Rule(
            (Count("in", 4, "count_normalization on nn.LayerNorm (and subclasses): 2 × input, × 2 affine"),),
            forms=("layernorm-module",),
        ),
        "layernorm2d": Rule(
            (Count("in", 4, "count_normalization on nn.LayerNorm (and subclasses): 2 × input, × 2 affine"),),
            forms=("layernorm-module",),
        ),
        "timm_layernorm": Rule(
            (Count("in", 4, "count_normalization on nn.LayerNorm (and subclasses): 2 × input, × 2 affine"),),
            forms=("timm-code",),
        ),
    },
}

UNCOUNTED = {
    "macs": "archc's MACs: convolutions and linear layers only",
    "torch": "FlopCounterMode has no formula for its aten op (it counts mm, addmm, bmm, convolution, attention)",
    "fvcore": "no handle in _DEFAULT_SUPPORTED_OPS: traced, then skipped",
    "ptflops": "no hook in MODULES_MAPPING and no patched function",
    "ptflops_aten": "not in ATEN_OPS_MAPPING (mm, matmul, addmm, bmm, convolution)",
    "thop": "no rule in register_hooks (or zero_ops); of functional code it counts only products",
}
ZERO = {  # zero rules that depend on how the code is written
    ("ptflops", "add"): Rule(why="ptflops patches torch.add / Tensor.add, not the + operator", forms=("operators",)),
    ("ptflops", "scale"): Rule(why="ptflops patches torch.mul / Tensor.mul, not the * operator", forms=("operators",)),
    ("ptflops", "layer_scale"): Rule(
        why="ptflops patches Tensor.mul, not the * operator (x.mul(gamma) would count 1 per element)",
        forms=("layer-scale-mul",),
    ),
    ("ptflops", "layernorm2d"): Rule(
        why="ptflops hooks the exact class nn.LayerNorm, not the LayerNorm2d subclass", forms=("layernorm-module",)
    ),
    ("ptflops", "hardswish"): Rule(
        why="no hook for nn.Hardswish, F.hardswish not patched", forms=("activation-module",)
    ),
    **{
        (tool, "blurpool"): Rule(why=why, forms=("blur-functional",))
        for tool, why in {
            "ptflops": "no hook for BlurPool2d's class; F.conv2d and F.pad are not patched",
            "thop": "no rule for BlurPool2d's class; F.conv2d is not a functional it counts",
        }.items()
    },
    ("thop", "gelu"): Rule(why="no rule for nn.GELU (warned, counted as zero)", forms=("activation-module",)),
    ("ptflops", "timm_layernorm"): Rule(
        why="MODULES_MAPPING matches exact classes: timm.layers.LayerNorm is a subclass", forms=("timm-code",)
    ),
    ("thop", "timm_gelu"): Rule(
        why="no rule for timm.layers.GELU (an nn.Module, not a subclass of any class thop registers)",
        forms=("timm-code",),
    ),
    ("thop", "silu"): Rule(why="no rule for nn.SiLU (warned, counted as zero)", forms=("activation-module",)),
    ("thop", "hardswish"): Rule(why="no rule for nn.Hardswish (warned, counted as zero)", forms=("activation-module",)),
    ("ptflops", "timm_groupnorm"): Rule(
        why="MODULES_MAPPING matches exact classes: timm.layers.GroupNorm is a subclass", forms=("timm-code",)
    ),
    ("ptflops", "timm_batchnorm_act"): Rule(
        why="MODULES_MAPPING matches exact classes: timm's BatchNormAct2d is a subclass", forms=("timm-code",)
    ),
    **{
        (tool, "mean"): Rule(why="x.mean((2, 3)): " + why, forms=("timm-code",))
        for tool, why in {
            "fvcore": "aten::mean has no handle in _DEFAULT_SUPPORTED_OPS",
            "ptflops": "not a module, and torch.mean / Tensor.mean are not patched",
            "thop": "not a module: thop's hooks never see it",
        }.items()
    },
}

# Other versions of a tool whose rules differ from the pinned one (:data:`TOOLS`): tool → {version: changed kinds}.
CHANGED = {
    "thop": {
        "thop 0.1.1.post2209072238": {  # PyPI ``thop`` (2022), which ultralytics-thop replaced
            "avgpool": Rule((Count("out", 1, "count_avgpool: one per output element"),), forms=("module",)),
            "adaptive_avgpool": Rule(
                (Count("thop_0_1_adaptive", 1, "count_adap_avgpool: int((∏ in/out sizes + 1) × outputs)"),),
                forms=("module",),
            ),
        }
    }
}


def _complete(tool: str, counted: dict[str, Rule]) -> dict[str, Rule]:
    return {k: counted.get(k) or ZERO.get((tool, k)) or Rule(why=UNCOUNTED[tool]) for k in KINDS}


RULES: dict[str, dict[str, Rule]] = {tool: _complete(tool, COUNTED[tool]) for tool in TOOLS}


def rules_for(tool: str, version: str | None = None) -> dict[str, Rule]:
    """A tool's rules for its pinned version (:data:`TOOLS`) or for another one listed in :data:`CHANGED`."""
    if version is None or version == TOOLS[tool].version:
        return RULES[tool]
    return _complete(tool, {**COUNTED[tool], **CHANGED[tool][version]})
