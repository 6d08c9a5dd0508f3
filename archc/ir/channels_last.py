"""Where a block's steps run channels-last: the one rule the ConvNeXt names and printers share.

A pointwise conv the recipe writes as ``linear`` (``nn.Linear``) works on N×H×W×C; timm and torchvision
permute to channels-last right before the norm that feeds the first such conv, and back after the last
one (before layer scale, drop path or the addition). Only a LayerNorm runs channels-last: a BatchNorm or
GroupNorm after a linear conv ends the run (N×C×H×W again, as ``nn.BatchNorm2d`` needs). :func:`walk` gives the block's steps in order with
the two permutes where they go, each item with the layout it runs in.
"""

from __future__ import annotations

from archc.ir.recipe import Act, Conv, Norm

TO_CHANNELS_LAST = "to_channels_last"  # x.permute(0, 2, 3, 1)
TO_CHANNELS_FIRST = "to_channels_first"  # x.permute(0, 3, 1, 2)


def _channel_norm(step) -> bool:
    """A norm over the channels alone (a LayerNorm), the one kind that runs on N×H×W×C."""
    return isinstance(step, Norm) and step.norm.kind == "layernorm"


def _enters(steps: tuple, i: int) -> bool:
    """Whether step ``i`` starts a channels-last run: a linear conv, or a LayerNorm whose next op is one."""
    step = steps[i]
    if isinstance(step, Conv):
        return step.linear
    if _channel_norm(step):
        nxt = next((s for s in steps[i + 1 :] if not isinstance(s, Act)), None)
        return isinstance(nxt, Conv) and nxt.linear
    return False


def walk(steps: tuple) -> list[tuple[object, bool]]:
    """``(step or permute marker, channels_last)`` in order."""
    out, cl = [], False
    for i, step in enumerate(steps):
        keep = cl and (isinstance(step, Act) or _channel_norm(step) or (isinstance(step, Conv) and step.linear))
        if cl and not keep:
            out.append((TO_CHANNELS_FIRST, False))
            cl = False
        if not cl and _enters(steps, i):
            out.append((TO_CHANNELS_LAST, True))
            cl = True
        out.append((step, cl))
    if cl:
        out.append((TO_CHANNELS_FIRST, False))
    return out
