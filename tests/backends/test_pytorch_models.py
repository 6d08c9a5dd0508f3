"""Every built-in spec, generated as PyTorch and run: its figures and shapes equal the IR's.

Outside references: the model's own parameter tensors, ``torch.utils.flop_counter.FlopCounterMode`` on
a real forward pass, forward hooks on the stage modules, TorchScript, and torchvision's own models
(tests/libs.py).
"""

from __future__ import annotations

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

from archc.reports.summary import summary
from archc.spec.loader import builtin_names
from tests.backends.torch_models import Cache, hook_stage_outputs, stage_modules
from tests.conftest import HUGE, tiered

SPECS = tiered([n for n in builtin_names() if n not in HUGE])
DEEP = 60


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    torch.set_num_threads(1)  # the suite runs two workers on two cores
    return Cache(tmp_path_factory.mktemp("pytorch_models"))


@pytest.mark.parametrize("name", SPECS)
def test_params_and_buffers_equal_archc_cost(generated, name):
    gen = generated(name)
    model = gen.build()
    s = gen.summary
    assert sum(p.numel() for p in model.parameters()) == s["params"]
    stats = [b for key, b in model.named_buffers() if not key.endswith("num_batches_tracked")]
    assert sum(b.numel() for b in stats) == s["buffers"]


@pytest.mark.parametrize("name", SPECS)
def test_forward_flops_and_shapes_equal_the_ir(generated, name):
    """One forward pass: FlopCounterMode = 2 × MACs exactly; output and stage shapes = inferred shapes."""
    gen = generated(name)
    g, s = gen.probe.graph, summary(gen.probe)
    model = gen.build().eval()
    seen = hook_stage_outputs(model, g)
    x = torch.randn(2, *s["input_shape"])
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        y = model(x)
    assert counter.get_total_flops() == 2 * 2 * s["macs"]  # batch of 2
    outputs = g.graph.get("outputs") or [g.graph["output"]]
    got = [list(t.shape) for t in (y if isinstance(y, list) else [y])]
    assert got == [[2, *g.nodes[n]["shape"]] for n in outputs]
    assert seen == [row["output_shape"] for row in s["stages"]]


@pytest.mark.parametrize("name", SPECS)
def test_torchscript_equals_eager(generated, name):
    """Every generated class compiles with TorchScript and runs as in eager mode.

    Specs with more than ``DEEP`` blocks keep two blocks per stage for this test (scripting costs ~50 ms a
    block on CI): block 0 (shortcut branch) and block 1 (identity) cover every class and branch.
    """
    gen = generated(name)
    model = gen.build().eval()
    stages = stage_modules(gen.probe.graph)
    blocks_in_stages = gen.probe.graph.graph.get("layout") != "sequential"  # VGG's features: not blocks
    if blocks_in_stages and sum(len(getattr(model, s)) for s in stages) > DEEP:
        for s in stages:
            setattr(model, s, getattr(model, s)[:2])
    scripted = torch.jit.script(model)
    x = torch.randn(1, *gen.probe.graph.nodes["input"]["shape"])
    with torch.no_grad(), torch.jit.optimized_execution(False):
        torch.testing.assert_close(scripted(x), model(x), rtol=1e-5, atol=1e-5)


def test_resnet50_flops_at_224(generated):
    """The headline figure at full size: torchvision's resnet50 is 4.09 GMACs = 8.18 GFLOPs."""
    gen = generated("torchvision/resnet50")
    model = gen.build().eval()
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        model(torch.randn(1, 3, 224, 224))
    assert counter.get_total_flops() == 2 * gen.summary["macs"] == 2 * 4_089_184_256


TORCHVISION = [
    ("torchvision/resnet18", "resnet18"),
    ("torchvision/resnet50", "resnet50"),
    ("resnet18", "resnet18"),  # the paper's models have torchvision's weights too (stride placement aside)
    ("resnet50", "resnet50"),
    *[
        pytest.param(f"torchvision/{n}", n, marks=pytest.mark.skipif(f"torchvision/{n}" not in SPECS, reason="no spec"))
        for n in ("resnext50_32x4d", "wide_resnet50_2")
    ],
]


def _torchvision_state_dict(reference: str) -> dict[str, list[int]]:
    """torchvision's own model's ``state_dict()`` keys and shapes (built on the meta device)."""
    from tests.libs import torchvision_models

    with torch.device("meta"):
        model = getattr(torchvision_models(), reference)()
    return {k: list(v.shape) for k, v in model.state_dict().items()}


@pytest.mark.parametrize("name,reference", TORCHVISION)
def test_state_dict_is_torchvision(generated, name, reference):
    model = generated(name).build()
    ours = [(k, list(v.shape)) for k, v in model.state_dict().items()]
    assert ours == list(_torchvision_state_dict(reference).items())  # same keys, same order, same shapes


@pytest.mark.parametrize("name,reference", TORCHVISION[:2])
def test_torchvision_weights_load_strictly(generated, name, reference):
    gen = torch.Generator().manual_seed(0)
    weights = {
        k: torch.tensor(7) if k.endswith("num_batches_tracked") else torch.randn(shape, generator=gen)
        for k, shape in _torchvision_state_dict(reference).items()
    }
    model = generated(name).build()
    result = model.load_state_dict(weights, strict=True)
    assert not result.missing_keys and not result.unexpected_keys
    assert torch.equal(model.fc.weight, weights["fc.weight"])
    assert torch.equal(model.layer4[0].downsample[0].weight, weights["layer4.0.downsample.0.weight"])
