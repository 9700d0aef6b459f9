"""The benchmark serves the service as the image does (bench/server.py): the same HTTP
protocol and the same headers, so what it measures is what a container answers."""

import importlib
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

from tests.conftest import ROOT
from tests.test_serve import image_command

# The image's options the benchmark leaves out, and why: it listens on the loopback of a
# port of its own; no proxy stands in front of it; it stops a server without draining it.
NOT_BENCHMARKED = {"--host", "--proxy-headers", "--timeout-graceful-shutdown"}
# The benchmark's own: no line logged per request, and only warnings.
BENCH_ONLY = {"--no-access-log", "--log-level"}


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.syspath_prepend(str(ROOT / "bench"))
    return importlib.import_module("server")


def options(command: list[str]) -> dict[str, list[str]]:
    """A uvicorn command line's options, each with the values it was given (in order)."""
    start = next(n for n, word in enumerate(command) if word.startswith("--"))
    found: dict[str, list[str]] = {}
    option = None
    for word in command[start:]:
        if word.startswith("--"):
            option = word
            found.setdefault(option, [])
        else:
            assert option is not None, command
            found[option].append(word)
    return found


def test_the_benchmark_serves_with_the_image_s_options(
    server: ModuleType, rendered: Callable[[str], Path]
) -> None:
    image = options(image_command(rendered("defaults"), 8000))
    bench = options(server.uvicorn_arguments(8000))
    for option in NOT_BENCHMARKED:
        image.pop(option)
    for option in BENCH_ONLY:
        bench.pop(option)
    assert bench == image


@pytest.mark.parametrize(
    ("variant", "mode"), [("defaults", "asyncio"), ("threadpool", "threadpool")]
)
def test_each_mode_starts_with_the_benchmark_s_settings(
    server: ModuleType,
    rendered: Callable[[str], Path],
    monkeypatch: pytest.MonkeyPatch,
    variant: str,
    mode: str,
) -> None:
    # Each mode refuses the other's settings (its config.py): the benchmark gives each its own.
    project = rendered(variant)
    # Its DDL file, which the settings only name, is not written into the shared render.
    monkeypatch.setattr(server, "read_ddl", lambda project: project / "bench-ddl.sql")
    env = server.environment(project, mode, 0)
    check = "from book_service.config import load_settings; load_settings()"
    ran = subprocess.run(
        [sys.executable, "-c", check], cwd=project, env=env, capture_output=True, text=True
    )
    assert ran.returncode == 0, ran.stderr
