"""The project configuration: ``[tool.biasaudit]`` in pyproject.toml, or a standalone TOML file.

It holds the policy (``thresholds``) and the datasets a pull-request gate audits::

    [tool.biasaudit.thresholds]
    disparate_impact_ratio.min = 0.8

    [[tool.biasaudit.datasets]]
    name = "training"
    path = "data/train.parquet"      # relative to this file
    sensitive = ["sex", "race"]
    label = "income"
    favorable = ">50K"

Every unknown key and wrong type is a :class:`ConfigError` naming the file, the key and the
closest valid key: a typo must never switch a gate off silently.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from audit._suggest import closest, did_you_mean
from audit.exceptions import ConfigError, DataError
from audit.policy import DEFAULT_POLICY, Policy
from audit.spec import AuditSpec

__all__ = ["Config", "DatasetConfig", "find_config", "load_config"]

TOP_KEYS = ("thresholds", "datasets", "report")
REPORT_KEYS = ("suppress_below", "epsilon")
# dataset key -> AuditSpec argument (None: handled here)
DATASET_KEYS: Mapping[str, str | None] = {
    "name": None,
    "path": None,
    "loader": None,
    "sensitive": "sensitive_features",
    "label": "label",
    "favorable": "favorable",
    "prediction": "prediction",
    "prediction_favorable": "prediction_favorable",
    "sample_weight": "sample_weight",
    "bins": "bins",
    "categorical": "categorical",
    "na_values": "na_values",
    "reference": "reference",
    "reference_population": "reference_population",
    "missing": "missing",
    "min_group_size": "min_group_size",
    "max_depth": "max_depth",
    "confidence_level": "confidence_level",
    "health": "health",
    "features": "features",
    "proxy_sample": "proxy_sample",
    "proxy_cramers_v": "proxy_cramers_v",
    "leakage_auc": "leakage_auc",
    "label_type": "label_type",
    "strata": "strata",
    "drift": None,
}
DRIFT_KEYS = ("time", "freq", "baseline", "against")
STANDALONE_NAMES = ("biasaudit.toml", ".biasaudit.toml")


def _unknown(table: Mapping[str, Any], valid: tuple[str, ...], source: str, where: str) -> None:
    for key in table:
        if key not in valid:
            raise ConfigError(
                f"{source}: unknown key '{where}{key}'.{did_you_mean(str(key), valid)} Hint: "
                f"valid keys are {', '.join(valid)}."
            )


@dataclass(frozen=True)
class DriftConfig:
    """A dataset's periods for the drift rules: its ``time`` column at ``freq``, or the
    earlier datasets ``against`` (files, the first the baseline) followed by it."""

    time: str | None = None
    freq: str | None = "year"
    baseline: str | None = None
    against: tuple[Path, ...] = ()


@dataclass(frozen=True)
class DatasetConfig:
    """One declared dataset: where it comes from and the spec it is audited with."""

    name: str
    spec: AuditSpec
    path: Path | None = None
    loader: str | None = None
    root: Path | None = None  # the configuration's folder (loaders are imported from there)
    population: Path | None = None  # the reference population CSV, when given as a file
    drift: DriftConfig | None = None  # how the gate's drift rules find the periods

    @property
    def inputs(self) -> tuple[str, ...]:
        """The files this dataset is read from, the loader's module included (outputs never
        write over them); found without importing anything."""
        found = [str(p) for p in (self.path, self.population) if p is not None]
        found += [str(p) for p in (self.drift.against if self.drift else ())]
        if self.loader is not None:
            origin = _module_file(self.loader.partition(":")[0], self.root)
            if origin is not None:
                found.append(origin)
        return tuple(found)

    def load(self) -> Any:
        """The data to audit: the file path, or what the loader function returns.

        Errors name the problem but not the dataset (the caller adds it once).
        """
        if self.path is not None:
            if not any(ch in str(self.path) for ch in "*?[") and not self.path.exists():
                raise ConfigError(
                    f"file '{self.path}' does not exist. Hint: paths are relative to the "
                    "configuration file."
                )
            return str(self.path)
        assert self.loader is not None
        return _call_loader(self.loader, self.root)


def _module_file(module: str, root: Path | None) -> str | None:
    """The source file of the loader's module, looked for in ``root`` first (nothing is
    imported: finding a dotted module elsewhere would run its packages' code)."""
    import importlib.util
    import sys

    parts = module.split(".")
    if not module or not all(parts):
        return None
    if root is not None:
        for candidate in (
            root.joinpath(*parts[:-1], f"{parts[-1]}.py"),
            root.joinpath(*parts, "__init__.py"),
        ):
            if candidate.is_file():
                return str(candidate)
    if len(parts) > 1 or module in sys.builtin_module_names:
        return None
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return None
    return spec.origin if spec is not None and spec.has_location else None


def _call_loader(target: str, root: Path | None) -> Any:
    """Import ``module:function`` from ``root`` (or sys.path) and call it.

    Whatever the user's code raises, including ``SystemExit`` and ``KeyboardInterrupt``,
    becomes a :class:`DataError` naming only the exception type: its message may quote data.
    """
    import importlib
    import sys

    module_name, sep, func_name = target.partition(":")
    if not sep or not module_name or not func_name:
        raise ConfigError(
            f"loader must be 'module:function'; got {target!r}. Hint: "
            "loader = 'project.data:load_training'."
        )
    added = root is not None and str(root) not in sys.path
    if added:
        sys.path.insert(0, str(root))
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name is not None and (module_name + ".").startswith(exc.name + "."):
            raise ConfigError(
                f"loader module '{module_name}' not found. Hint: loaders are imported from "
                "the configuration file's folder and the Python path."
            ) from None
        raise _loader_failed(f"loader module '{module_name}' could not be imported", exc) from None
    except BaseException as exc:  # the user's code: SyntaxError, SystemExit, anything
        raise _loader_failed(f"loader module '{module_name}' could not be imported", exc) from None
    finally:
        if added:
            sys.path.remove(str(root))
    func = getattr(module, func_name, None)
    if not callable(func):
        raise ConfigError(f"loader module '{module_name}' has no function '{func_name}'.")
    import warnings

    from audit.exceptions import LoaderWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            data = func()
        except BaseException as exc:
            raise _loader_failed(f"the loader {target} raised", exc, brackets=False) from None
    for category in dict.fromkeys(w.category.__name__ for w in caught):
        warnings.warn(
            f"The loader {target} emitted {category}; its message is not shown because it may "
            "quote data.",
            LoaderWarning,
            stacklevel=2,
        )
    if isinstance(data, str | os.PathLike) and not os.fspath(data).strip():
        raise DataError(f"the loader {target} returned an empty path.")
    return data


def _loader_failed(what: str, exc: BaseException, *, brackets: bool = True) -> DataError:
    kind = type(exc).__name__
    return DataError(
        f"{what} {f'({kind})' if brackets else kind}. Hint: run it in Python to see the full "
        "error; its message is not shown here because it may quote data."
    )


@dataclass(frozen=True)
class Config:
    """The policy and datasets of a project, and the file they came from."""

    policy: Policy
    datasets: tuple[DatasetConfig, ...]
    path: Path | None = None
    suppress_below: int = 10
    epsilon: float | None = None  # reports with differential privacy instead of suppression

    def dataset(self, name: str) -> DatasetConfig:
        for d in self.datasets:
            if d.name == name:
                return d
        names = [d.name for d in self.datasets]
        raise ConfigError(
            f"No dataset '{name}' in {self.path or 'the configuration'}."
            f"{did_you_mean(name, names)} Hint: declared datasets are "
            f"{', '.join(names) or 'none'}."
        )


def _table(path: Path) -> tuple[Mapping[str, Any] | None, str]:
    """The biasaudit table of a TOML file (``None`` when it has none) and its label."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc}).") from None
    except OSError as exc:
        raise ConfigError(f"Cannot read configuration '{path}' ({exc.strerror}).") from None
    tool = data.get("tool", {})
    if isinstance(tool, Mapping) and "biasaudit" not in tool:
        near = closest("biasaudit", [str(k) for k in tool], cutoff=0.8)
        if near is not None:
            raise ConfigError(
                f"{path}: unknown table [tool.{near}]. Did you mean [tool.biasaudit]? Hint: "
                "biasaudit reads only [tool.biasaudit]; a misspelled table would leave the "
                "gate on its default policy."
            )
    if isinstance(tool, Mapping) and "biasaudit" in tool:
        table = tool["biasaudit"]
        label = f"{path} [tool.biasaudit]"
    elif path.name == "pyproject.toml":
        return None, str(path)
    else:
        table = data  # a standalone file: the table is the whole file
        label = str(path)
    if not isinstance(table, Mapping):
        raise ConfigError(f"{label}: must be a table.")
    return table, label


def find_config(start: str | os.PathLike[str] | None = None) -> Path | None:
    """The nearest ``biasaudit.toml`` or ``pyproject.toml`` with a ``[tool.biasaudit]`` table,
    from ``start`` (default: the working directory) up to the file system root."""
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        for name in STANDALONE_NAMES:
            if (folder / name).is_file():
                return folder / name
        candidate = folder / "pyproject.toml"
        if candidate.is_file() and _table(candidate)[0] is not None:
            return candidate
    return None


def load_config(path: str | os.PathLike[str] | None = None) -> Config:
    """Read the configuration from ``path``, or the nearest one (:func:`find_config`).

    With no configuration anywhere, the result has the default policy (the four-fifths rule,
    as a warning) and no datasets.
    """
    if path is None:
        found = find_config()
        if found is None:
            return Config(DEFAULT_POLICY, ())
        path = found
    file = Path(path).resolve()
    if not file.is_file():
        raise ConfigError(f"Configuration file '{path}' does not exist.")
    table, label = _table(file)
    if table is None:
        raise ConfigError(
            f"{file} has no [tool.biasaudit] table. Hint: add [tool.biasaudit.thresholds] and "
            "[[tool.biasaudit.datasets]] (see the README)."
        )
    return parse_config(table, label=label, root=file.parent, path=file)


def parse_config(
    table: Mapping[str, Any], *, label: str, root: Path, path: Path | None = None
) -> Config:
    """Build a :class:`Config` from the biasaudit table of a TOML file."""
    _unknown(table, TOP_KEYS, label, "")
    thresholds = table.get("thresholds")
    if thresholds is None:
        policy = DEFAULT_POLICY
    elif isinstance(thresholds, Mapping):
        policy = Policy.from_mapping(thresholds, source=label)
    else:
        raise ConfigError(f"{label}: 'thresholds' must be a table.")
    report = table.get("report", {})
    if not isinstance(report, Mapping):
        raise ConfigError(f"{label}: 'report' must be a table.")
    _unknown(report, REPORT_KEYS, label, "report.")
    k = report.get("suppress_below", 10)
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ConfigError(f"{label}: 'report.suppress_below' must be a positive integer.")
    epsilon = report.get("epsilon")
    if epsilon is not None:
        from audit.privacy.dp import validate_epsilon

        try:
            epsilon = validate_epsilon(epsilon)
        except ConfigError as exc:
            raise ConfigError(f"{label}: 'report.epsilon': {exc}") from None
    entries = table.get("datasets", [])
    if not isinstance(entries, list):
        raise ConfigError(f"{label}: 'datasets' must be an array of tables ([[...datasets]]).")
    datasets = []
    for i, entry in enumerate(entries):
        datasets.append(_dataset(entry, i, label, root))
    names = [d.name for d in datasets]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise ConfigError(f"{label}: dataset name(s) {', '.join(duplicated)} declared twice.")
    if datasets:
        policy.check_attributes((a for d in datasets for a in d.spec.sensitive_features), label)
    return Config(policy, tuple(datasets), path, k, epsilon)


def _dataset(entry: Any, index: int, label: str, root: Path) -> DatasetConfig:
    where = f"datasets[{index}]"
    if not isinstance(entry, Mapping):
        raise ConfigError(f"{label}: '{where}' must be a table.")
    name = entry.get("name")
    if not isinstance(name, str) or not name:
        raise ConfigError(f"{label}: '{where}.name' must be a non-empty string.")
    where = f"datasets[{name}]"
    _unknown(entry, tuple(DATASET_KEYS), label, f"{where}.")
    has_path, has_loader = "path" in entry, "loader" in entry
    if has_path == has_loader:
        raise ConfigError(
            f"{label}: dataset '{name}' needs exactly one of 'path' (a CSV or Parquet file) and "
            "'loader' ('module:function' returning a frame)."
        )
    for key in ("path", "loader"):
        if key in entry and (not isinstance(entry[key], str) or not entry[key].strip()):
            raise ConfigError(f"{label}: '{where}.{key}' must be a non-empty string.")
    for key in ("sensitive", "label"):
        if key not in entry:
            raise ConfigError(f"{label}: dataset '{name}' has no '{key}'.")
    spec_args = {
        target: entry[key]
        for key, target in DATASET_KEYS.items()
        if target is not None and key in entry
    }
    population = spec_args.get("reference_population")
    population_path = None
    if isinstance(population, str):
        population_path = root / population
        spec_args["reference_population"] = str(population_path)
    try:
        spec = AuditSpec(**spec_args)
    except ConfigError as exc:
        raise ConfigError(f"{label}: dataset '{name}': {exc}") from None
    except TypeError as exc:
        raise ConfigError(f"{label}: dataset '{name}': {exc}") from None
    path = (root / entry["path"]) if has_path else None
    drift = _drift(entry["drift"], label, f"{where}.drift", root) if "drift" in entry else None
    return DatasetConfig(name, spec, path, entry.get("loader"), root, population_path, drift)


def _drift(table: Any, label: str, key: str, root: Path) -> DriftConfig:
    where = f"{label}: '{key}'"
    if not isinstance(table, Mapping):
        raise ConfigError(f"{where} must be a table, e.g. drift = {{time = 'date'}}.")
    _unknown(table, DRIFT_KEYS, label, f"{key}.")
    time, against = table.get("time"), table.get("against", [])
    if (time is None) == (not against):
        raise ConfigError(
            f"{where} needs exactly one of 'time' (a column of dates) and 'against' (the "
            "earlier datasets, e.g. ['data/last-release.parquet'])."
        )
    if time is not None and (not isinstance(time, str) or not time):
        raise ConfigError(f"{where}.time must be a column name.")
    if not isinstance(against, list) or not all(isinstance(a, str) and a for a in against):
        raise ConfigError(f"{where}.against must be a list of file paths.")
    freq = table.get("freq", "year")
    if freq not in ("year", "quarter", "month", "value"):
        raise ConfigError(f"{where}.freq must be 'year', 'quarter', 'month' or 'value'.")
    baseline = table.get("baseline")
    if baseline is not None and not isinstance(baseline, str | int):
        raise ConfigError(f"{where}.baseline must be a period's name.")
    period = None if freq == "value" else freq
    base = None if baseline is None else str(baseline)
    return DriftConfig(time, period, base, tuple(root / a for a in against))
