"""``to_html`` for results, comparisons and mitigation results (the report is imported late)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["Reportable"]


class Reportable:
    """Adds :meth:`to_html`; the report package is imported only when it is called."""

    __slots__ = ()

    def to_html(
        self,
        path: str | Path | None = None,
        *,
        policy: Any = None,
        k: int = 10,
        title: str | None = None,
        command: str | None = None,
        generated_at: str | None = None,
        overwrite: bool = False,
    ) -> Path:
        """Write the HTML report (one offline file) atomically; return its path.

        ``path`` defaults to ``reports/<name>.html``. Groups with fewer than ``k`` rows are
        suppressed; ``policy`` (an :class:`audit.policy.Policy`) gives the verdicts (default:
        the four-fifths rule, as a warning); ``generated_at`` fixes the timestamp for
        byte-identical output. An existing file is replaced only with ``overwrite``; the
        audited data is never written over. See :func:`audit.report.render_html`.
        """
        from audit.report import write_html

        return write_html(
            self,
            path,
            policy=policy,
            k=k,
            title=title,
            command=command,
            generated_at=generated_at,
            overwrite=overwrite,
        )
