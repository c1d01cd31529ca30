"""The compute stage (being built: see the issue for this stage)."""

from __future__ import annotations

from pipeline.errors import UserError


def run_compute_stage(paths, **kwargs) -> int:  # noqa: ANN001
    raise UserError("the compute stage is not built yet")
