"""Mitigations that stay on the engine: reweighing and resampling, and their scikit-learn forms.

``Reweighing`` and ``Resampler`` (scikit-learn estimators) live in ``audit.mitigation.sklearn``
so that importing ``audit`` does not import scikit-learn.
"""

from audit.mitigation.resampling import CellPlan, ResamplingPlan, resampling_plan
from audit.mitigation.reweighing import CellWeight, ReweighingPlan, reweighing_plan

__all__ = [
    "CellPlan",
    "CellWeight",
    "ResamplingPlan",
    "ReweighingPlan",
    "resampling_plan",
    "reweighing_plan",
]
