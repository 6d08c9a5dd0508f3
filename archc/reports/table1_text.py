"""Markdown and LaTeX text of a :class:`~archc.reports.table1.Table1` (``archc table``)."""

from __future__ import annotations

import re

from archc.reports.table1 import Block, Flops, Part, Row, Table1, sci_text

# ---- markdown ---------------------------------------------------------------------------------------------


def md_part(part: Part) -> str:
    if isinstance(part, Block):
        inner = "; ".join(part.conv_texts())
        return f"[{inner}] ×{part.repeat}"
    if isinstance(part, Flops):
        ours = sci_text(part.mantissa, part.exponent)
        return f"{ours} (paper: {part.paper})" if part.paper else ours
    return part


def to_markdown(table: Table1) -> str:
    header = ["layer name", "output size", *table.columns]
    lines = ["| " + " | ".join(header) + " |", "|---|---|" + "---|" * len(table.columns)]
    for row in table.rows:
        cells = ["; ".join(md_part(p) for p in parts) for parts in row.cells]
        lines.append("| " + " | ".join([row.name, row.size, *cells]) + " |")
    notes = [f"{i}. {note}" for i, note in enumerate(table.notes, 1)]
    return "\n".join(lines) + "\n\n" + "\n".join(notes)


# ---- LaTeX ------------------------------------------------------------------------------------------------

_LATEX_SPECIAL = {"&": r"\&", "%": r"\%", "_": r"\_", "#": r"\#", "$": r"\$", "{": r"\{", "}": r"\}"}
_SUPERSCRIPTS = dict(zip("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-"))


def latex_text(text: str) -> str:
    text = "".join(_LATEX_SPECIAL.get(ch, ch) for ch in text)
    text = re.sub(r"×10([⁰¹²³⁴⁵⁶⁷⁸⁹⁻]+)", lambda m: rf"$\times10^{{{''.join(_SUPERSCRIPTS[c] for c in m[1])}}}$", text)
    text = text.replace("×", r"$\times$").replace("–", "--").replace("—", "---")
    return text.replace("`", "")


def tex_part(part: Part) -> str:
    if isinstance(part, Block):
        lines = r" \\ ".join(part.conv_texts(r"\times"))
        return rf"$\left[\begin{{array}}{{c}} {lines} \end{{array}}\right]\times{part.repeat}$"
    return latex_text(md_part(part))


def _tex_row(row: Row) -> str:
    cells = [
        r"\shortstack{" + r" \\ ".join(tex_part(p) for p in parts) + "}" if len(parts) > 1 else tex_part(parts[0])
        for parts in row.cells
    ]
    return " & ".join([latex_text(row.name), latex_text(row.size), *cells]) + r" \\"


def to_latex(table: Table1) -> str:
    header = ["layer name", "output size", *table.columns]
    lines = [
        r"\begin{tabular}{ll" + "c" * len(table.columns) + "}",
        r"\hline",
        " & ".join(latex_text(h) for h in header) + r" \\",
        r"\hline",
        *(_tex_row(row) for row in table.rows),
        r"\hline",
        r"\end{tabular}",
    ]
    notes = [rf"\par\footnotesize {i}. {latex_text(note)}" for i, note in enumerate(table.notes, 1)]
    return "\n".join(lines + notes)
