"""Measuring the running service: a cell under wrk, with the event-loop lag probe
(bench/probe.py) and both CPU shares beside it; and latency by status under overload, from
the harness's own asyncio client."""

import asyncio
import json
import re
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import wrk
from scenarios import ENDPOINTS
from server import Server

HERE = Path(__file__).resolve().parent


def measure(server: Server, path: str, connections: int, seconds: float) -> dict[str, float]:
    """Throughput and latency under wrk, with the lag probe and both CPU shares."""
    url = server.url + path
    post = path == ENDPOINTS["create"]
    wrk.run(url, connections, 1, post)  # warm up
    # wrk hangs up with calls in flight; uvicorn lets them finish. Let them, first.
    time.sleep(1)
    probe = subprocess.Popen(
        [sys.executable, str(HERE / "probe.py"), str(server.port), str(seconds - 0.5), "20"],
        stdout=subprocess.PIPE,
        text=True,
    )
    cpu_before, children_before = server.cpu_seconds(), resource.getrusage(resource.RUSAGE_CHILDREN)
    result = wrk.run(url, connections, seconds, post)
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
    return {str(status): summary(times) for status, times in sorted(by_status.items())}


def summary(times: list[float]) -> dict[str, float]:
    """Count, p50 and p99 of answer times in ms (one answer stands for every percentile)."""
    cuts = statistics.quantiles(times, n=100) if len(times) > 1 else times * 99
    return {"count": len(times), "p50_ms": cuts[49], "p99_ms": cuts[98]}
