"""The pull-request gate: the ``[tool.biasaudit]`` configuration (``config``), the checks of its
datasets (``run``) and their formats for pull requests, CI and machines (``formats``)."""
