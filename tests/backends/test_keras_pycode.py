"""The Keras emitter prints code the way ``ruff format`` would, also where a statement must wrap."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from archc.backends.keras.pycode import Code, call_statement, fstring, literal

from tests.conftest import REPO


def test_literals():
    assert literal(((3, 3), (1, 1))) == "((3, 3), (1, 1))"
    assert literal((7,)) == "(7,)"
    assert literal('say "hi"') == r'"say \"hi\""'
    assert literal(1.001e-05) == "1.001e-05" and literal(None) == "None" and literal(False) == "False"
    assert literal(Code("4 * filters")) == "4 * filters"
    assert fstring("conv2_block", "i", "").text == 'f"conv2_block{i}"'
    assert fstring("", "name", "_{x}").text == 'f"{name}_{{x}}"'
    with pytest.raises(TypeError):
        literal([1, 2])


@pytest.mark.skipif(shutil.which("ruff") is None, reason="ruff not installed")
@pytest.mark.parametrize("count", [3, 12, 30])
def test_wrapped_statements_are_ruff_formatted(count):
    args = [f'name_{i}="{"v" * 6}"' for i in range(count)]
    lines = call_statement("x", "layers.Conv2D", args, "(x)", 1)
    source = "def f(x):\n" + "".join(f"    {line}\n" for line in lines) + "    return x\n"
    result = subprocess.run(
        ["ruff", "format", "--stdin-filename", "generated/keras/t.py", "-"],
        input=source,
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == source
