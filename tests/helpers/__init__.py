"""What several test modules share, imported explicitly (`from tests.helpers.X import ...`).

- `cycle_repo`: git, dvc and svf in the review-cycle tests' temporary repositories.
- `validate_fixtures`: a small cycle folder and returns for the validate tests.
- `outcomes_frames`: small clean tables, as the validate stage writes them, for compute tests.
- `report_fixtures`: a cycle built by the real validate and compute stages, for report tests.
- `report_pages`: reading a rendered report's HTML and PDF as a partner would.
- `hostile_files`: hostile and broken input files built byte by byte (also for benchmarks).
- `browser`: headless Chromium's path and flags.
- `cli`: `svf` run in the test process.

Fixtures built on them live in `tests/conftest.py`.
"""
