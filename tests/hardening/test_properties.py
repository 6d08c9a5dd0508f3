"""Property tests (hypothesis, bounded and derandomised so CI is reproducible): random valid specs.

1. IR vs an independent PyTorch model built here from the spec dict (not from archc's IR or emitters):
   params = numel, MACs = FlopCounterMode / 2, every stage's IR output shape = the forward shape.
2. IR vs the generated PyTorch code (all unit orderings, groups, shortcut options): numel, FLOPs, output.
3. IR vs the generated Keras code: count_params = keras_params, and after copying the PyTorch weights
   (archc.frameworks.convert) both frameworks compute the same outputs.
"""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

torch = pytest.importorskip("torch")
nn = torch.nn

from archc.pipeline import compile_spec  # noqa: E402
from archc.reports.summary import summary  # noqa: E402

FAST = settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
UNITS = ["original", "bn_after_addition", "relu_before_addition", "relu_only_preactivation", "full_preactivation"]


@st.composite
def specs(draw, units: bool = False, knobs: bool = False) -> dict:
    block = draw(st.sampled_from(["basic", "bottleneck"]))
    spec = {
        "archc": 1,
        "name": "prop",
        "block": block,
        "stride_at": draw(st.sampled_from(["1x1", "3x3"])),
        "shortcut": draw(st.sampled_from(["A", "B", "C"])),
        "input": {"channels": draw(st.integers(1, 4)), "size": [draw(st.integers(8, 40)), draw(st.integers(8, 40))]},
        "head": {"pool": "avg", "classes": draw(st.integers(2, 12))},
    }
    stem = []
    if draw(st.booleans()):
        stem.append({"op": "conv", "kernel": draw(st.sampled_from([1, 3, 5, 7])), "width": draw(st.integers(2, 16)),
                     "stride": draw(st.integers(1, 2))})  # fmt: skip
    if draw(st.booleans()):
        stem.append({"op": "maxpool", "kernel": draw(st.sampled_from([2, 3])), "stride": draw(st.integers(1, 2))})
    spec["stem"] = stem
    n = draw(st.integers(1, 3))
    widths = sorted(draw(st.lists(st.sampled_from([2, 4, 6, 8, 12]), min_size=n, max_size=n)))
    spec["stages"] = [
        {"name": f"stage{i}", "width": w, "blocks": draw(st.integers(1, 2)), "stride": draw(st.integers(1, 2))}
        for i, w in enumerate(widths)
    ]
    if block == "bottleneck" and draw(st.booleans()):
        spec["groups"] = draw(st.sampled_from([2, 4]))
        spec["base_width"] = draw(st.sampled_from([4, 16, 32]))
    if draw(st.booleans()):
        spec["expansion"] = draw(st.integers(1, 4))
    if units:
        spec["unit"] = draw(st.sampled_from(UNITS))
    if knobs:
        _draw_timm_knobs(draw, spec)
    return spec


def _draw_timm_knobs(draw, spec: dict) -> None:
    """GroupNorm, SE with its hidden-width rounding, ECA (timm's knobs)."""
    if draw(st.booleans()):
        spec["defaults"] = {"norm": {"kind": "groupnorm", "groups": draw(st.sampled_from([1, 2]))}}
    attention = draw(st.sampled_from(["none", "se", "eca"]))
    if attention == "se":
        spec["se"] = {
            "reduction": draw(st.integers(1, 8)),
            "width_of": draw(st.sampled_from(["output", "input", "inner"])),
        }
        if draw(st.booleans()):
            spec["se"].update(divisor=draw(st.integers(1, 8)), round_limit=draw(st.sampled_from([0.0, 0.9])))
    elif attention == "eca":
        spec["eca"] = draw(st.sampled_from([{}, {"kernel": 1}, {"kernel": 5}, {"gamma": 1.0, "beta": 0.5}]))


def compiled_or_skip(spec: dict, tmp_path_factory):
    """Compile the spec; an option-A spec whose widths shrink is a documented error, not a property failure."""
    from hypothesis import assume

    from archc.diagnostics import SpecError

    path = tmp_path_factory.mktemp("spec") / "prop.yaml"
    path.write_text(json.dumps(spec))
    try:
        return compile_spec(str(path), verify_each=True)
    except SpecError as exc:
        assume(not all(d.code == "E401" for d in exc.diagnostics))  # reject the example, or fail below
        raise


# --- an independent PyTorch model, written from the README's description of the spec language ---------


def _norm(spec: dict, c: int) -> nn.Module:
    norm = spec.get("defaults", {}).get("norm", {})
    return nn.GroupNorm(norm["groups"], c) if norm.get("kind") == "groupnorm" else nn.BatchNorm2d(c)


def _hidden(se: dict, widths: dict) -> int:
    """SE hidden width: C // r, or the nearest multiple of ``divisor`` (at least one divisor, one more when
    rounding down lost more than ``1 - round_limit``), written out from the README's rule."""
    c, r = widths[se.get("width_of", "output")], se["reduction"]
    if "divisor" not in se:
        return max(1, c // r)
    d = se["divisor"]
    rounded = max(d, int(c / r + d / 2) // d * d)
    return rounded + d if rounded < se.get("round_limit", 0.0) * c / r else rounded


class Attention(nn.Module):
    def __init__(self, spec: dict, cin: int, inner: int, out: int):
        super().__init__()
        self.se = self.eca = None
        if "se" in spec:
            hidden = _hidden(spec["se"], {"output": out, "input": cin, "inner": inner})
            self.se = nn.Sequential(nn.Conv2d(out, hidden, 1), nn.ReLU(), nn.Conv2d(hidden, out, 1))
        elif "eca" in spec:
            eca = spec["eca"]
            t = int(abs(math.log2(out) + eca.get("beta", 1.0)) / eca.get("gamma", 2.0))
            k = eca.get("kernel") or max(t if t % 2 else t + 1, 3)
            self.eca = nn.Conv1d(1, 1, k, padding=k // 2, bias=False)

    def forward(self, x):
        if self.se is not None:
            return x * torch.sigmoid(self.se(x.mean((2, 3), keepdim=True)))
        if self.eca is not None:
            return x * torch.sigmoid(self.eca(x.mean((2, 3)).unsqueeze(1))).squeeze(1)[:, :, None, None]
        return x


class Block(nn.Module):
    def __init__(self, spec: dict, cin: int, width: int, stride: int):
        super().__init__()
        bottleneck = spec["block"] == "bottleneck"
        expansion = spec.get("expansion", 4 if bottleneck else 1)
        groups = spec.get("groups", 1)
        inner = int(width * spec.get("base_width", 64) / 64) * groups if bottleneck else width
        out = width * expansion
        if bottleneck:
            s1, s3 = (1, stride) if spec["stride_at"] == "3x3" else (stride, 1)
            convs = [nn.Conv2d(cin, inner, 1, s1, bias=False), nn.Conv2d(inner, inner, 3, s3, 1, groups=groups, bias=False),
                     nn.Conv2d(inner, out, 1, bias=False)]  # fmt: skip
        else:
            convs = [nn.Conv2d(cin, width, 3, stride, 1, bias=False), nn.Conv2d(width, out, 3, 1, 1, bias=False)]
        self.convs = nn.ModuleList(convs)
        self.bns = nn.ModuleList(_norm(spec, c.out_channels) for c in convs)
        self.attention = Attention(spec, cin, inner, out)
        project = spec["shortcut"] == "C" or (spec["shortcut"] == "B" and cin != out)
        self.project = nn.Sequential(nn.Conv2d(cin, out, 1, stride, bias=False), _norm(spec, out)) if project else None
        self.stride, self.pad = stride, out - cin

    def forward(self, x):
        y = x
        for i, (conv, bn) in enumerate(zip(self.convs, self.bns)):
            y = bn(conv(y))
            y = torch.relu(y) if i < len(self.convs) - 1 else y
        y = self.attention(y)
        if self.project is not None:
            short = self.project(x)
        else:
            short = x[:, :, :: self.stride, :: self.stride]
            short = nn.functional.pad(short, (0, 0, 0, 0, self.pad // 2, self.pad - self.pad // 2))
        return torch.relu(y + short)


class Reference(nn.Module):
    def __init__(self, spec: dict):
        super().__init__()
        c = spec["input"]["channels"]
        stem = []
        for layer in spec["stem"]:
            k, s = layer["kernel"], layer["stride"]
            if layer["op"] == "conv":
                stem += [
                    nn.Conv2d(c, layer["width"], k, s, k // 2, bias=False),
                    _norm(spec, layer["width"]),
                    nn.ReLU(),
                ]
                c = layer["width"]
            else:
                stem.append(nn.MaxPool2d(k, s, k // 2))
        self.stem = nn.Sequential(*stem)
        self.stages = nn.ModuleList()
        for row in spec["stages"]:
            blocks = []
            for b in range(row["blocks"]):
                blocks.append(Block(spec, c, row["width"], row["stride"] if b == 0 else 1))
                c = blocks[-1].convs[-1].out_channels
            self.stages.append(nn.Sequential(*blocks))
        self.fc = nn.Linear(c, spec["head"]["classes"])

    def forward(self, x):
        shapes = []
        x = self.stem(x)
        for stage in self.stages:
            x = stage(x)
            shapes.append(tuple(x.shape[1:]))
        return self.fc(torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1)), shapes


def flops_of(model, x) -> int:
    from torch.utils.flop_counter import FlopCounterMode

    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        model(x)
    return counter.get_total_flops()


def example_input(spec: dict):
    h, w = spec["input"]["size"]
    return torch.randn(2, spec["input"]["channels"], h, w)


@settings(FAST, max_examples=20)
@given(spec=specs(knobs=True))
def test_ir_matches_an_independent_torch_model(spec, tmp_path_factory):
    c = compiled_or_skip(spec, tmp_path_factory)
    s = summary(c)
    model = Reference(spec).eval()
    x = example_input(spec)
    with torch.no_grad():
        y, shapes = model(x)
    assert s["params"] == sum(p.numel() for p in model.parameters())
    assert s["buffers"] == sum(b.numel() for n, b in model.named_buffers() if not n.endswith("num_batches_tracked"))
    assert 2 * s["macs"] * 2 == flops_of(model, x)  # batch of 2; FLOPs = 2 × MACs
    assert [tuple(st_["output_shape"]) for st_ in s["stages"]] == shapes
    assert tuple(s["output_shape"]) == tuple(y.shape[1:])


def generated_torch_model(c):
    from archc.backends.pytorch.emitter import emit

    namespace: dict = {}
    exec(compile(emit(c), "generated.py", "exec"), namespace)  # generated code (tested for injection elsewhere)
    return namespace["build_model"](num_classes=c.spec.head.classes).eval()


@settings(FAST, max_examples=16)
@given(spec=specs(units=True, knobs=True))
def test_ir_matches_the_generated_pytorch_model(spec, tmp_path_factory):
    c = compiled_or_skip(spec, tmp_path_factory)
    s = summary(c)
    model = generated_torch_model(c)
    x = example_input(spec)
    assert s["params"] == sum(p.numel() for p in model.parameters())
    assert 2 * s["macs"] * 2 == flops_of(model, x)
    with torch.no_grad():
        assert tuple(model(x).shape) == (2, *s["output_shape"])


@pytest.mark.slow
@settings(FAST, max_examples=6)
@given(spec=specs(units=True, knobs=True))
def test_keras_matches_ir_and_pytorch(spec, tmp_path_factory):
    import ast

    import numpy as np
    from archc.backends.keras.emitter import emit

    from archc.frameworks.convert import torch_to_keras

    c = compiled_or_skip(spec, tmp_path_factory)
    source = emit(c)
    tree = ast.parse(source)
    (ctor,) = [
        f.name
        for f in tree.body
        if isinstance(f, ast.FunctionDef) and f.args.args[:1] and f.args.args[0].arg == "include_top"
    ]
    namespace: dict = {}
    exec(compile(source, "generated_keras.py", "exec"), namespace)
    h, w = spec["input"]["size"]
    keras_model = namespace[ctor](input_shape=(h, w, spec["input"]["channels"]), classes=spec["head"]["classes"],
                                  classifier_activation=None)  # fmt: skip
    assert keras_model.count_params() == summary(c)["keras_params"]
    torch_model = generated_torch_model(c)
    for module in torch_model.modules():  # non-trivial BN statistics, so that conversion mistakes show
        if isinstance(module, nn.BatchNorm2d):
            module.running_mean.uniform_(-0.5, 0.5)
            module.running_var.uniform_(0.5, 1.5)
        if isinstance(module, (nn.BatchNorm2d, nn.GroupNorm)):
            nn.init.uniform_(module.weight, 0.5, 1.5)  # zero_init and GroupNorm's ones would hide mistakes
    torch_to_keras(c, torch_model, keras_model)
    x = example_input(spec)
    with torch.no_grad():
        expected = torch_model(x).numpy()
    got = np.asarray(keras_model(np.transpose(x.numpy(), (0, 2, 3, 1)), training=False))
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4)
