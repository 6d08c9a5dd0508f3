"""Reports derived from a compiled IR, as data and as text.

- :mod:`~archc.reports.summary`: totals, per-stage and per-layer rows (the ``cost --json`` contract);
- :mod:`~archc.reports.text`: number formats and aligned plain-text tables;
- :mod:`~archc.reports.comparison` / :mod:`~archc.reports.comparison_text`: ``archc compare``;
- :mod:`~archc.reports.table1` / :mod:`~archc.reports.table1_text`: ``archc table`` (the paper's Table 1);
- :mod:`~archc.reports.plot`: ``archc compare --plot`` (matplotlib, imported only there).
"""
