"""Driving wrk: one run against a URL, its output parsed, and its own CPU time."""

import os
import re
import subprocess
import tempfile
import time
from typing import Any


def to_ms(value: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value)
    if match is None:
        raise RuntimeError(f"wrk printed a latency it cannot read: {value!r}")
    number, unit = match.groups()
    return float(number) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit]


def parse(output: str) -> dict[str, Any]:
    """Requests, duration, throughput and latency from wrk's --latency output."""
    latency = dict(re.findall(r"^\s+(50|99)%\s+(\S+)\s*$", output, re.M))
    done = re.search(r"(\d+) requests in ([\d.]+)(ms|s|m)", output)
    if len(latency) < 2 or done is None:
        raise RuntimeError(f"wrk measured no latencies:\n{output}")
    requests = int(done.group(1))
    seconds = to_ms(done.group(2) + done.group(3)) / 1000
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    refused = int(errors.group(1)) if errors else 0
    socket_errors = re.search(r"Socket errors: (.*)", output)
    return {
        "requests": requests,
        "seconds": seconds,
        # Only answered requests count: a fast 503 is not throughput.
        "rps": (requests - refused) / seconds,
        "p50_ms": to_ms(latency["50"]),
        "p99_ms": to_ms(latency["99"]),
        "non_2xx": refused,
        "socket_errors": socket_errors.group(1).strip() if socket_errors else "",
    }


def run(url: str, connections: int, seconds: float) -> dict[str, Any]:
    """One wrk run (one thread): its results, wall time, and CPU time (user + system)."""
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds:g}s", "--timeout", "30s"]
    with tempfile.TemporaryFile("w+") as output:
        started = time.perf_counter()
        process = subprocess.Popen([*command, "--latency", url], stdout=output)
        # Waited for here, not by Popen: wait4 gives wrk's own resource usage.
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        output.seek(0)
        text = output.read()
    if process.returncode != 0:
        raise RuntimeError(f"wrk failed ({process.returncode}):\n{text}")
    return parse(text) | {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime}
