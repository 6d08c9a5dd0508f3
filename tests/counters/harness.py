"""Compile a spec at a size, emit its PyTorch source, exec it, run the real counters and archc's rules.

Generic on purpose: whatever module structure the PyTorch backend prints, the tools run on that code and
archc's figures come from the IR alone, so a mismatch means a rule (or a code form) no longer holds.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

import torch

from archc.codegen import emit
from archc.counters.count import count
from archc.counters.rules import CHANGED, TOOLS
from archc.pipeline import compile_spec
from tests.counters.tools import run_all


def rule_versions() -> dict[str, str]:
    """The rule version of each installed tool: the pinned one, or one listed in ``CHANGED``."""
    versions = {}
    for dist in ("ultralytics-thop", "thop"):
        try:
            installed = f"{dist} {version(dist)}"
        except PackageNotFoundError:
            continue
        versions["thop"] = installed
        break
    return {t: v for t, v in versions.items() if v != TOOLS[t].version and v in CHANGED.get(t, {})}


def installed() -> dict[str, str]:
    """``name version`` of each tool's distribution, as :data:`TOOLS` writes the pinned versions."""
    out = {}
    for tool, dists in {"torch": ["torch"], "fvcore": ["fvcore"], "ptflops": ["ptflops"],
                        "thop": ["ultralytics-thop", "thop"]}.items():  # fmt: skip
        for dist in dists:
            try:
                out[tool] = f"{dist} {version(dist).split('+')[0]}"
                break
            except PackageNotFoundError:
                continue
    return out


def generated_model(compiled):
    """The generated PyTorch model of ``compiled``, built from its source text (random weights, eval mode)."""
    text = emit(compiled, "pytorch")
    namespace = {"__name__": f"archc_counters_{compiled.spec.name}"}
    exec(compile(text, f"<generated {compiled.loaded.key}>", "exec"), namespace)  # noqa: S102 - our own output
    torch.manual_seed(0)
    return namespace["build_model"]().eval()


def compare(ref: str, size: tuple[int, int], code: str | None = None) -> tuple[dict[str, int], dict[str, int], dict]:
    """(what the tools print, what archc says, archc's per-kind figures) for ``ref`` at ``size``; ``code``: the
    library whose code form archc assumes (default: the spec's naming profile)."""
    compiled = compile_spec(ref, input_size=size)
    model = generated_model(compiled)
    channels = compiled.spec.input.channels
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # batch 1 on shared cores: a second OpenMP thread spins more than it computes
    try:
        with torch.no_grad():
            got = run_all(model, torch.randn(1, channels, *size))
    finally:
        torch.set_num_threads(threads)
    figs = count(compiled.graph, versions=rule_versions(), code=code)
    return got, {t: figs.totals[t] for t in got}, figs.by_kind


def explain(ref: str, size, got: dict, want: dict, by_kind: dict) -> str:
    lines = [f"{ref} at {size[0]}x{size[1]}: tool != archc"]
    for tool in got:
        if got[tool] != want[tool]:
            parts = ", ".join(f"{k} {v:,}" for k, v in by_kind[tool].items() if v)
            lines.append(
                f"  {tool}: tool {got[tool]:,} archc {want[tool]:,} (diff {got[tool] - want[tool]:,}): {parts}"
            )
    return "\n".join(lines)
