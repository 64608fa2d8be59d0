"""MitigationResult: what a mitigation produced (the data, the plan, audits before and after,
their comparison and the model check), with its JSON form."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from audit._serde import from_jsonable, to_jsonable
from audit.comparison import Comparison
from audit.exceptions import ConfigError
from audit.mitigation.model_check import ModelCheck
from audit.mitigation.resampling import ResamplingPlan
from audit.mitigation.reweighing import ReweighingPlan
from audit.result import AuditResult

__all__ = ["MitigationResult"]


@dataclass(frozen=True)
class MitigationResult:
    """What a mitigation produced: the data, the plan, and audits before and after.

    ``data`` is the same kind of object that was passed (a pandas / polars / pyarrow frame, a
    polars LazyFrame or a DuckDB relation), or the path of the Parquet file written.
    """

    method: str
    data: Any
    plan: ReweighingPlan | ResamplingPlan
    before: AuditResult
    after: AuditResult
    comparison: Comparison
    model_check: ModelCheck | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: method, output path (for files), plan, comparison and model check."""
        check = None
        if self.model_check is not None:
            check = to_jsonable(self.model_check)
            for side in ("before", "after"):
                check[side]["audit"] = getattr(self.model_check, side).audit.to_dict()
        return {
            "kind": "mitigation",
            "method": self.method,
            "output": str(self.data) if isinstance(self.data, Path) else None,
            "plan": to_jsonable(self.plan),
            "comparison": self.comparison.to_dict(),
            "model_check": check,
        }

    def to_json(
        self, path: str | Path | None = None, *, indent: int | None = 2, overwrite: bool = False
    ) -> str:
        """Serialise to JSON text; also write it atomically to ``path`` when given (an
        existing file only with ``overwrite``; never the audited data itself)."""
        from audit._io import dump_json

        return dump_json(
            self.to_dict(), path, indent, overwrite=overwrite, inputs=(self.before.source.path,)
        )

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MitigationResult:
        """Rebuild from :meth:`to_dict` output. ``data`` is the output path (file outputs) or
        ``None``: the mitigated rows themselves are not part of the JSON."""
        try:
            method = data["method"]
            plan_type = ReweighingPlan if method == "reweighing" else ResamplingPlan
            plan = from_jsonable(plan_type, _plan_1_1(data["plan"]))
            comparison = Comparison.from_dict(data["comparison"])
            check = data.get("model_check")
            model_check = None if check is None else from_jsonable(ModelCheck, check)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ConfigError(
                f"Not a mitigation result ({type(exc).__name__}: {exc}). Hint: it must come "
                "from MitigationResult.to_json() or 'biasaudit mitigate --json'."
            ) from None
        output = Path(data["output"]) if data.get("output") else None
        return cls(
            method,
            output,
            plan,
            comparison.before,
            comparison.after,
            comparison,
            model_check,
        )


def _plan_1_1(plan: Mapping[str, Any]) -> dict[str, Any]:
    """A plan as schemas 1.1 and later name it (1.0 said ``attributes`` and ``favourable``;
    its cells are a list of objects)."""
    out = dict(plan)
    if "attributes" in out and "over" not in out:
        out["over"] = out.pop("attributes")
    if isinstance(out.get("cells"), list):
        out["cells"] = [
            {("favorable" if k == "favourable" else k): v for k, v in cell.items()}
            for cell in out["cells"]
        ]
    return out
