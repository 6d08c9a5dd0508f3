"""archc imports only what pyproject.toml declares (issue 13, item 3: Rich was imported but undeclared,
so ``archc compare`` crashed on a core-only install).

Every ``import`` statement in archc/ and backends/ (module level or inside a function) is read with
``ast``: its top-level module must be the standard library, archc itself, a core dependency, or a
module of an optional extra, and the extras' modules may appear only in the files that need them.
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib

from tests.conftest import REPO

# distribution name (as in pyproject.toml) → the modules it installs (pydantic always brings pydantic_core)
MODULES = {
    "pydantic": {"pydantic", "pydantic_core"},
    "pyyaml": {"yaml"},
    "jinja2": {"jinja2"},
    "networkx": {"networkx"},
}
# optional extras: module → the only files (relative to the repository) allowed to import it
OPTIONAL = {
    "torch": {
        "archc/frameworks/verify.py",
        "archc/frameworks/convert.py",
        "archc/frameworks/checkpoint.py",
        "archc/commands/convert.py",
        "archc/bench/steps_torch.py",
        "archc/bench/steps_keras.py",  # Keras on its torch backend (--keras-backend torch)
    },
    "keras": {"archc/frameworks/quiet.py", "archc/bench/steps_keras.py"},  # the keras extra: keras + tensorflow-cpu
    "tensorflow": {"archc/bench/steps_keras.py"},
    "absl": {"archc/frameworks/quiet.py"},
    "numpy": {
        "archc/bench/steps_keras.py"
    },  # comes with keras (extra keras)  # comes with tensorflow (extra keras); imported under try/except
    "matplotlib": {"archc/reports/plot.py", "archc/sweep/plot.py"},
    "ray": {"archc/sweep/executors.py"},  # the ray extra: `archc sweep --measure --executor ray`
    "tqdm": {"archc/sweep/output.py"},  # the progress extra: the sweep's progress bar on a terminal
}


def imported_modules(path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def core_dependencies() -> set[str]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    dists = {re.split(r"[<>=!~\[ ;]", d, maxsplit=1)[0].lower() for d in project["dependencies"]}
    assert dists <= set(MODULES), f"add the module name of {sorted(dists - set(MODULES))} to MODULES"
    return set().union(*(MODULES[d] for d in dists))


def test_every_import_is_declared():
    allowed = core_dependencies() | set(sys.stdlib_module_names) | {"archc", "__future__"}
    problems = []
    for path in sorted([*(REPO / "archc").rglob("*.py"), *(REPO / "backends").rglob("*.py")]):
        rel = path.relative_to(REPO).as_posix()
        for module in imported_modules(path) - allowed:
            if rel not in OPTIONAL.get(module, set()):
                problems.append(f"{rel} imports {module}")
    assert not problems, "undeclared imports (add to pyproject or drop): " + "; ".join(problems)


def test_rich_is_not_needed():
    project = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    assert "rich" not in project.lower().split("[project.optional-dependencies]")[0]
    assert all("rich" not in imported_modules(p) for p in (REPO / "archc").rglob("*.py"))


def test_every_archc_package_is_listed_in_pyproject():
    """A package missing from ``packages`` works in an editable install and is absent from the wheel."""
    listed = set(tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(REPO).parts) for p in (REPO / "archc").rglob("__init__.py")}
    assert found <= listed, sorted(found - listed)
