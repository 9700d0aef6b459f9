"""`copier update` at the version a service already has, with changed answers: a resource
added later and new sizes change only what the answers reach, and a service moves from
one way of calling Oracle to the other.

The service is rendered at v0.2.0 of the two-version template tests/repos.py builds, and
updated at that same version (copier.VcsRef.CURRENT). tests/test_update.py updates between
versions.
"""

import re
from pathlib import Path

import copier
import pytest

from tests.conftest import python_module
from tests.repos import (
    answers,
    commit,
    conflicted,
    copy,
    git,
    snapshot,
    two_versions,
    update,
)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A git repository of this template, tagged v0.1.0 (older) and v0.2.0 (this one)."""
    return two_versions(tmp_path_factory)


def test_a_copy_records_the_tag_it_was_rendered_from(template: Path, tmp_path: Path) -> None:
    project = copy(template, tmp_path / "service", "v0.2.0")
    assert answers(project)["_commit"] == "v0.2.0"


def test_a_resource_added_later_leaves_every_existing_file_as_it_was(
    template: Path, tmp_path: Path
) -> None:
    project = copy(template, tmp_path / "service", "v0.2.0")
    before = snapshot(project)
    resources = answers(project)["resources"] + [
        {"author": ["name str(100)", "born_on date optional"]}
    ]
    update(project, copier.VcsRef.CURRENT, resources=resources)
    after = snapshot(project)
    added = set(after) - set(before)
    assert "src/book_service/authors/router.py" in added
    assert "tests/authors/test_router.py" in added
    assert "tests/integration/test_authors.py" in added
    assert "migrations/versions/authors.py" in added
    assert all("authors" in name for name in added)
    changed = {name for name in before if before[name] != after.get(name)}
    # Only template-owned files that list the resources; none a team edits.
    assert changed == {".copier-answers.yml", "src/book_service/api.py", "docs/layout.md"}
    migration = (project / "migrations/versions/authors.py").read_text()
    assert 'down_revision: str | None = "books"' in migration


def test_new_sizes_change_the_defaults_and_nothing_else(template: Path, tmp_path: Path) -> None:
    project = copy(template, tmp_path / "service", "v0.2.0")
    before = snapshot(project)
    update(project, copier.VcsRef.CURRENT, pool_max=16)
    after = snapshot(project)
    changed = {name for name in before if before[name] != after[name]}
    assert set(after) == set(before)
    assert changed == {
        ".copier-answers.yml",
        ".env.example",
        "docs/settings.md",
        "src/book_service/config.py",
        "tests/test_config.py",
    }
    diff = git(project, "diff", "--unified=0", "--", *sorted(changed - {".copier-answers.yml"}))
    removed = [
        line for line in diff.splitlines() if line.startswith("-") and not line.startswith("---")
    ]
    assert removed
    assert all(re.search(r"\b10\b", line) for line in removed), removed


@pytest.mark.generated
def test_an_update_switches_a_service_between_the_threadpool_and_asyncio(
    template: Path, tmp_path: Path
) -> None:
    project = copy(template, tmp_path / "service", "v0.2.0", oracle_api="threadpool")
    routes = project / "src/book_service/routes.py"
    routes.write_text(routes.read_text() + "\n# the team's own line\n")
    commit(project, "a route of our own")
    team_routes = routes.read_bytes()

    update(project, copier.VcsRef.CURRENT, oracle_api="asyncio")
    recorded = answers(project)
    assert recorded["oracle_api"] == "asyncio"
    assert "executor_workers" not in recorded
    assert recorded["pool_queue"] == 2 * recorded["pool_max"]
    assert conflicted(project) == []
    assert "create_pool_async" in (project / "src/book_service/db.py").read_text()
    assert "ORACLE_EXECUTOR" not in (project / ".env.example").read_text()
    assert routes.read_bytes() == team_routes
    checks = [["ruff", "check", "."], ["mypy"], ["pytest", "-q", "-x", "-p", "no:cacheprovider"]]
    for check in checks:
        ran = python_module(project, *check, PYTHONPATH="src")
        assert ran.returncode == 0, ran.stdout[-3000:] + ran.stderr[-3000:]
    commit(project, "on the asyncio API")

    update(project, copier.VcsRef.CURRENT, oracle_api="threadpool")
    assert conflicted(project) == []
    assert "ThreadPoolExecutor" in (project / "src/book_service/db.py").read_text()
    assert "ORACLE_POOL_QUEUE" not in (project / ".env.example").read_text()
    assert routes.read_bytes() == team_routes
