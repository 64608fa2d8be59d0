"""The results of an audit's outcome analyses beyond the favourable split: per-class rates of
a multi-class label, the distributions of a continuous label, SageMaker Clarify's
pre-training label metrics, and disparities stratified by a legitimate factor. Plain frozen
dataclasses (written to JSON by :mod:`audit._serde`); computed in :mod:`audit.label_analysis`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from audit.metrics.conditional import Stratified
from audit.metrics.inference import Estimate, TestResult
from audit.metrics.labels import ClarifyLabels

__all__ = [
    "ClarifyAttribute",
    "ClarifyFacet",
    "ClassDimension",
    "ClassGroup",
    "ContinuousDimension",
    "ContinuousGroup",
    "Outcomes",
    "StratifiedAttribute",
    "StratifiedGroup",
]


@dataclass(frozen=True)
class ClassGroup:
    """One group's rate of each label class against the reference group's."""

    name: str
    n: int  # labelled rows
    rates: tuple[Estimate, ...]  # one per class, Wilson
    ratios: tuple[Estimate, ...]  # disparate impact per class, Katz
    differences: tuple[Estimate, ...]  # parity difference per class, Newcombe
    tvd: Estimate  # total variation distance from the reference's distribution
    is_reference: bool


@dataclass(frozen=True)
class ClassDimension:
    """An attribute (or intersection): every group's class rates, and the chi-square test
    of homogeneity of the groups' label distributions (Holm across the dimensions)."""

    _serde_columns: ClassVar[tuple[str, ...]] = ("groups",)

    name: str
    reference: str | None
    groups: tuple[ClassGroup, ...]
    homogeneity: TestResult


@dataclass(frozen=True)
class ContinuousGroup:
    """One group's values of a continuous label, and how they differ from the reference's."""

    name: str
    n: int  # labelled rows
    mean: Estimate  # t interval
    median: Estimate  # exact order-statistic interval (bin edges from a histogram)
    mean_difference: Estimate  # group minus reference, Welch interval
    mean_ratio: Estimate  # group over reference, delta-method interval of the log
    ks: float  # two-sample Kolmogorov-Smirnov statistic against the reference
    ks_p_value: float
    wasserstein: float  # Wasserstein-1 distance from the reference, in the label's units
    is_reference: bool
    reason: str | None = None  # why ks / wasserstein are NaN


@dataclass(frozen=True)
class ContinuousDimension:
    _serde_columns: ClassVar[tuple[str, ...]] = ("groups",)

    name: str
    reference: str | None
    groups: tuple[ContinuousGroup, ...]


@dataclass(frozen=True)
class ClarifyFacet:
    """One facet value (a group) against the rest of the data, as SageMaker Clarify compares."""

    group: str
    metrics: ClarifyLabels
    cddl: float  # conditional demographic disparity in labels (NaN without strata)
    cdd_strata_left_out: int


@dataclass(frozen=True)
class ClarifyAttribute:
    _serde_columns: ClassVar[tuple[str, ...]] = ("facets",)

    attribute: str
    facets: tuple[ClarifyFacet, ...]


@dataclass(frozen=True)
class StratifiedGroup:
    """One group of an attribute within the strata."""

    name: str
    against_reference: Stratified | None  # None for the reference group itself
    conditional_demographic_disparity: float  # Clarify's CDDL of the group against the rest
    cdd_strata_used: int
    cdd_strata_left_out: int  # strata without one of the outcomes


@dataclass(frozen=True)
class StratifiedAttribute:
    _serde_columns: ClassVar[tuple[str, ...]] = ("groups",)

    attribute: str
    strata: str
    n_strata: int
    reference: str | None
    groups: tuple[StratifiedGroup, ...]


@dataclass(frozen=True)
class Outcomes:
    """The label's kind and the analyses it allows.

    ``kind`` is ``"binary"``, ``"multiclass"`` or ``"continuous"``. ``classes`` are the label
    classes the Clarify metrics and the per-class rates count (a continuous label's two
    sides of its threshold). For a continuous label, ``median`` is the overall median, the
    audit's favourable split is "above the median" unless a threshold was given (the scoring
    rate of New York City's Local Law 144, whose impact ratio is the disparate impact against
    the highest-rated group), and ``exact`` says whether KS, Wasserstein and the medians come
    from every value or from a histogram, ``bound_ks`` and ``bound_wasserstein`` how far the
    latter may be from the exact values.
    """

    kind: str
    classes: tuple[str, ...]
    multiclass: tuple[ClassDimension, ...] | None = None
    continuous: tuple[ContinuousDimension, ...] | None = None
    median: float | None = None
    exact: bool = True
    bound_ks: float = 0.0
    bound_wasserstein: float = 0.0
    clarify: tuple[ClarifyAttribute, ...] | None = None
    stratified: tuple[StratifiedAttribute, ...] | None = None
