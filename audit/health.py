"""The data-health checks of an audit together: missing values by group, proxies and leakage
(count tables and reconstruction AUCs), and suspect labels by group.

:func:`data_health` runs them on an opened dataset under the audit's spec
(``health=True``): the two count-based checks on the engine, the two model-based ones on one
seeded sample of at most ``proxy_sample`` rows. A model-based check that cannot run (an
engine biasaudit does not sample, cleanlab not installed, too few rows of one outcome for the
folds) leaves its part empty and says why in ``notes``; the count-based ones always run.
"""

from __future__ import annotations

from audit.data import Dataset
from audit.exceptions import ConfigError
from audit.label_quality import LabelQuality, suspect_labels
from audit.metrics.health import DataHealth
from audit.missingness import missingness, text_names
from audit.proxies import proxies
from audit.reconstruction import Reconstruction, prepare, reconstruct
from audit.spec import AuditSpec

__all__ = ["FOLDS", "SEED", "DataHealth", "data_health"]

FOLDS = 5  # cross-validation folds of the reconstruction and label-quality models
SEED = 0  # the sample's and the folds' seed: the same data gives the same numbers


def data_health(dataset: Dataset, spec: AuditSpec) -> DataHealth:
    """The data-health checks of ``dataset`` under ``spec`` (its ``features``,
    ``proxy_sample``, ``proxy_cramers_v`` and ``leakage_auc``); missingness over each
    attribute and each pair of them (``max_depth`` 1 keeps the attributes only)."""
    depth = min(2, spec.effective_max_depth)
    missing = missingness(dataset, features=spec.features, spec=spec, max_depth=depth)
    found = proxies(dataset, features=spec.features, strong=spec.proxy_cramers_v, spec=spec)
    notes: list[str] = []
    rebuilt: tuple[Reconstruction, ...] = ()
    suspect: tuple[LabelQuality, ...] = ()
    rows = 0
    try:
        frame, chosen = prepare(dataset, spec, spec.features, spec.proxy_sample, FOLDS, SEED)
    except ConfigError as exc:
        notes.append(f"Reconstruction AUC and label quality were not computed: {exc}")
    else:
        rows = len(frame)
        try:
            rebuilt = reconstruct(
                frame, chosen, spec, folds=FOLDS, leak=spec.leakage_auc, random_state=SEED
            )
        except ConfigError as exc:
            notes.append(f"Reconstruction AUC was not computed: {_model_failure(exc)}")
        try:
            suspect = suspect_labels(frame, chosen, spec, folds=FOLDS, random_state=SEED)
        except ConfigError as exc:
            notes.append(f"Label quality was not computed: {_model_failure(exc)}")
    others = len(dataset.columns) - len(text_names(dataset.columns))
    if others:
        notes.append(
            f"{others} column(s) whose names are not text were left out of the health checks."
        )
    for feature, why in missing.skipped:
        notes.append(f"Feature '{feature}' was left out of the missing-value counts: {why}.")
    return DataHealth(missing.features, missing, found, rebuilt, suspect, rows, FOLDS, tuple(notes))


def _model_failure(exc: ConfigError) -> str:
    """The reason a model failed, with a hint for the health checks (the model's own hint
    is about estimators, which the health checks do not take)."""
    text = str(exc).split(" Hint:")[0]
    if "failed on the feature columns" not in text:
        return str(exc)
    return f"{text} Hint: name the columns to examine with features=[...] (CLI: --features)."
