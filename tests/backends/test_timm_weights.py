"""timm's weights in archc's generated code: the ``timm`` naming profile end to end.

- timm's recorded ``state_dict()`` (resnet50d, seresnet50, resnet26t: keys and shapes, synthesised as
  zeros) loads with ``strict=True`` into the committed generated files;
- every ``timm/*`` built-in's generated model has exactly the state-dict keys and shapes of the
  hand-written timm-style reference (``tests/reference_timm.py``), and its params and FlopCounterMode MACs
  equal archc's (on the meta device: no arithmetic);
- a timm-profile PyTorch model and the Keras model of the same spec compute the same outputs after
  ``archc.frameworks.convert`` (GroupNorm, ECA, SE with timm's rounding, deep stems, average-pool
  projections), and ``archc convert`` moves a timm-named checkpoint to ``.weights.h5`` and back.
"""

from __future__ import annotations

import importlib.util
import json

import pytest

from archc.pipeline import compile_spec
from archc.reports.summary import summary
from archc.spec.loader import builtin_names
from tests.conftest import REFERENCE, REPO, run_cli

torch = pytest.importorskip("torch")
np = pytest.importorskip("numpy")
from tests.reference_timm import MODELS, state_dict_shapes  # noqa: E402

# ConvNeXt is checked against timm's own model instead of a reference copy (tests/backends/test_convnext_pytorch.py)
TIMM = sorted(n.removeprefix("timm/") for n in builtin_names() if n.startswith("timm/") and "convnext" not in n)
DUMPS = ("resnet50d", "seresnet50", "resnet26t")


def golden(name: str):
    """The committed generated file ``generated/pytorch/timm/<name>.py`` as a module."""
    path = REPO / "generated" / "pytorch" / "timm" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"golden_timm_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_timm_model_is_a_builtin():
    assert TIMM == sorted(MODELS)


@pytest.mark.parametrize("name", DUMPS)
def test_timm_state_dict_loads_strictly(name):
    recorded = json.loads((REFERENCE / f"timm_{name}_state_dict.json").read_text(encoding="utf-8"))["state_dict"]
    state = {
        k: torch.zeros(shape, dtype=torch.long if k.endswith("num_batches_tracked") else torch.float32)
        for k, shape in recorded.items()
    }
    model = golden(name).build_model()
    assert list(model.state_dict()) == list(recorded)  # same keys, same order
    result = model.load_state_dict(state, strict=True)
    assert not result.missing_keys and not result.unexpected_keys


@pytest.mark.parametrize("name", TIMM)
def test_generated_model_is_timms(name):
    cfg, size = MODELS[name]
    module = golden(name)
    with torch.device("meta"):
        model = module.build_model().eval()
        x = torch.empty(1, 3, size, size)
    assert {k: list(v.shape) for k, v in model.state_dict().items()} == state_dict_shapes(cfg)
    from torch.utils.flop_counter import FlopCounterMode

    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        model(x)
    s = summary(compile_spec(f"timm/{name}"))
    assert (sum(p.numel() for p in model.parameters()), counter.get_total_flops() // 2) == (s["params"], s["macs"])


def _randomise_norms(model) -> None:
    """Non-trivial norm parameters and statistics, so that conversion mistakes show in the outputs."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 1.5)
            if isinstance(m, (torch.nn.BatchNorm2d, torch.nn.GroupNorm)):
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.2, 0.2)


@pytest.mark.parametrize("name", ["resnet50_gn", "ecaresnet26t", "seresnet18"])
def test_timm_profile_converts_to_keras_and_back(name):
    from archc.frameworks.convert import keras_to_torch, torch_to_keras
    from archc.frameworks.generated import load_generated

    c = compile_spec(f"timm/{name}", input_size=(64, 64))
    torch_model = load_generated(c, "pytorch").build_model().eval()
    _randomise_norms(torch_model)
    keras_model = load_generated(c, "keras").build_model(classifier_activation=None)
    assert torch_to_keras(c, torch_model, keras_model) == len(
        [k for k in torch_model.state_dict() if not k.endswith("num_batches_tracked")]
    )
    assert keras_model.count_params() == summary(c)["keras_params"]
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        expected = torch_model(x).numpy()
    got = np.asarray(keras_model(np.transpose(x.numpy(), (0, 2, 3, 1)), training=False))
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4 * float(np.abs(expected).max()))
    fresh = load_generated(c, "pytorch").build_model().eval()
    keras_to_torch(c, keras_model, fresh)
    for key, value in torch_model.state_dict().items():
        assert torch.equal(fresh.state_dict()[key], value), key


def test_archc_convert_moves_a_timm_checkpoint(tmp_path):
    """A checkpoint with timm's keys (``conv1.0.weight``, ``layer1.0.downsample.1.weight``, …) as the hub
    publishes it (``pytorch_model.bin``) → ``.weights.h5`` for the Keras model → back to the same tensors."""
    spec = tmp_path / "r26t.yaml"
    spec.write_text("archc: 1\nextends: timm/resnet26t\ninput: {channels: 3, size: 64}\n", encoding="utf-8")
    from archc.frameworks.generated import load_generated

    c = compile_spec(str(spec))
    model = load_generated(c, "pytorch").build_model().eval()
    _randomise_norms(model)
    assert "conv1.6.weight" in model.state_dict() and "layer2.0.downsample.1.weight" in model.state_dict()
    torch.save(model.state_dict(), tmp_path / "pytorch_model.bin")
    code, out, err = run_cli(
        "convert", str(spec), "--from", str(tmp_path / "pytorch_model.bin"), "--to", str(tmp_path / "k.weights.h5")
    )
    assert code == 0, err
    code, _, err = run_cli(
        "convert", str(spec), "--from", str(tmp_path / "k.weights.h5"), "--to", str(tmp_path / "back.pt")
    )
    assert code == 0, err
    back = torch.load(tmp_path / "back.pt", weights_only=True)
    for key, value in model.state_dict().items():
        if not key.endswith("num_batches_tracked"):
            assert torch.equal(back[key], value), key
