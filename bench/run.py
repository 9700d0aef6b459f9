"""Benchmark the rendered service against the alternatives, on a stand-in driver.

    python bench/run.py            # the full grid, about 6 minutes on 2 cores
    python bench/run.py --quick    # one short cell per scenario, to check the harness

Renders the template with its defaults, runs it under uvicorn (one process) with only the
oracledb pool replaced by the project's own stand-in (tests/standins.py, which binds and
stores as the driver and Oracle do; each round trip holds its thread for L),
drives it with wrk, and probes event-loop lag on the side. Writes bench/results/ and the
chart docs/assets/benchmark.png.
"""

import argparse
import asyncio
import itertools
import json
import os
import platform
import re
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import copier
import httpx

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
CHART = ROOT / "docs" / "assets" / "benchmark.png"  # shown in docs/performance.md
LATENCIES_MS = [0, 5, 20, 50]
WORKERS = [4, 20]
# Each POST sends a new ISBN (the column is unique): wrk counts up from a fresh start each run.
BOOK = '{"title": "T", "isbn": "%013d", "price": "9.99", "in_print": true}'
POST_SCRIPT = """
counter = %d
request = function()
    counter = counter + 1
    local headers = {["Content-Type"] = "application/json"}
    return wrk.format("POST", nil, headers, string.format('%s', counter))
end
"""
runs = itertools.count(1)
ENDPOINTS = {"list": "/books?limit=20", "read": "/books/1", "create": "/books"}


def render(destination: Path) -> Path:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        copier.run_copy(str(ROOT), destination, defaults=True, vcs_ref="HEAD", quiet=True)
    return destination


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """One uvicorn process of the rendered service on the stand-in driver."""

    def __init__(self, project: Path, latency_ms: float, workers: int, queue: int) -> None:
        self.port = free_port()
        env = {
            **os.environ,
            # The service, its stand-in (tests/standins.py) and bench/service.py.
            "PYTHONPATH": os.pathsep.join(map(str, [project / "src", project, HERE])),
            "BENCH_LATENCY_MS": str(latency_ms),
            "ORACLE_DSN": "stand-in",
            "ORACLE_USER": "bench",
            "ORACLE_PASSWORD": "bench",
            "ORACLE_EXECUTOR_WORKERS": str(workers),
            "ORACLE_EXECUTOR_QUEUE": str(queue),
            "ORACLE_POOL_MIN": "1",
            "ORACLE_POOL_MAX": str(workers),
        }
        command = [
            sys.executable,
            "-m",
            "uvicorn",
            "service:app",
            "--port",
            str(self.port),
            "--no-access-log",
            "--log-level",
            "warning",
        ]
        self.process = subprocess.Popen(command, cwd=project, env=env)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                httpx.get(f"{self.url}/health/live", timeout=1)
                return
            except httpx.TransportError:
                time.sleep(0.1)
        raise RuntimeError("the service did not start")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def to_ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit]


def wrk(url: str, connections: int, seconds: float, post: bool) -> dict[str, float]:
    command = [
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{seconds:g}s",
        "--timeout",
        "30s",
        "--latency",
        url,
    ]
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        if post:
            script.write(POST_SCRIPT % (next(runs) * 10**8, BOOK))
            script.flush()
            command[1:1] = ["-s", script.name]
        output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    latency = dict(re.findall(r"^\s+(50|99)%\s+(\S+)\s*$", output, re.M))
    if len(latency) < 2:
        raise RuntimeError(f"wrk measured no latencies:\n{output}")
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    total = int(re.search(r"(\d+) requests in", output).group(1))
    refused = int(errors.group(1)) if errors else 0
    return {
        # Only answered requests count: a fast 503 is not throughput.
        "rps": (total - refused) / seconds,
        "p50_ms": to_ms(latency["50"]),
        "p99_ms": to_ms(latency["99"]),
        "non_2xx": refused,
    }


def measure(server: Server, path: str, connections: int, seconds: float) -> dict[str, float]:
    """Throughput and latency under wrk, with the lag probe and both CPU shares."""
    url = server.url + path
    post = path == ENDPOINTS["create"]
    wrk(url, connections, 1, post)  # warm up
    # wrk hangs up with calls in flight; uvicorn lets them finish. Let them, first.
    time.sleep(1)
    probe = subprocess.Popen(
        [sys.executable, str(HERE / "probe.py"), str(server.port), str(seconds - 0.5), "20"],
        stdout=subprocess.PIPE,
        text=True,
    )
    cpu_before, children_before = server.cpu_seconds(), resource.getrusage(resource.RUSAGE_CHILDREN)
    result = wrk(url, connections, seconds, post)
    cpu_after, children_after = server.cpu_seconds(), resource.getrusage(resource.RUSAGE_CHILDREN)
    lags = json.loads(probe.communicate(timeout=60)[0])
    wrk_cpu = (children_after.ru_utime + children_after.ru_stime) - (
        children_before.ru_utime + children_before.ru_stime
    )
    result.update(
        lag_p99_ms=statistics.quantiles(lags, n=100)[98] if len(lags) > 1 else float("nan"),
        server_cpu=(cpu_after - cpu_before) / seconds,
        loadgen_cpu=wrk_cpu / seconds,
    )
    return result


async def overload(port: int, connections: int, seconds: float) -> dict[str, Any]:
    """Keep-alive clients hammering the list endpoint; latency by status."""
    by_status: dict[int, list[float]] = {}
    request = b"GET /books?limit=20 HTTP/1.1\r\nHost: bench\r\n\r\n"
    end = time.perf_counter() + seconds

    async def client() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        while time.perf_counter() < end:
            started = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split()[1])
            length = int(re.search(rb"content-length: (\d+)", head, re.I).group(1))
            await reader.readexactly(length)
            by_status.setdefault(status, []).append((time.perf_counter() - started) * 1000)
        writer.close()

    await asyncio.gather(*(client() for _ in range(connections)))

    def summary(times: list[float]) -> dict[str, float]:
        cuts = statistics.quantiles(times, n=100) if len(times) > 1 else times * 99
        return {"count": len(times), "p50_ms": cuts[49], "p99_ms": cuts[98]}

    return {str(status): summary(times) for status, times in sorted(by_status.items())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one short run per scenario")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed: apt-get install wrk")
    seconds = 2.0 if args.quick else 5.0
    latencies = [5] if args.quick else LATENCIES_MS
    workers_grid = [20] if args.quick else WORKERS
    endpoints = ["list"] if args.quick else list(ENDPOINTS)
    cells: list[dict[str, Any]] = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as temporary:
        project = render(Path(temporary) / "service")
        for latency in latencies:
            for workers in workers_grid:
                # Offered concurrency: twice what can run at once; the queue admits it all.
                server = Server(project, latency, workers, queue=workers)
                try:
                    for name in endpoints:
                        result = measure(server, ENDPOINTS[name], 2 * workers, seconds)
                        cells.append(
                            {
                                "variant": "service",
                                "endpoint": name,
                                "latency_ms": latency,
                                "workers": workers,
                                **result,
                            }
                        )
                    if workers == max(workers_grid):
                        for control in ["naive", "threadpool", "constant"]:
                            if control == "constant" and latency != latencies[0]:
                                continue
                            result = measure(server, f"/control/{control}", 2 * workers, seconds)
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
        # Backpressure: three times what the bridge admits, at L = 20 ms.
        workers, queue, latency = 4, 4, 20
        server = Server(project, latency, workers, queue)
        try:
            load = asyncio.run(overload(server.port, 3 * (workers + queue), seconds))
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
            "workers": workers,
            "queue": queue,
            "latency_ms": latency,
            "connections": 3 * (workers + queue),
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
