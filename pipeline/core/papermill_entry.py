"""The `papermill.engine` entry point `svf-inprocess`: a light stand-in for
`pipeline.core.papermill_engine.InProcessEngine`.

Papermill loads every registered engine while `import papermill` itself runs. The engine
subclasses papermill's `Engine`, so importing the engine module before papermill would start
papermill's import, which would load the entry point from the half-imported engine module and
fail. This class imports nothing at load time; papermill calls its three class methods (the whole
interface papermill uses of an engine) and they hand over to the real engine.
"""

from __future__ import annotations

from typing import Any


def _engine() -> Any:
    from pipeline.core.papermill_engine import InProcessEngine

    return InProcessEngine


class InProcessEngine:
    """What papermill registers as `svf-inprocess`: forwards to the in-process engine."""

    @classmethod
    def execute_notebook(cls, *args: Any, **kwargs: Any) -> Any:
        return _engine().execute_notebook(*args, **kwargs)

    @classmethod
    def nb_kernel_name(cls, nb: Any, name: str | None = None) -> str:
        return str(_engine().nb_kernel_name(nb, name))

    @classmethod
    def nb_language(cls, nb: Any, language: str | None = None) -> str:
        return str(_engine().nb_language(nb, language))
