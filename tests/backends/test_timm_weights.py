"""timm's weights in archc's generated code, beyond PyTorch: the ``timm`` naming profile end to end.

A timm-profile PyTorch model and the Keras model of the same spec compute the same outputs after
``archc.frameworks.convert`` (GroupNorm, ECA, SE with timm's rounding, deep stems, average-pool projections), and
``archc convert`` moves a timm-named checkpoint to ``.weights.h5`` and back. That the generated PyTorch models
are timm's (state dict, same-seed weights, outputs with timm's weights, params and MACs) is
tests/backends/test_references.py's, against ``timm.create_model`` itself.
"""

from __future__ import annotations

import pytest

from archc.pipeline import compile_spec
from archc.reports.summary import summary
from tests.conftest import run_cli

torch = pytest.importorskip("torch")
np = pytest.importorskip("numpy")
from tests.counterparts import randomise_norms as _randomise_norms  # noqa: E402


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
