"""Benchmark: validate N return rows (plus registers); print wall time, CPU time and peak memory.

    .venv/bin/python benchmarks/validate.py [--rows 100000] [--files 50] [--source synthetic]
        [--baseline REF] [--profile] [--workspace DIR]

Builds a cycle in a temporary workspace, then validates it in a fresh child process, so the
figures are the validate stage's alone (not the build's, nor an earlier run's): wall seconds,
CPU seconds (user + system, from the child's own rusage) and peak resident memory (its max RSS).

- `--source synthetic` (default): 400 partners with five contracts each, returns spread over
  `--files` CSV files, about 1 % of rows carrying a fault (text in a number, an unknown contract,
  a duplicate).
- `--source sample`: `svf sample --messy` with enough partners and years for `--rows` (about
  5.7 return rows per partner and year, one or two files per partner, some XLSX; 8 % of rows
  faulty, 5 % revised), the realistic mix of faults the validator must report.

`--baseline REF` also validates the same files with the code of git revision REF (extracted
with `git archive` into a temporary folder), before the working tree's code, so before and after
are measured on the same machine in the same run. How busy the machine was is printed too: the
load average, and the share of all cores that were busy during each run, ours and others'.
`--profile` prints the child's cProfile (cumulative) top 40.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import random
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _spec_names(kind: str) -> list[str]:
    sys.path.insert(0, str(ROOT))
    try:
        from pipeline.core.contract import spec
    except ImportError:  # the layout before the stage packages (issue 13)
        from pipeline.contract import spec
    return list(spec(kind).names)


def _load_framework(path: Path):  # noqa: ANN202
    try:
        from pipeline.core.framework import load_framework
    except ImportError:
        from pipeline.framework import load_framework
    return load_framework(path)


def build_synthetic(workspace: Path, rows: int, files: int, seed: int = 1) -> None:
    """Write framework, suites and a raw cycle `bench` with `rows` return rows."""
    header = _spec_names("returns")
    rng = random.Random(seed)
    raw = workspace / "data" / "raw" / "bench"
    (raw / "returns").mkdir(parents=True)
    fw = _load_framework(ROOT / "data" / "reference" / "framework.yaml")
    measures = [m for m in fw.measures if m.level == "partner"]
    n_partners, n_contracts, per_contract = 400, 5, 5
    contracts = n_partners * n_contracts
    years = max(1, -(-rows // (contracts * per_contract)))
    periods = [f"{y}/{(y + 1) % 100:02d}" for y in range(2025 - years + 1, 2026)]
    with open(raw / "partners.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["partner_id", "name", "type", "postcode", "sme"])
        for p in range(n_partners):
            w.writerow(
                [
                    f"P{p:05d}",
                    f"Partner {p}",
                    rng.choice(["private", "vcfs", "public"]),
                    "RM17 6SL",
                    rng.choice(["yes", "no"]),
                ]
            )
    committed: dict[int, list] = {}
    with open(raw / "contracts.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(_spec_names("contracts"))
        for c in range(contracts):
            committed[c] = rng.sample(measures, per_contract)
            w.writerow(
                [
                    f"C{c:05d}",
                    f"P{c % n_partners:05d}",
                    "Contract",
                    "2015-04-01",
                    "2030-03-31",
                    rng.randint(10_000, 5_000_000),
                    ";".join(m.id for m in committed[c]),
                    "yes",
                ]
            )
    out: list[list[str]] = []
    for period in periods:
        for c in range(contracts):
            for m in committed[c]:
                value = rng.uniform(0, 100) if m.unit == "percent" else rng.uniform(0, 5000)
                out.append(
                    [
                        f"P{c % n_partners:05d}",
                        f"C{c:05d}",
                        m.id,
                        period,
                        f"{value:.1f}",
                        "",
                        "",
                        "Payroll records",
                        "yes",
                        "",
                        f"{period[:4]}-0{rng.randint(4, 9)}-15",
                    ]
                )
                if len(out) == rows:
                    break
    for i in rng.sample(range(len(out)), len(out) // 100):
        fault = rng.choice(["text", "contract", "dup"])
        if fault == "text":
            out[i][4] = "twelve"
        elif fault == "contract":
            out[i][1] = "C99999"
        else:
            out[i] = list(out[i - 1])
    size = -(-len(out) // files)
    for f in range(files):
        with open(raw / "returns" / f"batch{f:03d}.csv", "w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(header)
            w.writerows(out[f * size : (f + 1) * size])


def build_sample(workspace: Path, rows: int) -> None:
    """`svf sample --messy` sized for about `rows` return rows (about 5.7 per partner-year)."""
    try:
        from pipeline.sample.generator import generate_sample
    except ImportError:
        from pipeline.sample import generate_sample
    years = 20 if rows > 50_000 else 5
    partners = max(1, round(rows / (5.7 * years)))
    generate_sample(
        workspace / "data" / "raw" / "bench",
        partners=partners,
        years=years,
        seed=2025,
        end_period="2025/26",
        messy=True,
        framework=ROOT / "data" / "reference" / "framework.yaml",
    )


def build(workspace: Path, source: str, rows: int, files: int) -> None:
    (workspace / "data" / "reference").mkdir(parents=True)
    shutil.copy(ROOT / "data" / "reference" / "framework.yaml", workspace / "data" / "reference")
    shutil.copy(ROOT / "params.yaml", workspace / "params.yaml")
    shutil.copytree(ROOT / "expectations", workspace / "expectations")
    if source == "sample":
        build_sample(workspace, rows)
    else:
        build_synthetic(workspace, rows, files)


# ---------------------------------------------------------------------------------------------
# The child: validate one workspace with the code in one project root.
# ---------------------------------------------------------------------------------------------


def child(workspace: str, code: str, profile: bool) -> None:
    import datetime as dt

    sys.path.insert(0, code)
    started = time.perf_counter()
    import great_expectations  # noqa: F401

    t_import = time.perf_counter() - started
    try:
        from pipeline.core.paths import CyclePaths
        from pipeline.validate.stage import validate_cycle, write_outputs
    except ImportError:  # the layout before the stage packages (issue 13)
        from pipeline.paths import CyclePaths

        from pipeline.validate import validate_cycle, write_outputs

    paths = CyclePaths.of("bench", workspace)
    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    t0 = time.perf_counter()
    result = validate_cycle(paths, today=dt.date(2026, 11, 25))
    t1 = time.perf_counter()
    summary = write_outputs(paths, result)
    t2 = time.perf_counter()
    if profiler is not None:
        import pstats

        profiler.disable()
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(40)
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)  # this process alone: the stage's cost
    totals = summary["totals"]
    returns_rows = sum(f["rows"] for f in summary["files"] if f["kind"] == "returns")
    print(
        json.dumps(
            {
                "import_gx": t_import,
                "validate_cycle": t1 - t0,
                "write_outputs": t2 - t1,
                "returns_rows": returns_rows,
                "totals": totals,
                "reconciles": summary["reconciles"],
                "quarantine_rows": len(result.quarantine),
                "cpu": usage.ru_utime + usage.ru_stime,
                "peak_rss_mb": usage.ru_maxrss / 1024,
            }
        )
    )


def _cpu_jiffies() -> tuple[int, int]:
    """(busy, total) jiffies of all cores since boot, from /proc/stat (Linux)."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return 0, 0
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return sum(fields[:8]) - idle, sum(fields[:8])


def run_child(workspace: Path, code: Path, profile: bool) -> dict:
    """Validate in a fresh process: its wall time, CPU time and peak RSS (measured by the child
    itself, so nothing else is counted), and how busy the machine was meanwhile."""
    load = os.getloadavg()[0]
    busy0, total0 = _cpu_jiffies()
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, __file__, "--child", str(workspace), "--code", str(code)]
        + (["--profile"] if profile else []),
        stdout=subprocess.PIPE,
        text=True,
        cwd=workspace,
    )
    out, _ = proc.communicate()
    wall = time.perf_counter() - t0
    busy1, total1 = _cpu_jiffies()
    if proc.returncode:
        raise SystemExit(f"validation failed with status {proc.returncode}")
    figures = json.loads(out.strip().splitlines()[-1])
    figures["wall"] = wall
    cores = os.cpu_count() or 1
    share = (busy1 - busy0) / (total1 - total0) if total1 > total0 else float("nan")
    figures["machine_busy_cores"] = share * cores
    figures["load_before"] = load
    return figures


def _code_of(ref: str, into: Path) -> Path:
    """The project tree at git revision `ref`, extracted into `into`."""
    data = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", ref],
        check=True,
        capture_output=True,
    ).stdout
    into.mkdir(parents=True)

    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        tar.extractall(into, filter="data")
    return into


def _report(label: str, f: dict, cores: int) -> None:
    t = f["totals"]
    others = max(0.0, f["machine_busy_cores"] - f["cpu"] / f["wall"])
    print(
        f"{label}: {f['returns_rows']:,} return rows ({t['rows']:,} rows in all: clean "
        f"{t['clean']:,}, quarantined {t['quarantined']:,}, superseded {t['superseded']:,}; "
        f"reconciles {f['reconciles']})"
    )
    print(
        f"  wall {f['wall']:.1f} s (import GX {f['import_gx']:.1f} s, validate_cycle "
        f"{f['validate_cycle']:.1f} s, write_outputs {f['write_outputs']:.1f} s), "
        f"CPU {f['cpu']:.1f} s, peak RSS {f['peak_rss_mb']:,.0f} MB"
    )
    print(
        f"  machine: load average {f['load_before']:.2f} before; {f['machine_busy_cores']:.2f} "
        f"of {cores} cores busy during the run, about {others:.2f} of them other work"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--files", type=int, default=50)
    parser.add_argument("--source", choices=("synthetic", "sample"), default="synthetic")
    parser.add_argument("--baseline", metavar="REF", help="also run git revision REF's code")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--workspace", type=Path, help="build here (kept), or reuse if built")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--code", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.code, args.profile)
        return

    cores = os.cpu_count() or 1
    with tempfile.TemporaryDirectory(prefix="svf-bench-validate-") as tmp:
        # Absolute: the child runs in the workspace, where a relative path would point elsewhere.
        workspace = args.workspace.resolve() if args.workspace else Path(tmp) / "ws"
        if not (workspace / "data" / "raw" / "bench").is_dir():
            t0 = time.perf_counter()
            build(workspace, args.source, args.rows, args.files)
            print(f"built the {args.source} cycle in {time.perf_counter() - t0:.1f} s")
        runs = []
        if args.baseline:
            runs.append((f"before ({args.baseline})", _code_of(args.baseline, Path(tmp) / "old")))
        runs.append(("after (working tree)" if args.baseline else "validate", ROOT))
        for label, code in runs:
            shutil.rmtree(workspace / "data" / "clean", ignore_errors=True)
            shutil.rmtree(workspace / "reports", ignore_errors=True)
            _report(label, run_child(workspace, code, args.profile), cores)


if __name__ == "__main__":
    main()
