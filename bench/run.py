"""Benchmark the rendered service against the alternatives, on a stand-in driver.

    python bench/run.py            # the full grid, about 6 minutes on 2 cores
    python bench/run.py --quick    # one short cell per scenario, to check the harness

Renders the template with its defaults, runs it under uvicorn (one process) with only the
oracledb pool replaced by the project's own stand-in (tests/standins.py, which binds and
stores as the driver and Oracle do; each round trip holds its thread for L),
drives it with wrk, and probes event-loop lag on the side. Writes bench/results/ and the
chart docs/assets/benchmark.png.

The parts, beside this file: scenarios.py (what is measured), server.py (the service under
test, started and stopped), wrk.py (wrk run and read), measure.py (a cell and the overload).
"""

import argparse
import asyncio
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
CHART = ROOT / "docs" / "assets" / "benchmark.png"  # shown in docs/performance.md


def main() -> None:
    # The harness's parts are imported here, not above: this file's directory is on
    # sys.path when it runs as a script, not when tests/test_docs_site.py loads it for CHART.
    from measure import measure, overload
    from scenarios import ENDPOINTS, OVERLOAD, grid, offered
    from server import Server, render

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one short run per scenario")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed: apt-get install wrk")
    plan = grid(args.quick)
    seconds = plan.seconds
    cells: list[dict[str, Any]] = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as temporary:
        project = render(Path(temporary) / "service")
        for latency in plan.latencies:
            for workers in plan.workers:
                server = Server(project, latency, workers, queue=workers)
                try:
                    for name in plan.endpoints:
                        result = measure(server, ENDPOINTS[name], offered(workers), seconds)
                        cells.append(
                            {
                                "variant": "service",
                                "endpoint": name,
                                "latency_ms": latency,
                                "workers": workers,
                                **result,
                            }
                        )
                    for control in plan.controls(latency, workers):
                        result = measure(server, f"/control/{control}", offered(workers), seconds)
                        cells.append(
                            {
                                "variant": control,
                                "endpoint": "list",
                                "latency_ms": latency,
                                "workers": workers,
                                **result,
                            }
                        )
                finally:
                    server.stop()
                print(f"L={latency} ms, workers={workers}: done", flush=True)
        server = Server(project, OVERLOAD.latency_ms, OVERLOAD.workers, OVERLOAD.queue)
        try:
            load = asyncio.run(overload(server.port, OVERLOAD.connections, seconds))
        finally:
            server.stop()
    results = {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "processor": platform.processor(),
        },
        "seconds_per_cell": seconds,
        "wall_seconds": round(time.perf_counter() - started, 1),
        "cells": cells,
        "overload": {
            "workers": OVERLOAD.workers,
            "queue": OVERLOAD.queue,
            "latency_ms": OVERLOAD.latency_ms,
            "connections": OVERLOAD.connections,
            "by_status": load,
        },
    }
    RESULTS.mkdir(exist_ok=True)
    name = "quick.json" if args.quick else "results.json"
    (RESULTS / name).write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {RESULTS / name} in {results['wall_seconds']} s")
    if not args.quick:
        from chart import draw  # matplotlib, only for the full run

        draw(results, CHART)


if __name__ == "__main__":
    main()
