"""The Dockerfile and compose.yaml a render gives, checked without a Docker engine.

compose.yaml is validated against the Compose Specification's schema; the Dockerfile is
read with BuildKit's own parser. Building and running them needs Docker, which CI of a
rendered project has and this machine does not.
"""

import http.server
import json
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import dockerfile
import pytest
import yaml

from tests.conftest import captured, environment, files, python_module, render
from tests.test_serve import image_command


def test_docker_and_ci_files_come_only_with_their_answers(tmp_path: Path) -> None:
    project = render(tmp_path / "service", docker=False, github_actions=False)
    rendered = files(project)
    assert not {"Dockerfile", ".dockerignore", "compose.yaml"} & rendered
    assert not any(name.startswith(".github/") for name in rendered)
    assert "docker compose" not in (project / "README.md").read_text()


def test_compose_file_follows_the_compose_specification(rendered: Callable[[str], Path]) -> None:
    compose = rendered("defaults") / "compose.yaml"
    schema = ["--builtin-schema", "vendor.compose-spec"]
    result = python_module(compose.parent, "check_jsonschema", *schema, str(compose))
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_starts_the_service_after_a_healthy_oracle_and_the_migrations(
    rendered: Callable[[str], Path],
) -> None:
    compose = yaml.safe_load((rendered("defaults") / "compose.yaml").read_text())
    oracle, migrate, app = (compose["services"][name] for name in ["oracle", "migrate", "app"])
    assert oracle["image"].startswith("gvenzl/oracle-free:")
    assert oracle["image"].endswith("-slim-faststart")
    # The image's own check (open, and its setup, the service's user with it, over); no
    # login as the service's user, which a changed password would make fail every 10 s.
    assert oracle["healthcheck"]["test"] == ["CMD", "healthcheck.sh"]
    assert oracle["environment"]["APP_USER"] == "${ORACLE_USER:-book_service}"
    assert migrate["command"] == ["alembic", "upgrade", "head"]
    assert app["depends_on"] == {
        "oracle": {"condition": "service_healthy"},
        "migrate": {"condition": "service_completed_successfully"},
    }
    assert app["stop_grace_period"] == "50s"
    for service in (migrate, app):
        assert service["environment"]["ORACLE_DSN"] == "oracle:1521/FREEPDB1"
        assert service["image"] == "book-service:local"


def test_compose_publishes_ports_on_the_loopback_address_and_needs_a_password(
    rendered: Callable[[str], Path],
) -> None:
    compose = yaml.safe_load((rendered("defaults") / "compose.yaml").read_text())
    ports = [port for service in compose["services"].values() for port in service.get("ports", [])]
    assert ports == [
        "${PUBLISH_ADDRESS:-127.0.0.1}:1521:1521",
        "${PUBLISH_ADDRESS:-127.0.0.1}:8000:8000",
    ]
    oracle = compose["services"]["oracle"]
    assert oracle["environment"]["APP_USER_PASSWORD"] == (
        "${ORACLE_PASSWORD:?set ORACLE_PASSWORD in .env}"  # empty counts as unset
    )
    example = (rendered("defaults") / ".env.example").read_text().splitlines()
    assert "ORACLE_PASSWORD=" in example  # no example password that would run


@pytest.mark.parametrize(
    ("project_name", "user"),
    [("Order", "order_app"), ("Orders", "orders"), ("System", "system_app")],
)
def test_the_default_user_is_one_oracle_free_can_create(
    tmp_path: Path, project_name: str, user: str
) -> None:
    """Oracle Free's image creates its app user unquoted (`CREATE USER ${APP_USER}`, its
    createAppUser script), which an Oracle reserved word cannot name: `order`, a fine
    Python package, would stop compose's Oracle at its first start. Nor can it create an
    account every Oracle has: `system` would have the service log in as SYSTEM."""
    project = render(tmp_path / "service", project_name=project_name)
    compose = yaml.safe_load((project / "compose.yaml").read_text())
    assert compose["services"]["oracle"]["environment"]["APP_USER"] == f"${{ORACLE_USER:-{user}}}"
    assert f"ORACLE_USER={user}" in (project / ".env.example").read_text().splitlines()
    config = (project / "src" / user.removesuffix("_app") / "config.py").read_text()
    assert f'user: str = Field("{user}", min_length=1)' in config


def test_the_image_is_multi_stage_non_root_and_checks_liveness(
    rendered: Callable[[str], Path],
) -> None:
    commands = dockerfile.parse_file(str(rendered("defaults") / "Dockerfile"))
    stages = [command for command in commands if command.cmd == "FROM"]
    assert [stage.value for stage in stages] == [
        ("python:3.12-slim", "AS", "build"),
        ("python:3.12-slim",),
    ]
    final = commands[commands.index(stages[-1]) :]
    by_name = {command.cmd: command for command in final}
    assert by_name["USER"].value == ("app",)
    assert any(c.cmd == "COPY" and "--from=build" in c.flags for c in final)
    assert "http://127.0.0.1:8000/health/live" in " ".join(by_name["HEALTHCHECK"].value)
    cmd = by_name["CMD"].value
    assert cmd[:3] == ("python", "-m", "book_service")  # the settings checked, then uvicorn
    assert "--proxy-headers" in cmd
    assert by_name["EXPOSE"].value == ("8000",)


class Live(http.server.BaseHTTPRequestHandler):
    """/health/live as the service answers it, for the image's HEALTHCHECK to ask."""

    def do_GET(self) -> None:
        self.send_response(200 if self.path == "/health/live" else 404)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: a test's output is its own."""


def test_the_liveness_check_asks_the_service_itself_whatever_proxy_is_set(
    rendered: Callable[[str], Path],
) -> None:
    # Docker gives containers its client's http_proxy, and urllib sends even 127.0.0.1
    # through it: the check failed, and Docker restarted a healthy service.
    commands = dockerfile.parse_file(str(rendered("defaults") / "Dockerfile"))
    check = next(command for command in commands if command.cmd == "HEALTHCHECK").value
    assert check[:3] == ("CMD", "python", "-c")
    server = http.server.HTTPServer(("127.0.0.1", 0), Live)
    port = server.server_address[1]
    code = check[3].replace("127.0.0.1:8000/health/live", f"127.0.0.1:{port}/health/live")
    assert code != check[3]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        nowhere = "http://127.0.0.1:9"  # the discard port: no proxy answers there
        proxied = environment(http_proxy=nowhere, HTTP_PROXY=nowhere, no_proxy="", NO_PROXY="")
        result = captured([sys.executable, "-c", code], rendered("defaults"), proxied)
    finally:
        server.shutdown()
        server.server_close()
    assert result.returncode == 0, result.stderr


def test_the_image_leaves_out_what_it_does_not_need(rendered: Callable[[str], Path]) -> None:
    ignored = (rendered("defaults") / ".dockerignore").read_text().split()
    assert {".env", ".venv", ".git", "tests"} <= set(ignored)


def default_settings(project: Path) -> dict[str, float]:
    """The rendered service's default timeouts, as its Settings reads them."""
    code = (
        "import json; from book_service.config import Settings; "
        "s = Settings(dsn='db:1521/FREEPDB1', password='x'); "
        "print(json.dumps({n: getattr(s, n) for n in ('pool_timeout', 'call_timeout', "
        "'close_timeout')}))"
    )
    result = captured([sys.executable, "-c", code], project, environment(PYTHONPATH="src"))
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout))


@pytest.mark.parametrize("variant", ["defaults", "threadpool"])
def test_python_m_alone_serves_with_the_image_s_options(
    rendered: Callable[[str], Path], variant: str
) -> None:
    """A command of your own, `python -m book_service` and a host and port, gets what the
    image's CMD gives uvicorn: its protocol, log, headers and drain (operations.md)."""
    project = rendered(variant)
    code = (
        "import json; from book_service.cli import defaults; "
        "from book_service.config import load_settings; "
        "print(json.dumps(defaults(load_settings(), [])))"
    )
    settings = {"ORACLE_DSN": "db:1521/FREEPDB1", "ORACLE_PASSWORD": "x"}
    result = captured(
        [sys.executable, "-c", code], project, environment(PYTHONPATH="src", **settings)
    )
    assert result.returncode == 0, result.stderr
    given = json.loads(result.stdout)
    command = image_command(project, 8000)[3:]  # what follows `python -m book_service`
    for option in ("--host", "--port"):
        del command[command.index(option) : command.index(option) + 2]
    command.remove("--proxy-headers")  # uvicorn's default, from the addresses it trusts
    # The image leaves its log to `python -m`, as a command of your own does.
    assert by_option(command) == [o for o in by_option(given) if o[0] != "--log-config"]


def by_option(arguments: list[str]) -> list[tuple[str, ...]]:
    """uvicorn's `arguments`, each option with its values, in order of option."""
    options: list[list[str]] = []
    for argument in arguments:
        if argument.startswith("--"):
            options.append([])
        options[-1].append(argument)
    return sorted(map(tuple, options))


@pytest.mark.parametrize("variant", ["defaults", "threadpool"])
def test_a_call_admitted_before_sigterm_finishes_within_the_drain_and_the_grace_period(
    rendered: Callable[[str], Path], variant: str
) -> None:
    """operations, Shutdown: with the default settings, a call that waits its whole
    ORACLE_POOL_TIMEOUT for a connection and its whole ORACLE_CALL_TIMEOUT for Oracle has
    its answer before uvicorn's drain ends; compose waits for the drain and the close."""
    project = rendered(variant)
    command = image_command(project, 8000)
    drain = float(command[command.index("--timeout-graceful-shutdown") + 1])
    settings = default_settings(project)
    assert settings["pool_timeout"] + settings["call_timeout"] < drain
    compose = yaml.safe_load((project / "compose.yaml").read_text())
    grace = float(compose["services"]["app"]["stop_grace_period"].removesuffix("s"))
    assert drain + settings["close_timeout"] + 1 <= grace


def test_with_tracing_compose_also_waits_for_the_spans_still_to_send(
    rendered: Callable[[str], Path],
) -> None:
    # FastAPI sends them once the lifespan has ended: a collector that does not answer
    # holds the process for OTEL_EXPORTER_OTLP_TIMEOUT, 10 s by default (measured).
    project = rendered("every-type")
    command = image_command(project, 8000)
    drain = float(command[command.index("--timeout-graceful-shutdown") + 1])
    compose = yaml.safe_load((project / "compose.yaml").read_text())
    grace = float(compose["services"]["app"]["stop_grace_period"].removesuffix("s"))
    assert drain + default_settings(project)["close_timeout"] + 1 + 10 <= grace
