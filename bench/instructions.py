"""Instructions per request, counted by callgrind: a CPU cost the host cannot move.

    python bench/instructions.py     # scripts/bench --instructions; about 15 minutes

On these shared machines the clock speed drifts by half within minutes, so one cell's CPU
time per request moves by more than a small change costs (docs/performance.md). valgrind's
callgrind counts the instructions a process executes instead, the same on every run. Each
variant renders the service, drives its app in process (bench/inprocess.py: no uvicorn,
no sockets, 20 requests at a time on the stand-in pool at L = 0), and counts the
instructions of a run of FEW and of MANY requests; their difference over MANY - FEW is one
request's, with startup, imports and the warm-up cancelled out. Two runs go at once, one
per core. Besides both modes' list and the bare route, it counts the steps between them
(bench/service.py's /control/params, dependency, bridge and fetch), which say where a list
request's instructions go. And it counts the list and the bare route once more under
uvicorn, as the wall-clock cells serve them (its HTTP protocol, 20 keep-alive
connections; the loop watcher left out), whose ratio is the one the L = 0 target reads.
Writes bench/results/instructions.json and .md; the target: the Prometheus metrics add at
most 5% to a list request.
"""

import asyncio
import json
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
FEW, MANY = 200, 1200
LIST = "/books?limit=20"
# name: (mode, path, METRICS_ENABLED)
VARIANTS: dict[str, tuple[str, str, bool]] = {
    "asyncio": ("asyncio", LIST, True),
    "asyncio, metrics off": ("asyncio", LIST, False),
    "threadpool": ("threadpool", LIST, True),
    "constant": ("asyncio", "/control/constant", True),
    # The steps from the bare route to the list (bench/service.py), asyncio mode.
    "params": ("asyncio", "/control/params?limit=20", True),
    "dependency": ("asyncio", "/control/dependency?limit=20", True),
    "bridge": ("asyncio", "/control/bridge?limit=20", True),
    "fetch": ("asyncio", "/control/fetch?limit=20", True),
}
# The breakdown table: each step, what it adds to the one before.
STEPS = {
    "constant": "the bare route, through the whole middleware stack",
    "params": "+ `limit` and `offset`, two validated query parameters",
    "dependency": "+ the repository dependency (the repository, on the request's database)",
    "bridge": "+ one call through the bridge that does nothing",
    "fetch": "+ the list's own call instead: SELECT, 21 rows, one page validation",
    "asyncio": "+ the page serialized: GET /books?limit=20 itself",
}
# Counted under uvicorn too: name: (mode, path).
SERVED: dict[str, tuple[str, str]] = {
    "asyncio, under uvicorn": ("asyncio", LIST),
    "constant, under uvicorn": ("asyncio", "/control/constant"),
}
# Requests before the counted ones, to warm the server: the same in both runs.
WARM_UP = 300
METRICS_TARGET = 0.05


def instructions(
    project: Path, mode: str, path: str, metrics: bool, requests: int, *, served: bool = False
) -> int:
    """Instructions callgrind counts for one run of `requests` requests to `path`: in
    process, or `served` by uvicorn."""
    from server import environment

    with tempfile.TemporaryDirectory() as temporary:
        out = Path(temporary) / "callgrind.out"
        command = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", sys.executable]
        env = environment(project, mode, 0, metrics)
        if served:
            ran = serve_under(command, env, project, path, requests)
        else:
            command += [str(HERE / "inprocess.py"), path, str(requests)]
            ran = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        if ran.returncode != 0:
            raise RuntimeError(f"{path} under callgrind failed:\n{ran.stderr[-3000:]}")
        totals = re.search(r"^(?:summary|totals): (\d+)", out.read_text(), re.M)
        if totals is None:
            raise RuntimeError(f"callgrind wrote no total for {path}")
        return int(totals.group(1))


def serve_under(
    command: list[str], env: dict[str, str], project: Path, path: str, requests: int
) -> subprocess.CompletedProcess[str]:
    """uvicorn run by `command` (callgrind's), as the wall-clock cells run it but without
    the loop watcher, sent WARM_UP and then `requests` requests to `path`, and stopped."""
    from server import free_port, uvicorn_arguments

    port = free_port()
    command += uvicorn_arguments(port)
    env = env | {"BENCH_WATCH_THE_LOOP": "0"}
    server = subprocess.Popen(command, cwd=project, env=env, stderr=subprocess.PIPE, text=True)
    try:
        asyncio.run(drive(port, path, WARM_UP + requests, server))
    finally:
        server.send_signal(signal.SIGINT)
        _, stderr = server.communicate(timeout=300)
    return subprocess.CompletedProcess(command, server.returncode, "", stderr)


async def drive(port: int, path: str, requests: int, server: subprocess.Popen[str]) -> None:
    """`requests` GETs of `path` on 20 keep-alive connections, as wrk's; each must be a 200."""
    deadline = asyncio.get_running_loop().time() + 300  # valgrind starts it slowly
    while True:
        try:
            warming = await asyncio.open_connection("127.0.0.1", port)
            break
        except ConnectionRefusedError:
            if server.poll() is not None or asyncio.get_running_loop().time() > deadline:
                raise RuntimeError(f"the server for {path} did not start") from None
            await asyncio.sleep(0.5)
    # On a connection of its own: the load's would sit idle past uvicorn's keep-alive (5 s)
    # while the pool warms, and be closed under them.
    await warm_pool(*warming)
    warming[1].close()
    connections = [await asyncio.open_connection("127.0.0.1", port) for _ in range(20)]
    request = f"GET {path} HTTP/1.1\r\nHost: bench\r\n\r\n".encode()
    left = requests

    async def send(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal left
        while left > 0:
            left -= 1
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = re.search(rb"content-length: (\d+)", head, re.IGNORECASE)
            if not head.startswith(b"HTTP/1.1 200") or length is None:
                raise RuntimeError(f"{path} answered {head!r}")
            await reader.readexactly(int(length[1]))

    await asyncio.gather(*(send(*connection) for connection in connections))
    for _, writer in connections:
        writer.close()


async def warm_pool(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """A readiness probe, then a wait until the pool holds its ORACLE_POOL_MIN connections,
    as bench/server.py's `warm_pool` waits before the wall-clock cells: opened by the load,
    the pool stayed at one connection, and every call waited its turn for a login."""
    from server import pool_is_warm

    async def get(target: str) -> tuple[bytes, bytes]:
        writer.write(f"GET {target} HTTP/1.1\r\nHost: bench\r\n\r\n".encode())
        head = await reader.readuntil(b"\r\n\r\n")
        length = re.search(rb"content-length: (\d+)", head, re.IGNORECASE)
        return head, await reader.readexactly(int(length[1])) if length else b""

    await get("/health/ready")
    while True:
        head, body = await get("/metrics")
        if not head.startswith(b"HTTP/1.1 200"):  # metrics off: the warm-up's own pace
            await asyncio.sleep(5)
            return
        if pool_is_warm(body.decode()):
            return
        await asyncio.sleep(0.5)


def main() -> None:
    from server import MODES, render

    if shutil.which("valgrind") is None:
        sys.exit("valgrind is needed: apt-get install valgrind")
    results: dict[str, Any] = {"few": FEW, "many": MANY, "variants": {}}
    with tempfile.TemporaryDirectory() as temporary:
        projects = {mode: render(Path(temporary) / mode, mode) for mode in MODES}
        runs = [
            (name, count, mode, path, metrics, False)
            for name, (mode, path, metrics) in VARIANTS.items()
            for count in (FEW, MANY)
        ]
        runs += [
            (name, count, mode, path, True, True)
            for name, (mode, path) in SERVED.items()
            for count in (FEW, MANY)
        ]
        with ThreadPoolExecutor(max_workers=2) as pool:
            counted = list(
                pool.map(
                    lambda run: instructions(
                        projects[run[2]], run[2], run[3], run[4], run[1], served=run[5]
                    ),
                    runs,
                )
            )
    for (name, count, *_), total in zip(runs, counted, strict=True):
        results["variants"].setdefault(name, {})[str(count)] = total
    for totals in results["variants"].values():
        totals["per_request"] = (totals[str(MANY)] - totals[str(FEW)]) / (MANY - FEW)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "instructions.json").write_text(json.dumps(results, indent=2) + "\n")
    table = markdown(results)
    (RESULTS / "instructions.md").write_text(table)
    print(table, end="")


def markdown(results: dict[str, Any]) -> str:
    per = {name: totals["per_request"] for name, totals in results["variants"].items()}
    lines = [
        f"Instructions per request (callgrind; {results['many']} requests less "
        f"{results['few']}, in process, 20 at a time, L = 0):",
        "",
        "| variant | instructions / request | / constant |",
        "| --- | ---: | ---: |",
        *(
            f"| {name} | {count / 1e6:.3f} M | {count / per['constant']:.2f} |"
            for name, count in per.items()
            if name not in SERVED
        ),
        "",
        "Under uvicorn, as the wall-clock cells serve them (its HTTP work included; 20 "
        "keep-alive connections):",
        "",
        "| variant | instructions / request | / constant |",
        "| --- | ---: | ---: |",
        *(
            f"| {name} | {per[name] / 1e6:.3f} M | "
            f"{per[name] / per['constant, under uvicorn']:.2f} |"
            for name in SERVED
        ),
    ]
    lines += [
        "",
        "Where a list request's instructions go, asyncio mode, step by step:",
        "",
        "| step | instructions / request | added |",
        "| --- | ---: | ---: |",
    ]
    previous = None
    for name, step in STEPS.items():
        added = "" if previous is None else f"{(per[name] - previous) / 1e6:+.3f} M"
        lines.append(f"| {step} | {per[name] / 1e6:.3f} M | {added} |")
        previous = per[name]
    added = per["asyncio"] / per["asyncio, metrics off"] - 1
    verdict = "PASS" if added <= METRICS_TARGET else "FALL SHORT"
    lines += [
        "",
        f"The Prometheus metrics add {added:.1%} to a list request "
        f"(target at most {METRICS_TARGET:.0%}): {verdict}.",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
