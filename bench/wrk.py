"""Driving wrk: one run against a URL (POSTs with a fresh ISBN each), its output parsed."""

import itertools
import re
import subprocess
import tempfile

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


def to_ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit]


def parse(output: str, seconds: float) -> dict[str, float]:
    """Throughput and latency from wrk's --latency output, for a run of `seconds`."""
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


def run(url: str, connections: int, seconds: float, post: bool) -> dict[str, float]:
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
    return parse(output, seconds)
