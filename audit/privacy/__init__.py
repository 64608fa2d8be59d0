"""Protection of published numbers: small-cell suppression (``suppression``) and the
redaction of results before they are shown (``publish``)."""
