"""Property tests (hypothesis, bounded and derandomised so CI is reproducible): random valid specs.

1. IR vs an independent PyTorch model built here from the spec dict (not from archc's IR or emitters):
   params = numel, MACs = FlopCounterMode / 2, every stage's IR output shape = the forward shape.
2. IR vs the generated PyTorch code (all unit orderings, groups, shortcut options): numel, FLOPs, output.
3. IR vs the generated Keras code: count_params = keras_params, and after copying the PyTorch weights
   (archc.frameworks.convert) both frameworks compute the same outputs.
"""

from __future__ import annotations

import json

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
def specs(draw, units: bool = False) -> dict:
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
    return spec


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
        self.bns = nn.ModuleList(nn.BatchNorm2d(c.out_channels) for c in convs)
        project = spec["shortcut"] == "C" or (spec["shortcut"] == "B" and cin != out)
        self.project = (
            nn.Sequential(nn.Conv2d(cin, out, 1, stride, bias=False), nn.BatchNorm2d(out)) if project else None
        )
        self.stride, self.pad = stride, out - cin

    def forward(self, x):
        y = x
        for i, (conv, bn) in enumerate(zip(self.convs, self.bns)):
            y = bn(conv(y))
            y = torch.relu(y) if i < len(self.convs) - 1 else y
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
                    nn.BatchNorm2d(layer["width"]),
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


@FAST
@given(spec=specs())
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


@settings(FAST, max_examples=12)
@given(spec=specs(units=True))
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
@settings(FAST, max_examples=4)
@given(spec=specs(units=True))
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
    torch_to_keras(c, torch_model, keras_model)
    x = example_input(spec)
    with torch.no_grad():
        expected = torch_model(x).numpy()
    got = np.asarray(keras_model(np.transpose(x.numpy(), (0, 2, 3, 1)), training=False))
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4)
