"""No valid-schema spec may crash archc: seeded random specs using every knob of the spec language go
through check, cost, table, graph and build; each command exits 0 or 2 (a located diagnostic), never 3.

The generator is seeded (reproducible in CI); a failure names the seed index and prints the spec.
"""

from __future__ import annotations

import json
import random

import pytest

from tests.conftest import assert_commands_never_crash, run_cli

N_SPECS = 120
COMMANDS = [["check"], ["cost", "--json", "--per-layer"], ["table"], ["graph", "--format", "mermaid"]]


def random_spec(rng: random.Random) -> dict:
    def pick(*xs):
        return rng.choice(xs)

    spec = {
        "archc": 1,
        "name": "fuzz",
        "block": pick("basic", "bottleneck", "single"),
        "stride_at": pick("1x1", "3x3"),
        "shortcut": pick("A", "B", "C", "none"),
        "projection_stride": pick("conv", "avgpool"),
        "unit": pick(
            "original", "bn_after_addition", "relu_before_addition", "relu_only_preactivation", "full_preactivation"
        ),
        "stride_block": pick("first", "last"),
        "input": {"channels": rng.randint(1, 4), "size": [rng.randint(1, 40), rng.randint(1, 40)]},
        "defaults": {"norm": {"kind": pick("batchnorm", "none")}, "conv_bias": pick(True, False, "auto")},
        "stem": rng.sample(
            [
                {
                    "op": "conv",
                    "kernel": rng.randint(1, 8),
                    "width": rng.randint(1, 9),
                    "stride": rng.randint(1, 3),
                    "padding": rng.randint(0, 3),
                },
                {"op": pick("maxpool", "avgpool"), "kernel": rng.randint(1, 4), "stride": rng.randint(1, 3)},
            ],
            rng.randint(0, 2),
        ),
        "stages": [
            {
                "name": f"s{j}",
                "width": rng.randint(1, 9),
                "blocks": rng.randint(1, 2),
                "stride": rng.randint(1, 3),
                **({"pool": pick("max", "avg")} if rng.random() < 0.2 else {}),
            }
            for j in range(rng.randint(1, 3))
        ],
        "head": {
            "pool": pick("avg", "max", "none"),
            "classes": rng.randint(1, 5),
            "pool_size": rng.randint(1, 3),
            "hidden": [rng.randint(1, 8)] * rng.randint(0, 2),
            "dropout": pick(0.0, 0.5),
            "features_only": rng.random() < 0.15,
        },
    }
    if rng.random() < 0.3:
        spec["groups"], spec["base_width"] = rng.randint(1, 4), pick(4, 16, 64, 128)
    if rng.random() < 0.3:
        spec["expansion"] = rng.randint(1, 4)
    if rng.random() < 0.2:
        spec["se"] = {"reduction": rng.randint(1, 32)}
    if rng.random() < 0.2:
        spec["output_stride"] = rng.randint(1, 16)
    if rng.random() < 0.2:
        spec["zero_init_last_bn"] = True
    return spec


def add_timm_knobs(spec: dict, rng: random.Random) -> dict:
    """GroupNorm, ECA, SE rounding and the timm naming profile, from a second generator (so the specs of
    the first stay what they were)."""
    if rng.random() < 0.2:
        spec["defaults"]["norm"] = {"kind": "groupnorm", "groups": rng.randint(1, 3)}
    if "se" in spec and rng.random() < 0.5:
        spec["se"].update(divisor=rng.randint(1, 8), width_of=rng.choice(["output", "input", "inner"]))
        spec["se"]["round_limit"] = rng.choice([0.0, 0.9])
    if rng.random() < 0.2:
        spec["eca"] = rng.choice([{}, {"kernel": rng.choice([1, 3, 5])}, {"gamma": 1.5, "beta": 0.5}])
    if rng.random() < 0.3:
        spec["names"] = {"pytorch": "timm"}
    return spec


def _specs(tmp_path) -> list[tuple[int, str, str]]:
    rng, knobs = random.Random(20261123), random.Random(17)
    out = []
    for i in range(N_SPECS):
        text = json.dumps(add_timm_knobs(random_spec(rng), knobs))
        path = tmp_path / f"fuzz{i}.yaml"
        path.write_text(text)
        out.append((i, str(path), text))
    return out


def test_random_valid_specs_never_crash_the_core(tmp_path):
    assert_commands_never_crash(_specs(tmp_path), COMMANDS, N_SPECS // 3)


@pytest.mark.parametrize(
    "backend",
    ["keras", "pytorch"],
)
def test_random_valid_specs_never_crash_a_backend(tmp_path, backend):
    for i, path, text in _specs(tmp_path):
        if run_cli("check", path)[0] != 0:
            continue
        code, _, err = run_cli("build", path, "--backend", backend, "--out", str(tmp_path / "out"))
        assert code in (0, 2), f"spec {i}: archc build --backend {backend} exited {code}: {err}\n{text}"
        if code == 2:  # a backend limit: E403 located at the key that causes it (the spec is one line of JSON)
            assert "error[E403]" in err and f"{path}:1:1:" not in err, f"spec {i}: {err}"


def test_random_valid_specs_verify_in_pytorch(tmp_path):
    """``archc verify`` builds, runs and compares the generated model: 0 (agrees) or 2 (E403), never 1 or 3."""
    pytest.importorskip("torch")
    checked = 0
    for i, path, text in _specs(tmp_path)[:40]:
        if run_cli("check", path)[0] != 0:
            continue
        code, out, err = run_cli("verify", path, "--backend", "pytorch")
        assert code in (0, 2), f"spec {i}: archc verify exited {code}: {out}{err}\n{text}"
        checked += 1
    assert checked >= 10
