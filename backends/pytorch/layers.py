"""Layer constructors the blocks' writer (:mod:`.blocks`), RegNet's projection (:mod:`.regnet`) and the model's own
ops (:mod:`.printers`) share, each written as its library writes it: an activation (timm's own ``GELU`` class under
the timm profile, torch's elsewhere), a recipe's conv as ``nn.Conv2d``. The norms (BatchNorm, GroupNorm, LayerNorm)
are :mod:`.printers`', a recipe's ``linear`` conv (``nn.Linear`` on channels-last) and layer scale the writer's.
The counters' code forms (:func:`archc.counters.terms.kind_of`) assume exactly these.
"""

from __future__ import annotations

from archc.ir.recipe import Conv

# The ops (IR names; a block's steps are tagged alike) whose output no autograd backward needs: a ReLU or an
# addition after one may overwrite it in place (``scale``: squeeze-and-excitation's product).
OVERWRITABLE = {"conv", "linear", "batchnorm", "groupnorm", "layernorm", "add", "scale"}
ACTIVATIONS = {"relu": "nn.ReLU()", "relu6": "nn.ReLU6()", "gelu": "nn.GELU()", "silu": "nn.SiLU()",
               "hardswish": "nn.Hardswish()"}  # fmt: skip


def activation(fn: str, timm: bool = False) -> str:
    """``nn.GELU()`` (timm: its own ``GELU()`` class, which counters see apart), ``nn.ReLU6()``, …"""
    return "GELU()" if fn == "gelu" and timm else ACTIVATIONS[fn]


def conv2d(step: Conv, cin: str, width: str, groups: str, padding: list[str] | None = None) -> str:
    """A recipe's conv as ``nn.Conv2d``: the block's ``stride`` argument where the step strides, "same" padding
    (or ``padding``: a dilated conv's), its groups and bias."""
    args = [cin, width, f"kernel_size={step.kernel}"] + ["stride=stride"] * step.stride
    args += [f"padding={step.kernel // 2}"] * (step.kernel > 1) if padding is None else padding
    return f"nn.Conv2d({', '.join(args + [f'groups={groups}'] * (groups != '1') + ['bias=False'] * (not step.bias))})"
