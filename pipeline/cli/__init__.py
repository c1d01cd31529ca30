"""The `svf` command line: one command per stage and per cycle task (`app.main`)."""

from pipeline.cli.app import main

__all__ = ["main"]
