"""``python -m audit.cli``: the ``biasaudit`` command."""

from audit.cli import main

main()
