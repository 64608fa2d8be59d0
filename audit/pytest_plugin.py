"""pytest plugin ``biasaudit``: the project's bias policy as tests.

- ``pytest --biasaudit`` collects one test per declared dataset and check
  (``pyproject.toml::training::disparate_impact_ratio.min[sex]``), so each threshold fails,
  passes or skips on its own in the output and in JUnit XML;
- the ``bias_audit`` fixture audits a frame or path under the project policy inside a user's
  own test: ``bias_audit(df, sensitive_features=["sex"], label="y").assert_policy()``;
- ``--biasaudit-report DIR`` writes an HTML report per dataset and a Markdown summary.

The plugin is inert unless one of its options or its fixture is used, keeps its state on the
pytest config (no module globals, so it is safe under pytest-xdist), and imports only pytest
and the standard library when pytest loads it: biasaudit itself is imported on first use.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from audit.gate.config import Config, DatasetConfig
    from audit.gate.run import CheckedAudit, DatasetCheck

__all__ = ["bias_audit"]


def printable(text: str) -> str:
    """Control characters of names from the configuration or the data made visible."""
    from audit._format import printable as visible

    return visible(text)


class _State:
    """The plugin's state for one pytest run (kept in ``config.stash``)."""

    def __init__(self, config: pytest.Config) -> None:
        self.pytest_config = config
        self._config: Config | None = None
        self.checks: dict[str, DatasetCheck] = {}

    @property
    def active(self) -> bool:
        opt = self.pytest_config.getoption
        return bool(
            opt("biasaudit") or opt("biasaudit_report") or opt("biasaudit_config") is not None
        )

    def config(self) -> Config:
        """The project configuration, read once (usage errors name the file and key)."""
        if self._config is None:
            from audit.exceptions import ConfigError
            from audit.gate.config import find_config, load_config

            explicit = self.pytest_config.getoption("biasaudit_config")
            try:
                path = explicit or find_config(self.pytest_config.rootpath)
                self._config = load_config(path) if path else _default_config()
            except ConfigError as exc:
                raise pytest.UsageError(f"biasaudit: {exc}") from None
        return self._config

    def check(self, dataset: DatasetConfig) -> DatasetCheck:
        """The dataset audited and judged once per run: its loader runs once, whatever it
        raises (the failure is kept and reported by every check of the dataset)."""
        if dataset.name not in self.checks:
            from audit.gate.run import check_dataset

            config = self.config()
            self.checks[dataset.name] = check_dataset(
                dataset, config.policy, k=config.suppress_below, epsilon=config.epsilon
            )
        return self.checks[dataset.name]

    def export(self) -> dict[str, dict[str, Any]]:
        """The checks made in this process, as plain data (an xdist worker sends them to the
        controller, which then reports them without auditing again)."""
        return {
            name: {
                "error": c.error,
                "result": c.result.to_json(indent=None) if c.result is not None else None,
                "drift": c.drift.to_json(indent=None) if c.drift is not None else None,
                "notices": list(c.notices),
            }
            for name, c in self.checks.items()
        }

    def receive(self, exported: dict[str, dict[str, Any]]) -> None:
        """Take the checks a worker made (see :meth:`export`)."""
        import json
        from dataclasses import replace

        from audit.drift_result import DriftResult
        from audit.gate.run import DatasetCheck, judged
        from audit.result import AuditResult

        config = self.config()
        for name, item in exported.items():
            if name in self.checks:
                continue
            dataset = config.dataset(name)
            text = item.get("result")
            notices = tuple(item.get("notices") or ())
            if text is None:
                self.checks[name] = DatasetCheck(name, None, None, (), item.get("error"), notices)
            else:
                result = AuditResult.from_dict(json.loads(text))
                moved = item.get("drift")
                drift = None if moved is None else DriftResult.from_dict(json.loads(moved))
                check = judged(
                    dataset, result, config.policy, config.suppress_below, config.epsilon, drift
                )
                self.checks[name] = replace(check, notices=notices)


def _default_config() -> Config:
    from audit.gate.config import Config
    from audit.policy import DEFAULT_POLICY

    return Config(DEFAULT_POLICY, ())


_STATE = pytest.StashKey[_State]()


def _state(config: pytest.Config) -> _State:
    return config.stash[_STATE]


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("biasaudit", "bias audit of the datasets in [tool.biasaudit]")
    group.addoption(
        "--biasaudit",
        action="store_true",
        default=False,
        help="Audit every dataset declared in [tool.biasaudit] and check the policy: one test "
        "per dataset and check.",
    )
    group.addoption(
        "--biasaudit-config",
        metavar="FILE",
        default=None,
        help="Configuration file (pyproject.toml or a TOML file); default: the nearest "
        "biasaudit.toml or pyproject.toml with [tool.biasaudit] from the rootdir up.",
    )
    group.addoption(
        "--biasaudit-report",
        metavar="DIR",
        default=None,
        help="Write an HTML report per dataset and a Markdown summary (summary.md) to DIR.",
    )


def pytest_configure(config: pytest.Config) -> None:
    state = _State(config)
    config.stash[_STATE] = state
    if state.active:
        cfg = state.config()  # a typo in the policy is a usage error before anything runs
        if config.getoption("biasaudit") and (cfg.path is None or not cfg.datasets):
            raise pytest.UsageError(
                "biasaudit: --biasaudit found no [[tool.biasaudit.datasets]] to check. Hint: "
                "declare them in pyproject.toml or pass --biasaudit-config FILE."
            )
        if config.getoption("biasaudit_report") and _controller(config):
            from audit.gate.pytest_items import report_targets

            report_targets(state)  # a bad report folder is refused before any test runs


def pytest_report_header(config: pytest.Config) -> str | None:
    state = _state(config)
    if not state.active:
        return None
    cfg = state.config()
    names = ", ".join(d.name for d in cfg.datasets) or "none declared"
    return printable(f"biasaudit: policy from {cfg.policy.source}; datasets: {names}")


@pytest.hookimpl(tryfirst=True)  # before -k / -m deselect items
def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    state = _state(config)
    if not config.getoption("biasaudit"):
        return
    cfg = state.config()
    assert cfg.path is not None  # pytest_configure refused a run without datasets
    # Through pytest's own collection, so the items are reported and counted like any other.
    from audit.gate.pytest_items import PolicyFile

    items.extend(session.genitems(PolicyFile.from_parent(session, path=cfg.path, state=state)))


def _controller(config: pytest.Config) -> bool:
    return not hasattr(config, "workerinput")  # pytest-xdist workers have it


@pytest.hookimpl(optionalhook=True, tryfirst=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """Under ``pytest -n``: the checks of one dataset go to one worker, so each dataset is
    audited (and its loader run) once; every other test is distributed as with
    ``--dist load``. Other ``--dist`` modes are left as the user chose them."""
    state = _state(config)
    if not config.getoption("biasaudit") or config.getvalue("dist") != "load":
        return None
    from xdist.scheduler import LoadGroupScheduling

    cfg = state.config()
    assert cfg.path is not None
    file_name = cfg.path.name
    datasets = {printable(d.name) for d in cfg.datasets}

    class _DatasetScheduling(LoadGroupScheduling):  # type: ignore[misc]
        def _split_scope(self, nodeid: str) -> str:
            # our items: "<config file>::<dataset>::<check>", whatever the rootdir
            parts = nodeid.split("::")
            if len(parts) == 3 and parts[0].endswith(file_name) and parts[1] in datasets:
                return "::".join(parts[:2])
            return nodeid  # like --dist load: each test on its own

    return _DatasetScheduling(config, log)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """An xdist worker finished: keep the checks it made (the controller does not audit
    them again)."""
    exported = getattr(node, "workeroutput", {}).get("biasaudit")
    if exported:
        _state(node.config).receive(exported)


def _checks_to_report(state: _State) -> list[DatasetCheck]:
    """The checks this run made; with ``--biasaudit-report``, every declared dataset (those
    not checked yet are audited now, once)."""
    cfg = state.config()
    if state.pytest_config.getoption("biasaudit_report"):
        return [state.check(d) for d in cfg.datasets]
    return [state.checks[d.name] for d in cfg.datasets if d.name in state.checks]


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    config = session.config
    state = _state(config)
    if not _controller(config):
        if state.checks:
            config.workeroutput["biasaudit"] = state.export()  # type: ignore[attr-defined]
        return
    folder = config.getoption("biasaudit_report")
    if not folder:
        return
    from audit._io import write_text_atomic
    from audit.gate.formats import to_markdown
    from audit.gate.pytest_items import report_targets
    from audit.report.render import write_report

    targets = report_targets(state)
    checks = _checks_to_report(state)
    cfg = state.config()
    for c in checks:
        if c.result is not None:
            path = targets[f"{c.name}.html"]
            write_report(
                c.result,
                path,
                policy=cfg.policy,
                k=cfg.suppress_below,
                overwrite=path.exists(),
                epsilon=cfg.epsilon,
            )
    summary = targets["summary.md"]
    text = to_markdown(checks, cfg.policy.source) + "\n"
    write_text_atomic(summary, text, overwrite=summary.exists())


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    state = _state(config)
    if not state.active or not _controller(config) or config.getoption("collectonly"):
        return
    cfg = state.config()
    checks = _checks_to_report(state)
    if not cfg.datasets or not checks:
        return
    from audit.gate.run import UNASSESSED

    terminalreporter.section("biasaudit")
    for c in checks:
        name = printable(c.name)
        for notice in c.notices:
            terminalreporter.line(f"{name}: warning: {printable(notice)}")
        if c.error is not None:
            terminalreporter.line(f"{name}: could not be audited: {printable(c.error)}")
            continue
        failed = [g for g in c.groups if g.status == "failed"]
        warned = [g for g in c.groups if g.status == "warned"]
        not_met = sum(bool(g.failures) for g in failed)
        terminalreporter.line(
            f"{name}: {len(c.groups)} checks, {not_met} not met, {len(warned)} warnings"
            + (f", {len(failed) - not_met} not assessable" if len(failed) > not_met else "")
        )
        if c.unassessed:
            terminalreporter.line(f"  NOT ASSESSABLE: {UNASSESSED}")
        for g in failed + warned:
            kind = "NOT MET" if g in failed else "warning"
            for line in g.message().splitlines():
                terminalreporter.line(f"  {kind} {printable(g.id)}: {line}")
    folder = config.getoption("biasaudit_report")
    if folder:
        terminalreporter.line(f"reports and summary.md written to {printable(os.fspath(folder))}")


@pytest.fixture
def bias_audit(request: pytest.FixtureRequest) -> Callable[..., CheckedAudit]:
    """Audit a frame or path under the project's policy.

    Returns a callable taking the data and the audit's spec (``spec=`` or its keyword
    arguments); its result is the :class:`audit.AuditResult` with ``assert_policy()``, which
    fails the test with every check not met (metric, group, value, interval, threshold).
    The audit's own warnings (small groups...) are kept in ``result.warnings`` rather than
    raised, as in ``pytest --biasaudit``::

        def test_training_data(bias_audit):
            result = bias_audit(df, sensitive_features=["sex"], label="y")
            result.assert_policy()
    """
    state = _state(request.config)

    def run(data: Any, *, policy: Any = None, **spec: Any) -> CheckedAudit:
        import warnings

        from audit.auditor import audit
        from audit.exceptions import AuditWarning, ConfigError
        from audit.gate.run import CheckedAudit, withheld_values
        from audit.policy import Policy, evaluate
        from audit.spec import AuditSpec

        cfg = state.config()
        if policy is None:
            chosen = cfg.policy
            if not cfg.datasets:  # no dataset validated the overrides: this audit does
                given = spec.get("spec")
                names = (
                    given.sensitive_features
                    if given is not None
                    else spec.get("sensitive_features", ())
                )
                chosen.check_attributes([names] if isinstance(names, str) else names, chosen.source)
        elif isinstance(policy, Policy):
            chosen = policy
        elif isinstance(policy, Mapping):
            chosen = Policy.from_mapping(policy, source="bias_audit(policy=...)")
        else:
            raise ConfigError(
                f"policy must be a Policy or a mapping of thresholds; got {type(policy).__name__}."
            )
        if chosen.needs_health and "health" not in spec:  # the policy bounds data health
            given = spec.get("spec")
            if given is None:
                spec = {**spec, "health": True}
            elif isinstance(given, AuditSpec) and not given.health:
                spec = {**spec, "spec": replace(given, health=True)}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", AuditWarning)  # kept in result.warnings
            result = audit(data, **spec)
        outcome = evaluate(result, chosen)
        k = cfg.suppress_below
        withheld = withheld_values(result, chosen, outcome, k, cfg.epsilon)
        return CheckedAudit(result, outcome, k, withheld)

    return run
