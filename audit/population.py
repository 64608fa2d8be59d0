"""Reference populations (census marginals, a target distribution): expected group shares
per attribute, from a mapping or a CSV of ``attribute,group,share``, validated once."""

from __future__ import annotations

import csv
import math
import os
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

from audit.exceptions import ConfigError

__all__ = ["load_reference_population", "normalise_population", "population_source"]


def normalise_population(
    raw: Mapping[str, Mapping[Any, float]], sensitive: tuple[str, ...]
) -> Mapping[str, Mapping[str, float]]:
    out: dict[str, Mapping[str, float]] = {}
    for attribute, shares in raw.items():
        if attribute not in sensitive:
            raise ConfigError(
                f"reference_population names '{attribute}', which is not a sensitive attribute. "
                f"Hint: sensitive attributes are {', '.join(repr(s) for s in sensitive)}."
            )
        if not isinstance(shares, Mapping):
            raise ConfigError(
                f"reference_population['{attribute}'] must map each group to its share; got "
                f"{type(shares).__name__}. Hint: reference_population={{'{attribute}': "
                "{'Female': 0.51, 'Male': 0.49}}."
            )
        clean: dict[str, float] = {}
        for group, share in shares.items():
            try:
                value = float(share)
            except OverflowError:
                value = math.inf
            except (TypeError, ValueError):
                raise ConfigError(
                    f"reference_population['{attribute}'] holds a share that is not a number."
                ) from None
            if not math.isfinite(value) or value < 0:
                raise ConfigError(
                    f"reference_population['{attribute}'] shares must be finite and >= 0."
                )
            clean[str(group)] = value
        total = sum(clean.values())
        if not clean or abs(total - 1.0) > 0.01:
            raise ConfigError(
                f"reference_population['{attribute}'] shares sum to {total:.4g}, expected 1. "
                "Hint: give proportions (0.49, 0.51), not percentages or counts."
            )
        out[attribute] = MappingProxyType({g: s / total for g, s in clean.items()})
    return MappingProxyType(out)


def population_source(value: Any) -> dict[str, Mapping[Any, float]]:
    if value is None:
        return {}
    if isinstance(value, str | os.PathLike):
        return dict(load_reference_population(value))
    if not isinstance(value, Mapping):
        raise ConfigError(
            "reference_population must be a mapping {attribute: {group: share}} or the path "
            f"of a CSV file; got {type(value).__name__}."
        )
    return dict(value)


def load_reference_population(path: str | os.PathLike[str]) -> dict[str, dict[str, float]]:
    """Read expected shares from a CSV with columns ``attribute,group,share``.

    Examples
    --------
    A file holding census marginals::

        attribute,group,share
        sex,Female,0.508
        sex,Male,0.492
    """
    file = Path(path)
    if not file.is_file():
        raise ConfigError(f"Reference population file '{file}' does not exist.")
    out: dict[str, dict[str, float]] = {}
    with file.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames or []
        if set(header) != {"attribute", "group", "share"}:
            raise ConfigError(
                f"Reference population file '{file}' has columns {header}; "
                "expected attribute, group, share."
            )
        for line, row in enumerate(reader, start=2):
            try:
                share = float(row["share"])
            except ValueError:
                raise ConfigError(
                    f"Reference population file '{file}', line {line}: share is not a number."
                ) from None
            out.setdefault(row["attribute"], {})[row["group"]] = share
    return out
