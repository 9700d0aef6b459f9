"""A rendered project installs from its own pyproject.toml and passes its own scripts/test.

This is the path its README gives (uv sync, then ruff, mypy and pytest through uv run), in a
fresh virtual environment: a dependency missing from the rendered pyproject.toml fails here
even though the shared environment of test_generated.py happens to have it. The commands
the docs show for a project then run in it as written (tests/test_doc_commands.py lists
them): migrations printed and written, the service started by its script and by uvicorn
with a logging configuration of its own.
"""

import functools
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.conftest import ROOT, captured, environment, render
from tests.test_doc_commands import IN_A_FRESH_PROJECT, yaml_block
from tests.test_doc_commands import documented as every_documented
from tests.test_serve import oracle_at
from tests.unreachable import free_port
from tests.variants import EVERY_TYPE

TOOLS = Path(sys.executable).parent  # uv comes from this environment
# The newest Python the `python_version` question offers. The shared environment of
# test_generated.py runs every rendered suite on this process's Python (3.11, the oldest);
# the install below runs on this one where the machine has it, so that both ends of the
# range run a suite, not only pass ruff and mypy for it.
NEWEST = "3.13"


@functools.cache
def project_python() -> tuple[str, str]:
    """The interpreter the installed project runs on, and its version: NEWEST, pyenv's or
    on the PATH, if this machine has it; this process's Python otherwise."""
    root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    candidates = sorted(root.glob(f"versions/{NEWEST}.*/bin/python{NEWEST}"), reverse=True)
    for candidate in [*map(str, candidates), f"python{NEWEST}"]:
        try:
            found = subprocess.run(
                [candidate, "-c", "import sys; print(sys.executable)"],
                capture_output=True,
                text=True,
                timeout=30,
                check=False,
            )
        except OSError:
            continue
        if found.returncode == 0:  # not a shim of pyenv's for a version not selected
            return found.stdout.strip(), NEWEST
    return sys.executable, f"{sys.version_info.major}.{sys.version_info.minor}"


def fresh_environment(**overrides: str) -> dict[str, str]:
    return environment(
        PATH=f"{TOOLS}{os.pathsep}{os.environ['PATH']}",
        UV_PYTHON=project_python()[0],
        VIRTUAL_ENV="",
        **overrides,
    )


def run_fresh(
    command: list[str], project: Path, timeout: float, **overrides: str
) -> subprocess.CompletedProcess[str]:
    """`command` in the project, in the fresh environment, its output captured."""
    return subprocess.run(
        command,
        cwd=project,
        env=fresh_environment(**overrides),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A project on the newest Python here (`project_python`) with the docs' `books` and
    every field type, after its own scripts/test: the project, and what scripts/test
    printed."""
    resources = [{"book": ["title str(200)", "isbn str(13) unique"]}, *EVERY_TYPE]
    _, version = project_python()
    project = render(
        tmp_path_factory.mktemp("install") / "service", python_version=version, resources=resources
    )
    result = run_fresh(["scripts/test", "-q"], project, timeout=900)
    output = result.stdout + result.stderr
    assert result.returncode == 0, failures(output)
    return project, output


def failures(output: str) -> str:
    """What a failed run printed of its failures: pytest's failures, and its summary less
    the skips, which alone filled the tail of the output."""
    found = [at for at in (output.find("= ERRORS ="), output.find("= FAILURES =")) if at != -1]
    shown = output[min(found) :] if found else output
    kept = [line for line in shown.splitlines() if not line.startswith("SKIPPED")]
    return "\n".join(kept)[-20_000:]


def test_scripts_test_passes_in_a_fresh_environment(installed: tuple[Path, str]) -> None:
    project, output = installed
    assert (project / ".venv").is_dir()
    # On the Python chosen for it, which the venv's configuration names.
    venv = (project / ".venv/pyvenv.cfg").read_text()
    assert re.search(rf"^version_info = {re.escape(project_python()[1])}\.", venv, re.M), venv
    assert "All checks passed!" in output
    assert "Success: no issues found" in output
    assert re.search(r"\d+ passed", output)


def documented(pattern: str, project: Path) -> list[str]:
    """The commands of this repository's docs and the project's pages that match."""
    found = [command for command in every_documented(project) if re.fullmatch(pattern, command)]
    assert found, f"no command in the docs matches {pattern}"
    return found


def test_the_documented_project_commands_run(installed: tuple[Path, str]) -> None:
    project, _ = installed
    oracle = oracle_at(free_port())
    ran = []
    for pattern in IN_A_FRESH_PROJECT:
        if "serve" in pattern or "uvicorn" in pattern:
            continue  # below: they start a service
        for command in documented(pattern, project):
            result = captured(["bash", "-c", command], project, fresh_environment(**oracle))
            assert result.returncode == 0, f"{command}\n{result.stderr[-3000:]}"
            ran.append((command, result.stdout))
    printed = dict(ran)
    assert "CREATE TABLE books" in printed["scripts/migrate --sql"]
    assert "CREATE TABLE books" in (project / "migrate.sql").read_text()
    after_books = printed["uv run alembic upgrade books:head --sql"]
    assert "CREATE TABLE authors" in after_books
    assert "CREATE TABLE books" not in after_books
    assert (project / ".env").read_text() == (project / ".env.example").read_text()
    new = [path.name for path in (project / "migrations/versions").glob("*.py")]
    assert any("add_subtitle_to_books" in name for name in new), new


@contextmanager
def running(command: str, project: Path) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """A documented command that starts the service, on a free port (UVICORN_PORT)."""
    port = free_port()
    process = subprocess.Popen(
        ["bash", "-c", f"exec {command}"],
        cwd=project,
        env=fresh_environment(UVICORN_PORT=str(port), **oracle_at(free_port())),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # --reload runs a child: stop the whole group
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                httpx.get(f"{url}/health/live", timeout=1)
                break
            except httpx.TransportError:
                if process.poll() is not None:
                    break
                time.sleep(0.1)
        yield url, process
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def test_scripts_serve_starts_the_service(installed: tuple[Path, str]) -> None:
    project, _ = installed
    [command] = documented(r"scripts/serve", project)
    with running(command, project) as (url, process):
        response = httpx.get(f"{url}/health/live", timeout=5)
    assert response.status_code == 200, process.communicate()[0]
    # The image's headers (tests/test_serve.py): no Server header, nosniff.
    assert "server" not in response.headers
    assert response.headers["x-content-type-options"] == "nosniff"


def test_scripts_serve_stops_on_a_wrong_setting_with_its_message(
    installed: tuple[Path, str],
) -> None:
    project, _ = installed
    settings = oracle_at(free_port()) | {"ORACLE_PASSWORD": ""}
    # Within a minute: not a reloader left waiting for a file to change.
    result = run_fresh(["scripts/serve"], project, 60, **settings)
    assert result.returncode == 3
    assert "ORACLE_PASSWORD" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    # And a variable of uvicorn's, named as a setting is (click's message named --log-level
    # and quoted the value), and status 2.
    wrong = oracle_at(free_port()) | {"UVICORN_LOG_LEVEL": "verbose"}
    result = run_fresh(["scripts/serve"], project, 60, **wrong)
    assert result.returncode == 3
    assert result.stderr.startswith("invalid settings:\n  UVICORN_LOG_LEVEL: it must be one of")
    assert "verbose" not in result.stderr


def test_uvicorn_with_a_logging_configuration_of_its_own_is_left_alone(
    installed: tuple[Path, str],
) -> None:
    project, _ = installed
    page = (ROOT / "docs/operations.md").read_text()
    (project / "logging.yaml").write_text(yaml_block(page, "logging.yaml"))
    [command] = documented(r"scripts/serve --log-config logging\.yaml", project)
    with running(command, project) as (url, process):
        response = httpx.get(f"{url}/books", timeout=30)
        assert response.status_code == 503
        assert "server" not in response.headers  # served with the image's options still
    log = process.communicate()[0]
    # The documented format, `time level logger message`, not the service's own one.
    warning = r"^\S+ \S+ WARNING book_service\.bridge Oracle's login failed: DPY-"
    line = re.search(warning, log, re.M)
    assert line, log[-3000:]
    assert not re.search(r"book_service\.\w+ \[", log)


def test_a_package_named_apart_from_the_project_installs(tmp_path: Path) -> None:
    # The build backend would look for src/book_service, after the project's name.
    project = render(tmp_path / "service", python_version="3.11", package_name="orders_api")
    result = run_fresh(
        ["uv", "run", "--quiet", "python", "-c", "import orders_api.main"], project, 600
    )
    assert result.returncode == 0, result.stderr[-3000:]


def test_the_scripts_say_what_to_install_when_uv_is_missing(tmp_path: Path) -> None:
    project = render(tmp_path / "service")
    assert (project / ".python-version").read_text() == "3.12\n"  # the default answer
    for script in ["test", "serve", "migrate", "wait-for-oracle"]:
        result = subprocess.run(
            [f"scripts/{script}"],
            cwd=project,
            env=environment(PATH="/usr/bin:/bin"),  # bash, and no uv
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 1, result.stderr
        assert f"{script} needs uv" in result.stderr
        assert "https://astral.sh/uv/install.sh" in result.stderr
        assert "command not found" not in result.stderr
