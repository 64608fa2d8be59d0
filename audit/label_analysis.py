"""The outcome analyses of an audit beyond the favourable split, from its grouped count (and,
for a continuous label, two more grouped queries): per-class rates of a multi-class label,
the distributions of a continuous one (:mod:`audit.continuous_label`), SageMaker Clarify's
pre-training label metrics of each group against the rest, and, with ``strata``, the
disparities conditioned on a legitimate factor (:mod:`audit.strata`)."""

from __future__ import annotations

import math
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from audit.data import Dataset
from audit.exceptions import ConfigError
from audit.metrics.inference import holm, z_value
from audit.metrics.label_kinds import (
    ClarifyAttribute,
    ClarifyFacet,
    ClassDimension,
    ClassGroup,
    Outcomes,
)
from audit.metrics.labels import clarify_labels
from audit.metrics.multiclass import class_rates
from audit.result import AuditResult
from audit.spec import MISSING_LABEL, AuditSpec
from audit.table import CrossTab

if TYPE_CHECKING:
    from audit.continuous_label import LabelSummary

__all__ = ["favourable_words", "label_kind", "outcome_analysis"]


def label_kind(spec: AuditSpec, ct: CrossTab) -> str:
    """``"continuous"``, ``"multiclass"`` or ``"binary"``: the spec's, else what the count
    shows (a label of more than two classes without a favourable value is multi-class)."""
    if spec.label_type is not None:
        return spec.label_type
    return "multiclass" if not ct.favorable_values else "binary"


def outcome_analysis(
    ct: CrossTab,
    result: AuditResult,
    dataset: Dataset | None = None,
    continuous: LabelSummary | None = None,
) -> Outcomes | None:
    """Every analysis the label allows: from the count alone, or with ``dataset`` also the
    stratified disparities (``spec.strata``) and a continuous label's distributions
    (``continuous``: its summary from :func:`audit.continuous_label.as_continuous`). None
    for a count without label classes (a differentially private one)."""
    if ct.label_class is None:
        return None
    spec = result.spec
    z = z_value(spec.confidence_level)
    kind = label_kind(spec, ct)
    stratified, cdd_rows = None, None
    if dataset is not None and spec.strata is not None:
        if not ct.favorable_values:
            raise ConfigError(
                f"strata='{spec.strata}' compares favourable rates within strata, and a "
                "multi-class label has no favourable value. Hint: give favorable=[...] (CLI "
                "-f) for the classes that are the favourable outcome, or leave strata out."
            )
        from audit.strata import stratified_with_rows

        stratified, cdd_rows = stratified_with_rows(dataset, spec, spec.strata)
    done = result.outcomes  # the count-only analyses, when audit_crosstab made them
    clarify = _clarify(ct, result, cdd_rows)
    if done is not None and done.kind == kind:
        out = replace(done, stratified=stratified, clarify=clarify)
    else:
        out = Outcomes(
            kind=kind,
            classes=ct.classes,
            multiclass=_multiclass(ct, result, z) if kind == "multiclass" else None,
            clarify=clarify,
            stratified=stratified,
        )
    if dataset is not None and continuous is not None:
        from audit.continuous_label import continuous_dimensions

        dims, exact, bound_ks, bound_w = continuous_dimensions(
            dataset, spec, ct, result, continuous, z
        )
        out = replace(
            out,
            continuous=dims,
            median=continuous.median,
            exact=exact,
            bound_ks=bound_ks,
            bound_wasserstein=bound_w,
        )
    return out


def _effective(ct: CrossTab, dims: list[int]) -> np.ndarray:
    """The (group, class) table in effective rows: each group's weights scaled to its Kish
    effective n (the rows themselves when unweighted)."""
    _, w, w2 = ct.class_table(dims)
    total, total2 = w.sum(axis=1, keepdims=True), w2.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        scale = np.where(total2 > 0, total / total2, 0.0)
    return np.asarray(w * scale, dtype=np.float64)


def _multiclass(ct: CrossTab, result: AuditResult, z: float) -> tuple[ClassDimension, ...]:
    spec = result.spec
    dims_out = []
    for d in result.dimensions:
        dims = [spec.sensitive_features.index(a) for a in d.attributes]
        table = _effective(ct, dims)
        ref = next((i for i, g in enumerate(d.groups) if g.is_reference), None)
        rates = class_rates(table, ref if ref is not None else 0, z)
        groups = tuple(
            ClassGroup(
                name=g.name,
                n=g.n_labeled,
                rates=c.rates,
                ratios=c.ratios,
                differences=c.differences,
                tvd=c.tvd,
                is_reference=g.is_reference,
            )
            for g, c in zip(d.groups, rates.groups, strict=True)
        )
        reference = " & ".join(d.reference) if d.reference is not None else None
        dims_out.append(ClassDimension(d.name, reference, groups, rates.homogeneity))
    adjusted = holm([x.homogeneity.p_value for x in dims_out])
    return tuple(
        replace(x, homogeneity=x.homogeneity.with_holm(p))
        for x, p in zip(dims_out, adjusted, strict=True)
    )


def _clarify(
    ct: CrossTab, result: AuditResult, cdd_rows: tuple[dict[str, tuple[float, int]], ...] | None
) -> tuple[ClarifyAttribute, ...]:
    """Each group of each attribute (a facet value) against the rest of the data, counting
    rows as Clarify does (weights are not part of its definitions); ``cdd_rows`` holds each
    attribute's CDDL by group, with the strata it left out."""
    favourable = np.array([c in result.favorable_values for c in ct.classes], dtype=bool)
    out = []
    for j, attribute in enumerate(ct.attributes):
        n, _, _ = ct.class_table([j])
        total = n.sum(axis=0)
        cdd = cdd_rows[j] if cdd_rows is not None else {}
        facets = []
        for g, name in enumerate(ct.marginal([j]).labels):
            if name == MISSING_LABEL or n[g].sum() <= 0:
                continue
            metrics = clarify_labels(n[g], total - n[g], favourable)
            if not result.favorable_values:
                why = metrics.reason or "no class is favourable, so DPL is undefined"
                metrics = replace(metrics, dpl=math.nan, reason=why)
            value, left_out = cdd.get(name, (math.nan, 0))
            facets.append(ClarifyFacet(name, metrics, value, left_out))
        out.append(ClarifyAttribute(attribute, tuple(facets)))
    return tuple(out)


def favourable_words(result: AuditResult) -> str:
    """The favourable values in words: ``">50K"``; ``"> 40 (above the overall median: the
    scoring rate)"``; ``"none (a multi-class label: each class is an outcome)"``."""
    if not result.favorable_values:
        return "none (a multi-class label: each class is an outcome)"
    shown = ", ".join(result.favorable_values)
    o = result.outcomes
    median = o.median if o is not None and o.kind == "continuous" else None
    if median is not None and result.spec.favorable == (f"> {median!r}",):
        return f"{shown} (above the overall median: the scoring rate)"
    return shown
