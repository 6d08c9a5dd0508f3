"""Where archc meets PyTorch and Keras (imported only by ``archc verify`` / ``convert`` and their API twins):

- :mod:`~archc.frameworks.generated`: a spec's generated code executed as an in-memory module;
- :mod:`~archc.frameworks.verify`: instantiate it and check params, MACs and shapes against the IR;
- :mod:`~archc.frameworks.convert`: copy weights between the PyTorch and Keras models of one spec.
"""
