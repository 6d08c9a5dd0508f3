"""``archc convert`` reads PyTorch weights as people save them (issue 13, item 8), and says briefly what
does not fit: whole pickled models (without running their code), checkpoint dicts, ``module.`` prefixes,
weights of another spec (a short list of keys / shapes instead of a 4.6 KB RuntimeError), hostile keys."""

from __future__ import annotations

import importlib.util
import os
import pickle
import sys

import pytest

from tests.conftest import run_cli

torch = pytest.importorskip("torch")
pytest.importorskip("keras")

SPEC = "cifar/resnet20"


@pytest.fixture(scope="module")
def model_and_module(tmp_path_factory):
    """The generated PyTorch code of cifar/resnet20 as a real file and module (so a model can be pickled)."""
    from archc.codegen import emit
    from archc.pipeline import compile_spec

    folder = tmp_path_factory.mktemp("gen")
    (folder / "gen_resnet20.py").write_text(emit(compile_spec(SPEC), "pytorch"), encoding="utf-8")
    spec = importlib.util.spec_from_file_location("gen_resnet20", folder / "gen_resnet20.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["gen_resnet20"] = module
    spec.loader.exec_module(module)
    torch.manual_seed(0)
    model = module.build_model(num_classes=10).eval()
    with torch.no_grad():
        for name, buf in model.named_buffers():
            if name.endswith("running_var"):
                buf.uniform_(0.5, 1.5)
    yield model
    del sys.modules["gen_resnet20"]


def _roundtrip(tmp_path, source) -> dict:
    """Convert ``source`` to Keras and back to a plain state dict; return it."""
    h5, back = tmp_path / "w.weights.h5", tmp_path / "back.pt"
    code, out, err = run_cli("convert", SPEC, "--from", str(source), "--to", str(h5))
    assert code == 0, err
    assert err == "", "TensorFlow start-up noise or warnings on stderr"
    code, _, err = run_cli("convert", SPEC, "--from", str(h5), "--to", str(back))
    assert code == 0, err
    return torch.load(back, weights_only=True)


def _assert_same(state: dict, model) -> None:
    for key, value in model.state_dict().items():
        if not key.endswith("num_batches_tracked"):
            assert torch.equal(state[key], value), key


def test_a_whole_pickled_model_is_read_without_its_code(tmp_path, model_and_module):
    model = model_and_module
    torch.save(model, tmp_path / "whole.pt")
    _assert_same(_roundtrip(tmp_path, tmp_path / "whole.pt"), model)


@pytest.mark.parametrize("wrap", ["state_dict", "model", "module_prefix", "model_of_dataparallel"])
def test_common_checkpoint_wrappers_are_unwrapped(tmp_path, model_and_module, wrap):
    model = model_and_module
    state = model.state_dict()
    obj = {
        "state_dict": {"epoch": 90, "state_dict": state, "optimizer": {"lr": 0.1}},
        "model": {"model": state},
        "module_prefix": {f"module.{k}": v for k, v in state.items()},
        "model_of_dataparallel": {"model": torch.nn.DataParallel(model)},
    }[wrap]
    torch.save(obj, tmp_path / "ckpt.pth")
    _assert_same(_roundtrip(tmp_path, tmp_path / "ckpt.pth"), model)


def test_weights_of_another_spec_get_a_short_readable_list(tmp_path):
    from archc.frameworks.generated import load_generated
    from archc.pipeline import compile_spec

    other = load_generated(compile_spec("cifar/resnet32"), "pytorch").build_model(num_classes=100)
    # a hostile key first (the list shows the first few): printed escaped, never as a raw terminal escape
    state = {"\x1b[31mred\x1b[0m.weight": torch.zeros(2), **other.state_dict()}
    torch.save(state, tmp_path / "r32.pt")
    code, out, err = run_cli(
        "convert", SPEC, "--from", str(tmp_path / "r32.pt"), "--to", str(tmp_path / "x.weights.h5")
    )
    assert (code, out) == (2, "")
    lines = err.splitlines()
    assert lines[0].startswith(f"error[E603]: the weights in {tmp_path / 'r32.pt'} (state dict) do not fit resnet20: ")
    # resnet32 has 2 more basic blocks in each of 3 stages (10 tensors each) and the hostile key: 61
    assert "0 missing, 61 unexpected, 2 of another shape" in lines[0]
    assert "  note: shape: fc.weight: file 100×64, spec 10×64" in lines
    assert "  note: unexpected: … and 53 more" in lines
    assert lines[-2].startswith("  help: are these the weights of another spec?") and lines[-1] == "Found 1 error."
    assert len(err) < 2000 and "\x1b" not in err and "\\x1b[31mred" in err
    assert not (tmp_path / "x.weights.h5").exists()


def test_a_pickle_that_runs_code_is_not_run(tmp_path):
    marker = tmp_path / "ran"

    class Evil:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    with open(tmp_path / "evil.pt", "wb") as fh:
        torch.save({"model": Evil()}, fh, pickle_module=pickle)
    code, _, err = run_cli("convert", SPEC, "--from", str(tmp_path / "evil.pt"), "--to", str(tmp_path / "x.weights.h5"))
    assert code == 2 and "error[E603]:" in err and "not a torch.nn.Module" in err
    assert not marker.exists()


def test_a_file_that_is_not_a_checkpoint(tmp_path):
    (tmp_path / "junk.pt").write_bytes(b"\x00\x01 not a checkpoint \x1b[2J")
    code, _, err = run_cli("convert", SPEC, "--from", str(tmp_path / "junk.pt"), "--to", str(tmp_path / "x.weights.h5"))
    assert code == 2 and err.startswith(f"error[E604]: cannot read {tmp_path / 'junk.pt'} as PyTorch weights: ")
    assert "\x1b" not in err and "help: save the weights with torch.save(model.state_dict(), path)" in err
