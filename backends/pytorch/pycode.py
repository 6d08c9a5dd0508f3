"""Calls, signatures and classes laid out the way ``ruff format`` lays them out (the generated files are tested
to be ``ruff format`` clean)."""

from __future__ import annotations

from dataclasses import dataclass

from archc.backends.pyformat import LINE_LENGTH, wrap


def ordered(target: str, members: list[tuple[str, str]]) -> list[str]:
    """``<target> = nn.Sequential(OrderedDict(name=module, …))``, one member a line (as ruff format keeps it)."""
    return [f"{target} = nn.Sequential(", "    OrderedDict(", *(f"        {n}={m}," for n, m in members), "    )", ")"]


def reflow(line: str, indent: int) -> list[str]:
    """One statement line (``self.x = nn.Conv2d(…)``, at ``indent`` levels plus its own leading spaces),
    split at the top-level commas of its first call when it is too long."""
    lead = len(line) - len(line.lstrip())
    if 4 * indent + len(line) <= LINE_LENGTH or "(" not in line:
        return [line]
    start = line.index("(")
    depth, end = 0, len(line)
    args, last = [], start + 1
    for i in range(start, len(line)):
        depth += line[i] in "([{"
        depth -= line[i] in ")]}"
        if depth == 1 and line[i] == ",":
            args.append(line[last:i].strip())
            last = i + 1
        if depth == 0:
            end = i
            break
    args.append(line[last:end].strip())
    pad = " " * lead
    lines = [pad + ln for ln in wrap(line[lead : start + 1], args, line[end:], indent + lead // 4)]
    if len(lines) == 1:
        return lines
    return [out for ln in lines for out in reflow(ln, indent)]  # an argument that is a long call of its own


@dataclass
class ClassView:
    """A class of the generated file: its docstring's lines, class attributes and methods (each method's lines,
    relative to the class body)."""

    name: str
    doc: list[str]
    attributes: list[str]
    methods: list[list[str]]


def block_view(name: str, doc: str | list[str], signature: list[str], init: list[str], forward: list[str],
               attributes: list[str] | None = None) -> ClassView:  # fmt: skip
    """A block class: its ``__init__(self, <signature>)`` and ``forward``."""
    return ClassView(name, [doc] if isinstance(doc, str) else doc, attributes or [], [
        [*wrap("def __init__(", ["self", *signature], ") -> None:", 1), *indent(["super().__init__()", *init])],
        forward_method(forward),
    ])  # fmt: skip


def model_view(c, name: str, init: list[str], forward: list[str], builders: list[list[str]] | None = None,
               extra: str = "") -> ClassView:  # fmt: skip
    """The model class of every layout, for the compiled spec ``c``: ``__init__(self, num_classes=…[, extra])``
    with the ``init`` lines, the ``builders`` (``_make_layer``, ``_make_stage``: lines relative to the class
    body), ``forward`` (returning a list of tensors where the model returns several, ``features_only``)."""
    head = f"def __init__(self, num_classes: int = {c.spec.head.classes}{extra}) -> None:"
    methods = [[head, *indent(["super().__init__()", *init])], *(builders or [])]
    features = len(c.graph.graph["outputs"]) > 1
    return ClassView(name, [title(c.spec)], [], [*methods, forward_method(forward, features)])


def forward_method(body: list[str], features: bool = False) -> list[str]:
    """``forward(self, x)``: a list of tensors where ``features`` (the model returns several)."""
    returns = "list[torch.Tensor]" if features else "torch.Tensor"
    return [f"def forward(self, x: torch.Tensor) -> {returns}:", *indent(body)]


def indent(body: list[str]) -> list[str]:
    """A method's body lines, indented one level and reflowed to the line length."""
    return [ln for line in body for ln in reflow("    " + line, 1)]


def title(spec) -> str:
    """The spec's name and description as one docstring line (no backslash, no triple quote, a final period)."""
    text = f"{spec.name}: {spec.description}" if spec.description else spec.name
    text = " ".join(text.split()).replace("\\", "/").replace('"""', "'''")
    return text + "." if text.endswith('"') or not text.endswith(".") else text
