"""One progress display per stage, wherever the stage's code runs.

Stage code reports progress through a `Reporter`. In the CLI's own process that is a rich
progress bar. Inside a notebook kernel run by papermill the reporter prints one structured line per
step (`##svf-progress {...}`), which `pipeline.core.notebooks` reads from the kernel's output stream and
feeds to the CLI's rich bar, so the analyst sees the stage move even though it runs in a kernel.
"""

from __future__ import annotations

import json
import os
import sys
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from rich.progress import TaskID

PREFIX = "##svf-progress "
ENV = "SVF_PROGRESS"


class Reporter(Protocol):
    def start(self, total: int, description: str) -> None: ...
    def advance(self, step: int = 1, label: str = "") -> None: ...
    def finish(self) -> None: ...


class NullReporter:
    """Reports nothing (tests, library use)."""

    def start(self, total: int, description: str) -> None:
        pass

    def advance(self, step: int = 1, label: str = "") -> None:
        pass

    def finish(self) -> None:
        pass


class LineReporter:
    """Prints machine-readable progress lines for the parent process to display."""

    def __init__(self, stream=None) -> None:
        self.stream = stream or sys.stdout

    def _emit(self, **event: object) -> None:
        self.stream.write(PREFIX + json.dumps(event) + "\n")
        self.stream.flush()

    def start(self, total: int, description: str) -> None:
        self._emit(event="start", total=total, description=description)

    def advance(self, step: int = 1, label: str = "") -> None:
        self._emit(event="advance", step=step, label=label)

    def finish(self) -> None:
        self._emit(event="finish")


class RichReporter:
    """A rich progress bar on stderr, for the CLI."""

    def __init__(self, console=None) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
        )

        self.progress = Progress(
            SpinnerColumn(),
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.fields[label]}"),
            console=console or Console(stderr=True),
            transient=False,
        )
        self.task: TaskID | None = None

    def start(self, total: int, description: str) -> None:
        if self.task is None:
            self.progress.start()
        else:
            self.progress.stop_task(self.task)
        self.task = self.progress.add_task(description, total=total or None, label="")

    def advance(self, step: int = 1, label: str = "") -> None:
        if self.task is not None:
            self.progress.update(self.task, advance=step, label=label)

    def finish(self) -> None:
        if self.task is not None:
            self.progress.stop()
            self.task = None

    def handle_line(self, line: str) -> bool:
        """Apply a `##svf-progress` line; return False if the line is not one."""
        if not line.startswith(PREFIX):
            return False
        event = json.loads(line[len(PREFIX) :])
        kind = event.get("event")
        if kind == "start":
            self.start(int(event.get("total", 0)), str(event.get("description", "")))
        elif kind == "advance":
            self.advance(int(event.get("step", 1)), str(event.get("label", "")))
        elif kind == "finish" and self.task is not None:
            self.progress.update(self.task, completed=self.progress.tasks[-1].total or 0)
        return True


def from_env() -> Reporter:
    """The reporter for code running in a notebook: lines if the CLI asked for them, else none."""
    return LineReporter() if os.environ.get(ENV) == "lines" else NullReporter()
