"""What every stage shares: paths, settings, periods, the framework, the data contract, the
bounded readers, statuses, atomic writes, progress and errors.

Nothing in `core` imports a stage; every stage imports `core` (the layers are checked by
import-linter, see `pyproject.toml`).
"""
