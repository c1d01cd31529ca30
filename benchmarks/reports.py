"""Benchmark: health-check reports for N partners, the pipeline's way and by hand.

    python benchmarks/reports.py --partners 50
    python benchmarks/reports.py --partners 200 --hand-limit 10
    python benchmarks/reports.py --partners 200 --renderers builtin --hand-limit -1 \
        --baseline ../base          # before/after: another checkout's code, same cycle, same run
    python benchmarks/reports.py --partners 2000 --renderers builtin --hand-limit -1
    python benchmarks/reports.py --partners 200 --profile 10   # cProfile 10 partner reports
    python benchmarks/reports.py --partners 200 --rss-trace 600  # one worker's memory, 600 reports
    python benchmarks/reports.py --partners 200,2000 --limit 200 --renderers builtin  # memory goal

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

The by-hand loop is slow, so `--hand-limit K` times it over the first K partners only (-1: not
at all); time per report is what is compared, and the figures printed say how many reports each
was measured over. Wall time depends on what else the machine runs, so CPU time (this process and
every child that has ended, Quarto's pandoc and Typst included) is printed as well.

Each run of the report stage happens in a fresh Python process (`measure`), which prints its wall
time, CPU seconds (its own and its workers'), and peak resident memory of the stage's parent
process and of its largest worker (`ru_maxrss`); `print_figures(executor, ...)` prints them, one
line per executor (`--executors`, for the stage's `--executor` choices; the process pool is the
default). `--baseline DIR` runs the same measurement with the code of another checkout (for
example `git worktree add ../base main`, or `git archive main | tar -x -C ../base`): same cycle,
same machine, same run, so "before" and "after" are comparable. `--limit K` renders the council
and only the first K partners of a large cycle (the workers still load the whole cycle).

`--partners A,B` (two sizes or more) measures the built-in renderer's report stage on a cycle of
each size (with `--limit K`, the same number of reports each time) and prints the peak memory of
the largest size against the smallest, parent and largest worker, against issue 16's goal 2: no
more than 1.5 times (`MEMORY_GOAL`).
"""

from __future__ import annotations

import argparse
import json
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


#: Run in a fresh interpreter by `measure`: the report stage of one code checkout, measured.
RUNNER = r"""
import inspect, json, resource, shutil, sys, time
from pathlib import Path
root, ws, renderer, formats, jobs, partners, executor = sys.argv[1:8]
try:
    from pipeline.report.stage import run_report_stage  # the stage packages layout
except ImportError:
    from pipeline.report import run_report_stage
from pipeline import __file__ as package
assert Path(package).resolve().is_relative_to(Path(root).resolve()), (package, root)
try:
    from pipeline.core.paths import CyclePaths
except ImportError:
    from pipeline.paths import CyclePaths
ws = Path(ws)
# The notebook imports the package: it must be the measured checkout's own notebook.
shutil.rmtree(ws / "notebooks", ignore_errors=True)
shutil.copytree(Path(root) / "notebooks", ws / "notebooks")
paths = CyclePaths.of("bench", ws)
shutil.rmtree(paths.reports / "partners", ignore_errors=True)
kwargs = {}
if "executor" in inspect.signature(run_report_stage).parameters:
    kwargs["executor"] = executor
elif executor != "process":
    raise SystemExit(f"this checkout has no --executor {executor}")
cpu0 = resource.getrusage(resource.RUSAGE_SELF)
start = time.perf_counter()
code = run_report_stage(paths, partners=partners, renderer=renderer,
                        formats=formats.split(","), jobs=int(jobs), console=None, **kwargs)
wall = time.perf_counter() - start
me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
cpu = me.ru_utime + me.ru_stime - cpu0.ru_utime - cpu0.ru_stime + kids.ru_utime + kids.ru_stime
reports = sum(1 for _ in (paths.reports / "partners").iterdir()) + 1
print(json.dumps({"code": code, "wall": wall, "cpu": cpu, "reports": reports,
                  "parent_mb": me.ru_maxrss / 1024, "worker_mb": kids.ru_maxrss / 1024}))
"""


def measure(
    ws: Path,
    *,
    root: Path = ROOT,
    renderer: str = "builtin",
    formats: list[str],
    jobs: int,
    partners: str = "all",
    executor: str = "process",
) -> dict[str, float]:
    """Run the report stage of the checkout at `root` in a fresh interpreter (its imports and
    memory its own): wall and CPU seconds, reports written, peak RSS of parent and workers."""
    env = {**os.environ, "PYTHONPATH": str(root)}
    run = subprocess.run(
        [
            sys.executable,
            "-c",
            RUNNER,
            str(root),
            str(ws),
            renderer,
            ",".join(formats),
            str(jobs),
            partners,
            executor,
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=root,  # `python -c` puts the working directory first on sys.path
    )
    if run.returncode != 0:
        raise SystemExit(f"report stage ({root}, {renderer}, {executor}) failed:\n{run.stderr}")
    figures = json.loads(run.stdout.strip().splitlines()[-1])
    if figures["code"] != 0:
        raise SystemExit(f"report stage ({root}, {renderer}, {executor}) exit {figures['code']}")
    return figures


def print_figures(executor: str, label: str, figures: dict[str, float]) -> None:
    """One line of figures for one executor: time and CPU per report, peak memory."""
    n = figures["reports"]
    print(
        f"{label:34s} executor {executor:8s}: {n:5d} reports in {figures['wall']:7.1f} s = "
        f"{figures['wall'] / n:5.3f} s per report; CPU {figures['cpu'] / n:5.3f} s per report; "
        f"peak RSS parent {figures['parent_mb']:6.0f} MB, largest worker "
        f"{figures['worker_mb']:6.0f} MB"
    )


def profile(ws: Path, count: int, formats: list[str]) -> None:
    """cProfile `count` partner reports rendered one after another in this process (after one
    report to warm the caches, as a worker would be), the top functions by cumulative time."""
    import cProfile
    import pstats

    from pipeline.core.paths import CyclePaths
    from pipeline.report import audience, stage
    from pipeline.report.views import load_cycle

    shutil.rmtree(ws / "notebooks", ignore_errors=True)
    shutil.copytree(ROOT / "notebooks", ws / "notebooks")
    paths = CyclePaths.of("bench", ws)
    ids = load_cycle(paths).partner_ids[: count + 1]
    staging = stage.staging_dir(paths)
    audience.render_audience(paths, ids[0], "builtin", formats, staging)
    prof = cProfile.Profile()
    cpu = time.process_time()
    prof.enable()
    for pid in ids[1:]:
        r = audience.render_audience(paths, pid, "builtin", formats, staging)
        if r.error:
            raise SystemExit(r.error)
    prof.disable()
    cpu = time.process_time() - cpu
    shutil.rmtree(staging, ignore_errors=True)
    print(f"profiled {len(ids) - 1} partner reports: {cpu / (len(ids) - 1):.3f} CPU s each")
    pstats.Stats(prof).sort_stats("cumulative").print_stats(30)


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


def rss_mb() -> float:
    """This process's resident memory now (Linux), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def rss_trace(ws: Path, count: int, formats: list[str]) -> None:
    """Render `count` partner reports one after another in this process, as one worker would
    (cycling through the partners), printing resident memory as it goes: a worker's memory
    must not grow with the number of reports it renders."""
    from pipeline.core.paths import CyclePaths
    from pipeline.report import audience, stage
    from pipeline.report.views import load_cycle

    shutil.rmtree(ws / "notebooks", ignore_errors=True)
    shutil.copytree(ROOT / "notebooks", ws / "notebooks")
    paths = CyclePaths.of("bench", ws)
    ids = load_cycle(paths).partner_ids
    staging = stage.staging_dir(paths)
    step = max(1, count // 8)
    print(f"RSS after loading the cycle: {rss_mb():.0f} MB")
    for i in range(count):
        r = audience.render_audience(paths, ids[i % len(ids)], "builtin", formats, staging)
        if r.error:
            raise SystemExit(r.error)
        if (i + 1) % step == 0 or i + 1 == count:
            print(f"RSS after {i + 1:5d} partner reports: {rss_mb():.0f} MB")
    shutil.rmtree(staging, ignore_errors=True)


#: Issue 16, goal 2: the report stage at the largest size uses no more than this many times the
#: resident memory it uses at the smallest (parent and largest worker alike).
MEMORY_GOAL = 1.5


def memory_scaling(
    sizes: list[int],
    *,
    out: Path,
    seed: int,
    limit: int,
    formats: list[str],
    jobs: int,
    executors: list[str],
    baseline: Path | None = None,
) -> None:
    """The report stage (built-in renderer) on a cycle of each size, then the peak memory of the
    largest size over the smallest's, against `MEMORY_GOAL`; with `baseline`, that checkout's
    code too (process pool), in the same run."""
    import pandas as pd

    runs = [(f"before ({baseline.name})", baseline.resolve(), "process")] if baseline else []
    runs += [("this checkout", ROOT, executor) for executor in executors]
    results: dict[tuple[int, str, str], dict[str, float]] = {}
    for n in sizes:
        ws = build_workspace(out, n, seed)
        ids = sorted(
            pd.read_parquet(ws / "data" / "clean" / "bench" / "partners.parquet")["partner_id"]
        )
        chosen = ",".join(ids[:limit]) if limit else "all"
        for code, root, executor in runs:
            figures = measure(
                ws, root=root, formats=formats, jobs=jobs, partners=chosen, executor=executor
            )
            label = f"{code}: {n} partners, {min(limit, n) if limit else n} rendered"
            print_figures(executor, label, figures)
            results[(n, code, executor)] = figures
    small, large = sizes[0], sizes[-1]
    for code, _, executor in runs:
        a, b = results[(small, code, executor)], results[(large, code, executor)]
        parent = b["parent_mb"] / a["parent_mb"]
        worker = b["worker_mb"] / a["worker_mb"]
        met = max(parent, worker) <= MEMORY_GOAL
        print(
            f"memory at {large} partners / at {small}, {code}, executor {executor}: parent "
            f"{parent:.2f}x ({a['parent_mb']:.0f} -> {b['parent_mb']:.0f} MB), largest worker "
            f"{worker:.2f}x ({a['worker_mb']:.0f} -> {b['worker_mb']:.0f} MB); goal, no more "
            f"than {MEMORY_GOAL}x: {'met' if met else 'NOT met'}"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument(
        "--partners",
        default="50",
        help="partners in the sample cycle; several (200,2000): memory against the cycle's size",
    )
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument(
        "--hand-limit",
        type=int,
        default=0,
        help="time the by-hand loop over this many partners (0: all, -1: not at all)",
    )
    ap.add_argument("--formats", default="html,pdf")
    ap.add_argument("--renderers", default="builtin,quarto", help="our renderers to time")
    ap.add_argument(
        "--executors", default="process", help="the report stage's executors to time (builtin)"
    )
    ap.add_argument(
        "--baseline", type=Path, help="another checkout: time its report stage too (builtin)"
    )
    ap.add_argument("--limit", type=int, default=0, help="render only the first K partners")
    ap.add_argument("--profile", type=int, default=0, help="cProfile K partner reports, then stop")
    ap.add_argument(
        "--rss-trace", type=int, default=0, help="memory over K reports in one process, then stop"
    )
    ap.add_argument("--seed", type=int, default=2025)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out")
    args = ap.parse_args()
    formats = args.formats.split(",")

    sizes = [int(x) for x in str(args.partners).split(",") if x.strip()]
    if len(sizes) > 1:
        load = " ".join(f"{x:.1f}" for x in os.getloadavg())
        print(f"sizes {sizes}, formats {','.join(formats)}, jobs {args.jobs}, load average {load}")
        memory_scaling(
            sizes,
            out=args.out,
            seed=args.seed,
            limit=args.limit,
            formats=formats,
            jobs=args.jobs,
            executors=args.executors.split(","),
            baseline=args.baseline,
        )
        load = " ".join(f"{x:.1f}" for x in os.getloadavg())
        print(f"load average at end: {load}")
        return
    args.partners = sizes[0]
    t0 = time.perf_counter()
    ws = build_workspace(args.out, args.partners, args.seed)
    print(f"workspace {ws} ready in {time.perf_counter() - t0:.1f} s")
    if args.profile:
        profile(ws, args.profile, formats)
        return
    if args.rss_trace:
        rss_trace(ws, args.rss_trace, formats)
        return

    import pandas as pd

    ids = sorted(
        pd.read_parquet(ws / "data" / "clean" / "bench" / "partners.parquet")["partner_id"]
    )
    chosen = ",".join(ids[: args.limit]) if args.limit else "all"
    hand_ids = [] if args.hand_limit < 0 else ids[: args.hand_limit] if args.hand_limit else ids
    renderers = args.renderers.split(",")
    if ("quarto" in renderers or hand_ids) and shutil.which("quarto") is None:
        raise SystemExit("quarto is not on PATH: the by-hand loop and the Quarto renderer need it")
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"partners: {args.partners} (rendered: {args.limit or 'all'}), formats: "
        f"{','.join(formats)}, jobs: {args.jobs}, load average at start: {load}"
    )
    rows = []
    if args.baseline is not None:
        figures = measure(
            ws, root=args.baseline.resolve(), formats=formats, jobs=args.jobs, partners=chosen
        )
        print_figures("process", f"before ({args.baseline.name})", figures)
        rows.append(("before: svf report --renderer builtin", figures))
    for renderer in renderers:
        for executor in args.executors.split(",") if renderer == "builtin" else ["process"]:
            figures = measure(
                ws,
                renderer=renderer,
                formats=formats,
                jobs=args.jobs,
                partners=chosen,
                executor=executor,
            )
            label = f"svf report --renderer {renderer}"
            print_figures(executor, "after (this checkout)" if args.baseline else label, figures)
            rows.append((label if executor == "process" else f"{label} ({executor})", figures))
    if hand_ids:
        wall, cpu, n = by_hand(ws, hand_ids, formats)
        print(
            f"{'by hand: papermill + quarto render':38s}: {n:4d} reports in {wall:7.1f} s = "
            f"{wall / n:6.2f} s per report (CPU {cpu / n:.2f} s per report)"
        )
        for label, f in rows:
            print(
                f"ratio {label:32s}: {(wall / n) / (f['wall'] / f['reports']):5.1f}x faster per "
                f"report than by hand (wall), {(cpu / n) / (f['cpu'] / f['reports']):5.1f}x less CPU"
            )
    if args.baseline is not None and len(rows) > 1:
        before, after = rows[0][1], rows[1][1]
        print(
            f"after / before: CPU per report "
            f"{(after['cpu'] / after['reports']) / (before['cpu'] / before['reports']):.2f}, "
            f"wall {after['wall'] / before['wall']:.2f}, peak worker RSS "
            f"{after['worker_mb'] / before['worker_mb']:.2f}"
        )
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"load average at end: {load}")


if __name__ == "__main__":
    main()
