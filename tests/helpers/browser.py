"""Headless Chromium for the browser tests: Debian's `chromium` package (installed by `.ci/run`),
driven by the PyPI playwright package through `executable_path`; no browser is downloaded."""

from __future__ import annotations

from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
