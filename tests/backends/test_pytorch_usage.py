"""Generated PyTorch models work the way people use models: channels_last, autocast, torch.compile, ONNX,
training; and shortcut variants no built-in spec uses (option A zero-padding, option C, Keras BN
settings, a max-pool head) print correct code.

References: the eager model itself, onnxruntime, a falling training loss, FlopCounterMode.
"""

from __future__ import annotations

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

from archc.reports.summary import summary
from tests.backends.torch_models import Cache, generate, stage_modules

TINY_A = """\
archc: 1
name: tiny_a
input: {channels: 3, size: 32}
stem: [{op: conv, kernel: 3, width: 16}]
block: basic
shortcut: A
stages:
  - {name: s1, width: 16, blocks: 2}
  - {name: s2, width: 32, blocks: 2, stride: 2}
  - {name: s3, width: 64, blocks: 2, stride: 2}
head: {classes: 10}
"""

TINY_C = """\
archc: 1
name: tiny_c
input: {channels: 3, size: [32, 40]}
defaults: {norm: {eps: 1.001e-5, momentum: 0.01}}
stem:
  - {op: conv, kernel: 3, width: 8}
  - {op: avgpool, kernel: 2, stride: 2, padding: 0}
block: bottleneck
stride_at: 3x3
shortcut: C
stages:
  - {name: s1, width: 8, blocks: 2}
  - {name: s2, width: 16, blocks: 1, stride: 2}
head: {pool: max, classes: 5}
"""

MICRO = """\
archc: 1
name: micro
input: {channels: 3, size: 16}
stem: [{op: conv, kernel: 3, width: 8}]
block: basic
shortcut: A
stages:
  - {name: s1, width: 8, blocks: 1}
  - {name: s2, width: 16, blocks: 1, stride: 2}
head: {classes: 10}
"""


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    torch.set_num_threads(1)  # the suite runs two workers on two cores
    return Cache(tmp_path_factory.mktemp("pytorch_usage"))


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tiny_specs")
    out = {}
    for text in (TINY_A, TINY_C, MICRO):
        name = text.split("name: ")[1].split("\n")[0]
        (folder / f"{name}.yaml").write_text(text, encoding="utf-8")
        out[name] = generate(str(folder / f"{name}.yaml"), folder)
    return out


def _batch(shape, n=4, seed=0):
    return torch.randn(n, *shape, generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("name", ["tiny_a", "tiny_c"])
def test_shortcut_variants_match_the_ir(tiny, name):
    gen = tiny[name]
    s = summary(gen.compiled)
    model = gen.build().eval()
    assert sum(p.numel() for p in model.parameters()) == s["params"]
    seen = {}
    for stage in stage_modules(gen.compiled.graph):
        getattr(model, stage).register_forward_hook(lambda m, i, o, k=stage: seen.__setitem__(k, list(o.shape[1:])))
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        y = model(_batch(s["input_shape"], n=1))
    assert counter.get_total_flops() == 2 * s["macs"]
    assert list(y.shape[1:]) == s["output_shape"]
    assert list(seen.values()) == [row["output_shape"] for row in s["stages"]]


def test_option_a_shortcut_reads_as_slicing_and_padding(tiny):
    text = tiny["tiny_a"].text
    assert "identity = x[:, :, :: self.stride, :: self.stride]" in text
    assert "F.pad(identity, (0, 0, 0, 0, self.pad_before, self.pad_after))" in text
    assert "nn.BatchNorm2d(width, eps=1.001e-05, momentum=0.01)" not in text
    assert "eps=1.001e-05, momentum=0.01" in tiny["tiny_c"].text


def test_channels_last_equals_contiguous(generated):
    model = generated("torchvision/resnet18").build().eval()
    x = _batch((3, 64, 64))
    with torch.no_grad():
        expected = model(x)
        model = model.to(memory_format=torch.channels_last)
        got = model(x.to(memory_format=torch.channels_last))
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-5)


def test_autocast_bf16_on_cpu(generated):
    model = generated("torchvision/resnet18").build().eval()
    x = _batch((3, 64, 64))
    with torch.no_grad():
        expected = model(x)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            got = model(x)
    assert got.dtype == torch.bfloat16
    assert torch.isfinite(got).all()
    cosine = torch.nn.functional.cosine_similarity(got.float().flatten(), expected.flatten(), dim=0)
    assert cosine > 0.99


@pytest.mark.slow
def test_torch_compile_equals_eager(tiny):
    """Inductor on a two-block model (compiling C++ kernels on two CPU cores takes tens of seconds)."""
    model = tiny["micro"].build().eval()
    x = _batch((3, 16, 16), n=2)
    compiled = torch.compile(model)
    with torch.no_grad():
        torch.testing.assert_close(compiled(x), model(x), rtol=1e-5, atol=1e-5)


@pytest.mark.slow
def test_onnx_export_runs_in_onnxruntime(generated, tmp_path):
    ort = pytest.importorskip("onnxruntime")
    model = generated("torchvision/resnet18").build().eval()
    x = _batch((3, 64, 64), n=2)
    path = tmp_path / "resnet18.onnx"
    torch.onnx.export(model, (x,), str(path), input_names=["x"], output_names=["logits"], dynamo=True)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (got,) = session.run(None, {"x": x.numpy()})
    with torch.no_grad():
        expected = model(x)
    torch.testing.assert_close(torch.from_numpy(got), expected, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("which", ["tiny_a", "tiny_c"])
def test_training_smoke(tiny, which):
    """30 SGD steps on one fixed CIFAR-sized batch: the loss falls to under half its start.

    (resnet18 trains in the README example, run by test_pytorch_readme.py.)"""
    torch.manual_seed(0)
    model = tiny[which].build(num_classes=10).train()
    x, y = _batch((3, 32, 32), n=8, seed=1), torch.randint(0, 10, (8,), generator=torch.Generator().manual_seed(2))
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    losses = []
    for _ in range(30):
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0] / 2, losses
