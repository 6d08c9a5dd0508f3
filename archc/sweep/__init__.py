"""``archc sweep``: design spaces — variants of a base spec, compiled in worker processes, with Pareto fronts."""
