"""Mitigations that stay on the engine: reweighing and resampling, and their scikit-learn forms."""

from audit.mitigation.reweighing import CellWeight, ReweighingPlan, reweighing_plan

__all__ = ["CellWeight", "ReweighingPlan", "reweighing_plan"]
