"""Pass ``lower``: expand a validated spec into the graph IR.

Pre:  a validated :class:`~archc.spec.schema.Spec`.
Post: a DiGraph whose nodes have ``op``, ``attrs``, ``scope``, ``role``, ``origin``, ``main_path``, ``block``,
      inserted in topological order; graph attributes ``input``, ``output``, ``outputs`` (the returned
      tensors: ``[output]``, or every stage's output for ``head.features_only``), ``stages``, ``blocks``,
      ``block_outputs`` and ``family`` (the spec's layout family) are set. No shapes yet (the ``shapes`` pass
      adds them). In a sequential layout (VGG) a ReLU right after a conv or linear carries the backend hint
      ``fuse: True``.
      Max-pool padding is *zero* padding (Keras ZeroPadding2D, keras.applications); a padded max pool
      carries ``nonnegative_input`` (its input is a ReLU output, where zero and PyTorch's -inf padding agree).

First the block model (:func:`archc.ir.plan.plan_blocks`: every block's plan as the spec declared it,
graph attribute ``blocks``), then each planned block is expanded into ops by the one code path in
:mod:`archc.passes.blocks`; there is no class per model.
"""

from __future__ import annotations

import networkx as nx

from archc.ir.blocks import BlockModel, StagePlan, StemLayer
from archc.ir.graph import StageInfo, add_op, new_graph
from archc.ir.plan import plan_blocks
from archc.passes.blocks import Cursor, Emitter, LoweringError, lower_block
from archc.spec.schema import Spec

__all__ = ["LoweringError", "lower", "lower_block", "lower_downsample", "lower_head", "lower_stage_pool", "lower_stem"]


def _mark_padded_max_pools(g: nx.DiGraph) -> None:
    for node, data in g.nodes(data=True):
        if data["op"] == "maxpool" and any(data["attrs"]["padding"]):
            (source,) = g.predecessors(node)
            data["attrs"]["nonnegative_input"] = g.nodes[source]["op"] == "relu"


def lower(spec: Spec) -> nx.DiGraph:
    model = plan_blocks(spec)
    g = new_graph(spec.name)
    g.graph.update(layout=model.layout, blocks=model, family=spec.family)
    # What the spec declares for the printers (not part of the plan): the PyTorch naming profile, and whether
    # every padded conv prints its padding as its own layer (Keras ZeroPadding2D + "valid", as ResNetV2 does).
    g.graph.update(pytorch_names=spec.names.pytorch, explicit_padding=spec.defaults.explicit_padding)
    c, (h, w) = spec.input.channels, spec.input.size
    g.graph["input"] = add_op(
        g, "input", "input", [], scope=("input",), role="input", origin=("input",), channels=c, size=(h, w)
    )
    cur = lower_stem(g, model, Cursor("input", c))
    for stage in model.stages:
        cur = lower_downsample(g, model, stage, cur)
        for block in stage.blocks:
            cur = lower_block(g, block, cur)
        cur = lower_stage_pool(g, stage.index, stage.pool, cur)
        info = StageInfo(stage.name, stage.index, len(stage.blocks), stage.planes, stage.stride, cur.node)
        g.graph["stages"].append(info)
    _mark_padded_max_pools(g)
    if spec.head.features_only:
        g.graph["outputs"] = [info.output for info in g.graph["stages"]]
        g.graph["output"] = cur.node
        return g
    g.graph["output"] = lower_head(g, spec, model, cur)
    g.graph["outputs"] = [g.graph["output"]]
    if g.graph["layout"] == "sequential":
        _mark_fused_activations(g)
    return g


def _mark_fused_activations(g: nx.DiGraph) -> None:
    """keras.applications VGG writes ``Conv2D(…, activation="relu")``: a backend hint, no effect on costs."""
    for node, data in g.nodes(data=True):
        preds = list(g.pred[node])
        src = preds[0] if len(preds) == 1 else None  # an op with two inputs (SE's scale) has nothing to fuse
        if data["op"] == "relu" and src is not None and g.nodes[src]["op"] in ("conv", "linear"):
            data["attrs"]["fuse"] = True


def _pool(g, node_id: str, scope: tuple, origin: tuple, cur: Cursor, op: str, kernel: int, stride: int, pad: int):
    node = add_op(
        g, node_id, op, [cur.node], scope=scope, role="pool", origin=origin,
        kernel=(kernel, kernel), stride=(stride, stride), padding=(pad, pad, pad, pad),
    )  # fmt: skip
    return Cursor(node, cur.channels)


def lower_stem(g, model: BlockModel, cur: Cursor) -> Cursor:
    """The stem's ops after ``cur``."""
    for layer in model.stem:
        cur = _stem_layer(g, model, layer, cur)
    return cur


def lower_downsample(g, model: BlockModel, stage: StagePlan, cur: Cursor) -> Cursor:
    """A stage's separate downsampling layer (ConvNeXt), if it has one: [norm] → conv k = s = stride."""
    down = stage.downsample
    if down is None:
        return cur
    s = stage.index
    e = Emitter(g, stage.blocks[0].definition, f"s{s}.down", ("stage", s, "downsample"), ("stages", s, "stride"))
    node = e.norm("norm", cur.node, cur.channels) if down.norm else cur.node
    conv = e.conv("conv", Cursor(node, cur.channels), down.out_channels, down.stride, stride=down.stride,
                  padding=0, bias=down.bias)  # fmt: skip
    return Cursor(conv, down.out_channels)


def lower_stage_pool(g, s: int, pool: str | None, cur: Cursor) -> Cursor:
    """A stage's pool after its last block (VGG: 2x2, stride 2), if it has one."""
    if pool is None:
        return cur
    return _pool(g, f"s{s}.pool", ("stage", s, "pool"), ("stages", s, "pool"), cur, pool + "pool", 2, 2, 0)


def lower_head(g, spec: Spec, model: BlockModel, cur: Cursor) -> str:
    """The post-activation of a pre-activation net, then the head; returns the output node."""
    post = Emitter(g, model.definitions[0], "post", ("head",), ("head",)).apply(model.post, "post", cur)
    return _head(g, spec, model, post)


def _stem_layer(g, model: BlockModel, layer: StemLayer, cur: Cursor) -> Cursor:
    scope, prefix = ("stem", layer.index), f"stem.{layer.index}"
    if layer.kind == "blurpool":  # timm's BlurPool2d (resnetblur*: after a stride-1 max pool)
        k, s, pad = layer.kernel, layer.stride, layer.padding
        node = add_op(g, f"{prefix}.pool", "blurpool", [cur.node], scope=scope, role="pool", origin=scope,
                      channels=cur.channels, kernel=(k, k), stride=(s, s), padding=(pad,) * 4)  # fmt: skip
        return Cursor(node, cur.channels)
    if layer.kind != "conv":
        return _pool(g, f"{prefix}.pool", scope, scope, cur, layer.kind, layer.kernel, layer.stride, layer.padding)
    e = Emitter(g, model.definitions[0], prefix, scope, scope)
    ops = ("bn",) * layer.norm + ("relu",) * layer.activation
    bias = {} if layer.bias is None else {"bias": layer.bias}
    node = e.conv("conv", cur, layer.out_channels, layer.kernel, followed_by=ops, stride=layer.stride,
                  padding=layer.padding, **bias)  # fmt: skip
    return e.apply(ops, "", Cursor(node, layer.out_channels))  # roles "bn" and "act": stem names carry no slot


def _head(g, spec: Spec, model: BlockModel, cur: Cursor) -> str:
    where = dict(scope=("head",), origin=("head",))
    head, node, features = spec.head, cur.node, None
    if head.pool != "none":
        if head.pool_size == 1:
            node = add_op(g, "head.pool", "global_pool", [node], role="pool", **where, mode=head.pool)
        else:
            size = (head.pool_size, head.pool_size)
            node = add_op(g, "head.pool", "adaptive_pool", [node], role="pool", **where, mode=head.pool, size=size)
        features = cur.channels * head.pool_size**2
    if head.norm:  # ConvNeXt: a norm on the pooled features, before the classifier
        node = Emitter(g, model.definitions[0], "head", ("head",), ("head",)).norm("norm", node, cur.channels)
    node = add_op(g, "head.flatten", "flatten", [node], role="flatten", **where)
    for i, width in enumerate(head.hidden, start=1):
        node = add_op(g, f"head.fc{i}", "linear", [node], role=f"fc{i}", **where,
                      in_features=features, out_features=width, bias=True)  # fmt: skip
        node = add_op(g, f"head.fc{i}_act", "relu", [node], role=f"fc{i}_act", **where)
        if head.dropout > 0:
            node = add_op(g, f"head.fc{i}_drop", "dropout", [node], role=f"fc{i}_drop", **where, rate=head.dropout)
        features = width
    return add_op(
        g, "head.fc", "linear", [node], role="fc", **where,
        in_features=features, out_features=head.classes, bias=True,
    )  # fmt: skip
