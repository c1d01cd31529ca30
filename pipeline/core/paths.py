"""Where every stage reads and writes, for one review cycle under one workspace root.

One place decides the layout of `../shared/DESIGN.md`, so the CLI, the notebooks, `dvc.yaml`
and the tests never spell a path twice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from pipeline.core.errors import UserError

CYCLE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


def check_cycle_name(cycle: str) -> str:
    """A cycle id becomes a folder name and a git tag, so it must be a plain name."""
    if not CYCLE_NAME.match(cycle or ""):
        raise UserError(
            f"cycle {cycle!r} is not a valid cycle id: use letters, digits, '.', '-' or '_' "
            "(for example 2025-26 or sample)"
        )
    return cycle


@dataclass(frozen=True)
class CyclePaths:
    """The folders and files of one cycle under `workspace`."""

    workspace: Path
    cycle: str

    @classmethod
    def of(cls, cycle: str, workspace: str | Path = ".") -> CyclePaths:
        return cls(Path(workspace).resolve(), check_cycle_name(cycle))

    # inputs
    @property
    def raw(self) -> Path:
        return self.workspace / "data" / "raw" / self.cycle

    @property
    def reference(self) -> Path:
        return self.workspace / "data" / "reference"

    @property
    def framework(self) -> Path:
        return self.reference / "framework.yaml"

    @property
    def params(self) -> Path:
        return self.workspace / "params.yaml"

    @property
    def expectations(self) -> Path:
        return self.workspace / "expectations"

    @property
    def notebooks(self) -> Path:
        return self.workspace / "notebooks"

    # clean data
    @property
    def clean(self) -> Path:
        return self.workspace / "data" / "clean" / self.cycle

    def clean_table(self, name: str) -> Path:
        """`data/clean/<cycle>/<name>.parquet` (returns, partners, contracts, spend, ...)."""
        return self.clean / f"{name}.parquet"

    @property
    def quarantine(self) -> Path:
        return self.clean / "quarantine.parquet"

    @property
    def superseded(self) -> Path:
        return self.clean / "superseded.parquet"

    @property
    def measures(self) -> Path:
        return self.clean / "measures.parquet"

    @property
    def findings(self) -> Path:
        return self.clean / "findings.json"

    # reports
    @property
    def reports(self) -> Path:
        return self.workspace / "reports" / self.cycle

    @property
    def data_quality(self) -> Path:
        return self.reports / "data-quality"

    @property
    def validation_json(self) -> Path:
        return self.data_quality / "validation.json"

    @property
    def metrics(self) -> Path:
        return self.reports / "metrics"

    @property
    def plots(self) -> Path:
        return self.reports / "plots"

    @property
    def executed(self) -> Path:
        """Executed copies of the notebooks, kept for audit."""
        return self.reports / "notebooks"

    @property
    def council_report_dir(self) -> Path:
        return self.reports / "council"

    def partner_report_dir(self, partner_id: str) -> Path:
        return self.reports / "partners" / partner_id

    @property
    def index_html(self) -> Path:
        return self.reports / "index.html"

    def require_raw(self) -> Path:
        if not self.raw.is_dir():
            raise UserError(
                f"no input folder {self.raw}: put the cycle's returns there "
                f"(or run `svf sample` to make sample data)"
            )
        return self.raw
