"""A rendered service under uvicorn with Oracle unreachable: it starts, stays live, and
answers 503 problem JSON wherever Oracle is needed, never a traceback or the password."""

import json
import os
import re
import select
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from pathlib import Path

import dockerfile
import httpx
import pytest

from tests.conftest import environment
from tests.unreachable import free_port, silent_oracle

PASSWORD = "s3cret-never-shown"
# Request ids in the form a client's is kept in (32 hexadecimal digits), one per test.
JSON_LOG_ID = "7a0c4e1f9b2d3c5e6f708192a3b4c5d6"
TEXT_LOG_ID = "0e5b2d7c9a1f4e3b8c6d5a4f3e2d1c0b"
DRAINED_ID = "9c8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f"


def start(project: Path, port: int, **settings: str) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "uvicorn", "book_service.main:app", "--port", str(port)]
    return launch(project, command, **settings)


def launch(project: Path, command: list[str], **settings: str) -> subprocess.Popen[str]:
    """`command` in the project, with the service's settings; its output, one stream."""
    return subprocess.Popen(
        command,
        cwd=project,
        env=environment(PYTHONPATH="src", **settings),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def image_command(project: Path, port: int) -> list[str]:
    """The Docker image's CMD, run by this Python, listening on `port` of the loopback."""
    instructions = dockerfile.parse_file(str(project / "Dockerfile"))
    command = list(next(i.value for i in reversed(instructions) if i.cmd == "CMD"))
    assert command[:3] == ["python", "-m", "book_service"]
    for option, value in (("--host", "127.0.0.1"), ("--port", str(port))):
        command[command.index(option) + 1] = value
    return [sys.executable, *command[1:]]


def oracle_at(port: int) -> dict[str, str]:
    return {
        "ORACLE_DSN": f"127.0.0.1:{port}/FREEPDB1",
        "ORACLE_USER": "app",
        "ORACLE_PASSWORD": PASSWORD,
    }


def wait_until_live(
    process: subprocess.Popen[str] | subprocess.Popen[bytes], port: int, log: Path | None = None
) -> str:
    """The service's base URL, once it answers; fails with its output (in `log`, if it
    writes there) if it never does."""
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and process.poll() is None:
        try:
            httpx.get(f"{url}/health/live", timeout=1)
            return url
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    output = log.read_text() if log else process.communicate()[0]
    pytest.fail(f"the service did not start:\n{output!s}")


@pytest.fixture(scope="module")
def service(rendered: Callable[[str], Path]) -> Iterator[str]:
    """The defaults' service on a free port, with Oracle at a port where nothing listens."""
    port = free_port()
    process = start(rendered("defaults"), port, **oracle_at(free_port()))
    yield wait_until_live(process, port)
    process.terminate()
    process.communicate(timeout=30)


def assert_problem(response: httpx.Response, status: int) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == status
    assert PASSWORD not in response.text
    assert "Traceback" not in response.text


def test_live_answers_200(service: str) -> None:
    url = service
    response = httpx.get(f"{url}/health/live")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_ready_answers_503_problem_json(service: str) -> None:
    url = service
    response = httpx.get(f"{url}/health/ready")
    assert_problem(response, 503)
    assert "DPY-6005" in response.json()["detail"]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/books", None),
        ("GET", "/books/1", None),
        (
            "POST",
            "/books",
            {"title": "Dune", "isbn": "9780441013593", "price": "9.9", "in_print": True},
        ),
        ("DELETE", "/books/1", None),
    ],
)
def test_crud_calls_answer_503_problem_json(
    service: str, method: str, path: str, body: object
) -> None:
    url = service
    response = httpx.request(method, f"{url}{path}", json=body)
    assert_problem(response, 503)
    assert response.json()["detail"] == "Oracle is unreachable; try again later (DPY-6005)"


def test_a_bad_request_is_still_a_422_problem(service: str) -> None:
    url = service
    assert_problem(httpx.post(f"{url}/books", json={"title": ""}), 422)


def test_the_log_holds_no_password_and_no_traceback(rendered: Callable[[str], Path]) -> None:
    port = free_port()
    process = start(rendered("defaults"), port, **oracle_at(free_port()))
    url = wait_until_live(process, port)
    for path in ["/books", "/health/ready", "/books/1"]:
        assert httpx.get(f"{url}{path}").status_code == 503
    process.terminate()
    output, _ = process.communicate(timeout=30)
    assert "DPY-6005" in output  # the reason is logged, once per failed login
    assert PASSWORD not in output
    assert "Traceback" not in output


def test_a_log_reader_that_stalls_never_holds_up_the_service(
    rendered: Callable[[str], Path],
) -> None:
    """stdout and stderr are pipes that nobody reads here, as a container runtime's whose
    log driver stalls: once a pipe is full, each write to it waits."""
    port = free_port()
    process = start(rendered("defaults"), port, **oracle_at(free_port()))
    url = wait_until_live(process, port)
    with httpx.Client(base_url=url, timeout=10) as client:
        # Each answer logs its access line, a failed login a warning: 2000 access lines are
        # far past a pipe's 64 KiB.
        statuses = {client.get("/books").status_code for _ in range(2000)}
        live = client.get("/health/live")
    process.terminate()
    output, _ = process.communicate(timeout=30)
    assert statuses == {503}
    assert live.status_code == 200
    # And nothing lost: the lines waited for the reader (up to 10 000 of them).
    assert output.count('"GET /books HTTP/1.1" 503') == 2000


def logged_around_a_503(project: Path, request_id: str, **settings: str) -> tuple[str, list[str]]:
    """Serve with Oracle unreachable, GET /books (503) as `request_id`, and stop: the whole
    output, and its lines from the app's start on (uvicorn writes two lines of its own
    before the app starts and reads LOG_FORMAT)."""
    port = free_port()
    process = start(project, port, **oracle_at(free_port()), **settings)
    url = wait_until_live(process, port)
    response = httpx.get(f"{url}/books", headers={"X-Request-ID": request_id})
    assert response.status_code == 503
    process.terminate()
    output, _ = process.communicate(timeout=30)
    lines = output.splitlines()
    started = next(n for n, line in enumerate(lines) if "Waiting for application startup" in line)
    return output, lines[started + 1 :]


def test_json_logs_are_one_object_per_line_with_the_request_id(
    rendered: Callable[[str], Path],
) -> None:
    output, lines = logged_around_a_503(rendered("defaults"), JSON_LOG_ID, LOG_FORMAT="json")
    records = [json.loads(line) for line in lines]
    mine = [record for record in records if record["request_id"] == JSON_LOG_ID]
    assert {record["logger"] for record in mine} >= {"uvicorn.access"}
    assert any("DPY-6005" in record["message"] for record in mine)
    assert all(record["time"].endswith("+00:00") for record in records)
    assert PASSWORD not in output


RECORD = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00 [A-Z]+ [\w.]+ \[[\w.-]+\] ")


def test_text_logs_are_one_line_per_record_with_the_request_id(
    rendered: Callable[[str], Path],
) -> None:
    """operations: `time level logger [request id] message`, uvicorn's records too (its
    access lines, and its errors), once the app has started."""
    output, lines = logged_around_a_503(rendered("defaults"), TEXT_LOG_ID)
    assert all(RECORD.match(line) for line in lines), output
    mine = [line for line in lines if f" [{TEXT_LOG_ID}] " in line]
    assert any(f" INFO uvicorn.access [{TEXT_LOG_ID}] " in line for line in mine), output
    assert any(f" WARNING book_service.bridge [{TEXT_LOG_ID}] " in line for line in mine), output


@pytest.mark.parametrize("processes", ["1", "2"])
def test_a_bad_setting_stops_the_image_s_command_with_only_its_message(
    rendered: Callable[[str], Path], processes: str
) -> None:
    """Not uvicorn's lifespan traceback, one per worker process; nor, with several
    workers, a supervisor that gives up with status 0."""
    project = rendered("defaults")
    settings = oracle_at(free_port()) | {"ORACLE_POOL_MAX": "0", "WEB_CONCURRENCY": processes}
    process = launch(project, image_command(project, free_port()), **settings)
    output, _ = process.communicate(timeout=60)
    assert process.returncode == 3, output
    assert output == (
        "invalid settings:\n  ORACLE_POOL_MAX: Input should be greater than or equal to 1\n"
    )
    assert PASSWORD not in output


@pytest.mark.parametrize("variant", ["defaults", "threadpool"])  # the asyncio API, then threads
def test_a_silent_oracle_cannot_hold_up_shutdown(
    rendered: Callable[[str], Path], variant: str
) -> None:
    with silent_oracle() as oracle_port:
        port = free_port()
        settings = {"ORACLE_POOL_TIMEOUT": "1", "ORACLE_CLOSE_TIMEOUT": "2"}
        process = start(rendered(variant), port, **oracle_at(oracle_port), **settings)
        url = wait_until_live(process, port)
        with ThreadPoolExecutor() as clients:
            in_flight = clients.submit(httpx.get, f"{url}/books", timeout=30)
            ready = clients.submit(httpx.get, f"{url}/health/ready", timeout=30)
            time.sleep(0.3)
            stopping = time.monotonic()
            process.terminate()
            output, _ = process.communicate(timeout=60)
            stopped = time.monotonic() - stopping
            answers = [in_flight.result(), ready.result()]
    # Each accepted request got its answer, and the bridge's login, stuck on the silent
    # Oracle (so no pool ever opened), was given up at shutdown.
    assert [answer.status_code for answer in answers] == [503, 503], output
    assert "Traceback" not in output
    assert stopped < 10, output  # the pool timeout, the close timeout, and a second to exit


@pytest.mark.parametrize("variant", ["defaults", "threadpool"])
def test_a_request_still_running_when_the_drain_ends_gets_a_503_problem(
    rendered: Callable[[str], Path], variant: str
) -> None:
    """Not uvicorn's plain-text 500 and its traceback: the image's command with a drain of
    1 s, and a request that waits 10 s for the bridge's login to a silent Oracle."""
    project = rendered(variant)
    with silent_oracle() as oracle_port:
        port = free_port()
        command = image_command(project, port)
        command[command.index("--timeout-graceful-shutdown") + 1] = "1"
        settings = {"ORACLE_POOL_TIMEOUT": "10", "ORACLE_CLOSE_TIMEOUT": "2"}
        process = launch(project, command, **oracle_at(oracle_port), **settings)
        url = wait_until_live(process, port)
        with ThreadPoolExecutor() as clients:
            headers = {"X-Request-ID": DRAINED_ID}
            in_flight = clients.submit(httpx.get, f"{url}/books", headers=headers, timeout=30)
            time.sleep(0.3)
            process.terminate()
            output, _ = process.communicate(timeout=60)
            answer = in_flight.result()
    assert_problem(answer, 503)
    assert answer.json()["detail"] == "The service is shutting down; try again"
    assert answer.headers["retry-after"] == "1"
    assert answer.headers["connection"] == "close"
    assert answer.headers["x-request-id"] == DRAINED_ID
    assert "Traceback" not in output
    [line] = [line for line in output.splitlines() if DRAINED_ID in line and "GET /books:" in line]
    # Its call waited for the login, and never ran: no call was under way, in either mode.
    ended = " GET /books: still running when shutdown's wait ended; answered 503"
    assert line.endswith(ended), line


def pid_namespaces() -> bool:
    """Whether this machine lets a user start a process as PID 1 of a namespace of its own,
    as a container runs its command."""
    with suppress(OSError):
        return subprocess.run(["unshare", "-Urfp", "true"], check=False).returncode == 0
    return False


def opened_once_read(fifo: Path, process: subprocess.Popen[str]) -> int:
    """`fifo` open to write, once `process` has it open to read: it reads it then."""
    deadline = time.monotonic() + 60
    while process.poll() is None and time.monotonic() < deadline:
        with suppress(OSError):  # no reader yet
            return os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        time.sleep(0.05)
    process.kill()
    pytest.fail(f"the service never read {fifo.name}:\n{process.communicate()[0]}")


@pytest.mark.skipif(not pid_namespaces(), reason="needs PID namespaces (unshare -Urfp)")
def test_sigterm_stops_the_image_s_command_as_pid_1_before_uvicorn_serves(
    rendered: Callable[[str], Path], tmp_path: Path
) -> None:
    """Linux sends PID 1 no signal it has no handler for: till uvicorn set its own, a
    container stopped while its service started went on to serve, and waited out its grace
    period. Here the process waits in the check of its logging configuration, a FIFO."""
    project = rendered("defaults")
    held = tmp_path / "log.json"
    os.mkfifo(held)
    as_pid_1 = ["unshare", "--user", "--map-root-user", "--pid", "--fork", "--kill-child"]
    command = [*as_pid_1, *image_command(project, free_port())]
    settings = {"UVICORN_LOG_CONFIG": str(held), **oracle_at(free_port())}
    process = launch(project, command, **settings)
    writer = opened_once_read(held, process)
    try:
        [pid_1] = Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()
        os.kill(int(pid_1), signal.SIGTERM)
        output, _ = process.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        pytest.fail(f"SIGTERM did not stop the service as PID 1:\n{process.communicate()[0]}")
    finally:
        os.close(writer)
    assert process.returncode == 128 + signal.SIGTERM, output
    assert output == ""


def worker_processes(pid: int) -> list[int]:
    """The processes uvicorn spawned to serve (not multiprocessing's resource tracker)."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [int(child) for child in children if b"spawn_main" in cmdline(int(child))]


def cmdline(pid: int) -> bytes:
    with suppress(FileNotFoundError):
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    return b""


def test_web_concurrency_runs_that_many_worker_processes(rendered: Callable[[str], Path]) -> None:
    """The image's way to use more cores: WEB_CONCURRENCY worker processes behind one port,
    each with its own pool (uvicorn reads the variable as --workers)."""
    port = free_port()
    process = start(rendered("defaults"), port, WEB_CONCURRENCY="2", **oracle_at(free_port()))
    url = wait_until_live(process, port)
    deadline = time.monotonic() + 30
    while len(workers := worker_processes(process.pid)) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    with ThreadPoolExecutor(8) as clients:
        answers = list(clients.map(lambda _: httpx.get(f"{url}/books", timeout=30), range(16)))
    process.terminate()
    output, _ = process.communicate(timeout=60)
    assert len(workers) == 2, output
    assert all(Path(f"/proc/{pid}").exists() is False for pid in workers)  # all stopped
    for answer in answers:  # each worker answers for itself: Oracle unreachable is a 503
        assert_problem(answer, 503)
    assert output.count("Application startup complete") == 2, output
    assert "Traceback" not in output


def test_with_a_multiprocess_directory_each_scrape_counts_every_worker(
    rendered: Callable[[str], Path], tmp_path: Path
) -> None:
    """operations: with PROMETHEUS_MULTIPROC_DIR, a scrape, whichever worker answers it,
    gives the requests every worker answered."""
    port = free_port()
    settings = {"WEB_CONCURRENCY": "2", "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    process = start(rendered("defaults"), port, **settings, **oracle_at(free_port()))
    url = wait_until_live(process, port)  # one request to /health/live
    sent = 1
    # prometheus_client keeps each process's histograms in a file named by its pid, made
    # with the first request a process times: go on until both workers have answered some
    # (each request on a connection of its own), so neither one's counts are the total.
    while len(list(tmp_path.glob("histogram_*.db"))) < 2 and sent < 500:
        httpx.get(f"{url}/health/live", timeout=10)
        sent += 1
    scrapes = [httpx.get(f"{url}/metrics", timeout=10).text for _ in range(6)]
    process.terminate()
    output, _ = process.communicate(timeout=60)
    assert len(list(tmp_path.glob("histogram_*.db"))) == 2, output
    line = f'http_requests_total{{method="GET",route="/health/live",status="200"}} {sent:.1f}'
    for scrape in scrapes:
        assert line in scrape.splitlines(), scrape


def cores_of_each_thread(pid: int) -> set[str]:
    """The cores each thread of a process may run on, as the kernel lists them."""
    cores = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        with suppress(FileNotFoundError):
            status = (task / "status").read_text()
            cores.add(next(ln for ln in status.splitlines() if ln.startswith("Cpus_allowed_list")))
    return {line.split(":")[1].strip() for line in cores}


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="needs two cores to pin to")
def test_web_pin_cpu_puts_each_worker_process_on_a_core_of_its_own(
    rendered: Callable[[str], Path], tmp_path: Path
) -> None:
    """Threadpool mode, whose executor threads start with the first calls: every thread of
    each worker process on one core, and the two workers on different cores."""
    port = free_port()
    settings = {"WEB_CONCURRENCY": "2", "WEB_PIN_CPU": "true", **oracle_at(free_port())}
    settings["TMPDIR"] = str(tmp_path)  # its claims on the cores, apart from any other's
    process = start(rendered("threadpool"), port, **settings)
    url = wait_until_live(process, port)
    deadline = time.monotonic() + 30
    while len(workers := worker_processes(process.pid)) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    with ThreadPoolExecutor(8) as clients:  # database calls: the executors' threads start
        answers = list(clients.map(lambda _: httpx.get(f"{url}/books", timeout=30), range(16)))
    # Each worker pins its threads as its lifespan starts, which may end after the other
    # worker has answered every request: until then its threads are pinned or not yet.
    cores = [cores_of_each_thread(pid) for pid in workers]
    while not all(len(each) == 1 for each in cores) and time.monotonic() < deadline:
        time.sleep(0.1)
        cores = [cores_of_each_thread(pid) for pid in workers]
    process.terminate()
    output, _ = process.communicate(timeout=60)
    assert len(workers) == 2, output
    for answer in answers:
        assert_problem(answer, 503)
    assert all(len(each) == 1 for each in cores), cores  # one core for every thread
    assert cores[0] != cores[1], cores
    assert output.count("runs on CPU") == 2, output


def send_an_endless_head(port: int) -> tuple[bytes, int]:
    """Header lines of 16 KB, one after the other, until the server answers: the answer,
    and how many bytes had been sent by then."""
    line = b"X-Filler: " + b"a" * 16_000 + b"\r\n"
    sent = 0
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(b"GET /health/live HTTP/1.1\r\nHost: test\r\n")
        while sent < 50_000_000:
            sock.sendall(line)
            sent += len(line)
            if select.select([sock], [], [], 0.01)[0]:
                return sock.recv(65_536), sent
    return b"", sent


@contextmanager
def serving_as_the_image(project: Path) -> Iterator[tuple[str, int]]:
    """The image's command serving `project` (Oracle unreachable): its URL and port."""
    port = free_port()
    process = launch(project, image_command(project, port), **oracle_at(free_port()))
    try:
        yield wait_until_live(process, port), port
    finally:
        process.terminate()
        process.communicate(timeout=30)


def test_the_image_names_no_server_software_and_says_nosniff(
    rendered: Callable[[str], Path],
) -> None:
    """uvicorn says `server: uvicorn` on every answer unless told not to; and nosniff keeps
    a browser from reading an answer as HTML."""
    with serving_as_the_image(rendered("defaults")) as (url, port):
        answers = [httpx.get(f"{url}/health/live"), httpx.get(f"{url}/nowhere")]
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(b"GET / HTTP/1.1\r\nHost: test\r\nNo colon here\r\n\r\n")
            refusal = b"".join(iter(lambda: sock.recv(65_536), b""))  # until it closes
    assert [answer.status_code for answer in answers] == [200, 404]
    for answer in answers:
        assert "server" not in answer.headers, answer.headers
        assert answer.headers.get_list("x-content-type-options") == ["nosniff"]
    assert refusal.startswith(b"HTTP/1.1 400 Bad Request\r\n"), refusal
    assert b"\r\nserver:" not in refusal.lower(), refusal
    assert b"\r\nx-content-type-options: nosniff\r\n" in refusal.lower(), refusal


def test_the_image_answers_a_websocket_upgrade_as_any_request(
    rendered: Callable[[str], Path],
) -> None:
    """The service serves no WebSocket: with uvicorn's WebSocket protocol on (the image
    installs `websockets`), an upgrade to any path got its bare text/plain 403, with no
    request id, no nosniff and no count in /metrics."""
    upgrade = (
        b"GET /books HTTP/1.1\r\nHost: test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    with (
        serving_as_the_image(rendered("defaults")) as (_, port),
        socket.create_connection(("127.0.0.1", port), timeout=10) as sock,
    ):
        sock.sendall(upgrade)
        answer = sock.recv(65_536)
    head = answer.partition(b"\r\n\r\n")[0].lower()
    assert b"content-type: application/problem+json" in head, answer
    assert b"x-request-id: " in head, answer


def test_the_image_answers_head_as_get_without_the_body(rendered: Callable[[str], Path]) -> None:
    """Every general-purpose server must support HEAD (RFC 9110, 9.1); FastAPI's routes
    answered 405 to it, and a load balancer's HEAD probe saw the service as down."""
    with serving_as_the_image(rendered("defaults")) as (url, port):
        got = httpx.get(f"{url}/health/live")
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(b"HEAD /health/live HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
            head = b"".join(iter(lambda: sock.recv(65_536), b""))  # until it closes
    assert head.startswith(b"HTTP/1.1 200 OK\r\n"), head
    headers, _, body = head.partition(b"\r\n\r\n")
    assert body == b""
    assert f"content-length: {len(got.content)}".encode() in headers.lower()


def test_the_image_bounds_a_request_head_and_serves_one_within_the_bound(
    rendered: Callable[[str], Path],
) -> None:
    """httptools would buffer headers however long they grow: 200 MB sent, 200 MB held."""
    project, port = rendered("defaults"), free_port()
    process = launch(project, image_command(project, port), **oracle_at(free_port()))
    url = wait_until_live(process, port)
    try:
        within = httpx.get(f"{url}/health/live", headers={"X-Filler": "a" * 40_000})
        answer, sent = send_an_endless_head(port)
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=30)
    assert within.status_code == 200
    assert answer.startswith(b"HTTP/1.1 431 Request Header Fields Too Large\r\n"), output
    assert b"content-type: application/problem+json" in answer
    assert sent < 1_000_000  # 64 KiB, and what was on its way
    assert "The request line and headers exceed 65536 bytes: answered 431" in output
