"""HTML reports: view-model dataclasses -> plotly figures -> Jinja2 -> one offline file."""

from audit.report.render import render_html, write_html

__all__ = ["render_html", "write_html"]
