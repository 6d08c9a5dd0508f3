"""`archc build --check` with no SPEC checks every built-in's goldens (both backends) in generated/."""

from __future__ import annotations

from archc.spec.loader import builtin_names
from tests.conftest import REPO, run_cli


def test_build_check_without_specs_covers_every_builtin():
    code, out, err = run_cli("build", "--check", cwd=REPO)
    assert (code, err) == (0, "")
    assert out.strip() == f"{2 * len(builtin_names())} generated file(s) up to date"
