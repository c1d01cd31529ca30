"""Benchmark: health-check reports for N partners, the pipeline's way and by hand.

    python benchmarks/reports.py --partners 50
    python benchmarks/reports.py --partners 200 --hand-limit 40

Builds a sample cycle with N partners under `benchmarks/out/` (git-ignored) with the real
sample, validate and compute stages, then renders the council report and every partner's report
in HTML and PDF two ways, in one run:

- pipeline: `run_report_stage` (a pool of `--jobs` workers, each importing the pipeline once,
  executing the notebook in-process per audience and rendering HTML and PDF in-process);
- by hand: what a user would script: for each partner, the `papermill` CLI (a fresh kernel that
  imports everything), then one render process per format (as `quarto render --to html` and
  `--to typst` would be), one partner after another.

The by-hand loop is slow, so `--hand-limit K` times it over the first K partners only; time per
report is what is compared, and the figures printed say how many reports each was measured over.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def cpu_seconds() -> float:
    """CPU time of this process and of every child that has ended (workers, subprocesses).

    The build machine is shared, so wall time depends on what else runs; CPU time does not.
    """
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


BIN = Path(sys.executable).parent


def build_workspace(out: Path, partners: int, seed: int) -> Path:
    """A workspace with a validated, computed sample cycle of `partners` partners."""
    from rich.console import Console

    from pipeline.compute import run_compute_stage
    from pipeline.paths import CyclePaths
    from pipeline.sample import generate_sample
    from pipeline.validate import run_validate_stage

    ws = out / f"reports-{partners}"
    paths = CyclePaths.of("bench", ws)
    if paths.measures.exists() and (paths.clean / "findings.json").exists():
        return ws  # reuse: the benchmark is of rendering, not of validate and compute
    shutil.rmtree(ws, ignore_errors=True)
    (ws / "data").mkdir(parents=True)
    shutil.copytree(ROOT / "data" / "reference", ws / "data" / "reference")
    for name in ("notebooks", "expectations"):
        shutil.copytree(ROOT / name, ws / name)
    shutil.copy(ROOT / "params.yaml", ws / "params.yaml")
    generate_sample(
        paths.raw, partners=partners, years=3, seed=seed, end_period="2025/26", messy=True
    )
    if run_validate_stage(paths, strict=False, console=Console(quiet=True)) not in (0, 1):
        raise SystemExit("validate failed")
    if run_compute_stage(paths, proxies=None, console=Console(quiet=True)) != 0:
        raise SystemExit("compute failed")
    return ws


def pipeline_way(ws: Path, jobs: int, formats: list[str]) -> tuple[float, float, int]:
    from pipeline.paths import CyclePaths
    from pipeline.report import run_report_stage

    paths = CyclePaths.of("bench", ws)
    shutil.rmtree(paths.reports / "partners", ignore_errors=True)
    start, cpu = time.perf_counter(), cpu_seconds()
    code = run_report_stage(
        paths, partners="all", renderer="builtin", formats=formats, jobs=jobs, console=None
    )
    elapsed, cpu = time.perf_counter() - start, cpu_seconds() - cpu
    if code != 0:
        raise SystemExit("pipeline report stage failed")
    return elapsed, cpu, len(list((paths.reports / "partners").iterdir())) + 1


def by_hand(ws: Path, partner_ids: list[str], formats: list[str]) -> tuple[float, float, int]:
    out = ws / "by-hand"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir()
    start, cpu = time.perf_counter(), cpu_seconds()
    for pid in partner_ids:
        executed = out / f"{pid}.ipynb"
        subprocess.run(
            [
                str(BIN / "papermill"),
                str(ws / "notebooks" / "03_health_check.ipynb"),
                str(executed),
                "-p",
                "cycle",
                "bench",
                "-p",
                "workspace",
                str(ws),
                "-p",
                "audience",
                pid,
                "-k",
                "python3",
                "--no-progress-bar",
            ],
            check=True,
            capture_output=True,
        )
        for fmt in formats:
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "pipeline.render_builtin",
                    str(executed),
                    str(out / pid),
                    fmt,
                ],
                check=True,
                capture_output=True,
            )
    return time.perf_counter() - start, cpu_seconds() - cpu, len(partner_ids)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--partners", type=int, default=50)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument(
        "--hand-limit",
        type=int,
        default=0,
        help="time the by-hand loop over this many partners (0: all)",
    )
    ap.add_argument("--formats", default="html,pdf")
    ap.add_argument("--seed", type=int, default=2025)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out")
    args = ap.parse_args()
    formats = args.formats.split(",")

    t0 = time.perf_counter()
    ws = build_workspace(args.out, args.partners, args.seed)
    print(f"workspace {ws} ready in {time.perf_counter() - t0:.1f} s")

    import pandas as pd

    ids = sorted(
        pd.read_parquet(ws / "data" / "clean" / "bench" / "partners.parquet")["partner_id"]
    )
    hand_ids = ids[: args.hand_limit] if args.hand_limit else ids

    fast, fast_cpu, n_fast = pipeline_way(ws, args.jobs, formats)
    slow, slow_cpu, n_slow = by_hand(ws, hand_ids, formats)
    per_fast, per_slow = fast / n_fast, slow / n_slow
    cpu_fast, cpu_slow = fast_cpu / n_fast, slow_cpu / n_slow
    load = " ".join(f"{x:.1f}" for x in __import__("os").getloadavg())
    print(
        f"partners: {args.partners}, formats: {','.join(formats)}, jobs: {args.jobs}, "
        f"load average at end: {load}"
    )
    print(
        f"pipeline : {n_fast:4d} reports in {fast:7.1f} s = {per_fast:6.3f} s per report "
        f"(CPU {cpu_fast:.3f} s per report)"
    )
    print(
        f"by hand  : {n_slow:4d} reports in {slow:7.1f} s = {per_slow:6.3f} s per report "
        f"(CPU {cpu_slow:.3f} s per report)"
        f"{' (first ' + str(n_slow) + ' partners)' if n_slow < len(ids) else ''}"
    )
    print(
        f"ratio    : {per_slow / per_fast:.1f}x faster per report (wall time), "
        f"{cpu_slow / cpu_fast:.1f}x less CPU per report"
    )


if __name__ == "__main__":
    main()
