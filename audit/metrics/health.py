"""The results of the data-health checks (:mod:`audit.health`): missing values by group,
associations of features with the sensitive attributes and the label, reconstruction AUCs,
suspect labels by group, and all of them together. Frozen dataclasses, no engine."""

from __future__ import annotations

import math
from dataclasses import dataclass

from audit.exceptions import ConfigError
from audit.metrics.association import Association
from audit.metrics.inference import Estimate, TestResult
from audit.spec import MISSING_LABEL

__all__ = [
    "DataHealth",
    "FeatureAssociation",
    "FeatureMissing",
    "GroupLabels",
    "GroupMissing",
    "LabelQuality",
    "Missingness",
    "Proxies",
    "Reconstruction",
]


@dataclass(frozen=True)
class GroupMissing:
    """One group's rows and how many of them miss the feature."""

    key: tuple[str, ...]
    name: str
    n: int
    missing: int
    rate: Estimate  # missing / n, Wilson interval
    ratio: Estimate  # rate / the reference group's rate, Katz interval


@dataclass(frozen=True)
class FeatureMissing:
    """A feature's missing rate by the groups of one attribute or pair of attributes."""

    feature: str
    attributes: tuple[str, ...]
    reference: tuple[str, ...] | None  # the group the ratios compare with
    groups: tuple[GroupMissing, ...]
    test: TestResult  # groups x (present, missing), p_value_holm over the features

    @property
    def name(self) -> str:
        return " & ".join(self.attributes)

    @property
    def spread(self) -> float:
        """The highest group rate over the lowest (inf when the lowest is 0 and another is
        not; NaN when the feature is never missing)."""
        rates = [g.rate.value for g in self.groups if g.n > 0 and MISSING_LABEL not in g.key]
        if not rates or max(rates) == 0:
            return math.nan
        return max(rates) / min(rates) if min(rates) > 0 else math.inf


@dataclass(frozen=True)
class Missingness:
    """Every feature's missingness by group (see :func:`missingness`)."""

    features: tuple[str, ...]
    n_rows: int
    tables: tuple[FeatureMissing, ...]
    # (feature, attribute, groups): a feature that varies overall but takes one value in
    # each of these groups of the attribute (so it says nothing about their rows)
    constant: tuple[tuple[str, str, tuple[str, ...]], ...] = ()
    skipped: tuple[tuple[str, str], ...] = ()  # (feature, reason): columns left out

    def table(self, feature: str, *attributes: str) -> FeatureMissing:
        for t in self.tables:
            if t.feature == feature and set(t.attributes) == set(attributes):
                return t
        raise ConfigError(
            f"No missingness table for feature '{feature}' by {list(attributes)}. Hint: see "
            ".features and each table's attributes."
        )

    def largest(self, count: int = 5) -> list[FeatureMissing]:
        """The tables of single attributes whose missing rates differ most between groups
        (significant after Holm at 5 %), largest ratio first."""
        found = [
            t
            for t in self.tables
            if len(t.attributes) == 1
            and not math.isnan(t.spread)
            and t.test.p_value_holm < 0.05  # NaN compares False: untested tables are left out
        ]
        return sorted(found, key=lambda t: -t.spread)[:count]


@dataclass(frozen=True)
class FeatureAssociation:
    """One feature against one target (a sensitive attribute or the label)."""

    feature: str
    target: str
    kind: str  # "sensitive" or "label"
    association: Association
    levels: int  # of the feature in the table (deciles, values, and missing)
    edges: tuple[float, ...] | None  # the decile edges of a numeric feature
    flag: str | None  # "proxy" or "check for target leakage" when V reaches the threshold


@dataclass(frozen=True)
class Proxies:
    """Every feature's association with every target (see :func:`proxies`)."""

    features: tuple[str, ...]
    strong: float
    items: tuple[FeatureAssociation, ...]
    skipped: tuple[tuple[str, str], ...]  # (feature, reason)

    def of(self, feature: str, target: str) -> FeatureAssociation:
        for item in self.items:
            if item.feature == feature and item.target == target:
                return item
        raise ConfigError(
            f"No association of '{feature}' with '{target}'. Hint: see .features and .skipped."
        )

    def flagged(self) -> list[FeatureAssociation]:
        """The pairs at or above the threshold, strongest first."""
        found = [i for i in self.items if i.flag is not None]
        return sorted(found, key=lambda i: -i.association.cramers_v)


@dataclass(frozen=True)
class Reconstruction:
    """Cross-validated AUCs of predicting ``target`` (a sensitive attribute or the label):
    ``by_feature`` from each feature alone, ``together`` from all of them; NaN with a
    ``reason`` when it cannot be computed."""

    target: str
    kind: str  # "sensitive" or "label"
    rows: int  # of the sample used
    left_out: int  # rows of groups too small for the folds
    by_feature: tuple[tuple[str, float], ...]
    together: float
    flags: tuple[tuple[str, str], ...]  # (feature, "check for target leakage")
    reason: str | None = None


@dataclass(frozen=True)
class GroupLabels:
    """One group's labelled rows in the sample and how many look mislabelled."""

    key: str
    n: int
    suspect: Estimate  # share of rows whose label looks wrong
    ratio: Estimate  # that share over the reference group's
    favourable_as_unfavourable: int  # labelled unfavourable, the model says favourable
    unfavourable_as_favourable: int


@dataclass(frozen=True)
class LabelQuality:
    """Suspect labels by the groups of one sensitive attribute."""

    attribute: str
    reference: str | None
    rows: int
    groups: tuple[GroupLabels, ...]


@dataclass(frozen=True)
class DataHealth:
    """Every data-health measurement of one audit (:mod:`audit.health`)."""

    features: tuple[str, ...]
    missingness: Missingness
    proxies: Proxies
    reconstruction: tuple[Reconstruction, ...]
    label_quality: tuple[LabelQuality, ...]
    sample_rows: int  # rows of the sample the models were fitted on (0: none drawn)
    folds: int
    notes: tuple[str, ...]  # parts not computed, and why

    def reconstruction_for(self, target: str) -> Reconstruction | None:
        """The reconstruction of one sensitive attribute or of the label, if computed."""
        return next((r for r in self.reconstruction if r.target == target), None)

    def associations(self, target: str) -> list[AssociationRow]:
        """Each feature against ``target`` (a sensitive attribute or the label): its
        association (None when left out) and its AUC alone (NaN when not computed), the
        strongest Cramér's V first."""
        rebuilt = self.reconstruction_for(target)
        auc = dict(rebuilt.by_feature) if rebuilt is not None else {}
        found = {i.feature: i for i in self.proxies.items if i.target == target}
        rows = [(f, found.get(f), auc.get(f, math.nan)) for f in self.proxies.features]
        return sorted(rows, key=lambda r: -_strength(r[1]))

    def proxy_rows(self, target: str, limit: int) -> list[ProxyRow]:
        """The ``limit`` strongest features against ``target`` that were measured: feature,
        association, AUC alone and flags (proxy or leakage by V, leakage by AUC)."""
        rebuilt = self.reconstruction_for(target)
        leaks = dict(rebuilt.flags) if rebuilt is not None else {}
        out = []
        for feature, item, auc in self.associations(target)[:limit]:
            if item is not None:
                flags = tuple(x for x in (item.flag, leaks.get(feature)) if x)
                out.append((feature, item.association, auc, flags))
        return out


AssociationRow = tuple[str, "FeatureAssociation | None", float]
ProxyRow = tuple[str, Association, float, tuple[str, ...]]


def _strength(item: FeatureAssociation | None) -> float:
    if item is None or math.isnan(item.association.cramers_v):
        return -1.0
    return item.association.cramers_v
