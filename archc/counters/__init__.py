"""What torch's FlopCounterMode, fvcore, ptflops and thop print for the generated PyTorch model, from the IR.

- :mod:`archc.counters.rules`: each tool's rule per op kind, as data (read from the tools' source);
- :mod:`archc.counters.terms`: the op quantities the rules multiply;
- :mod:`archc.counters.count`: the figures of a compiled IR (no framework imported);
- :mod:`archc.counters.render`: the ``archc cost --counters`` tables.
"""
