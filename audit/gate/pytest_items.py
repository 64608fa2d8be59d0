"""The pytest items of ``pytest --biasaudit`` (one per dataset and check, through pytest's own
collection) and the files ``--biasaudit-report`` writes. Imported by the plugin only when it
is used, so a plain pytest run loads nothing of biasaudit beyond the plugin module."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from audit._format import printable
from audit.gate.config import DatasetConfig

__all__ = [
    "NO_CHECKS",
    "CheckItem",
    "DatasetError",
    "DatasetNode",
    "NotAssessableError",
    "PolicyFile",
    "ThresholdNotMetError",
    "report_targets",
]

NO_CHECKS = "no-applicable-checks"


def report_targets(state: Any) -> dict[str, Path]:
    """The files ``--biasaudit-report DIR`` writes. DIR is biasaudit's: a file in it that a
    previous biasaudit run wrote is replaced, any other existing file is refused, and DIR may
    not be (or be inside) one of the datasets' inputs."""
    from audit._io import check_output, written_by_biasaudit
    from audit.exceptions import ConfigError

    cfg = state.config()
    folder = Path(state.pytest_config.getoption("biasaudit_report"))
    names = {f"{d.name}.html": d for d in cfg.datasets}
    inputs = [str(cfg.path) if cfg.path else None]
    inputs += [p for d in cfg.datasets for p in d.inputs]
    targets = {}
    for name in [*names, "summary.md"]:
        target = folder / name
        try:
            if folder.exists() and not folder.is_dir():
                raise ConfigError(f"--biasaudit-report '{folder}' is a file, not a folder.")
            ours = target.is_file() and written_by_biasaudit(target)
            if target.exists() and not ours:
                raise ConfigError(
                    f"'{target}' exists and was not written by biasaudit. Hint: move it, or "
                    "choose another --biasaudit-report folder (reports biasaudit wrote there "
                    "before are replaced)."
                )
            targets[name] = check_output(target, overwrite=ours, inputs=inputs, what="report")
        except ConfigError as exc:
            raise pytest.UsageError(f"biasaudit: {printable(str(exc))}") from None
    return targets


class ThresholdNotMetError(AssertionError):
    """A check of severity ``error`` not met (shown without a traceback)."""


class NotAssessableError(AssertionError):
    """No check of the dataset could be assessed, so none of them may pass."""


class DatasetError(Exception):
    """A declared dataset could not be audited."""


class CheckItem(pytest.Item):
    """One check (rule on an attribute) of one declared dataset."""

    def __init__(self, *, dataset: DatasetConfig, check_id: str, state: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.dataset = dataset
        self.check_id = check_id
        self.state = state  # the plugin's state of this run: audits each dataset once

    def runtest(self) -> None:
        outcome = self.state.check(self.dataset)
        if outcome.error is not None:
            raise DatasetError(outcome.error)
        if self.check_id == NO_CHECKS:
            from audit.gate.run import UNASSESSED

            raise NotAssessableError(f"no threshold of the policy applies to it: {UNASSESSED}")
        group = next(g for g in outcome.groups if g.id == self.check_id)
        self.user_properties.append(("biasaudit_status", group.status))
        if group.status == "failed":
            if not group.failures:
                raise NotAssessableError(group.message())
            raise ThresholdNotMetError(group.message())
        if group.status == "warned":
            self.user_properties.append(("biasaudit_warning", group.message()))
        elif group.status == "skipped":
            pytest.skip(f"not assessable: {group.message()}")

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        check = printable(self.check_id)
        if isinstance(excinfo.value, ThresholdNotMetError):
            return f"threshold not met ({check}):\n{excinfo.value}"
        if isinstance(excinfo.value, NotAssessableError):
            return f"not assessable ({check}):\n{excinfo.value}"
        if isinstance(excinfo.value, DatasetError):
            return (
                f"dataset '{printable(self.dataset.name)}' could not be audited: "
                f"{printable(str(excinfo.value))}"
            )
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, printable(f"biasaudit {self.dataset.name}: {self.check_id}")


class DatasetNode(pytest.Collector):
    """The checks of one declared dataset."""

    def __init__(self, *, dataset: DatasetConfig, state: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.dataset = dataset
        self.state = state

    def collect(self) -> list[pytest.Item]:
        from audit.gate.run import planned_checks

        policy = self.state.config().policy
        items: list[pytest.Item] = []
        for rule, attribute in planned_checks(self.dataset, policy):
            check_id = f"{rule.key}[{attribute}]"
            items.append(
                CheckItem.from_parent(
                    self,
                    name=printable(check_id),
                    dataset=self.dataset,
                    check_id=check_id,
                    state=self.state,
                )
            )
        if not items:  # no threshold applies: the dataset is still loaded, and cannot pass
            items.append(
                CheckItem.from_parent(
                    self, name=NO_CHECKS, dataset=self.dataset, check_id=NO_CHECKS, state=self.state
                )
            )
        return items


class PolicyFile(pytest.File):
    """The configuration file, as the parent of the datasets' checks."""

    def __init__(self, *, state: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.state = state

    def collect(self) -> Iterator[DatasetNode]:
        for dataset in self.state.config().datasets:
            yield DatasetNode.from_parent(
                self, name=printable(dataset.name), dataset=dataset, state=self.state
            )
