"""``archc sweep``: design spaces — variants of a base spec, costed in worker processes, measured locally or on
Ray, logged so that a sweep resumes, with Pareto fronts.

``archc.sweep`` is also the Python API's function (:func:`archc.api.sweep`); where this package was imported
first and holds the name, calling it calls that function.
"""

import sys
import types


class _Package(types.ModuleType):
    def __call__(self, *args, **kwargs):
        from archc.api import sweep

        return sweep(*args, **kwargs)


sys.modules[__name__].__class__ = _Package
