"""timm's ResNet family: the IR's ``timm`` naming profile gives timm's own state dict.

Every ``timm/*`` built-in's IR, named with the ``timm`` profile, has exactly the ``state_dict()`` keys (in order)
and shapes of ``timm.create_model(name)`` (built on the meta device). Params and MACs against timm's models, and
the generated code against them: tests/backends/test_references.py.
"""

from __future__ import annotations

import pytest

from archc.pipeline import compile_spec
from archc.spec.loader import builtin_names

torch = pytest.importorskip("torch")
from tests.counterparts import COUNTERPARTS, library_model, shapes  # noqa: E402

# ConvNeXt's state dict (a layer scale parameter before its block's modules) is checked through its model layout,
# against timm's own model, in tests/unit/test_user_blocks.py
TIMM = sorted(n for n in builtin_names() if n.startswith("timm/") and "convnext" not in n)


@pytest.fixture(scope="module")
def timm_state_dicts():
    cache = {}

    def get(name):
        if name not in cache:
            with torch.device("meta"):
                cache[name] = shapes(library_model(COUNTERPARTS[name]))
        return cache[name]

    return get


def ir_state_dict(compiled, profile: str = "timm") -> dict[str, list[int]]:
    """The ``state_dict()`` keys and shapes a PyTorch model printed with ``profile``'s names has."""
    out: dict[str, list[int]] = {}
    for _, d in compiled.graph.nodes(data=True):
        op, a, name = d["op"], d["attrs"], d["names"][profile]
        if op == "conv":
            kh, kw = a["kernel"]
            out[f"{name}.weight"] = [a["out_channels"], a["in_channels"] // a["groups"], kh, kw]
            out.update({f"{name}.bias": [a["out_channels"]]} if a["bias"] else {})
        elif op in ("batchnorm", "groupnorm"):
            out.update({f"{name}.{k}": [a["channels"]] for k in ("weight", "bias")})
            if op == "batchnorm":
                out.update({f"{name}.{k}": [a["channels"]] for k in ("running_mean", "running_var")})
                out[f"{name}.num_batches_tracked"] = []
        elif op == "channel_conv":
            out[f"{name}.weight"] = [1, 1, a["kernel"]]
        elif op == "linear":
            out[f"{name}.weight"] = [a["out_features"], a["in_features"]]
            out[f"{name}.bias"] = [a["out_features"]]
    return out


@pytest.mark.parametrize("name", TIMM)
def test_timm_profile_gives_timms_state_dict(timm_state_dicts, name):
    assert list(ir_state_dict(compile_spec(name)).items()) == timm_state_dicts(name)
