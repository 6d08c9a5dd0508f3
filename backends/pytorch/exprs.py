"""Integer expressions over a block's constructor parameters, and the resolver that finds them.

A block class is printed once for many blocks (instances). Every size in it (channels, strides, paddings
of the shortcut) is an :class:`Expr` over the class's parameters (``in_channels``, ``width``, ``stride``):
the resolver tries a short list of candidate expressions and keeps the first one that gives the IR's value
for *every* instance, so the printed class is right for each block built from it. Nothing is ever eval'ed:
an expression is its text plus a Python function computing the same value.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from archc.diagnostics import Unsupported

Env = dict[str, int]


class EmitError(Unsupported, ValueError):
    """The PyTorch backend cannot express this IR (a new op or block shape needs a printer)."""


@dataclass(frozen=True)
class Expr:
    text: str
    fn: Callable[[Env], int]
    atomic: bool = True  # a name or a literal: needs no parentheses inside another expression
    constant: bool = False
    additive: bool = False  # a top-level + or -: needs parentheses after a minus

    def value(self, env: Env) -> int:
        return self.fn(env)

    def wrapped(self) -> str:
        return self.text if self.atomic else f"({self.text})"


def const(v: int) -> Expr:
    return Expr(str(v), lambda env: v, constant=True)


def param(name: str) -> Expr:
    return Expr(name, lambda env: env[name])


def times(e: Expr, k: int) -> Expr:
    return e if k == 1 else Expr(f"{e.wrapped()} * {k}", lambda env: e.value(env) * k, atomic=False)


def floordiv(e: Expr, k: int) -> Expr:
    return e if k == 1 else Expr(f"{e.wrapped()} // {k}", lambda env: e.value(env) // k, atomic=False)


def minus(a: Expr, b: Expr) -> Expr:
    right = f"({b.text})" if b.additive else b.text
    return Expr(f"{a.text} - {right}", lambda env: a.value(env) - b.value(env), atomic=False, additive=True)


def half_of(e: Expr) -> Expr:
    return Expr(f"{e.wrapped()} // 2", lambda env: e.value(env) // 2, atomic=False)


def scaled(bases: list[Expr], values: dict[int, int], envs: list[Env]) -> Expr | None:
    """The first of ``base``, ``base * k``, ``base // k`` (over ``bases``) that matches every instance."""
    first = next(iter(values))
    for allow_scale in (False, True):
        for base in bases:
            b0 = base.value(envs[first])
            if b0 <= 0:
                continue
            options = [base]
            if allow_scale:
                v0 = values[first]
                if v0 % b0 == 0:
                    options.append(times(base, v0 // b0))
                if v0 and b0 % v0 == 0:
                    options.append(floordiv(base, b0 // v0))
            for e in options:
                if all(e.value(envs[i]) == v for i, v in values.items()):
                    return e
    return None


class Resolver:
    """Finds expressions for one class; ``envs`` (one per instance) grow as new parameters appear."""

    def __init__(self, envs: list[Env], fixed: bool = False):
        self.envs = envs
        self.fixed = fixed  # model level: one instance, everything literal
        self.params: list[str] = list(envs[0]) if envs else []

    def matches(self, e: Expr, values: dict[int, int]) -> bool:
        return all(e.value(self.envs[i]) == v for i, v in values.items())

    def literal(self, values: dict[int, int]) -> Expr | None:
        distinct = set(values.values())
        return const(distinct.pop()) if len(distinct) == 1 else None

    def channels(self, values: dict[int, int], *, defines_width: bool) -> Expr:
        """Output channels of a channel-defining op (conv, linear, pad): a parameter expression."""
        if self.fixed:
            return const(next(iter(values.values())))
        if defines_width and "width" not in self.params:
            return self.new_param("width", values)
        names = dict.fromkeys(p for p in ("width", "in_channels", *self.params) if p in self.params and p != "stride")
        found = scaled([param(p) for p in names], values, self.envs)
        if found is not None:
            return found
        return self.new_param(f"channels{len(self.params)}", values)

    def new_param(self, name: str, values: dict[int, int]) -> Expr:
        if len(values) != len(self.envs):
            raise EmitError(f"parameter {name!r} is only defined for some blocks of a class")
        for i, v in values.items():
            self.envs[i][name] = v
        self.params.append(name)
        return param(name)

    def size(self, values: dict[int, int], candidates: list[Expr], what: str) -> Expr:
        """A non-channel size (stride, groups, padding amount): 1 stays literal; otherwise the first
        matching candidate (``stride``), else the literal when every instance agrees."""
        lit = self.literal(values)
        if lit is not None and lit.text == "1":
            return lit
        for e in candidates:
            if self.matches(e, values):
                return e
        if lit is not None:
            return lit
        raise EmitError(f"no expression over {self.params} gives the {what} values {sorted(set(values.values()))}")

    def predicate(self, present: list[bool], candidates: list[tuple[str, Callable[[Env], bool]]]) -> str | None:
        """The condition under which an optional part exists (``None``: always)."""
        if all(present):
            return None
        for text, fn in candidates:
            if all(fn(env) == p for env, p in zip(self.envs, present)):
                return text
        raise EmitError("cannot express when the block's shortcut branch is present")
