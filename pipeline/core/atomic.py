"""Atomic writes: a file is either the old version or the complete new one, never half-written.

Every output goes to a temporary file in the same folder and is renamed into place, so an
interrupted run (Ctrl-C, a crash, a full disk) leaves no truncated report or table behind.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pandas as pd

TMP_MARK = "pid"
_TMP_NAME = re.compile(r"^\..+?\.(?:pid(\d+)\.)?[^.]+\.(?:tmp|ipynb)$")
#: A temporary file without a process id (written by an older version) is a leftover once it
#: is this old.
STALE_AFTER_SECONDS = 600


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    return True


def sweep_temporaries(*folders: Path) -> list[Path]:
    """Remove temporary files a killed run left under `folders` (`.<name>.pid<N>.<x>.tmp` and
    the executed-notebook `.ipynb` beside it) whose process is gone; return what was removed."""
    removed: list[Path] = []
    now = time.time()
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in folder.rglob(".*"):
            m = _TMP_NAME.match(path.name)
            if not m or not path.is_file():
                continue
            pid = m.group(1)
            if pid is not None:
                if _alive(int(pid)):
                    continue
            elif path.suffix != ".tmp" or now - path.stat().st_mtime < STALE_AFTER_SECONDS:
                continue
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
                removed.append(path)
    return removed


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_path(target: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside `target`; on success rename it over `target`."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    # The writer's process id is in the name, so the next run can tell a killed run's leftovers
    # (see `sweep_temporaries`) from a file another live run is writing.
    fd, tmp = tempfile.mkstemp(
        prefix=f".{target.name}.{TMP_MARK}{os.getpid()}.", suffix=".tmp", dir=target.parent
    )
    # mkstemp makes the file private (0600); give it the mode a normal write would (0666 - umask)
    # so reports can be shared and served like any other file.
    os.fchmod(fd, 0o666 & ~_umask())
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.replace(tmp_path, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp_path.unlink()
        raise


@contextlib.contextmanager
def atomic_open(
    target: str | Path, mode: str = "w", encoding: str | None = "utf-8"
) -> Iterator[IO[Any]]:
    """Open a temporary file for writing; it replaces `target` only if the block succeeds."""
    if "b" in mode:
        encoding = None
    with atomic_path(target) as tmp, open(tmp, mode, encoding=encoding) as fh:
        yield fh
        fh.flush()
        os.fsync(fh.fileno())


def write_text(target: str | Path, text: str) -> Path:
    with atomic_open(target, "w") as fh:
        fh.write(text)
    return Path(target)


def write_bytes(target: str | Path, data: bytes) -> Path:
    with atomic_open(target, "wb") as fh:
        fh.write(data)
    return Path(target)


def write_json(target: str | Path, obj: Any) -> Path:
    """Write JSON with sorted keys and a trailing newline, so DVC and git diffs are stable."""
    return write_text(target, json.dumps(obj, indent=2, sort_keys=True, default=str) + "\n")


def write_parquet(target: str | Path, frame: pd.DataFrame) -> Path:
    with atomic_path(target) as tmp:
        frame.to_parquet(tmp, index=False)
    return Path(target)


def write_csv(target: str | Path, frame: pd.DataFrame) -> Path:
    """Write CSV safely for spreadsheets: text that starts like a formula is neutralised.

    A partner could type `=HYPERLINK(...)` in a comment; Excel would run it. Prefixing such
    cells with a single quote is the OWASP-recommended defence against CSV injection.
    """
    safe = frame.copy()
    for col in safe.columns:
        if safe[col].dtype == object or pd.api.types.is_string_dtype(safe[col]):
            safe[col] = safe[col].map(neutralise_formula)
    with atomic_open(target, "w") as fh:
        safe.to_csv(fh, index=False, lineterminator="\n")
    return Path(target)


FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formula(value: Any) -> Any:
    """Prefix a text cell that a spreadsheet would treat as a formula with a single quote."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        # Plain negative numbers stay numbers.
        try:
            float(value)
            return value
        except ValueError:
            return "'" + value
    return value
