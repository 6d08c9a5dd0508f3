"""Weight conversion between the generated PyTorch and Keras models of one spec, driven by the IR's names.

Every IR op with weights has a name in each naming profile: the PyTorch module path (the profile the spec
chose with ``names.pytorch``: ``torchvision``, e.g. ``layer1.0.conv1``, or ``timm``, e.g. ``conv1.0``) and
the Keras layer name (``keras`` profile, e.g. ``conv2_block1_1_conv``).
The converter walks those ops and copies each tensor with its layout change:

- conv: PyTorch ``(out, in/groups, kh, kw)`` ↔ Keras ``(kh, kw, in/groups, out)``; bias as is;
- batchnorm: ``weight, bias, running_mean, running_var`` ↔ ``gamma, beta, moving_mean, moving_variance``;
  groupnorm: ``weight, bias`` ↔ ``gamma, beta``;
- ECA's channel conv: PyTorch ``Conv1d`` ``(1, 1, k)`` ↔ Keras ``Conv1D`` ``(k, 1, 1)``;
- layernorm: ``weight, bias`` ↔ ``gamma, beta``; a pointwise conv written as ``nn.Linear`` (ConvNeXt) is
  ``(out, in)`` ↔ a ``Dense`` kernel ``(in, out)``; layer scale: timm's ``gamma`` ``(C,)`` or torchvision's
  ``layer_scale`` ``(C, 1, 1)`` ↔ ``LayerScale``'s one (unnamed) weight ``(C,)``; layers inside a Keras
  Sequential (keras.applications ConvNeXt's stem and downsampling blocks) are found by their own names;
- linear: PyTorch ``(out, in)`` ↔ Keras ``(in, out)``; after a flatten of a C×H×W map (VGG) the input
  features are also reordered, since PyTorch flattens channels first and Keras channels last.

Usage::

    from archc.frameworks.convert import torch_to_keras, keras_to_torch
    torch_to_keras(compiled, torch_model, keras_model)   # compiled = archc.pipeline.compile_spec(spec)
    keras_to_torch(compiled, keras_model, torch_model)

torch is imported inside :func:`keras_to_torch` only; nothing here imports keras or numpy.
"""

from __future__ import annotations

from dataclasses import dataclass

from archc.ir.graph import operands
from archc.ir.naming import pytorch_profile
from archc.pipeline import Compiled

_UNNAMED = "#0"  # a layer's first weight when Keras names it itself (``variable_18``: LayerScale's add_weight)
# PyTorch parameter / buffer name → Keras weight name, per op.
_NAMES = {
    "conv": (("weight", "kernel"), ("bias", "bias")),
    "batchnorm": (
        ("weight", "gamma"),
        ("bias", "beta"),
        ("running_mean", "moving_mean"),
        ("running_var", "moving_variance"),
    ),
    "groupnorm": (("weight", "gamma"), ("bias", "beta")),
    "channel_conv": (("weight", "kernel"), ("bias", "bias")),
    "linear": (("weight", "kernel"), ("bias", "bias")),
    "layernorm": (("weight", "gamma"), ("bias", "beta")),
    "layer_scale": (("", _UNNAMED),),  # a parameter of the block itself (its key is the name), one Keras weight
}
_NORMS = ("batchnorm", "groupnorm", "layernorm")  # their bias (beta) is always there


@dataclass(frozen=True)
class WeightPair:
    """One tensor in both frameworks."""

    op: str
    torch_key: str  # state-dict key: "layer1.0.conv1.weight"
    keras_layer: str  # layer name: "conv2_block1_1_conv"
    keras_weight: str  # weight name within the layer: "kernel"
    flatten_map: tuple[int, int, int] | None = None  # (C, H, W) before a flatten feeding a linear layer


def torch_names(g) -> dict[str, str]:
    """Every op's PyTorch module name: the model layout's (RegNet: torchvision's / timm's RegNet names),
    else the naming profile's."""
    layout = g.graph.get("model_layout")
    if layout is not None:
        return layout.names
    profile = pytorch_profile(g)
    return {n: d["names"][profile] for n, d in g.nodes(data=True)}


def weight_pairs(compiled: Compiled) -> list[WeightPair]:
    """Every weight of the model, as a (PyTorch key, Keras layer, Keras weight) triple, in IR order."""
    g = compiled.graph
    names = torch_names(g)
    pairs = []
    for node, data in g.nodes(data=True):
        if data["op"] not in _NAMES or not data["params"]:
            continue
        torch_name, keras_name = names[node], data["names"]["keras"]
        flat = _flattened_map(g, node) if data["op"] == "linear" else None
        for torch_part, keras_part in _NAMES[data["op"]]:
            if torch_part == "bias" and data["op"] not in _NORMS and not data["attrs"]["bias"]:
                continue
            key = f"{torch_name}.{torch_part}" if torch_part else torch_name
            pairs.append(WeightPair(data["op"], key, keras_name, keras_part, flat))
    return pairs


def _flattened_map(g, node: str) -> tuple[int, int, int] | None:
    """(C, H, W) when the linear layer reads a flattened feature map larger than 1×1, else None."""
    (src,) = operands(g, node)
    if g.nodes[src]["op"] != "flatten":
        return None
    (before,) = operands(g, src)
    shape = g.nodes[before]["shape"]
    return tuple(shape) if len(shape) == 3 and shape[1] * shape[2] > 1 else None


def _to_keras(pair: WeightPair, value):
    """A PyTorch tensor's values (numpy array) in the Keras layout."""
    if pair.op == "conv" and pair.keras_weight == "kernel":
        return value.T if value.ndim == 2 else value.transpose(2, 3, 1, 0)  # nn.Linear → Dense, or a conv
    if pair.op == "layer_scale":
        return value.reshape(-1)
    if pair.op == "channel_conv" and pair.keras_weight == "kernel":
        return value.transpose(2, 1, 0)
    if pair.op == "linear" and pair.keras_weight == "kernel":
        if pair.flatten_map:
            c, h, w = pair.flatten_map
            value = value.reshape(-1, c, h, w).transpose(0, 2, 3, 1).reshape(value.shape[0], -1)
        return value.T
    return value


def _to_torch(pair: WeightPair, value):
    """A Keras weight's values (numpy array) in the PyTorch layout."""
    if pair.op == "conv" and pair.keras_weight == "kernel":
        return value.T if value.ndim == 2 else value.transpose(3, 2, 0, 1)
    if pair.op == "channel_conv" and pair.keras_weight == "kernel":
        return value.transpose(2, 1, 0)
    if pair.op == "linear" and pair.keras_weight == "kernel":
        value = value.T
        if pair.flatten_map:
            c, h, w = pair.flatten_map
            value = value.reshape(-1, h, w, c).transpose(0, 3, 1, 2).reshape(value.shape[0], -1)
        return value
    return value


def _keras_weights(keras_model) -> dict[tuple[str, str], object]:
    """(layer name, weight name) → weight, the layers of nested Sequentials included; a weight Keras named
    itself (``variable``, ``variable_18``) is keyed by its position (``#0``)."""
    out = {}
    for layer in keras_model.layers:
        if hasattr(layer, "layers"):
            out |= _keras_weights(layer)
            continue
        for i, w in enumerate(layer.weights):
            out[layer.name, f"#{i}" if w.name.startswith("variable") else w.name] = w
    return out


def _learnt(compiled: Compiled, weights: dict) -> dict:
    """The Keras weights a checkpoint carries: a blur pool's fixed filter (a buffer outside PyTorch's state dict,
    a non-trainable kernel in Keras) is left out."""
    fixed = {d["names"]["keras"] for _, d in compiled.graph.nodes(data=True) if d["op"] == "blurpool"}
    return {k: w for k, w in weights.items() if k[0] not in fixed}


def _check_complete(pairs: list[WeightPair], torch_keys: set[str], keras_weights: dict) -> None:
    """Both models must hold exactly the weights the IR names (BN's num_batches_tracked aside)."""
    want_torch = {p.torch_key for p in pairs}
    want_keras = {(p.keras_layer, p.keras_weight) for p in pairs}
    problems = []
    torch_keys = {k for k in torch_keys if not k.endswith("num_batches_tracked")}
    if missing := sorted(want_torch - torch_keys):
        problems.append(f"PyTorch model lacks {missing[:5]}")
    if extra := sorted(torch_keys - want_torch):
        problems.append(f"PyTorch model has weights the spec does not name: {extra[:5]}")
    if missing := sorted(want_keras - set(keras_weights)):
        problems.append(f"Keras model lacks {['/'.join(k) for k in missing[:5]]}")
    if extra := sorted(set(keras_weights) - want_keras):
        problems.append(f"Keras model has weights the spec does not name: {['/'.join(k) for k in extra[:5]]}")
    if problems:
        raise ValueError("the models do not match the spec: " + "; ".join(problems))


def torch_to_keras(compiled: Compiled, torch_model, keras_model) -> int:
    """Copy every weight of the generated PyTorch model into the generated Keras model; returns the count."""
    pairs = weight_pairs(compiled)
    state = torch_model.state_dict()
    weights = _learnt(compiled, _keras_weights(keras_model))
    _check_complete(pairs, set(state), weights)
    for pair in pairs:
        value = _to_keras(pair, state[pair.torch_key].detach().cpu().float().numpy())
        target = weights[pair.keras_layer, pair.keras_weight]
        if tuple(value.shape) != tuple(target.shape):
            raise ValueError(
                f"{pair.torch_key} {tuple(value.shape)} does not fit {pair.keras_layer}/{pair.keras_weight} {tuple(target.shape)}"
            )
        target.assign(value.astype(target.dtype))
    return len(pairs)


def keras_to_torch(compiled: Compiled, keras_model, torch_model) -> int:
    """Copy every weight of the generated Keras model into the generated PyTorch model; returns the count."""
    import torch

    pairs = weight_pairs(compiled)
    state = torch_model.state_dict()
    weights = _learnt(compiled, _keras_weights(keras_model))
    _check_complete(pairs, set(state), weights)
    with torch.no_grad():
        for pair in pairs:
            value = _to_torch(pair, weights[pair.keras_layer, pair.keras_weight].numpy())
            target = state[pair.torch_key]
            if pair.op == "layer_scale":  # timm (C,), torchvision (C, 1, 1)
                value = value.reshape(tuple(target.shape))
            if tuple(value.shape) != tuple(target.shape):
                raise ValueError(
                    f"{pair.keras_layer}/{pair.keras_weight} {tuple(value.shape)} does not fit {pair.torch_key} {tuple(target.shape)}"
                )
            target.copy_(torch.from_numpy(value.copy()).to(target.dtype))
    return len(pairs)
