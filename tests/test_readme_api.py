"""The Python API and the README's reporting sections: doctests, and the README shows what the tool prints."""

from __future__ import annotations

import doctest
import re
import subprocess
import sys

import pytest

from tests.conftest import REPO, run_cli

README = (REPO / "README.md").read_text(encoding="utf-8")
RESNETS = ["resnet18", "resnet34", "resnet50", "resnet101", "resnet152"]


def _run_doctest(text: str, name: str) -> doctest.TestResults:
    test = doctest.DocTestParser().get_doctest(text, {}, name, name, 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    runner.run(test)
    return runner.summarize(verbose=False)


def test_readme_python_examples():
    blocks = [b for b in re.findall(r"```python\n(.*?)```", README, re.S) if ">>>" in b]
    assert blocks, "README has no >>> examples"
    result = _run_doctest("\n".join(blocks), "README.md")
    assert result.attempted >= 10 and result.failed == 0


def test_api_docstrings():
    import archc.api

    result = doctest.testmod(archc.api, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 4 and result.failed == 0


def test_import_archc_stays_light():
    probe = (
        "import archc, sys; print(sorted(m for m in sys.modules if m.startswith(('archc', 'pydantic', 'networkx'))))"
    )
    out = subprocess.run([sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, check=True).stdout
    assert out.strip() == "['archc', 'archc._version']"
    import archc

    assert callable(archc.load) and "verify" in dir(archc)
    with pytest.raises(AttributeError):
        archc.no_such_name  # noqa: B018


def test_api_errors_are_located_spec_errors(tmp_path):
    import archc
    from archc.diagnostics import SpecError

    bad = tmp_path / "bad.yaml"
    bad.write_text("archc: 1\nname: n\nblock: basic\nstages:\n  - {name: s, width: 8, blocks: 1, strid: 2}\n")
    with pytest.raises(SpecError) as info:
        archc.load(bad)
    d = info.value.diagnostics[0]
    assert (d.line, d.code) == (5, "E200")


@pytest.mark.parametrize(
    "args",
    [
        ("compare", *RESNETS, "--markdown"),
        ("table", *RESNETS),
        ("graph", "resnet18", "--collapse", "--format", "mermaid"),
    ],
    ids=lambda a: a[0],
)
def test_readme_shows_what_the_tool_prints(args):
    code, out, _ = run_cli(*args)
    assert code == 0
    assert out.strip() in README, f"README is stale: paste the output of `archc {' '.join(args)}`"


def test_readme_embeds_the_plot():
    assert "](docs/compare_resnets.png)" in README
    data = (REPO / "docs" / "compare_resnets.png").read_bytes()
    assert data.startswith(b"\x89PNG") and len(data) > 20_000
