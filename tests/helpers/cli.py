"""Running `svf` in the test process, as the console script does."""

from __future__ import annotations

import pytest

from pipeline.cli.app import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run `svf argv` in this process, as the console script does; (exit status, stdout, stderr)."""
    with pytest.raises(SystemExit) as info:
        main(list(argv))
    captured = capsys.readouterr()
    return int(info.value.code or 0), captured.out, captured.err
