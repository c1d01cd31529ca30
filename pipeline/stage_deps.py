"""Which files of the `pipeline` package each DVC stage runs, so `dvc.yaml` deps stay exact.

A stage depends on its entry module (`pipeline.validate`, ...), the modules its notebook imports,
and everything those import in turn inside the package. `cli.py` is the command every stage runs,
but it imports each stage lazily inside its own command, so only its top-level imports count:
otherwise a change to the report code would re-run validation.

`python -m pipeline.stage_deps` prints the lists; a test checks `dvc.yaml` against them.
"""

from __future__ import annotations

import ast
import json
import sys
from pathlib import Path

PACKAGE = "pipeline"

#: The stage's module and its notebook.
STAGES: dict[str, tuple[str, str]] = {
    "validate": ("pipeline.validate", "notebooks/01_validate.ipynb"),
    "compute": ("pipeline.compute", "notebooks/02_outcomes.ipynb"),
    "report": ("pipeline.report", "notebooks/03_health_check.ipynb"),
}


def _module_file(root: Path, module: str) -> Path | None:
    rel = Path(*module.split("."))
    for candidate in (root / rel.with_suffix(".py"), root / rel / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _imports(tree: ast.AST, current: str, *, top_level_only: bool = False) -> set[str]:
    """Modules of the package imported in `tree` (absolute names)."""
    nodes = tree.body if top_level_only and isinstance(tree, ast.Module) else ast.walk(tree)
    found: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == PACKAGE}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = current.split(".")[: -node.level]
                base = ".".join([*parent, base] if base else parent)
            if base.split(".")[0] != PACKAGE:
                continue
            found.add(base)
            # `from pipeline import atomic` imports a module, not a name.
            found |= {f"{base}.{a.name}" for a in node.names}
    return found


def _notebook_imports(path: Path) -> set[str]:
    if not path.is_file():
        return set()
    nb = json.loads(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        source = "".join(cell.get("source", []))
        # IPython magics and shell lines are not Python; drop them before parsing.
        lines = [ln for ln in source.splitlines() if not ln.lstrip().startswith(("%", "!"))]
        try:
            found |= _imports(ast.parse("\n".join(lines)), "__notebook__")
        except SyntaxError:
            continue
    return found


def closure(root: Path, modules: set[str]) -> set[str]:
    """Every package module reachable from `modules` through imports (existing files only)."""
    seen: set[str] = set()
    todo = list(modules)
    while todo:
        module = todo.pop()
        if module in seen:
            continue
        path = _module_file(root, module)
        if path is None:
            continue
        seen.add(module)
        todo += _imports(ast.parse(path.read_text(encoding="utf-8")), module)
    return seen


def _cli_imports(cli: Path, stage: str) -> set[str]:
    """What `svf <stage>` imports: cli.py's top level, its helpers and the stage's command.

    The other commands' lazy imports are left out, and so is the registration of the `cycle`
    sub-app, which adds commands but changes nothing a stage computes.
    """
    tree = ast.parse(cli.read_text(encoding="utf-8"))
    found = _imports(tree, "pipeline.cli", top_level_only=True)
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef) or node.name.startswith("_register"):
            continue
        if node.name == stage or not node.decorator_list:
            found |= _imports(node, "pipeline.cli")
    return found


def stage_files(root: Path, stage: str) -> list[str]:
    """Package files (paths relative to `root`) the stage runs, sorted."""
    entry, notebook = STAGES[stage]
    cli = _module_file(root, "pipeline.cli")
    cli_imports = _cli_imports(cli, stage) if cli else set()
    modules = closure(root, {entry, *cli_imports, *_notebook_imports(root / notebook)})
    files = {str(_module_file(root, m).relative_to(root)) for m in modules}  # type: ignore[union-attr]
    if cli:
        files.add("pipeline/cli.py")
    return sorted(files)


def main() -> None:
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(".")
    for stage in STAGES:
        print(f"{stage}:")
        for f in stage_files(root, stage):
            print(f"  - {f}")


if __name__ == "__main__":
    main()
