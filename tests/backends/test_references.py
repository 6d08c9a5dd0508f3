"""Every built-in with a counterpart in timm or torchvision against the library's own model (tests/counterparts.py).

- params and MACs (``FlopCounterMode`` / 2 on the library's model, on the meta device: no arithmetic) equal
  ``archc cost`` at the library's default input size and at an odd one (every stride-2 layer and ceil-mode
  pool then sees an odd map);
- the generated model's ``state_dict()`` has the library's keys, in order, with the same shapes;
- under the same seed the generated model starts from bit-identical weights;
- the library model's weights (norms randomised) load strictly into the generated model and give the same
  outputs.

The figures come from the libraries at the versions the test extra pins. The quick tier runs the small models
(and, on the meta device, the first model of each folder and the headline QUICK_BUILTINS); every other built-in,
same checks, runs in the slow tier.
"""

from __future__ import annotations

import pytest

from archc.pipeline import compile_spec
from archc.reports.summary import summary
from tests.conftest import HUGE_BUILTINS, quick_names
from tests.counterparts import COUNTERPARTS, default_size, golden, library_model, randomise_norms, shapes

torch = pytest.importorskip("torch")
from torch.utils.flop_counter import FlopCounterMode  # noqa: E402

# Built and run on the CPU in the default run: one per family and block kind (basic, SE, ECA + deep tiered stem,
# GroupNorm-free bottleneck, torchvision's and timm's names).
SMALL = {"torchvision/resnet18", "resnet18", "timm/resnet10t", "timm/resnet14t", "timm/seresnet18", "timm/ecaresnet26t"}
# the small RegNets of each library's layout (timm's stem/s1.b1/head, torchvision's stem/trunk_output/fc) run quick
SMALL_REGNETS = {"regnet/regnetx_002", "regnet/regnety_002", "torchvision/regnet_x_400mf", "torchvision/regnet_y_400mf"}


def _meta_quick() -> set[str]:
    """On the meta device the quick tier takes the small models besides conftest's representatives."""
    return SMALL | SMALL_REGNETS | quick_names(COUNTERPARTS)


def _param(cp, quick: set[str]):
    marks = [] if cp.builtin in quick else [pytest.mark.slow]
    if cp.blocked:
        marks.append(pytest.mark.xfail(strict=True, reason=cp.blocked))
    return pytest.param(cp, id=cp.id, marks=marks)


def _figures_param(cp, quick: set[str]):
    return pytest.param(cp, id=cp.id, marks=[] if cp.builtin in quick else [pytest.mark.slow])


# Compared on the meta device only: 194 M parameters and the HUGE_BUILTINS (timm/resnext101_32x8d keeps the real
# same-seed and output checks).
HUGE = {"timm/resnext101_32x16d", *HUGE_BUILTINS}
ALL = list(COUNTERPARTS.values())
SAME = [c for c in ALL if c.same_modules]
REAL = [c for c in SAME if c.builtin not in HUGE]
OUTPUTS = [c for c in REAL if c.same_macs]
META_QUICK = _meta_quick()


@pytest.fixture(scope="module")
def meta_models():
    """Library and generated models on the meta device, built once per module."""
    cache: dict = {}

    def get(cp, side: str):
        if (cp.builtin, side) not in cache:
            with torch.device("meta"):
                model = library_model(cp) if side == "library" else golden(cp.builtin).build_model()
            cache[cp.builtin, side] = model.eval()
        return cache[cp.builtin, side]

    return get


def _figures(model, size: int) -> tuple[int, int]:
    with torch.device("meta"):
        x = torch.empty(1, 3, size, size)
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        model(x)
    return sum(p.numel() for p in model.parameters()), counter.get_total_flops() // 2


def _check_figures(meta_models, cp, size: int | None) -> None:
    s = summary(compile_spec(cp.builtin, input_size=None if size is None else (size, size)))
    size = size or default_size(cp)
    assert s["input_shape"] == [3, size, size]
    params, macs = _figures(meta_models(cp, "library"), size)
    assert s["params"] == params
    if cp.same_macs:
        assert s["macs"] == macs


@pytest.mark.parametrize("cp", [_figures_param(c, META_QUICK) for c in ALL])
def test_params_and_macs_at_the_librarys_default_size(meta_models, cp):
    _check_figures(meta_models, cp, None)


@pytest.mark.parametrize("cp", [_figures_param(c, SMALL) for c in ALL])
def test_params_and_macs_at_an_odd_size(meta_models, cp):
    _check_figures(meta_models, cp, 225 if cp.library == "timm" else 193)


@pytest.mark.parametrize("cp", [_param(c, META_QUICK) for c in SAME])
def test_state_dict_is_the_librarys(meta_models, cp):
    """Keys in order and shapes: the library's checkpoints load with ``strict=True``."""
    assert shapes(meta_models(cp, "generated")) == shapes(meta_models(cp, "library"))


@pytest.mark.parametrize("cp", [_param(c, SMALL | SMALL_REGNETS) for c in REAL])
def test_same_seed_gives_bit_identical_weights(cp):
    torch.manual_seed(0)
    theirs = library_model(cp).state_dict()
    torch.manual_seed(0)
    ours = golden(cp.builtin).build_model().state_dict()
    assert list(ours) == list(theirs)
    different = [k for k in theirs if not torch.equal(ours[k], theirs[k])]
    assert not different, different[:5]


@pytest.mark.parametrize("cp", [_param(c, SMALL | SMALL_REGNETS) for c in OUTPUTS])
def test_library_weights_give_the_same_outputs(cp):
    torch.manual_seed(1)
    theirs = library_model(cp).eval()
    randomise_norms(theirs)
    ours = golden(cp.builtin).build_model().eval()
    result = ours.load_state_dict(theirs.state_dict(), strict=True)
    assert not result.missing_keys and not result.unexpected_keys
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(ours(x), theirs(x), rtol=1e-5, atol=1e-5)


def test_every_library_builtin_has_a_counterpart():
    """Every ``timm/``, ``torchvision/`` and ``regnet/`` built-in is compared (the paper's ResNets too)."""
    from archc.spec.loader import builtin_names

    folders = ("timm/", "torchvision/", "regnet/")
    assert {n for n in builtin_names() if n.startswith(folders)} <= set(COUNTERPARTS)
    assert {"resnet18", "resnet50"} <= set(COUNTERPARTS)
