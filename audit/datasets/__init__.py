"""Real data shipped with biasaudit: the UCI Adult census-income data set.

Adult (Kohavi & Becker, 1996; https://doi.org/10.24432/C5XW20), licensed CC BY 4.0. See
``ADULT.md`` beside this file for the attribution and the exact changes from UCI's files.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Literal

from audit.exceptions import ConfigError

__all__ = ["ADULT_COLUMNS", "adult_path"]

ADULT_COLUMNS = (
    "age",
    "workclass",
    "fnlwgt",
    "education",
    "education_num",
    "marital_status",
    "occupation",
    "relationship",
    "race",
    "sex",
    "capital_gain",
    "capital_loss",
    "hours_per_week",
    "native_country",
    "income",
)


def adult_path(split: Literal["train", "test"] = "train") -> Path:
    """Path of the bundled, gzip-compressed Adult CSV (``train``: 32,561 rows; ``test``: 16,281).

    Missing values (UCI's ``?``) are empty fields; the label ``income`` is ``<=50K`` or ``>50K``.

    Examples
    --------
    >>> adult_path().name
    'adult-train.csv.gz'
    """
    if split not in ("train", "test"):
        raise ConfigError(f"split must be 'train' or 'test'; got {split!r}.")
    return Path(str(resources.files(__name__).joinpath(f"adult-{split}.csv.gz")))
