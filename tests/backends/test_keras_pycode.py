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


@pytest.mark.skipif(shutil.which("ruff") is None, reason="ruff not installed")
def test_statements_around_the_line_length_split_as_ruff_splits_them():
    """Past 120 characters ruff splits the last call (``(x)``) when what precedes it fits, else the first."""
    lines = []
    for operand in ("x", "img_input", "[shortcut, x]"):
        for n in range(80, 120):
            lines += call_statement("x", "layers.Conv2D", ["64", "3", f'name="{"a" * n}"'], f"({operand})", 1)
    source = "def f(x):\n" + "".join(f"    {line}\n" for line in lines) + "    return x\n"
    assert any(line.endswith(")(") for line in lines) and any(line.endswith("Conv2D(") for line in lines)
    result = subprocess.run(
        ["ruff", "format", "--stdin-filename", "generated/keras/t.py", "-"],
        input=source,
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == source


def test_what_keras_cannot_express_is_a_located_error(tmp_path):
    from tests.conftest import run_cli

    spec = tmp_path / "odd.yaml"
    spec.write_text(
        "archc: 1\nname: odd\ninput: {channels: 3, size: 28}\nblock: basic\n"
        "stages: [{name: conv2, width: 8, blocks: 1, stride: 4}]\n"
        "head: {pool: avg, pool_size: 3, classes: 10}\n",
        encoding="utf-8",
    )
    code, out, err = run_cli("build", str(spec), "--backend", "keras", "--out", str(tmp_path / "out"))
    assert code == 2 and out == ""
    assert f"{spec.as_posix()}:6:" in err and "error[E403]: keras: adaptive pooling 7x7 → 3x3" in err
    assert not (tmp_path / "out").exists()
