"""Synthetic sample cycles (being built)."""

from pipeline.errors import UserError


def generate_sample(out_dir, **kwargs):  # noqa: ANN001
    raise UserError("svf sample is not built yet")
