"""Each rendered variant passes its own checks: ruff, ruff format, mypy --strict and pytest.

They run in this environment, which holds every dependency a rendered service declares
(tests/test_dependencies.py keeps that true; tests/test_install.py installs one for real).
"""

import difflib
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import WHOLE_SUITE, captured, environment, python_module, render
from tests.variants import VARIANTS

pytestmark = pytest.mark.generated

# Tests of a rendered project that may skip here, and why: only those needing a real Oracle.
ORACLE_SKIP = "needs a real Oracle: set ORACLE_DSN, ORACLE_USER, ORACLE_PASSWORD (or run Docker)"


# Each variant's OpenAPI document as committed: work on speed or structure must leave the API
# as it is, and a change to the API is made on purpose (UPDATE_OPENAPI=1 rewrites them).
OPENAPI = Path(__file__).parent / "openapi"
PRINT_OPENAPI = (
    "import json, sys\n"
    "from importlib import import_module\n"
    "app = import_module(sys.argv[1] + '.main').app\n"
    "print(json.dumps(app.openapi(), indent=1, sort_keys=True))\n"
)


def passed(result: subprocess.CompletedProcess[str]) -> bool:
    return result.returncode == 0


def failures(result: subprocess.CompletedProcess[str]) -> str:
    """What a failed pytest run says about its failures, not the list of skips after them."""
    starts = [result.stdout.find(f"= {part} =") for part in ("ERRORS", "FAILURES")]
    start = min((found for found in starts if found != -1), default=0)
    details = result.stdout[start:].split("short test summary info")[0][:12000]
    summary = [line for line in result.stdout.splitlines() if line.startswith(("FAILED", "ERROR"))]
    return "\n".join([details, *summary, result.stderr[-2000:]])


@pytest.mark.parametrize("variant", VARIANTS)
def test_ruff_finds_nothing(rendered: Callable[[str], Path], variant: str) -> None:
    result = python_module(rendered(variant), "ruff", "check", "--no-cache", ".")
    assert passed(result), result.stdout + result.stderr


@pytest.mark.parametrize("variant", VARIANTS)
def test_the_render_is_already_formatted(rendered: Callable[[str], Path], variant: str) -> None:
    result = python_module(rendered(variant), "ruff", "format", "--no-cache", "--diff", ".")
    assert passed(result), result.stdout + result.stderr


@pytest.mark.parametrize("variant", VARIANTS)
def test_mypy_strict_finds_nothing(rendered: Callable[[str], Path], variant: str) -> None:
    result = python_module(rendered(variant), "mypy")  # the worker's cache (one_mypy_cache)
    assert passed(result), result.stdout + result.stderr


# ruff's and mypy's rules depend on the Python version a project targets (ruff's UP043
# flags `Generator[Any, Any, None]` from 3.13 on), and each mode has files of its own; the
# variants above cover some pairs only. So every target in each mode, on the answers with
# the most code (every type, tracing), gets the checks that read the target: all but the
# pair the every-type variant is itself (its version, the default asyncio mode), which the
# tests above check already.
EVERY_TYPE = VARIANTS["every-type"]
CHECKED_ABOVE = (EVERY_TYPE["python_version"], EVERY_TYPE.get("oracle_api", "asyncio"))
TARGETS = [
    (version, api)
    for version in ("3.11", "3.12", "3.13")
    for api in ("asyncio", "threadpool")
    if (version, api) != CHECKED_ABOVE
]


@pytest.mark.parametrize(("python_version", "oracle_api"), TARGETS)
def test_every_python_target_in_each_mode_passes_ruff_and_mypy(
    python_version: str,
    oracle_api: str,
    tmp_path: Path,
) -> None:
    answers = EVERY_TYPE | {"python_version": python_version, "oracle_api": oracle_api}
    project = render(tmp_path / "service", **answers)
    for command in (
        ("ruff", "check", "--no-cache", "."),
        ("ruff", "format", "--no-cache", "--check", "."),
        ("mypy",),
    ):
        result = python_module(project, *command)
        assert passed(result), f"{' '.join(command)}: {result.stdout}{result.stderr}"


@pytest.mark.parametrize("variant", VARIANTS)
def test_the_openapi_document_is_the_committed_one(
    rendered: Callable[[str], Path], variant: str
) -> None:
    project = rendered(variant)
    package = next(path.name for path in (project / "src").iterdir() if path.is_dir())
    # The app reads its settings at startup, not at import: none are needed here.
    command = [sys.executable, "-c", PRINT_OPENAPI, package]
    result = captured(command, project, environment(PYTHONPATH="src"))
    assert passed(result), result.stderr[-3000:]
    committed = OPENAPI / f"{variant}.json"
    if os.environ.get("UPDATE_OPENAPI") == "1":
        committed.parent.mkdir(exist_ok=True)
        committed.write_text(result.stdout)
    expected = committed.read_text()
    diff = difflib.unified_diff(
        expected.splitlines(), result.stdout.splitlines(), "committed", "rendered", lineterm=""
    )
    assert result.stdout == expected, "\n".join(list(diff)[:80])
    assert json.loads(expected)["paths"], "the committed document has no paths"


@pytest.mark.parametrize("variant", VARIANTS)
def test_its_own_tests_pass_and_skip_only_what_needs_oracle(
    rendered: Callable[[str], Path],
    variant: str,
    oracle_configured: bool,
    record_property: Callable[[str, object], None],
) -> None:
    project = rendered(variant)
    result = python_module(project, *WHOLE_SUITE, "-rfEs", PYTHONPATH="src")
    summary = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""
    assert passed(result), failures(result)
    assert re.search(r"\d+ passed", summary), summary
    skips = [line for line in result.stdout.splitlines() if line.startswith("SKIPPED")]
    if oracle_configured:
        assert skips == [], skips
    else:
        assert skips, "the Oracle integration suite should have been skipped here"
        assert all(ORACLE_SKIP in line for line in skips), skips
    reason = f" (skipped: {ORACLE_SKIP})" if skips else ""
    record_property("generated_summary", f"{variant}: {summary.strip('= ')}{reason}")


# A developer's settings, as .env.example invites them: in the project's .env, and in the
# shell. CI has neither, and its tests must pass the same with them.
DEVELOPERS_DOT_ENV = (
    "ORACLE_DSN=localhost:1521/FREEPDB1\n"
    "ORACLE_USER=book_service\n"
    "ORACLE_PASSWORD=Xy7kq2Lm9pQ\n"
    "ORACLE_REPLICAS=2\n"
    "METRICS_ENABLED=false\n"
    "HTTP_MAX_BODY_BYTES=65536\n"
    "ORACLE_SCHEMA=BOOKS_OWNER\n"
)


def test_a_developer_s_settings_reach_none_of_the_unit_tests(
    rendered: Callable[[str], Path], tmp_path: Path
) -> None:
    # pydantic-settings filled what a test's settings left out from both: WEB_CONCURRENCY=2
    # failed 175 tests on a connection budget they never set, METRICS_ENABLED=false the
    # tests of /metrics, HTTP_MAX_BODY_BYTES those of bodies, ORACLE_SCHEMA one of the bridge.
    project = shutil.copytree(rendered("defaults"), tmp_path / "service")
    (project / ".env").write_text(DEVELOPERS_DOT_ENV)
    tests = ["tests/test_health.py", "tests/test_metrics.py", "tests/test_exact_json.py"]
    result = python_module(
        project,
        *WHOLE_SUITE,
        "-q",
        *tests,
        "tests/test_bridge.py::test_oracle_sees_the_service_the_action_and_the_request",
        PYTHONPATH="src",
        WEB_CONCURRENCY="2",
    )
    assert passed(result), failures(result)


def test_a_test_written_as_fastapis_tutorial_shows_passes(
    rendered: Callable[[str], Path], tmp_path: Path
) -> None:
    project = shutil.copytree(rendered("defaults"), tmp_path / "service")
    (project / "tests" / "test_tutorial.py").write_text(
        "from fastapi.testclient import TestClient\n\n"
        "from book_service.main import app\n\n"
        "client = TestClient(app)\n\n\n"
        "def test_live() -> None:\n"
        '    response = client.get("/health/live")\n'
        "    assert response.status_code == 200\n"
        '    assert response.json() == {"status": "ok"}\n'
    )
    result = python_module(
        project, "pytest", "-p", "no:cacheprovider", "tests/test_tutorial.py", PYTHONPATH="src"
    )
    assert passed(result), failures(result)
