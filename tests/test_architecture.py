"""The package's layers point down only: an import graph built from the source with ``ast``
(imports inside functions count: a lazy import is still a dependency) has no cycle, and every
import goes to a module earlier in LAYERS. LAYERS is the layout of ../shared/DESIGN.md with the
deviations its comments give; when DESIGN.md is at hand, the order of the modules it names is
checked against LAYERS too."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "audit"

#: Bottom first. A module may import only modules listed before it.
LAYERS = (
    "audit.exceptions",
    "audit._io",
    "audit._serde",
    "audit._suggest",
    "audit._format",
    "audit._withhold",  # the groups a published table withholds (data card, drift report)
    "audit._settings",  # the checks of one setting's value, for spec.py
    # DESIGN lists spec before population; a spec validates the reference population it is
    # given (a mapping or a CSV path) when it is built, so the population module sits below it.
    "audit.population",
    "audit.spec",
    # DESIGN lists datasets/ last; the demo command reads the shipped data, so it sits low
    # (it imports only exceptions).
    "audit.datasets",
    "audit._csv",  # data.py's CSV reader
    "audit.data",
    "audit.table",
    "audit.coding",
    "audit.label_coding",  # a label's classes, a threshold's two sides, a continuous label
    "audit.exprs",
    "audit.bins_hint",  # the hint of the grouped count's cardinality error
    "audit.inplace",  # DuckDB reading in-memory frames in place (count and mitigations)
    "audit.crosstab",
    "audit.metrics.distributions",
    "audit.metrics.inference",
    "audit.metrics.association",
    "audit.metrics.rates",
    "audit.metrics.representation",
    "audit.metrics.outcomes",
    "audit.metrics.classification",
    "audit.metrics.subgroups",
    "audit.metrics.health",
    "audit.metrics.labels",
    # DESIGN puts multi-class outcomes in labels.py; they are a concept of their own here,
    # beside Clarify's label metrics in labels.py
    "audit.metrics.multiclass",
    "audit.metrics.continuous",  # a continuous label, beside the multi-class one
    "audit.metrics.conditional",
    "audit.metrics.drift",  # periods: PSI of group shares, the trend of a disparate impact
    "audit.metrics.label_kinds",  # the result records of the analyses above, for result.py
    "audit.metrics",
    "audit.missingness",  # missing values by group: its own grouped count, beside the audit's
    "audit.strata",  # disparities within strata: the audit's count with one more key
    "audit.proxy_counts",  # the proxies' count tables on the engine (one pass on DuckDB)
    "audit.proxies",  # features against sensitive attributes and the label: a count per feature
    # DESIGN lists it under mitigation/; the default model and row-level labels need only the
    # spec, and the data-health checks an audit runs use them, so it sits below the result.
    "audit.mitigation.ranker",
    "audit.reconstruction",  # features predicting an attribute: the model check's model
    "audit.label_quality",  # suspect labels by group: cleanlab on the model check's model
    "audit.health",  # the four data-health checks of an audit, together
    # DESIGN lists datacard.py after the gate; AuditResult.to_datacard() writes it, so it sits
    # below result.py and reads a result by its fields (it imports no result type).
    "audit.datacard",
    "audit.result",
    # DESIGN has no module for these; a multi-class, continuous or stratified analysis is
    # a part of an audit's result, from its count and (continuous, strata) the data
    "audit.continuous_bins",  # a large continuous label on DuckDB: one binned scan
    "audit.continuous_label",  # a continuous label's distributions on the engine
    "audit.label_analysis",  # the outcome analyses of an audit, together
    "audit.assemble",
    "audit.auditor",
    "audit.comparison",
    # DESIGN puts drift in comparison.py; it is a concept of its own (periods, a baseline)
    "audit.drift_result",
    "audit.drift_keys",  # the period of each row, on the engine
    "audit.drift_periods",
    "audit.thresholds",  # the vocabulary and reading of a thresholds table, below policy.py
    "audit.policy_health",  # the data-health rules, judged for policy.py
    "audit.policy_outcomes",  # the rules on other labels and strata, judged for policy.py
    "audit.policy_drift",  # the drift rules, judged on a drift result
    "audit.policy",
    "audit.mitigation.methods",
    "audit.mitigation.reweighing",
    "audit.mitigation.resampling",
    "audit.mitigation.spark",  # Spark-only mitigations, imported lazily by engine.py
    "audit.mitigation.synthetic",
    "audit.mitigation.engine",
    "audit.mitigation.sklearn",
    "audit.mitigation.model_check",
    "audit.mitigation.result",
    "audit.mitigation.run",
    "audit.mitigation",
    "audit.synthetic_model",  # train on synthetic, test on real (the model check's model)
    "audit.synthetic_check",  # validate_synthetic(): a synthetic dataset's fidelity by group
    "audit.loading",  # load_result(): knows every kind of result, so above them all
    "audit.privacy.sums",
    "audit.privacy.cells",
    "audit.privacy.suppression",
    "audit.privacy.health",
    "audit.privacy.outcomes",
    "audit.privacy.publish",
    "audit.privacy.drift",  # a drift result's small groups
    "audit.privacy.dp_intervals",
    "audit.privacy.dp",
    "audit.privacy",
    "audit.report.meta",
    "audit.report.model",
    "audit.report.glossary",
    "audit.report.figures",
    "audit.report.subject",
    "audit.report.sections.common",
    "audit.report.sections.summary",
    "audit.report.sections.headline",
    "audit.report.sections.representation",
    "audit.report.sections.outcomes",
    "audit.report.sections.label_kinds",  # other kinds of label and strata, after outcomes
    "audit.report.sections.predictions",
    "audit.report.sections.health",
    "audit.report.sections.before_after",
    "audit.report.sections.model_check",
    "audit.report.sections.methodology",
    "audit.report.sections.appendix",
    "audit.report.sections",
    "audit.report.build",
    "audit.report.drift_report",  # a drift result's sections
    "audit.report.synthetic_report",  # a synthetic-data validation's sections
    "audit.report.render",
    "audit.report",
    "audit.gate.config",
    "audit.gate.run",
    "audit.gate.formats",
    "audit.gate.pytest_items",
    "audit.gate",
    "audit.terminal",
    "audit.terminal_outcomes",  # the outcome tables of other labels, after the audit's own
    "audit.terminal_health",  # the data-health tables, after the audit's own
    "audit.terminal_compare",  # before -> after and the fixed-model check
    "audit.terminal_drift",  # each period against the baseline
    "audit.terminal_synthetic",  # a synthetic-data validation
    "audit.cli.base",
    "audit.cli.options",
    "audit.cli.audit_commands",
    "audit.cli.mitigate_command",
    "audit.cli.check_command",
    "audit.cli.demo_command",
    "audit.cli.drift_command",
    "audit.cli.synthetic_command",
    "audit.cli.datacard_command",
    "audit.cli",
    "audit.cli.__main__",
    "audit.pytest_plugin",
    "audit",  # the package: its public names are imported lazily, by name
)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports_of(path: Path, known: set[str]) -> set[str]:
    """Every audit module ``path`` imports, at any depth of the file (functions, TYPE_CHECKING
    blocks, try blocks). ``from pkg import sub`` counts as an import of ``pkg.sub``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            submodules = [f"{node.module}.{a.name}" for a in node.names]
            names = [m for m in submodules if m in known]
            if len(names) < len(submodules):  # some names are attributes of the module itself
                names.append(node.module)
        else:
            continue
        for name in names:
            if name in known:
                found.add(name)
    return found


def graph() -> dict[str, set[str]]:
    mods = modules()
    known = set(mods)
    return {name: imports_of(path, known) - {name} for name, path in mods.items()}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


def upward(edges: dict[str, set[str]]) -> list[str]:
    rank = {name: i for i, name in enumerate(LAYERS)}
    return [
        f"{a} imports {b}, which is above it"
        for a, targets in sorted(edges.items())
        for b in sorted(targets)
        if rank[b] >= rank[a]
    ]


def test_every_module_has_a_place_in_the_layers():
    assert set(modules()) - set(LAYERS) == set(), "add new modules to LAYERS (and DESIGN)"


def test_no_import_cycle():
    assert cycles(graph()) == []


def test_imports_point_down_only():
    assert upward(graph()) == []


def test_the_check_catches_an_upward_import(tmp_path):
    """The test is not vacuous: an upward import (results importing the report) is found."""
    edges = graph()
    edges["audit.result"] = edges["audit.result"] | {"audit.report.render"}
    assert upward(edges) == ["audit.result imports audit.report.render, which is above it"]
    edges["audit.report.render"] = edges["audit.report.render"] | {"audit.result"}
    assert any({"audit.result", "audit.report.render"} <= set(c) for c in cycles(edges))


def test_lazy_imports_inside_functions_count(tmp_path):
    source = tmp_path / "m.py"
    source.write_text("def f():\n    from audit.report.render import write_report\n")
    assert imports_of(source, {"audit.report.render"}) == {"audit.report.render"}


def _design_order() -> list[str] | None:
    design = ROOT.parent / "shared" / "DESIGN.md"
    if not design.is_file():
        return None
    block = design.read_text(encoding="utf-8").split("## Layout", 1)[1].split("```")[1]
    order = []
    folder = None
    for line in block.splitlines():
        indent = len(line) - len(line.lstrip())
        words = line.split()
        if not words:
            continue
        if indent == 2:
            folder = None
            for word in words:
                if not re.fullmatch(r"[a-z_]+(\.py|/)", word):
                    break
                if word.endswith("/"):
                    folder = word[:-1]  # a package: its modules are ordered, not the package
                else:
                    order.append(f"audit.{word[:-3]}")
        elif folder is not None:
            for word in words:
                if not re.fullmatch(r"[a-z_]+(\.py|/)", word):
                    break
                if word.endswith(".py"):
                    order.append(f"audit.{folder}.{word[:-3]}")
    return order


# Where LAYERS differs from DESIGN.md's order, on purpose (see the comments in LAYERS).
DEVIATIONS = {
    ("audit.spec", "audit.population"),
    ("audit.datacard", "*"),
    ("audit.datasets", "*"),
    ("audit.mitigation.ranker", "*"),
}


def test_the_layers_follow_design_md():
    order = _design_order()
    if order is None:
        pytest.skip("../shared/DESIGN.md is not beside this checkout")
    rank = {name: i for i, name in enumerate(LAYERS)}
    named = [m for m in order if m in rank]
    assert len(named) > 20
    disagreements = []
    for i, a in enumerate(named):
        for b in named[i + 1 :]:  # DESIGN puts a below b
            if rank[a] > rank[b] and (a, b) not in DEVIATIONS and (b, "*") not in DEVIATIONS:
                disagreements.append((a, b))
    assert disagreements == []


def test_metrics_are_pure():
    code = (
        "import audit.metrics.outcomes, audit.metrics.classification, "
        "audit.metrics.representation, sys\n"
        "heavy = [m for m in ('narwhals', 'pyarrow', 'duckdb', 'pandas', 'polars') "
        "if m in sys.modules]\n"
        "print(heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_results_do_not_load_the_report_or_the_engines():
    code = (
        "import audit.result, audit.comparison, audit.policy, sys\n"
        "print(sorted(m for m in sys.modules if m.startswith(('audit.report', 'narwhals', "
        "'pyarrow', 'duckdb', 'plotly', 'jinja2'))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_modules_are_small_and_say_what_they_are():
    too_long = {}
    undocumented = []
    for name, path in modules().items():
        text = path.read_text(encoding="utf-8")
        lines = text.count("\n")
        if lines > 420:
            too_long[name] = lines
        tree = ast.parse(text)
        doc = ast.get_docstring(tree)
        if not doc:
            undocumented.append(name)
    assert undocumented == []
    assert too_long == {}
