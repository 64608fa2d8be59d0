"""Names, versions and the clock of a report: shared by the sections and the renderer."""

from __future__ import annotations

from datetime import UTC, datetime
from importlib.metadata import version as _version

__all__ = ["PLOTLY_JS_VERSION", "dist_version", "now", "package_version"]

PLOTLY_JS_VERSION = "3.7.0"  # npm plotly.js-cartesian-dist-min; see scripts/fetch_plotly_js.py


def now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def dist_version(name: str) -> str:
    try:
        return _version(name)
    except Exception:  # pragma: no cover - running from a source tree without metadata
        return "unknown"


def package_version() -> str:
    return dist_version("biasaudit")
