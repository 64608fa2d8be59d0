"""Pure functions of a :class:`~audit.table.Marginal`: numpy and scipy only."""

from audit.metrics.inference import Estimate, TestResult

__all__ = ["Estimate", "TestResult"]
