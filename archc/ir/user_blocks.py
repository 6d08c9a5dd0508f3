"""User-defined blocks: a spec's ``blocks:`` recipe (:mod:`archc.spec.recipes`) compiled into a
:class:`~archc.ir.recipe.Recipe`, the same typed steps the built-in kinds compile to.

:func:`problems` is the load-time check (every name an expression reads exists, roles are unique, the
steps make sense together), each problem with its path in the spec and a did-you-mean; :func:`compile_recipe`
is the compilation, once per definition. Widths that cannot add up for a given stage (groups that do not
divide, a main path that does not end at ``out``) are found when the blocks are planned (``archc check``).
"""

from __future__ import annotations

from archc.ir.expr import Expr, num, parse, var
from archc.ir.recipe import (
    ECA,
    Act,
    Add,
    Branch,
    Conv,
    DropPath,
    LayerScale,
    Norm,
    NormSpec,
    Recipe,
    Shortcut,
    SqueezeExcite,
    _params,
)

BLOCK_PARAMS = ("planes", "in", "expansion", "groups", "base_width")  # what every recipe may read


def _expr(value) -> Expr:
    return num(value) if isinstance(value, int) else parse(value)


def _known(r, lets_so_far) -> list[str]:
    return [*BLOCK_PARAMS, *r.params, *lets_so_far]


def problems(name: str, r) -> list[tuple[tuple, str, str]]:
    """``(path, message, help)`` for each mistake in the recipe ``r`` (a :class:`BlockRecipe`) named ``name``."""
    where, out = ("blocks", name), []

    def check(path: tuple, value, known: list[str]) -> None:
        if value is None:
            return
        for n in sorted(_expr(value).names() - set(known)):
            import difflib  # here, not at the top: only a mistake needs it

            close = difflib.get_close_matches(n, known, n=1)
            help = f"did you mean '{close[0]}'?" if close else f"known names here: {', '.join(known)}"
            out.append(((*where, *path), f"unknown name '{n}' in the expression {value!r}", help))

    lets: list[str] = []
    for key, value in r.lets.items():
        check(("lets", key), value, _known(r, lets))
        if key == "out" and "in" in _expr(value).names():
            out.append(((*where, "lets", key), "'out' may not read 'in'", "write out as an expression of planes"))
        lets.append(key)
    if "out" not in lets:
        lets.append("out")
    roles: dict[str, int] = {}
    for i, step in enumerate(r.steps):
        for key in ("width", "groups", "hidden", "kernel"):
            if key != "kernel" or step.kind == "eca":
                check(("steps", i, key), getattr(step, key, None), _known(r, lets))
        if step.kind == "conv" and step.linear and step.kernel != 1:
            out.append(((*where, "steps", i, "linear"), "'linear' needs a 1x1 conv", "set kernel: 1 or drop linear"))
        if step.kind == "conv" and step.linear and (step.stride or step.depthwise or str(step.groups) != "1"):
            out.append(((*where, "steps", i, "linear"), "'linear' (nn.Linear / Dense on each position) cannot "
                        "stride or group", "take the stride on another conv step, or drop linear"))  # fmt: skip
        if step.kind == "conv" and step.depthwise and step.groups != 1:
            out.append(((*where, "steps", i, "groups"), "give 'depthwise' or 'groups', not both", "remove one"))
        role = _role(step, r.steps[:i])
        if role is not None and role in roles:
            out.append(((*where, "steps", i), f"role '{role}' is used by step {roles[role]} too", "rename one"))
        roles.setdefault(role, i)
    kinds = [s.kind for s in r.steps]
    if kinds.count("add") > 1 or kinds.count("branch") > 1:
        out.append(((*where, "steps"), "a block has one 'branch' and one 'add' at most", "remove the extra step"))
    if "conv" not in kinds:
        out.append(((*where, "steps"), "a block needs at least one conv step", "add a {kind: conv, …} step"))
    return out


def _role(step, before) -> str | None:
    if step.kind in ("branch", "add", "se", "eca"):
        return step.kind
    if step.role is not None:
        return step.role
    n = 1 + sum(1 for s in before if s.kind == step.kind and s.role is None)
    return f"{step.kind}{n}" if step.kind in ("conv", "norm", "act") else (step.kind if n == 1 else f"{step.kind}{n}")


def compile_recipe(r, norm: NormSpec | None, activation: str, shortcut: str, strided_identity: str) -> Recipe:
    """The :class:`Recipe` of ``r`` with the spec's defaults (``norm``: None when defaults.norm is none; the
    shortcut option and ``strided_identity``, which the recipe's :class:`Shortcut` carries as the plan reads them)."""
    lets = [(k, _expr(v)) for k, v in r.lets.items()]
    if "out" not in r.lets:
        lets.insert(0, ("out", var("planes")))
    shortcut = r.shortcut or shortcut
    steps, cur = [], var("in")
    for i, step in enumerate(r.steps):
        role = _role(step, r.steps[:i])
        if step.kind == "conv":
            width = cur if step.width is None else _expr(step.width)
            groups = cur if step.depthwise else _expr(step.groups)
            steps.append(Conv(role, step.kernel, width, step.stride, groups, None, step.bias, linear=step.linear))
            cur = width
        elif step.kind == "norm":
            n = step.norm
            spec = norm if n is None else NormSpec.of(n)
            if spec is not None:
                steps.append(Norm(role, spec, step.zero_init))
        elif step.kind == "act":
            steps.append(Act(role, step.fn or activation))
        elif step.kind == "se":
            steps.append(SqueezeExcite(_expr(step.hidden)))
        elif step.kind == "eca":
            steps.append(ECA(_expr(step.kernel), var("out")))
        elif step.kind == "layer_scale":
            steps.append(LayerScale(role, step.init))
        elif step.kind == "drop_path":
            steps.append(DropPath(role, step.rate))
        elif step.kind == "branch" and shortcut != "none":
            steps.append(Branch())
        elif step.kind == "add" and shortcut != "none":
            steps.append(Add())
    if shortcut != "none":
        if not any(isinstance(s, Branch) for s in steps):
            steps.insert(0, Branch())
        if not any(isinstance(s, Add) for s in steps):
            steps.append(Add())
    projection: tuple = ()
    if shortcut in ("B", "C"):
        projection = (Conv("down_conv", 1, var("out"), True),)
        if norm is not None and any(isinstance(s, Norm) for s in steps):
            projection += (Norm("down_bn", norm),)
    recipe = Recipe(tuple(lets), tuple(steps), Shortcut(shortcut, strided_identity, projection))
    return Recipe(recipe.lets, recipe.steps, recipe.shortcut, tuple(sorted(_params(recipe))))
