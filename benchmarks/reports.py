"""Benchmark: health-check reports for N partners, the pipeline's way and by hand.

    python benchmarks/reports.py --partners 50
    python benchmarks/reports.py --partners 200 --hand-limit 10

Builds a sample cycle with N partners under `benchmarks/out/` (git-ignored) with the real
sample, validate and compute stages, then renders the council report and every partner's report
in HTML and PDF, and times per report:

- builtin: `run_report_stage --renderer builtin` (a pool of `--jobs` workers, each importing the
  pipeline once, executing the notebook in-process per audience and rendering HTML with Jinja2
  and PDF with Typst in-process);
- quarto: `run_report_stage --renderer quarto` (the same workers execute the notebooks, then the
  real Quarto CLI renders them, several documents per `quarto render` call, `--jobs` calls at
  once; needs `quarto` on PATH);
- by hand: what an analyst would script without this project: for each partner, the `papermill`
  CLI (a fresh kernel that imports everything), then `quarto render executed.ipynb --to html`
  and `quarto render executed.ipynb --to typst`, one partner after another (needs `quarto`).

The by-hand loop is slow, so `--hand-limit K` times it over the first K partners only; time per
report is what is compared, and the figures printed say how many reports each was measured over.
Wall time depends on what else the machine runs, so CPU time (this process and every child that
has ended, Quarto's pandoc and Typst included) is printed as well.
"""

from __future__ import annotations

import argparse
import os
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

    from pipeline.core.paths import CyclePaths
    from pipeline.outcomes.stage import run_compute_stage
    from pipeline.sample.generator import generate_sample
    from pipeline.validate.stage import run_validate_stage

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


def pipeline_way(
    ws: Path, jobs: int, formats: list[str], renderer: str
) -> tuple[float, float, int]:
    from pipeline.core.paths import CyclePaths
    from pipeline.report.stage import run_report_stage

    paths = CyclePaths.of("bench", ws)
    shutil.rmtree(paths.reports / "partners", ignore_errors=True)
    start, cpu = time.perf_counter(), cpu_seconds()
    code = run_report_stage(
        paths, partners="all", renderer=renderer, formats=formats, jobs=jobs, console=None
    )
    elapsed, cpu = time.perf_counter() - start, cpu_seconds() - cpu
    if code != 0:
        raise SystemExit(f"pipeline report stage ({renderer}) failed")
    return elapsed, cpu, len(list((paths.reports / "partners").iterdir())) + 1


def by_hand(ws: Path, partner_ids: list[str], formats: list[str]) -> tuple[float, float, int]:
    """papermill per partner, then `quarto render` per format, one partner after another."""
    quarto = shutil.which("quarto")
    assert quarto is not None
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
            to = {"html": "html", "pdf": "typst"}[fmt]
            subprocess.run(
                [quarto, "render", executed.name, "--to", to, "--no-execute", "--quiet"],
                cwd=out,
                check=True,
                capture_output=True,
            )
            suffix = ".html" if fmt == "html" else ".pdf"
            if not executed.with_suffix(suffix).exists():
                raise SystemExit(f"by hand: quarto wrote no {executed.with_suffix(suffix).name}")
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
    ap.add_argument("--renderers", default="builtin,quarto", help="our renderers to time")
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

    if shutil.which("quarto") is None:
        raise SystemExit("quarto is not on PATH: the by-hand loop and the Quarto renderer need it")
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"partners: {args.partners}, formats: {','.join(formats)}, jobs: {args.jobs}, "
        f"load average at start: {load}"
    )
    rows = []
    for renderer in args.renderers.split(","):
        wall, cpu, n = pipeline_way(ws, args.jobs, formats, renderer)
        rows.append((f"svf report --renderer {renderer}", wall, cpu, n))
    wall, cpu, n = by_hand(ws, hand_ids, formats)
    hand = ("by hand: papermill + quarto render", wall, cpu, n)
    for label, wall, cpu, n in [*rows, hand]:
        print(
            f"{label:38s}: {n:4d} reports in {wall:7.1f} s = {wall / n:6.2f} s per report "
            f"(CPU {cpu / n:.2f} s per report)"
        )
    for label, wall, cpu, n in rows:
        print(
            f"ratio {label:32s}: {(hand[1] / hand[3]) / (wall / n):5.1f}x faster per report "
            f"than by hand (wall), {(hand[2] / hand[3]) / (cpu / n):5.1f}x less CPU"
        )
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"load average at end: {load}")


if __name__ == "__main__":
    main()
