"""The label's coding beyond a favourable value: the classes of a multi-class label, the two
sides of a threshold (``favorable=">= 0.5"`` on a numeric label), and the signal that a
numeric label of many values is continuous. Pure Python on the keys of the grouped count."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from audit._settings import Threshold
from audit.coding import (
    MAX_NUMERIC_LEVELS,
    Outcomes,
    code_outcomes,
    implied_favorable,
    is_missing,
    sort_key,
    text,
)
from audit.exceptions import ConfigError, DataError
from audit.spec import AuditSpec

__all__ = ["ContinuousLabelError", "check_threshold", "code_labels", "label_classes"]


def check_threshold(
    spec: AuditSpec, threshold: Threshold, labels: list[Any], n: Sequence[int]
) -> None:
    """A threshold that leaves one of its two classes empty is an error: every rate would
    be 0 or 1 and every disparity undefined."""
    above = int(sum(c for v, c in zip(labels, n, strict=True) if v is True))
    total = int(sum(c for v, c in zip(labels, n, strict=True) if v is not None))
    if total > 0 and above in (0, total):
        side = "none" if above == 0 else "all"
        raise DataError(
            f"favorable='{threshold.name}' holds for {side} of the {total:,} labelled rows of "
            f"'{spec.label}', so one of its two classes is empty. Hint: choose a threshold "
            "inside the label's range, or leave favorable out with label_type='continuous' "
            "to compare the groups' distributions."
        )


def label_classes(
    spec: AuditSpec, threshold: Threshold | None, labels: list[Any], numbers_as_text: bool
) -> tuple[tuple[str, ...], list[int]]:
    """The label's classes (its values, or the two sides of a threshold) and each cell's
    class (-1: missing). A numeric label with more than 20 values and no favourable value
    is a continuous label (:class:`ContinuousLabelError`)."""
    if threshold is not None:
        coded = [-1 if v is None else int(bool(v)) for v in labels]
        return (threshold.opposite, threshold.name), coded
    distinct = sorted({v for v in labels if not is_missing(v)}, key=sort_key)
    numeric = numbers_as_text or all(
        isinstance(v, int | float) and not isinstance(v, bool) for v in distinct
    )
    if (
        spec.favorable is None
        and spec.label_type is None
        and numeric
        and len(distinct) > MAX_NUMERIC_LEVELS
    ):
        raise ContinuousLabelError(spec.label, len(distinct))
    index = {v: i for i, v in enumerate(distinct)}
    coded = [-1 if is_missing(v) else index[v] for v in labels]
    return tuple(text(v) for v in distinct), coded


class ContinuousLabelError(DataError):
    """A numeric label with more than 20 distinct values and no favourable value: the audit
    treats it as continuous (:func:`audit.audit` does so and says why)."""

    def __init__(self, label: str, distinct: int) -> None:
        self.message_head = (
            f"The label '{label}' is numeric with {distinct:,} distinct values and no "
            "favourable value: a continuous label."
        )
        super().__init__(
            f"{self.message_head} Hint: pass label_type='continuous' (CLI: --label-type "
            "continuous), or a threshold such as favorable='>= 0.5'."
        )


def code_labels(
    spec: AuditSpec,
    threshold: Threshold | None,
    labels: list[Any],
    predictions: list[Any] | None,
    n: Sequence[int],
    numbers_as_text: bool,
) -> tuple[Outcomes, tuple[str, ...], list[int]]:
    """The label (and prediction) keys of the grouped count coded: favourable or not, and
    the label's classes with each cell's. ``threshold`` is the spec's, on a numeric label
    (whose keys are then whether it holds); ``n`` the rows of each cell."""
    if threshold is not None:
        check_threshold(spec, threshold, labels, n)
    classes, class_codes = label_classes(spec, threshold, labels, numbers_as_text)
    distinct = sorted({v for v in labels if not is_missing(v)}, key=sort_key)
    unfavoured = spec.favorable is None and (
        spec.label_type == "multiclass"
        or (spec.label_type is None and len(classes) > 2 and not implied_favorable(distinct))
    )
    if unfavoured and spec.prediction is not None and spec.prediction_favorable is None:
        raise ConfigError(
            f"The label '{spec.label}' is multi-class and has no favourable value, so the "
            f"prediction '{spec.prediction}' cannot be coded like it. Hint: pass "
            "prediction_favorable=... (CLI: --prediction-favorable), or favorable=[...] to "
            "make the label binary."
        )
    outcomes = code_outcomes(
        labels,
        predictions,
        label=spec.label,
        favorable=(True,) if threshold is not None else spec.favorable,
        prediction=spec.prediction,
        prediction_favorable=spec.prediction_favorable,
        every_class=unfavoured,
    )
    return outcomes, classes, class_codes
