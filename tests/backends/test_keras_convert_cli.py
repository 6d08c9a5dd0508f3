"""``archc convert``: a PyTorch state dict → .weights.h5 → state dict round trip, outputs equal in Keras."""

from __future__ import annotations

import textwrap

import pytest

from tests.backends.keras_util import generated
from tests.conftest import run_cli

torch = pytest.importorskip("torch")
np = pytest.importorskip("numpy")

SPEC = """
archc: 1
name: small
input: {channels: 3, size: 19}
stem: [{op: conv, kernel: 3, width: 8, stride: 2}]
block: bottleneck
stride_at: 3x3
stages: [{name: conv2, width: 4, blocks: 1}, {name: conv3, width: 8, blocks: 1, stride: 2}]
head: {classes: 7}
"""


def test_round_trip_and_same_outputs(tmp_path):
    from archc.frameworks.generated import load_generated

    spec = tmp_path / "small.yaml"
    spec.write_text(textwrap.dedent(SPEC), encoding="utf-8")
    compiled, keras_module = generated(str(spec))
    torch_model = load_generated(compiled, "pytorch").build_model().eval()
    with torch.no_grad():
        for name, buf in torch_model.named_buffers():
            if name.endswith("running_var"):
                buf.uniform_(0.5, 1.5)
    torch.save(torch_model.state_dict(), tmp_path / "a.pt")

    code, out, err = run_cli(
        "convert", str(spec), "--from", str(tmp_path / "a.pt"), "--to", str(tmp_path / "b.weights.h5")
    )
    assert code == 0, err
    assert "tensors" in out
    code, _, err = run_cli(
        "convert", str(spec), "--from", str(tmp_path / "b.weights.h5"), "--to", str(tmp_path / "c.pth")
    )
    assert code == 0, err
    back = torch.load(tmp_path / "c.pth", weights_only=True)
    for key, value in torch_model.state_dict().items():
        if not key.endswith("num_batches_tracked"):
            assert torch.equal(back[key], value), key

    keras_model = keras_module.build_model(weights=str(tmp_path / "b.weights.h5"), classifier_activation=None)
    x = np.random.default_rng(0).uniform(-1, 1, (2, 19, 19, 3)).astype("float32")
    with torch.no_grad():
        expected = torch_model(torch.from_numpy(x.transpose(0, 3, 1, 2).copy())).numpy()
    np.testing.assert_allclose(np.asarray(keras_model(x, training=False)), expected, atol=1e-5, rtol=0)


@pytest.mark.parametrize("source, target", [("a.pt", "b.pt"), ("a.h5", "b.pt"), ("a.pt", "b.onnx")])
def test_wrong_file_kinds_exit_2(tmp_path, source, target):
    code, out, err = run_cli("convert", "resnet18", "--from", str(tmp_path / source), "--to", str(tmp_path / target))
    assert code == 2 and err.startswith("error[E600]: ") and "\n  help: " in err and out == ""
    assert not (tmp_path / target).exists()


def test_missing_input_exits_2(tmp_path):
    code, _, err = run_cli(
        "convert", "resnet18", "--from", str(tmp_path / "nope.pt"), "--to", str(tmp_path / "x.weights.h5")
    )
    assert code == 2 and "error[E601]: no such file" in err
