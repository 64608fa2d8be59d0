"""Mitigations that stay on the engine (reweighing, resampling), their scikit-learn forms
(``audit.mitigation.sklearn``), the fixed-model check, and :func:`audit.mitigate`
(``audit.mitigation.run``). Nothing is imported here, so scikit-learn stays off the audit path.
"""
