"""Calls and signatures laid out the way ``ruff format`` lays them out (the generated files are tested to
be ``ruff format`` clean)."""

from __future__ import annotations

LINE_LENGTH = 120  # the project's ruff line length (pyproject.toml)


def ordered(target: str, members: list[tuple[str, str]]) -> list[str]:
    """``<target> = nn.Sequential(OrderedDict(name=module, …))``, one member a line (as ruff format keeps it)."""
    return [f"{target} = nn.Sequential(", "    OrderedDict(", *(f"        {n}={m}," for n, m in members), "    )", ")"]


def wrap(head: str, args: list[str], tail: str, indent: int) -> list[str]:
    """``head + args + tail`` as lines relative to ``indent`` levels: one line if it fits, else the
    arguments on one line of their own, else one per line with a trailing comma."""
    pad = 4 * indent
    one = f"{head}{', '.join(args)}{tail}"
    if pad + len(one) <= LINE_LENGTH:
        return [one]
    hugged = "    " + ", ".join(args)
    if pad + len(hugged) <= LINE_LENGTH:
        return [head, hugged, tail]
    return [head, *(f"    {a}," for a in args), tail]


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
