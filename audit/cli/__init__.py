"""The ``biasaudit`` command: ``audit``, ``mitigate``, ``compare``, ``drift``, ``report``,
``check``, ``validate-synthetic``, ``datacard`` and ``demo``. Thin: each command parses its
options, calls the API, prints and sets the exit code.

Exit codes: 0 ok, 1 thresholds not met, 2 usage, configuration or data error
("Error: ..." on stderr, no traceback).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import click

from audit.cli.audit_commands import audit_command, compare_command, report_command
from audit.cli.base import Group
from audit.cli.check_command import check_command
from audit.cli.datacard_command import datacard_command
from audit.cli.demo_command import demo_command
from audit.cli.drift_command import drift_command
from audit.cli.mitigate_command import mitigate_command
from audit.cli.synthetic_command import validate_synthetic_command

__all__ = ["cli", "main"]


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="biasaudit", prog_name="biasaudit")
def cli() -> None:
    """Audit datasets for fairness and bias before a model is trained."""


for _command in (
    audit_command,
    mitigate_command,
    compare_command,
    drift_command,
    report_command,
    check_command,
    validate_synthetic_command,
    datacard_command,
    demo_command,
):
    cli.add_command(_command)


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the ``biasaudit`` console script."""
    cli.main(args=list(argv) if argv is not None else None, prog_name="biasaudit")


if __name__ == "__main__":  # pragma: no cover
    main(sys.argv[1:])
