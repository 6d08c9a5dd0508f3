"""Width expressions: the small arithmetic a block recipe writes its widths, groups and SE sizes in.

``int(planes * (base_width / 64.0)) * groups``, ``planes * expansion``, ``max(1, out // reduction)``,
``make_divisible(out / reduction, 8)``: parsed once into a tree (:class:`Expr`, frozen and serialisable as
its text), never ``eval``'ed. Three readers walk the tree: :meth:`Expr.value` computes it for one block (with
Python's own int / float semantics, so the figure is what the printed code computes), :func:`simplify`
substitutes a backend's bindings (a parameter's name in the generated code, or a constant) and folds what
is a no-op (``* 1``, ``* 1.0``, ``int`` of an int), and :meth:`Expr.text` prints it back with the fewest
parentheses. The functions an expression may call are the rules of :mod:`archc.ir.rules`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from archc.ir import rules

FUNCTIONS = {"int": int, "round": round, "max": max, "make_divisible": rules.make_divisible,
             "eca_kernel_size": rules.eca_kernel_size}  # fmt: skip
FLOAT_PARAMS = {"bottleneck_ratio"}  # every other parameter is an int (a channel count, a group count)
_TOKEN = re.compile(r"\s*(?:(\d+\.\d*|\d+)|([A-Za-z_][A-Za-z_0-9]*)|(//|[-+*/(),=]))")
_PREC = {"+": 1, "-": 1, "*": 2, "/": 2, "//": 2}


class ExprError(ValueError):
    pass


@dataclass(frozen=True)
class Expr:
    """``op``: "num" (args: the number), "var" (the name), "call" (name, arguments), "kw" (name, value:
    a keyword argument) or a binary operator ("+", "-", "*", "/", "//"; args: left, right)."""

    op: str
    args: tuple = ()

    def __str__(self) -> str:
        return self.text()

    @property
    def is_int(self) -> bool:
        """Whether the expression is an int for int-valued parameters (what ``int(…)`` may drop)."""
        if self.op == "num":
            return isinstance(self.args[0], int)
        if self.op == "var":
            return self.args[0].split(".")[-1] not in FLOAT_PARAMS  # ``self.bottleneck_ratio`` is a float too
        if self.op == "call":  # (``int(round(x))`` stays as the references write it)
            return self.args[0] in ("int", "make_divisible", "eca_kernel_size") or (
                self.args[0] == "max" and all(a.is_int for a in self.args[1:])
            )
        return self.op != "/" and all(a.is_int for a in self.args)

    def names(self) -> set[str]:
        if self.op == "var":
            return {self.args[0]}
        return {n for a in self.args if isinstance(a, Expr) for n in a.names()}

    def calls(self) -> set[str]:
        """The functions the expression calls (``make_divisible``, ``eca_kernel_size``, ``int``, …)."""
        inner = {n for a in self.args if isinstance(a, Expr) for n in a.calls()}
        return inner | ({self.args[0]} if self.op == "call" else set())

    def value(self, env: dict[str, int | float]):
        """The expression's value for the parameters ``env`` (Python's arithmetic, as the printed code's)."""
        op, a = self.op, self.args
        if op == "num":
            return a[0]
        if op == "var":
            return env[a[0]]
        if op == "call":
            args = [x.value(env) for x in a[1:] if x.op != "kw"]
            kwargs = {x.args[0]: x.args[1].value(env) for x in a[1:] if x.op == "kw"}
            return FUNCTIONS[a[0]](*args, **kwargs)
        left, right = a[0].value(env), a[1].value(env)
        return (
            {"+": left + right, "-": left - right, "*": left * right}.get(op)
            if op in "+-*"
            else (left / right if op == "/" else left // right)
        )

    def text(self) -> str:
        op, a = self.op, self.args
        if op == "num":
            return repr(a[0])
        if op == "var":
            return a[0]
        if op == "kw":
            return f"{a[0]}={a[1].text()}"
        if op == "call":
            return f"{a[0]}({', '.join(x.text() for x in a[1:])})"
        left, right = a
        if op == "*" and right.op == "num" and isinstance(right.args[0], int) and left.op == "var":
            left, right = right, left  # ``4 * filters``: a count first, as keras.applications writes it
        lt = left.text() if _prec(left) >= _PREC[op] else f"({left.text()})"
        rt = right.text() if _prec(right) > _PREC[op] else f"({right.text()})"
        return f"{lt} {op} {rt}"


def _prec(e: Expr) -> int:
    return _PREC.get(e.op, 3)


def num(value) -> Expr:
    return Expr("num", (value,))


def var(name: str) -> Expr:
    return Expr("var", (name,))


def parse(text: str) -> Expr:
    """The tree of ``text``; :class:`ExprError` for anything but numbers, names, + - * / //, calls."""
    tokens, pos = [], 0
    while pos < len(text.rstrip()):
        m = _TOKEN.match(text, pos)
        if not m:
            raise ExprError(f"cannot read {text[pos:]!r} in {text!r}")
        tokens.append(m.groups())
        pos = m.end()
    p = _Parser(tokens, text)
    e = p.expr()
    if p.i != len(tokens):
        raise ExprError(f"unexpected {tokens[p.i]} in {text!r}")
    return e


class _Parser:
    def __init__(self, tokens: list, text: str):
        self.tokens, self.text, self.i = tokens, text, 0

    def peek(self) -> str | None:
        return self.tokens[self.i][2] if self.i < len(self.tokens) else None

    def take(self, sym: str) -> None:
        if self.peek() != sym:
            raise ExprError(f"expected {sym!r} in {self.text!r}")
        self.i += 1

    def expr(self, level: int = 1) -> Expr:
        left = self.atom() if level > 2 else self.expr(level + 1)
        while level <= 2 and self.peek() in _PREC and _PREC[self.peek()] == level:
            op = self.peek()
            self.i += 1
            left = Expr(op, (left, self.expr(level + 1)))
        return left

    def atom(self) -> Expr:
        if self.i >= len(self.tokens):
            raise ExprError(f"unexpected end of {self.text!r}")
        number, name, sym = self.tokens[self.i]
        self.i += 1
        if number:
            return num(float(number) if "." in number else int(number))
        if sym == "(":
            e = self.expr()
            self.take(")")
            return e
        if name is None:
            raise ExprError(f"unexpected {sym!r} in {self.text!r}")
        if self.peek() != "(":
            return var(name)
        if name not in FUNCTIONS:
            raise ExprError(f"unknown function {name!r} in {self.text!r} (known: {', '.join(FUNCTIONS)})")
        self.take("(")
        args = []
        while self.peek() != ")":
            if self.i + 1 < len(self.tokens) and self.tokens[self.i + 1][2] == "=":
                key = self.tokens[self.i][1]
                self.i += 2
                args.append(Expr("kw", (key, self.expr())))
            else:
                args.append(self.expr())
            if self.peek() == ",":
                self.i += 1
        self.take(")")
        return Expr("call", (name, *args))


def simplify(e: Expr, bind: dict[str, object]) -> Expr:
    """``e`` with each bound name replaced (a ``str``: the name the generated code uses; a number: a
    constant; an :class:`Expr`), constants folded and no-op arithmetic dropped (``x * 1.0`` → ``x``)."""
    op, a = e.op, e.args
    if op == "num":
        return e
    if op == "var":
        b = bind.get(a[0], a[0])
        return b if isinstance(b, Expr) else var(b) if isinstance(b, str) else num(b)
    if op == "kw":
        return Expr("kw", (a[0], simplify(a[1], bind)))
    if op == "call":
        args = tuple(simplify(x, bind) for x in a[1:])
        if a[0] in ("int", "round") and len(args) == 1 and args[0].is_int:
            return args[0]
        return Expr("call", (a[0], *args))
    left, right = simplify(a[0], bind), simplify(a[1], bind)
    if left.op == "num" and right.op == "num":
        value = Expr(op, (left, right)).value({})
        if op != "/" or value == int(value) or isinstance(value, float):
            return num(value)
    if op in ("*", "/", "//") and right.op == "num" and right.args[0] == 1:
        return left
    if op == "*" and left.op == "num" and left.args[0] == 1:
        return right
    return Expr(op, (left, right))
