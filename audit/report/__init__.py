"""The HTML report: results -> view model -> plotly figures -> Jinja2 -> one offline file.

:func:`audit.write_report` (``audit.report.render.write_report``) writes it.
"""
