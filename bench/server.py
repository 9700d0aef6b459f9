"""The service under test: this template rendered with its defaults, then started as one
uvicorn process of bench/service.py (the service on the stand-in driver), and stopped."""

import os
import socket
import subprocess
import sys
import time
import warnings
from pathlib import Path

import copier
import httpx

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


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
