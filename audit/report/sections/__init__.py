"""One module per report section; ``audit.report.build`` puts them in order."""
