"""The services under test: this template rendered in each mode (`oracle_api`), each started
as uvicorn processes of bench/service.py (the service on the stand-in driver), and stopped.

A server's CPU time is its whole process tree's: with `--workers 2` uvicorn runs a
supervisor and two worker processes, each with its own pool.
"""

import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import copier
import httpx

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
MODES = ("asyncio", "threadpool")
# Calls that run at once, and that may wait for their turn: 20 connections never meet a 503.
CONCURRENCY = 20
QUEUE = 20
TICK = os.sysconf("SC_CLK_TCK")
# The image's HTTP protocol: httptools, with request heads bounded (request_head.py).
HTTP_PROTOCOL = "book_service.request_head:HeadLimitedProtocol"


def render(destination: Path, mode: str) -> Path:
    """The template's committed HEAD, rendered with its defaults and `oracle_api` = mode."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        copier.run_copy(
            str(ROOT),
            destination,
            defaults=True,
            vcs_ref="HEAD",
            quiet=True,
            data={"oracle_api": mode},
        )
    return destination


def read_ddl(project: Path) -> Path:
    """The tables' DDL as the stand-in reads it from the migrations (with alembic), written
    beside the project once: bench/service.py then needs no alembic (BENCH_DDL)."""
    path = project / "bench-ddl.sql"
    if not path.exists():
        script = "import sys; from tests.standins import migration_ddl as d; sys.stdout.write(d())"
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(map(str, [project / "src", project]))}
        done = subprocess.run(
            [sys.executable, "-c", script],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        path.write_text(done.stdout)
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def uvicorn_arguments(port: int) -> list[str]:
    """Python's arguments to serve bench/service.py on `port` as the image serves the app:
    its HTTP protocol, its headers, no access log."""
    return [
        "-m",
        "uvicorn",
        "service:app",
        "--port",
        str(port),
        "--no-server-header",
        "--header",
        "X-Content-Type-Options:nosniff",
        "--ws",
        "none",
        "--no-access-log",
        "--log-level",
        "warning",
        "--http",
        HTTP_PROTOCOL,
    ]


def environment(
    project: Path, mode: str, latency_ms: float, metrics: bool = True, pinned: bool = False
) -> dict[str, str]:
    """The service's settings: 20 calls at once, 20 waiting, in either mode (each refuses
    the other's names); its Prometheus metrics on, or off; each process pinned to a core of
    its own (WEB_PIN_CPU), or not."""
    if mode == "asyncio":
        sizes = {"ORACLE_POOL_QUEUE": str(QUEUE)}
    else:
        sizes = {"ORACLE_EXECUTOR_WORKERS": str(CONCURRENCY), "ORACLE_EXECUTOR_QUEUE": str(QUEUE)}
    return {
        **os.environ,
        # The service, its stand-in (tests/standins.py) and bench/service.py.
        "PYTHONPATH": os.pathsep.join(map(str, [project / "src", project, HERE])),
        "BENCH_LATENCY_MS": str(latency_ms),
        "BENCH_DDL": str(read_ddl(project)),
        "ORACLE_DSN": "stand-in:1521/BENCH",
        "ORACLE_USER": "bench",
        "ORACLE_PASSWORD": "bench-stand-in",
        # The pool opened whole at startup, as the answers' default (pool_min = pool_max)
        # opens it. Opened from 1, at L = 0 the stand-in's calls gave their connections
        # back before the pool's next login, so it stayed at 2 connections, and every call
        # took the bridge's turn for a login (`_growth_turn`): 17% of a list's instructions.
        "ORACLE_POOL_MIN": str(CONCURRENCY),
        "ORACLE_POOL_MAX": str(CONCURRENCY),
        **sizes,
        "ORACLE_SESSIONS": "1000",  # the budget holds two processes of 21 connections
        "METRICS_ENABLED": str(metrics).lower(),
        "WEB_PIN_CPU": str(pinned).lower(),
    }


def pool_is_warm(metrics: str) -> bool:
    """Whether the service's /metrics says its pool holds the connections the benchmark
    opens it with (ORACLE_POOL_MIN, CONCURRENCY)."""
    found = re.search(r"^oracle_pool_connections_open (\S+)$", metrics, re.M)
    return found is not None and float(found[1]) >= CONCURRENCY


class Server:
    """uvicorn serving bench/service.py from a rendered project: one process, or a
    supervisor and `workers` worker processes."""

    def __init__(
        self,
        project: Path,
        mode: str,
        latency_ms: float,
        workers: int = 1,
        command: Callable[[int], list[str]] | None = None,
        *,
        metrics: bool = True,
        pinned: bool = False,
    ) -> None:
        """`command(port)`, if given, starts the service instead of uvicorn's command line."""
        self.mode, self.latency_ms, self.workers = mode, latency_ms, workers
        self.metrics, self.pinned = metrics, pinned
        self.port = free_port()
        if command is not None:
            argv = command(self.port)
        else:
            argv = [sys.executable, *uvicorn_arguments(self.port)]
            if workers > 1:
                argv += ["--workers", str(workers)]
        env = environment(project, mode, latency_ms, metrics, pinned)
        # A temporary directory of its own: its workers' claims on the cores (cpu.py) are
        # not seen by another pinned server's, all of them being up at once.
        self._claims = tempfile.TemporaryDirectory()
        env["TMPDIR"] = self._claims.name
        self.process = subprocess.Popen(argv, cwd=project, env=env)

    def wait_live(self, timeout: float = 90) -> None:
        """Until /health/live answers (in every worker, as far as new connections tell)."""
        deadline = time.monotonic() + timeout
        answered = 0
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the {self.name} service exited with {self.process.returncode}")
            try:
                httpx.get(f"{self.url}/health/live", timeout=2)
                answered += 1
                if answered >= 3 * self.workers:
                    return
            except httpx.TransportError:
                time.sleep(0.2)
        raise RuntimeError(f"the {self.name} service did not start")

    def warm_pool(self, timeout: float = 60) -> None:
        """Until each process's pool holds its ORACLE_POOL_MIN connections, as a deployed
        service's does before its traffic comes: a readiness probe opens the pool, and the
        bridge then logs its connections in while no call waits (`_warm_up`, bridge.py).
        Opened by wrk's load instead, it gave way to the calls for good: at L = 0 the
        stand-in's calls give their connections back before the pool's next login, so the
        pool stayed at one connection and every call waited its turn for a login."""
        deadline = time.monotonic() + timeout
        warm = 0
        while time.monotonic() < deadline:
            try:
                httpx.get(f"{self.url}/health/ready", timeout=5)
                if not self.metrics:  # no gauge to read: the warm-up's own pace
                    time.sleep(2)
                    return
                scraped = httpx.get(f"{self.url}/metrics", timeout=5).text
            except httpx.TransportError:
                time.sleep(0.2)
                continue
            warm = warm + 1 if pool_is_warm(scraped) else 0
            if warm >= 3 * self.workers:  # on new connections: each worker's, as far as told
                return
            time.sleep(0.1)
        raise RuntimeError(f"the {self.name} service's pool did not open its connections")

    @property
    def name(self) -> str:
        metrics = "" if self.metrics else ", metrics off"
        pinned = ", one core each" if self.pinned else ""
        return f"{self.mode}, L={self.latency_ms:g} ms, {self.workers} process(es){metrics}{pinned}"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def pids(self) -> list[int]:
        """The server's process and its descendants (uvicorn's worker processes)."""
        parents: dict[int, int] = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue  # gone meanwhile
                parents[int(entry.name)] = int(fields[1])
        tree, frontier = [self.process.pid], [self.process.pid]
        while frontier:
            children = [pid for pid, parent in parents.items() if parent in frontier]
            tree += children
            frontier = children
        return tree

    def loop_lags(self, since: float, until: float) -> list[float]:
        """The event loop's lag (ms) between two times of time.monotonic()
        (bench/service.py); of one worker, with several."""
        params = {"since": since, "until": until}
        answer = httpx.get(f"{self.url}/control/lag", params=params, timeout=30)
        answer.raise_for_status()
        lags: list[float] = answer.json()
        return lags

    def connections_per_process(self) -> list[int]:
        """How many of its clients' connections each of the server's processes holds now
        (established TCP on its port, from /proc), most first: how uvicorn's workers
        split them, a worker with none counted 0 (its supervisor holds none either)."""
        established = set()
        for table in ("tcp", "tcp6"):
            try:
                lines = Path(f"/proc/net/{table}").read_text().splitlines()[1:]
            except OSError:
                continue
            for line in lines:
                fields = line.split()
                # local address:port (hex), state 01 (ESTABLISHED), and the socket's inode
                if int(fields[1].rsplit(":", 1)[1], 16) == self.port and fields[3] == "01":
                    established.add(f"socket:[{fields[9]}]")
        held = []
        for pid in self.pids():
            try:
                links = [os.readlink(fd) for fd in Path(f"/proc/{pid}/fd").iterdir()]
            except OSError:
                continue  # gone meanwhile
            if count := sum(link in established for link in links):
                held.append(count)
        return sorted(held + [0] * (self.workers - len(held)), reverse=True)

    def cpu_seconds(self) -> float:
        """User and system CPU of the server's processes (every thread of each), so far."""
        total = 0
        for pid in self.pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])  # utime, stime
        return total / TICK

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._claims.cleanup()
