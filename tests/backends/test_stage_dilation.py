"""Stage-level ``dilation`` (and ``output_stride``) against timm's ResNet built with ``output_stride``.

timm's ``ResNet(output_stride=16 | 8)`` replaces the stride of the last stage(s) by a dilation: every 3x3 of a
dilated stage has ``padding = dilation = d`` except its first block's first 3x3, which keeps the previous stage's
(``first_dilation``). A spec says the same with stage rows (``stride: 1, dilation: 2``) or with the top-level
``output_stride``; both compile to the same plan, and the generated PyTorch model is timm's: the same state-dict
keys and shapes, every conv's (dilation, padding) equal, strict load, equal outputs, and params and FlopCounterMode
MACs equal archc's. The Keras file computes the same outputs after converting the weights.
"""

from __future__ import annotations

import pytest

from archc.pipeline import compile_spec
from archc.reports.summary import summary
from tests.libs import timm

torch = pytest.importorskip("torch")
np = pytest.importorskip("numpy")

WIDTHS = (64, 128, 256, 512)
BLOCKS = {"resnet18": (2, 2, 2, 2), "resnet50": (3, 4, 6, 3)}
DILATIONS = {16: (1, 1, 1, 2), 8: (1, 1, 2, 4)}  # timm's per-stage dilation for each output stride
SIZE = 64


def _rows(name: str, os: int) -> str:
    rows = ["stages:"]
    for s, (width, blocks, dilation) in enumerate(zip(WIDTHS, BLOCKS[name], DILATIONS[os])):
        stride = 1 if s == 0 or dilation > 1 else 2
        extra = f", dilation: {dilation}" if dilation > 1 else ""
        rows.append(f"  - {{name: layer{s + 1}, width: {width}, blocks: {blocks}, stride: {stride}{extra}}}")
    return "\n".join(rows) + "\n"


def _spec(tmp_path, name: str, os: int, form: str):
    body = f"archc: 1\nextends: timm/{name}\nname: {name}_os{os}\ninput: {{channels: 3, size: [{SIZE}, {SIZE}]}}\n"
    body += _rows(name, os) if form == "rows" else f"output_stride: {os}\n"
    path = tmp_path / f"{form}.yaml"
    path.write_text(body, encoding="utf-8")
    return compile_spec(str(path), verify_each=True)


def _convs(model) -> list[tuple[str, tuple, tuple, tuple]]:
    return [(n, m.stride, m.dilation, m.padding) for n, m in model.named_modules() if isinstance(m, torch.nn.Conv2d)]


@pytest.mark.parametrize(("name", "os"), [("resnet18", 8), ("resnet50", 16), ("resnet50", 8)])
def test_stage_dilation_is_timms_output_stride(tmp_path, name, os):
    from torch.utils.flop_counter import FlopCounterMode

    from archc.frameworks.generated import load_generated

    rows, auto = _spec(tmp_path, name, os, "rows"), _spec(tmp_path, name, os, "output_stride")
    plan = [(b.stride, b.dilation, b.first_dilation) for b in rows.graph.graph["blocks"].blocks]
    assert plan == [(b.stride, b.dilation, b.first_dilation) for b in auto.graph.graph["blocks"].blocks]
    assert summary(rows)["macs"] == summary(auto)["macs"]

    reference = timm().create_model(name, output_stride=os, num_classes=1000).eval()
    model = load_generated(rows, "pytorch").build_model().eval()
    assert _convs(model) == _convs(reference)
    with torch.no_grad():
        for p in reference.parameters():
            p.uniform_(-0.1, 0.1)
    model.load_state_dict(reference.state_dict(), strict=True)
    x = torch.randn(1, 3, SIZE, SIZE)
    with torch.no_grad():
        torch.testing.assert_close(model(x), reference(x))
        with FlopCounterMode(display=False) as counter:
            reference(x)
    s = summary(rows)
    assert (sum(p.numel() for p in reference.parameters()), counter.get_total_flops() // 2) == (s["params"], s["macs"])


def test_stage_dilation_in_keras(tmp_path):
    pytest.importorskip("keras")
    from archc.frameworks.convert import torch_to_keras
    from archc.frameworks.generated import load_generated

    c = _spec(tmp_path, "resnet18", 8, "rows")
    torch_model = load_generated(c, "pytorch").build_model().eval()
    keras_model = load_generated(c, "keras").build_model(classifier_activation=None)
    torch_to_keras(c, torch_model, keras_model)
    x = torch.randn(1, 3, SIZE, SIZE)
    with torch.no_grad():
        expected = torch_model(x).numpy()
    got = np.asarray(keras_model(np.transpose(x.numpy(), (0, 2, 3, 1)), training=False))
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4 * float(np.abs(expected).max()))


def test_top_level_dilation_multiplies_with_output_stride(tmp_path):
    body = (
        "archc: 1\nname: d\ninput: {channels: 3, size: [32, 32]}\nstem: [{op: conv, kernel: 3, width: 8, stride: 2}]\n"
        "block: basic\ndilation: 2\noutput_stride: 2\nstages:\n  - {name: a, width: 8, blocks: 1}\n"
        "  - {name: b, width: 8, blocks: 2, stride: 2}\n  - {name: c, width: 8, blocks: 1, stride: 2, dilation: 3}\n"
    )
    path = tmp_path / "d.yaml"
    path.write_text(body, encoding="utf-8")
    c = compile_spec(str(path), verify_each=True)
    got = [(b.stride, b.first_dilation, b.dilation) for b in c.graph.graph["blocks"].blocks]
    # a: the top level's 2; b: output_stride takes its stride, doubling it; c: the row's 3, times output_stride's 4
    assert got == [(1, 1, 2), (1, 2, 4), (1, 4, 4), (1, 4, 12)]
    conv = c.graph.nodes["s1.b0.conv2"]["attrs"]
    assert (conv["dilation"], conv["padding"]) == ((4, 4), (4, 4, 4, 4))  # padding: top, bottom, left, right


@pytest.mark.parametrize(("key", "col"), [("dilation: 2", 11), ("output_stride: 16", 16)])
def test_a_block_without_a_dilating_conv_is_refused(tmp_path, key, col):
    """A user-defined block (ConvNeXt's) has no 3x3 that takes the dilation: refused at the key that asked for one
    (before, output_stride silently dropped the stride without dilating anything)."""
    from tests.conftest import run_cli

    path = tmp_path / "x.yaml"
    path.write_text(f"archc: 1\nextends: timm/convnext_atto\nname: x\n{key}\n", encoding="utf-8")
    code, out, err = run_cli("check", str(path))
    assert code == 2 and out == ""
    assert f"x.yaml:4:{col}: error[E401]: dilation 2: the blocks of stage 'stage" in err
    assert "help: dilation applies to the 3x3 convs" in err and "Traceback" not in err


TV_LAYER3_DILATED = """archc: 1
extends: torchvision/resnet50
name: r50_dilated
input: {channels: 3, size: [64, 64]}
stages:
  - {name: layer1, width: 64, blocks: 3}
  - {name: layer2, width: 128, blocks: 4, stride: 2}
  - {name: layer3, width: 256, blocks: 6, stride: 1, dilation: 2}
  - {name: layer4, width: 512, blocks: 3, stride: 2, dilation: 2}
"""


def test_a_dilated_stage_may_stride_after(tmp_path):
    """torchvision's ``resnet50(replace_stride_with_dilation=[False, True, False])``: layer3 dilates instead of
    striding, layer4 strides and keeps dilation 2 (its first 3x3 strides with dilation 2), as rows say it. PyTorch
    builds torchvision's network; Keras cannot stride a dilated conv: an E403 at layer4's stride."""
    from archc.frameworks.generated import load_generated
    from tests.conftest import run_cli
    from tests.libs import torchvision_models

    path = tmp_path / "r50.yaml"
    path.write_text(TV_LAYER3_DILATED, encoding="utf-8")
    c = compile_spec(str(path), verify_each=True)
    reference = torchvision_models().resnet50(replace_stride_with_dilation=[False, True, False]).eval()
    model = load_generated(c, "pytorch").build_model().eval()
    assert _convs(model) == _convs(reference)
    model.load_state_dict(reference.state_dict(), strict=True)
    x = torch.randn(1, 3, SIZE, SIZE)
    with torch.no_grad():
        torch.testing.assert_close(model(x), reference(x))
    code, _, err = run_cli("build", str(path), "--backend", "keras", "--out", str(tmp_path / "out"))
    assert code == 2 and "r50.yaml:9:51: error[E403]: keras: Keras convolutions cannot combine a stride" in err
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").rglob("*.py"))
