"""Profile the service under load: where a request's CPU goes, in each mode.

    python bench/run.py --profile                       # both modes, L = 0, 10 s each
    python bench/profiling.py asyncio --seconds 20 --latency 5

Renders the mode, starts one uvicorn process of bench/service.py (as bench/run.py does),
drives GET /books?limit=20 with wrk (20 connections), and records the process with py-spy
(`py-spy record --format raw --gil`: only the samples of the thread holding the GIL, so
the process's Python CPU, every thread's). Then prints the functions with the most self
time (each sample's leaf frame) and the share of a few areas. If py-spy cannot attach
(ptrace refused), it profiles the service in-process with cProfile instead, the event
loop's thread only, and says so (`--cprofile` forces that).

(Not named profile.py: bench/ is on sys.path, and that would hide the standard library's
`profile`, which cProfile imports.)
"""

import argparse
import cProfile
import pstats
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from scenarios import CONNECTIONS, PATH  # noqa: E402
from server import HTTP_PROTOCOL, MODES, Server, render  # noqa: E402

RATE = 200  # samples a second
# Areas, by a sample's leaf frame (function and file), the first that matches; a leaf in
# the standard library outside asyncio (os.environ, typing, contextlib...) counts for the
# area of its nearest caller that has one.
AREAS: list[tuple[str, re.Pattern[str]]] = [
    ("the stand-in (tests/standins.py)", re.compile(r"tests/standins\.py")),
    ("the bridge (book_service/db.py, bridge.py)", re.compile(r"book_service/(db|bridge)\.py")),
    (
        "thread hand-off (executor, futures, threading)",
        re.compile(
            r"concurrent/futures|threading\.py|queue\.py|anyio/|"
            r"^(run_in_executor|call_soon_threadsafe|_write_to_self|_chain_future|wrap_future|"
            r"_copy_future_state|_set_state|_call_set_state|_call_check_cancel) "
        ),
    ),
    (
        "FastAPI's telemetry (OpenTelemetry look-ups)",
        re.compile(r"fastapi/telemetry|opentelemetry|^get_\w+_provider |^get_value \(context/"),
    ),
    ("pydantic validation/serialization", re.compile(r"pydantic|fastapi/_compat|encoders\.py")),
    (
        "the service's middleware (request_id, body_limit, disconnect)",
        re.compile(r"book_service/(request_id|body_limit|disconnect)\.py"),
    ),
    ("starlette/fastapi routing + middleware", re.compile(r"starlette/|fastapi/")),
    ("uvicorn HTTP protocol", re.compile(r"uvicorn/|httptools")),
    ("event loop / asyncio", re.compile(r"asyncio/|uvloop|selectors")),
    ("the service's own code (book_service)", re.compile(r"book_service/")),
]
Stack = tuple[str, ...]  # frames, outermost first


def area(stack: Stack) -> str:
    """The area of a sample: its leaf's, else its nearest caller's that has one."""
    for frame in reversed(stack):
        for name, pattern in AREAS:
            if pattern.search(frame):
                return name
    return "other"


def function(frame: str) -> str:
    """`name (path:line)` -> `name (path)`: self time per function, not per line."""
    return shorten(re.sub(r":\d+\)$", ")", frame.strip()))


def shorten(frame: str) -> str:
    """Paths from the package on: `fetch_page (book_service/statements.py)`."""
    return re.sub(r"\(/\S*?/(site-packages|lib/python3\.\d+|src)/", "(", frame)


def parse_raw(text: str) -> Counter[Stack]:
    """py-spy's raw (collapsed) stacks, `frame;frame;...;leaf COUNT`, counted."""
    stacks: Counter[Stack] = Counter()
    for line in text.splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            stacks[tuple(function(frame) for frame in stack.split(";"))] += int(count)
    return stacks


def wrk(url: str, seconds: int) -> subprocess.Popen[bytes]:
    command = ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{seconds}s", "--timeout", "30s", url]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL)


def with_py_spy(project: Path, mode: str, latency: float, seconds: int) -> Counter[Stack] | None:
    """Sampled stacks of the running service under wrk, or None when py-spy cannot attach."""
    server = Server(project, mode, latency)
    try:
        server.wait_live()
        url = server.url + PATH[mode]
        wrk(url, 2).wait()  # warm-up
        load = wrk(url, seconds + 2)
        time.sleep(1)
        with tempfile.NamedTemporaryFile(suffix=".txt") as raw:
            spy = Path(sys.executable).with_name("py-spy")
            command = [str(spy), "record", "--pid", str(server.process.pid), "--format", "raw"]
            command += ["--gil", "--rate", str(RATE), "--duration", str(seconds)]
            recorded = subprocess.run([*command, "--output", raw.name], capture_output=True)
            load.wait()
            if recorded.returncode != 0:
                print(f"py-spy failed: {recorded.stderr.decode()[-500:]}", file=sys.stderr)
                return None
            return parse_raw(Path(raw.name).read_text())
    finally:
        server.stop()


def with_cprofile(project: Path, mode: str, latency: float, seconds: int) -> Counter[Stack]:
    """Self time (µs) per function of the service run in-process under cProfile (as
    one-frame stacks: cProfile keeps callers, not whole stacks)."""
    with tempfile.TemporaryDirectory() as temporary:
        stats = Path(temporary) / "service.prof"

        def command(port: int) -> list[str]:
            # Run as a file, so bench/ is sys.path[0] in the child too.
            return [sys.executable, __file__, "--serve", str(port), str(stats)]

        server = Server(project, mode, latency, command=command)
        try:
            server.wait_live()
            url = server.url + PATH[mode]
            wrk(url, 2).wait()
            wrk(url, seconds).wait()
        finally:
            server.process.send_signal(signal.SIGTERM)  # uvicorn shuts down, stats are written
            server.process.wait(timeout=60)
        table = pstats.Stats(str(stats)).stats  # type: ignore[attr-defined]
    stacks: Counter[Stack] = Counter()
    for (path, _, name), (_, _, self_time, _, _) in table.items():
        stacks[(function(f"{name} ({path})"),)] += round(self_time * 1e6)
    return stacks


def serve(port: int, output: str) -> None:
    """The cProfile child: uvicorn in this process, profiled until SIGTERM."""
    import uvicorn
    from service import app  # imported before profiling starts: imports are not requests

    config = uvicorn.Config(
        app, port=port, log_level="warning", access_log=False, http=HTTP_PROTOCOL
    )
    # uvicorn raises the signal it stopped on again once it has; handled, so stats get written.
    signal.signal(signal.SIGTERM, lambda *_: None)
    profiler = cProfile.Profile()
    profiler.enable()
    try:
        uvicorn.Server(config).run()
    finally:
        profiler.disable()
        profiler.dump_stats(output)


def show(title: str, stacks: Counter[Stack], unit: str, top: int) -> None:
    total = sum(stacks.values()) or 1
    leaves: Counter[str] = Counter()
    areas: Counter[str] = Counter()
    for stack, count in stacks.items():
        leaves[stack[-1]] += count
        areas[area(stack)] += count
    print(f"\n## {title}: top self time (of {total} {unit})\n")
    print("| self | function (file) |\n| ---: | --- |")
    for frame, count in leaves.most_common(top):
        print(f"| {count / total:.1%} | `{frame}` |")
    print(f"\n| area ({title}) | share of self time |\n| --- | ---: |")
    for name, count in areas.most_common():
        print(f"| {name} | {count / total:.1%} |")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modes", nargs="*", metavar="MODE", help="asyncio, threadpool (both)")
    parser.add_argument("--seconds", type=int, default=10, help="recorded, per mode")
    parser.add_argument("--latency", type=float, default=0, help="L, ms per round trip")
    parser.add_argument("--top", type=int, default=15, help="functions to list")
    parser.add_argument("--cprofile", action="store_true", help="cProfile, not py-spy")
    args = parser.parse_args(argv)
    if unknown := set(args.modes) - set(MODES):
        parser.error(f"no such mode: {', '.join(sorted(unknown))}")
    with tempfile.TemporaryDirectory() as temporary:
        for mode in args.modes or MODES:
            project = render(Path(temporary) / mode, mode)
            stacks = None
            unit = f"samples holding the GIL, py-spy at {RATE} Hz"
            if not args.cprofile:
                stacks = with_py_spy(project, mode, args.latency, args.seconds)
                if stacks is None:
                    print("py-spy could not attach: cProfile in-process instead", flush=True)
            if stacks is None:
                stacks = with_cprofile(project, mode, args.latency, args.seconds)
                unit = "µs of self time, cProfile, the event loop's thread only"
            show(f"{mode} mode, L = {args.latency:g} ms", stacks, unit, args.top)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--serve"]:
        serve(int(sys.argv[2]), sys.argv[3])
    else:
        main()
