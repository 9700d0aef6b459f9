"""The GitHub Actions workflow each variant renders: valid, and clean under zizmor.

check-jsonschema validates it against GitHub's workflow schema (shipped in the package);
zizmor audits it offline (pinned actions, least privilege, no persisted credentials,
no template injection) and must find nothing.
"""

import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from tests.conftest import python_module
from tests.variants import VARIANTS

WORKFLOW = ".github/workflows/ci.yml"


@pytest.mark.parametrize("variant", VARIANTS)
def test_the_workflow_follows_githubs_schema(rendered: Callable[[str], Path], variant: str) -> None:
    workflow = rendered(variant) / WORKFLOW
    schema = ["--builtin-schema", "vendor.github-workflows"]
    result = python_module(workflow.parent, "check_jsonschema", *schema, str(workflow))
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("variant", VARIANTS)
def test_zizmor_finds_nothing(rendered: Callable[[str], Path], variant: str) -> None:
    zizmor = Path(sys.executable).parent / "zizmor"  # a binary, with no python -m
    result = subprocess.run(
        [str(zizmor), "--offline", str(rendered(variant) / WORKFLOW)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings to report" in result.stdout


def test_every_action_is_pinned_to_a_commit(rendered: Callable[[str], Path]) -> None:
    uses = re.findall(r"uses: (\S+)", (rendered("defaults") / WORKFLOW).read_text())
    assert uses
    assert all(re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", action) for action in uses), uses


def test_each_push_to_main_runs_to_its_end_and_a_pull_request_s_newer_push_cancels(
    rendered: Callable[[str], Path],
) -> None:
    # GitHub keeps one running and one pending run per concurrency group and cancels the
    # pending one for the next, whatever cancel-in-progress says: pushes to main in one
    # group would lose the runs of the commits between two quick pushes.
    concurrency = yaml.safe_load((rendered("defaults") / WORKFLOW).read_text())["concurrency"]
    group = concurrency["group"]
    assert "github.event_name == 'pull_request' && github.ref || github.sha" in group
    assert concurrency["cancel-in-progress"] == "${{ github.event_name == 'pull_request' }}"


@pytest.mark.parametrize(("variant", "version"), [("every-type", "3.11"), ("one-of-each", "3.13")])
def test_checks_run_on_the_python_asked_for_then_oracle_runs_the_integration_suite(
    rendered: Callable[[str], Path], variant: str, version: str
) -> None:
    jobs = yaml.safe_load((rendered(variant) / WORKFLOW).read_text())["jobs"]
    for job in jobs.values():
        setup_uv = next(step for step in job["steps"] if "setup-uv" in step.get("uses", ""))
        assert setup_uv["with"]["python-version"] == version
    checks = [step.get("run") for step in jobs["checks"]["steps"]]
    assert checks[-4:] == [
        "uv run ruff check .",
        "uv run ruff format --check .",
        "uv run mypy",
        'uv run pytest -m "not oracle"',
    ]
    integration = jobs["integration"]
    assert integration["needs"] == "checks"
    oracle = integration["services"]["oracle"]
    # On 23ai, and on 21c, which python-oracledb speaks to without 23ai's request
    # boundaries and BOOLEAN; each on the service its image opens.
    releases = integration["strategy"]["matrix"]["oracle"]
    assert [(release["release"], release["image"].split(":")[0]) for release in releases] == [
        ("23ai", "gvenzl/oracle-free"),
        ("21c", "gvenzl/oracle-xe"),
    ]
    assert [release["service"] for release in releases] == ["FREEPDB1", "XEPDB1"]
    assert oracle["image"] == "${{ matrix.oracle.image }}"
    assert integration["env"]["ORACLE_DSN"] == "localhost:1521/${{ matrix.oracle.service }}"
    assert "--health-cmd healthcheck.sh" in oracle["options"]
    assert oracle["env"]["APP_USER"] == integration["env"]["ORACLE_USER"]
    assert oracle["env"]["APP_USER_PASSWORD"] == integration["env"]["ORACLE_PASSWORD"]
    steps = integration["steps"]
    runs = [step.get("run") for step in steps]
    assert runs[-3] == "uv run alembic upgrade head"
    assert runs[-1] == "uv run pytest -m oracle"
    # Between them, DRCP is started in the database, for tests/integration/test_drcp.py.
    assert steps[-2]["name"] == "Start DRCP"
    assert "DBMS_CONNECTION_POOL.START_POOL()" in runs[-2]
    assert "sqlplus -s -l / as sysdba" in runs[-2]
    assert steps[-2]["env"]["SERVICE"] == "${{ matrix.oracle.service }}"
    assert "ORACLE_DRCP_DSN=localhost:1521/$SERVICE:pooled" in runs[-2]


@pytest.mark.parametrize("variant", VARIANTS)
def test_the_integration_job_waits_for_the_app_user_before_migrating(
    rendered: Callable[[str], Path], variant: str
) -> None:
    project = rendered(variant)
    steps = yaml.safe_load((project / WORKFLOW).read_text())["jobs"]["integration"]["steps"]
    runs = [step.get("run") for step in steps]
    # The image is healthy once the database opens; it creates the app user after that.
    assert runs.index("scripts/wait-for-oracle") < runs.index("uv run alembic upgrade head")
    assert (project / "scripts/wait-for-oracle").is_file()


def test_dependabot_keeps_the_pinned_actions_and_the_lock_current(
    rendered: Callable[[str], Path],
) -> None:
    config = rendered("defaults") / ".github/dependabot.yml"
    schema = ["--builtin-schema", "vendor.dependabot"]
    result = python_module(config.parent, "check_jsonschema", *schema, str(config))
    assert result.returncode == 0, result.stdout + result.stderr
    updates = yaml.safe_load(config.read_text())["updates"]
    assert [update["package-ecosystem"] for update in updates] == ["github-actions", "uv"]
