"""Measuring one cell on a running server: wrk on the cell's path, the health probe
(bench/probe.py) beside it, the event loop's own lag (bench/service.py), and the CPU time
of the server, wrk, the probe and the whole machine over the same interval."""

import json
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import wrk
from scenarios import Cell, Plan
from server import Server

HERE = Path(__file__).resolve().parent
PROBE_RATE = 20  # probes a second, each on a new connection
CORES = os.cpu_count() or 1
QUIET = 0.2  # cores busy, at most, for the machine to count as quiet between cells


def machine_busy() -> tuple[float, float]:
    """CPU seconds the whole machine has been busy, and in all, so far (/proc/stat)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    tick = os.sysconf("SC_CLK_TCK")
    idle = fields[3] + fields[4]  # idle, iowait
    return (sum(fields[:8]) - idle) / tick, sum(fields[:8]) / tick


def wait_quiet(limit: float, busy: float = QUIET) -> float:
    """Wait, at most `limit` seconds, until the machine is near idle between cells (no
    other work on its cores: a test suite, a build); the seconds waited."""
    started = time.perf_counter()
    while True:
        busy_before, all_before = machine_busy()
        time.sleep(0.25)
        busy_after, all_after = machine_busy()
        share = (busy_after - busy_before) / max(all_after - all_before, 1e-9) * CORES
        waited = time.perf_counter() - started
        if share < busy or waited >= limit:
            return waited


def summary(name: str, times: list[float]) -> dict[str, float]:
    """The median, 99th percentile and maximum of `times` (ms)."""
    nan = float("nan")
    return {
        f"{name}_p50_ms": statistics.median(times) if times else nan,
        f"{name}_p99_ms": statistics.quantiles(times, n=100)[98] if len(times) > 1 else nan,
        f"{name}_max_ms": max(times, default=nan),
    }


def measure(server: Server, cell: Cell, plan: Plan, quiet_wait: float) -> dict[str, Any]:
    """Throughput, latency, lag and CPU of one cell; the warm-up is not counted. First
    waits up to `quiet_wait` seconds for the machine to be quiet."""
    waited = wait_quiet(quiet_wait)
    url = server.url + cell.path
    wrk.run(url, cell.connections, plan.warmup)
    # wrk hangs up with calls in flight; uvicorn lets them finish. Let them, first.
    time.sleep(plan.settle)
    duration = plan.seconds - 0.3  # ends before wrk does
    command = [sys.executable, str(HERE / "probe.py"), str(server.port), str(duration)]
    probe = subprocess.Popen([*command, str(PROBE_RATE)], stdout=subprocess.PIPE, text=True)
    busy_before, all_before = machine_busy()
    cpu_before, started = server.cpu_seconds(), time.perf_counter()
    since = time.monotonic()
    # Halfway through, how wrk's connections are split between the worker processes (a
    # look through /proc, once: about 10 ms of the harness's CPU in a 5 s cell).
    split: list[int] = []
    halfway = threading.Timer(
        plan.seconds / 2, lambda: split.extend(server.connections_per_process())
    )
    if cell.workers > 1:
        halfway.start()
    result = wrk.run(url, cell.connections, plan.seconds)
    if cell.workers > 1:
        halfway.join()
    until = time.monotonic()
    cpu_after, wall = server.cpu_seconds(), time.perf_counter() - started
    busy_after, all_after = machine_busy()
    lags = server.loop_lags(since, until)
    assert probe.stdout is not None
    probed = json.loads(probe.stdout.read())
    _, _, usage = os.wait4(probe.pid, 0)
    probe.returncode = 0
    answers = probed["times"]
    server_cpu = cpu_after - cpu_before
    probe_cpu = usage.ru_utime + usage.ru_stime
    cores = (all_after - all_before) / wall
    return {
        "rps": result["rps"],
        "requests": result["requests"],
        "seconds": result["seconds"],
        "p50_ms": result["p50_ms"],
        "p99_ms": result["p99_ms"],
        "non_2xx": result["non_2xx"],
        "socket_errors": result["socket_errors"],
        # Server CPU per request served (wrk's; the probe's 20 a second ride on top).
        "cpu_us_per_request": server_cpu / max(result["requests"], 1) * 1e6,
        # Shares of one core over the measured interval.
        "server_cpu": server_cpu / wall,
        "wrk_cpu": result["cpu"] / wall,
        "probe_cpu": probe_cpu / wall,
        "machine_cpu": (busy_after - busy_before) / wall,
        "machine_cores": round(cores, 2),
        # The event loop's lag, in the server (bench/service.py).
        **summary("lag", lags),
        "lag_samples": len(lags),
        # A health check's answer on a new connection, from the probe's process.
        **summary("probe", answers),
        "probes": len(answers),
        "probes_failed": probed["failed"],
        "waited_for_quiet_s": round(waited, 2),
        # With several workers, wrk's connections each holds (most first): the accept race
        # decides it, and an uneven split leaves a core short of work.
        "connections_split": split,
    }
