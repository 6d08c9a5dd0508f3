"""Per-op printers: one IR op → the Keras layer calls that compute it (channels last); names are the IR's.

Padding is :func:`windowed`'s rule: ``"same"`` only where exact, else an explicit ``ZeroPadding2D`` (``conv1_pad``,
``pool1_pad``) as keras.applications writes it, PyTorch's padding at every stride and input size. Adding an op
kind = one printer.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import networkx as nx
from archc.backends.keras.pycode import INDENT, Code, arguments, call_statement, literal

from archc.ir.graph import operands
from archc.ir.naming import pad_name
from archc.ir.rules import blur_padding

# A recipe's activation → its ``layers.Activation`` name (Keras' hard swish is ``hard_swish``).
ACTIVATIONS = {"relu": "relu", "relu6": "relu6", "gelu": "gelu", "silu": "silu", "hardswish": "hard_swish"}

# Keras defaults of the keyword arguments printers fill in: a value equal to its default is left out.
_CONV = {"strides": 1, "padding": "valid", "dilation_rate": 1, "groups": 1, "activation": None, "use_bias": True}
DEFAULTS = {
    "layers.Conv2D": _CONV | {"kernel_initializer": None},
    "layers.BatchNormalization": {"axis": -1, "momentum": 0.99, "gamma_initializer": "ones"},
    "layers.GroupNormalization": {"axis": -1, "gamma_initializer": "ones"},
    "layers.LayerNormalization": {"axis": -1, "gamma_initializer": "ones"},
    "layers.Conv1D": _CONV,
    "layers.MaxPooling2D": {"padding": "valid"},
    "layers.AveragePooling2D": {"padding": "valid"},
    "layers.Dense": {"activation": None, "use_bias": True},
    "blur_pool": {"filt_size": 3},
    "layers.GlobalAveragePooling2D": {"keepdims": False},
    "layers.GlobalMaxPooling2D": {"keepdims": False},
}


def is_default(func: str, key: str, value) -> bool:
    default = DEFAULTS.get(func, {}).get(key, KeyError)
    return (type(value), value) == (type(default), default)


class Unsupported(NotImplementedError):
    """The IR holds something the Keras backend cannot express; ``node`` (or ``origin``) locates it in the spec."""

    def __init__(self, node: str, message: str, origin: tuple | None = None):
        super().__init__(f"{node}: {message}")
        self.node, self.message, self.origin = node, message, origin


@dataclass(frozen=True)
class Call:
    """``output = func(*args, **kwargs, name=name)(inputs)``; values are IR node ids (``node#pad``: a pad). Without
    a name and inputs, a call printed inside a block function (its name and inputs are the block's)."""

    func: str
    args: tuple
    kwargs: tuple
    name: str | None = None
    inputs: tuple[str, ...] = ()
    output: str = ""
    node: str = ""  # the IR node it prints


def _arguments(call: Call, name) -> list[str]:
    kwargs = tuple((k, v) for k, v in call.kwargs if not is_default(call.func, k, v))
    kwargs += (("name", name or call.name),) if name or call.name else ()
    return arguments(call.args, kwargs)


def render(call: Call, target: str, operand: str, indent: int, name=None) -> list[str]:
    """``target = layers.X(args, name=…)(operand)``; keyword arguments equal to Keras' defaults left out."""
    return call_statement(target, call.func, _arguments(call, name), f"({operand})", indent)


def sequential(calls: list[Call], name: Code, indent: int) -> list[str]:
    """``x = keras.Sequential([layers…], name=name)(x)`` (keras.applications' ConvNeXt stem and downsampling
    blocks): each layer as :func:`render` prints it, named by its ``Call.name``."""
    items = [line for c in calls for line in call_statement("", c.func, _arguments(c, None), ",", indent + 2)]
    return ["x = keras.Sequential(", f"{INDENT}[", *(2 * INDENT + line for line in items), f"{INDENT}],",
            f"{INDENT}name={literal(name)},", ")(x)"]  # fmt: skip


def _pair(value: tuple[int, int]):
    return value[0] if value[0] == value[1] else tuple(value)


def _same(a: dict) -> bool:
    """Whether Keras ``padding="same"`` reproduces the op's symmetric padding exactly."""
    if tuple(a["stride"]) != (1, 1):
        return False
    top, bottom, left, right = a["padding"]
    (kh, kw), (dh, dw) = a["kernel"], a.get("dilation", (1, 1))
    th, tw = dh * (kh - 1), dw * (kw - 1)
    return th % 2 == 0 and tw % 2 == 0 and (top, bottom, left, right) == (th // 2, th // 2, tw // 2, tw // 2)


def windowed(padding: tuple, same_exact: bool, allow_same: bool, call: Call) -> list[Call]:
    """The padding rule (design.md §4), for the op printers and the block printer alike: a conv or pool ``call``
    (``padding`` None) is ``"valid"`` without ``padding``, ``"same"`` where it reproduces the symmetric padding
    exactly (and ``allow_same``: not for a pool, not with ``defaults.explicit_padding``), else a ZeroPadding2D
    (PyTorch's zero padding, ``top, bottom, left, right``) and ``"valid"``."""
    pad = any(padding) and not (allow_same and same_exact)
    mode = "same" if any(padding) and not pad else "valid"
    top, bottom, left, right = padding
    zeros = Call("layers.ZeroPadding2D", (), (("padding", ((top, bottom), (left, right))),))
    return [zeros] * pad + [replace(call, kwargs=tuple((k, mode if k == "padding" else v) for k, v in call.kwargs))]


def _windowed(g: nx.DiGraph, node: str, func: str, args: tuple, kwargs: tuple, allow_same: bool) -> list[Call]:
    """A conv or pool of the IR, padded as :func:`windowed` says."""
    a, src, name = g.nodes[node]["attrs"], operands(g, node)[0], g.nodes[node]["names"]["keras"]
    *pad, call = windowed(a["padding"], _same(a), allow_same, Call(func, args, kwargs))
    pad = [replace(p, name=pad_name(name), inputs=(src,), output=f"{node}#pad", node=node) for p in pad]
    return [*pad, replace(call, name=name, inputs=(pad[0].output if pad else src,), output=node, node=node)]


def conv(g: nx.DiGraph, node: str) -> list[Call]:
    a = g.nodes[node]["attrs"]
    if max(a["stride"]) > 1 and max(a["dilation"]) > 1:
        raise Unsupported(node, "Keras convolutions cannot combine a stride with a dilation")
    activation = _fused_activation(g, node)
    he = g.graph["blocks"].init == "he_normal"
    kwargs = conv_kwargs(he, _pair(a["stride"]), _pair(a["dilation"]), a["groups"], activation, a["bias"])
    # the spec's ``defaults.explicit_padding`` (Keras ResNetV2's ``_2_pad``): a ZeroPadding2D even where "same" fits
    same = not g.graph.get("explicit_padding", False)
    return _windowed(g, node, "layers.Conv2D", (a["out_channels"], _pair(a["kernel"])), kwargs, same)


# ``init: he_normal``: the generated file defines this initialiser once (He et al. 2015, fan_out, normal).
CONV_INITIALIZER = "CONV_INITIALIZER"


def conv_kwargs(he: bool, strides, dilation, groups, activation, bias) -> tuple:
    """A Conv2D's keyword arguments (values may be :class:`Code`), ``padding`` None for :func:`windowed` to set;
    ``he``: the spec's ``init: he_normal``."""
    init = Code(CONV_INITIALIZER) if he else None
    return tuple(zip(DEFAULTS["layers.Conv2D"], (strides, None, dilation, groups, activation, bias, init)))


def norm_layer(kind: str, eps: float, momentum: float, groups: int, zero_init: bool) -> Call:
    """A norm over the channels (the last axis); ``zero_init``: gamma starts at 0 (``zero_init_last_bn``)."""
    gamma = "zeros" if zero_init else "ones"
    if kind == "layernorm":
        return Call("layers.LayerNormalization", (), (("epsilon", eps), ("gamma_initializer", gamma)))
    if kind == "groupnorm":
        kwargs = (("groups", groups), ("axis", 3), ("epsilon", eps), ("gamma_initializer", gamma))
        return Call("layers.GroupNormalization", (), kwargs)
    momentum = round(1.0 - momentum, 12)  # Keras: moving = m·moving + (1-m)·batch; PyTorch the reverse
    kwargs = (("axis", 3), ("epsilon", eps), ("momentum", momentum), ("gamma_initializer", gamma))
    return Call("layers.BatchNormalization", (), kwargs)


def norm(g: nx.DiGraph, node: str) -> list[Call]:
    """BatchNorm, GroupNorm, LayerNorm (a stem's, a downsampling layer's, a head's)."""
    a = g.nodes[node]["attrs"]
    call = norm_layer(g.nodes[node]["op"], a["eps"], a.get("momentum"), a.get("groups"), a.get("zero_init"))
    return [_simple(g, node, call.func, call.args, call.kwargs)]


def activation(g: nx.DiGraph, node: str) -> list[Call]:
    """ReLU, GELU, ReLU6, SiLU, Hardswish as ``layers.Activation``; a ReLU with the IR hint ``fuse`` is printed as
    its conv/dense layer's ``activation="relu"`` (VGG)."""
    if g.nodes[node]["attrs"].get("fuse"):
        return []
    return [_simple(g, node, "layers.Activation", (ACTIVATIONS[g.nodes[node]["op"]],), ())]


def _fused_activation(g: nx.DiGraph, node: str):
    fused = [n for n in g.succ[node] if g.nodes[n]["op"] == "relu" and g.nodes[n]["attrs"].get("fuse")]
    return "relu" if fused else None


# A pool op → its Keras layer and the refusal of a ceil_mode pool (or an average that leaves out the padding).
_POOLS = {
    "maxpool": ("layers.MaxPooling2D", "the Keras backend has no ceil_mode max pool"),
    "avgpool": ("layers.AveragePooling2D", "this average pool (ceil_mode, count_include_pad) has no Keras form"),
}


def pool(g: nx.DiGraph, node: str) -> list[Call]:
    """Padding is the IR's zero padding, so never ``"same"`` (Keras pads a max pool with -inf) and it counts in the
    average (PyTorch's default ``count_include_pad``). ResNet-D's shortcut pool (``ceil_mode``) is printed by its
    block function (:mod:`archc.backends.keras.blocks`)."""
    a, (func, refusal) = g.nodes[node]["attrs"], _POOLS[g.nodes[node]["op"]]
    if a.get("ceil_mode") or (not a.get("count_include_pad", True) and any(a["padding"])):
        raise Unsupported(node, refusal)
    kwargs = (("strides", _pair(a["stride"])), ("padding", None))
    return _windowed(g, node, func, (_pair(a["kernel"]),), kwargs, False)


def blurpool(g: nx.DiGraph, node: str) -> list[Call]:
    """timm's BlurPool2d as the generated helper ``blur_pool`` (reflect padding, then a DepthwiseConv2D whose
    kernel is the fixed binomial filter, not trainable); its padding is timm's rule of filter size and stride."""
    a = g.nodes[node]["attrs"]
    (k, kw), (s, sw) = a["kernel"], a["stride"]
    if (k, s) != (kw, sw) or a["padding"] != (blur_padding(k, s),) * 4:
        raise Unsupported(node, "a blur pool whose padding or window is not timm's BlurPool2d's")
    return [_simple(g, node, "blur_pool", (), (("stride", s), ("filt_size", k)))]


GLOBAL_POOLS = {"avg": "layers.GlobalAveragePooling2D", "max": "layers.GlobalMaxPooling2D"}


def global_pool(g: nx.DiGraph, node: str) -> list[Call]:
    """``(N, C)`` when a flatten follows (the flatten then prints nothing), else ``(N, 1, 1, C)`` (SE)."""
    flat = all(g.nodes[n]["op"] == "flatten" for n in g.succ[node]) and len(g.succ[node]) > 0
    kwargs = (("keepdims", not flat),)
    return [_simple(g, node, GLOBAL_POOLS[g.nodes[node]["attrs"]["mode"]], (), kwargs)]


def adaptive_pool(g: nx.DiGraph, node: str) -> list[Call]:
    """An adaptive pool whose output divides its input is a plain pool (identity when the sizes agree)."""
    a = g.nodes[node]["attrs"]
    (src,) = operands(g, node)
    _, h, w = g.nodes[src]["shape"]
    oh, ow = a["size"]
    if (h, w) == (oh, ow):
        return []
    if h % oh or w % ow:
        raise Unsupported(node, f"adaptive pooling {h}x{w} → {oh}x{ow} has no fixed Keras window")
    window = _pair((h // oh, w // ow))
    return [_simple(g, node, _POOLS[a["mode"] + "pool"][0], (window,), (("strides", window), ("padding", "valid")))]


def flatten(g: nx.DiGraph, node: str) -> list[Call]:
    """Keras global pools already return ``(N, C)``: a flatten right after one prints nothing."""
    (src,) = operands(g, node)
    if g.nodes[src]["op"] == "global_pool":
        return []
    return [_simple(g, node, "layers.Flatten", (), ())]


def linear(g: nx.DiGraph, node: str) -> list[Call]:
    """The model's last linear layer is the classifier: ``classes`` units, ``classifier_activation``."""
    a = g.nodes[node]["attrs"]
    is_top = node == g.graph["output"]
    units = Code("classes") if is_top else a["out_features"]
    activation = Code("classifier_activation") if is_top else _fused_activation(g, node)
    kwargs = (("activation", activation), ("use_bias", a["bias"]))
    return [_simple(g, node, "layers.Dense", (units,), kwargs)]


def dropout(g: nx.DiGraph, node: str) -> list[Call]:
    return [_simple(g, node, "layers.Dropout", (g.nodes[node]["attrs"]["rate"],), ())]


def _simple(g: nx.DiGraph, node: str, func: str, args: tuple, kwargs: tuple) -> Call:
    return Call(func, args, kwargs, g.nodes[node]["names"]["keras"], tuple(operands(g, node)), node, node)


PRINTERS = {f.__name__: f for f in (conv, blurpool, global_pool, adaptive_pool, flatten, linear, dropout)}
PRINTERS |= {fn: pool for fn in _POOLS}
PRINTERS |= {fn: activation for fn in ACTIVATIONS}
PRINTERS |= {kind: norm for kind in ("batchnorm", "groupnorm", "layernorm")}


def print_op(g: nx.DiGraph, node: str) -> list[Call]:
    op = g.nodes[node]["op"]
    if op not in PRINTERS:
        raise Unsupported(node, f"the Keras backend has no printer for op {op!r}")
    return PRINTERS[op](g, node)
