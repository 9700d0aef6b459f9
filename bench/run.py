"""Benchmark the rendered service in both modes against controls, on a stand-in driver.

    python bench/run.py               # the full grid, 3 repeats: about 13 minutes on 2 cores
    python bench/run.py --repeats 5   # more repeats, for a narrower spread
    python bench/run.py --quick       # one short repeat of a smaller grid, to check the harness
    python bench/run.py --profile     # where the CPU goes, in each mode (bench/profiling.py)
    python bench/run.py --instructions  # instructions per request (bench/instructions.py)

Renders the template's HEAD in each mode of `oracle_api` (asyncio, threadpool), runs each
under uvicorn with only the oracledb pool replaced by the project's own stand-in
(tests/standins.py, which binds and stores as the driver and Oracle do; each round trip
takes L), drives GET /books?limit=20 with wrk, with a health probe on the side, and reads the
event loop's own lag from the server.
The controls (a `def` route, the naive blocking call, a constant) run in the same app.
Every cell is measured in every repeat, interleaved with its controls, and each target is
a ratio to a control of the same repeat (bench/report.py). Writes bench/results/ and the
chart docs/assets/benchmark.png.

The parts, beside this file: scenarios.py (what is measured), server.py (the services
under test, started and stopped), wrk.py (wrk run and read), probe.py (the health probe),
measure.py (one cell), report.py (the tables and targets), chart.py (the chart);
profiling.py profiles a mode under load.
"""

import argparse
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
CHART = ROOT / "docs" / "assets" / "benchmark.png"  # shown in docs/performance.md
PACKAGES = ("fastapi", "starlette", "pydantic", "uvicorn", "uvloop", "httptools", "oracledb")


def machine() -> dict[str, Any]:
    """What the numbers depend on: the CPU, its speed now, the load, the versions."""
    cpuinfo = Path("/proc/cpuinfo").read_text()
    models = sorted(
        {
            line.split(":", 1)[1].strip()
            for line in cpuinfo.splitlines()
            if line.startswith("model name")
        }
    )
    mhz = [
        float(line.split(":", 1)[1]) for line in cpuinfo.splitlines() if line.startswith("cpu MHz")
    ]
    wrk_version = subprocess.run(["wrk", "--version"], capture_output=True, text=True)
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    return {
        "template_commit": head.stdout.strip(),  # what render() renders: HEAD, committed
        "cpus": os.cpu_count(),
        "cpu_model": models[0] if models else platform.processor(),
        "cpu_mhz": mhz,
        "loadavg": Path("/proc/loadavg").read_text().split()[:3],
        "python": platform.python_version(),
        "platform": platform.platform(),
        "wrk": (wrk_version.stdout or wrk_version.stderr).split("\n", 1)[0].strip(),
        "packages": {name: metadata.version(name) for name in PACKAGES},
    }


def scrape_under_load(url: str, path: str, seconds: float = 4.0) -> str:
    """The service's /metrics halfway through `seconds` of wrk's load on `path`: the
    samples of the pool, the bridge and the route, as Prometheus would have read them."""
    from scenarios import CONNECTIONS

    command = ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{seconds:g}s", url + path]
    load = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    try:
        time.sleep(seconds / 2)
        with urllib.request.urlopen(url + "/metrics", timeout=5) as response:
            body: str = response.read().decode()
    finally:
        load.wait()
    kept = ("oracle_", "http_requests_total{")
    return "\n".join(
        line for line in body.splitlines() if line.startswith(kept) and '"/metrics"' not in line
    )


def main() -> None:
    # The harness's parts are imported here, not above: this file's directory is on
    # sys.path when it runs as a script, not when tests/test_docs_site.py loads it for CHART.
    from measure import measure
    from report import CONTENDED, markdown, others
    from scenarios import Cell
    from scenarios import plan as make_plan
    from server import MODES, Server, render

    # Stopped with SIGTERM, it still stops the servers it started (the finally below).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a short check of the harness")
    parser.add_argument("--repeats", type=int, help="repeats of every cell (default 3; quick 1)")
    parser.add_argument(
        "--profile",
        nargs="*",
        metavar="MODE",
        help="instead: profile the modes named (or both) at L = 0 with py-spy (profiling.py)",
    )
    parser.add_argument(
        "--instructions",
        action="store_true",
        help="instead: count each variant's instructions per request with callgrind",
    )
    args = parser.parse_args()
    if args.instructions:
        from instructions import main as count

        count()
        return
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed: apt-get install wrk")
    if args.profile is not None:
        from profiling import main as profile

        profile(args.profile)
        return
    draw: Callable[[dict[str, Any], Path], None] | None
    try:
        from chart import draw  # matplotlib, in the bench group
    except ModuleNotFoundError as exc:
        if not args.quick:
            sys.exit(f"{exc.name} is missing: uv sync --group bench (scripts/bench does)")
        draw = None
    plan = make_plan(args.quick, args.repeats)
    schedule = plan.schedule()
    started = time.perf_counter()
    facts = machine()
    cells: list[dict[str, Any]] = []
    scraped = ""
    with tempfile.TemporaryDirectory() as temporary:
        projects = {mode: render(Path(temporary) / mode, mode) for mode in MODES}
        servers = {
            (mode, latency, workers, metrics, pinned): Server(
                projects[mode], mode, latency, workers, metrics=metrics, pinned=pinned
            )
            for mode, latency, workers, metrics, pinned in plan.servers()
        }
        try:
            for server in servers.values():
                server.wait_live()
            for server in servers.values():
                server.warm_pool()
            print(
                f"{len(servers)} servers up in {time.perf_counter() - started:.0f} s; "
                f"{len(schedule)} cells to measure",
                flush=True,
            )
            budget, retries = plan.quiet_budget, plan.retry_budget
            for number, (repeat, cell) in enumerate(schedule, 1):
                server = servers[cell.server]
                for attempt in range(1, plan.retries + 2):
                    result = measure(server, cell, plan, quiet_wait=min(plan.quiet_wait, budget))
                    budget = max(0.0, budget - result["waited_for_quiet_s"])
                    busy = others(result)
                    if busy <= CONTENDED or attempt > plan.retries or retries == 0:
                        break
                    # Something else took the cores meanwhile: measure the cell again.
                    retries -= 1
                    print(f"  others used {busy:.0%} of a core: measuring again", flush=True)
                cells.append(
                    {
                        "repeat": repeat,
                        "variant": cell.variant,
                        "latency_ms": cell.latency_ms,
                        "workers": cell.workers,
                        "server_mode": cell.mode,
                        "order": number,
                        "attempts": attempt,
                        **result,
                    }
                )
                print(
                    f"[{number}/{len(schedule)}] repeat {repeat + 1}, L={cell.latency_ms} ms, "
                    f"{cell.variant}, {cell.workers} process(es): {result['rps']:.0f} req/s, "
                    f"{result['cpu_us_per_request']:.0f} µs CPU/req, "
                    f"loop lag p99 {result['lag_p99_ms']:.1f} ms, "
                    f"probe p99 {result['probe_p99_ms']:.1f} ms",
                    flush=True,
                )
            # What the metrics show under this load: the asyncio mode at the longest L, where
            # calls hold their connections long enough for a scrape to see them busy.
            loaded = servers.get(Cell("asyncio", max(plan.latencies)).server)
            if loaded is not None:
                scraped = scrape_under_load(loaded.url, "/books?limit=20")
        finally:
            for server in servers.values():
                server.stop()
    facts["cpu_mhz_after"] = machine()["cpu_mhz"]
    facts["loadavg_after"] = Path("/proc/loadavg").read_text().split()[:3]
    results = {
        "machine": facts,
        "plan": {
            "repeats": plan.repeats,
            "seconds_per_cell": plan.seconds,
            "warmup_seconds": plan.warmup,
            "latencies_ms": list(plan.latencies),
            "connections": 20,
            "concurrency": 20,
            "queue": 20,
            "quiet_wait_s": plan.quiet_wait,
            "quiet_budget_s": plan.quiet_budget,
            "contended_share": CONTENDED,
            "retries": plan.retries,
            "retry_budget": plan.retry_budget,
            "quick": args.quick,
        },
        "wall_seconds": round(time.perf_counter() - started, 1),
        "cells": cells,
        "metrics_under_load": scraped,
    }
    RESULTS.mkdir(exist_ok=True)
    name = "quick" if args.quick else "results"
    (RESULTS / f"{name}.json").write_text(json.dumps(results, indent=2) + "\n")
    tables = markdown(results)
    print(tables)
    if not args.quick:
        (RESULTS / "results.md").write_text(tables)
    print(f"wrote {RESULTS / name}.json in {results['wall_seconds']} s")
    if draw is None:
        print("no chart: matplotlib is missing (uv sync --group bench)")
    elif args.quick:  # the chart is drawn, to check it, but the docs keep the full run's
        with tempfile.TemporaryDirectory() as temporary:
            draw(results, Path(temporary) / "benchmark.png")
    else:
        draw(results, CHART)
        print(f"drew {CHART}")


if __name__ == "__main__":
    main()
