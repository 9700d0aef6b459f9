"""`copier update` on a service that lives on: local edits survive, template changes arrive.

The tests build a throwaway template repository with two tagged versions: v0.1.0, an
older state of this template (a comment in config.py, a line of .gitignore, the docstring
of the team's routes.py and a line of the README as they were), and v0.2.0, this checkout.
No update needs --trust: the template has no migrations and no tasks.
"""

import re
import shutil
import subprocess
import warnings
from pathlib import Path
from typing import Any

import copier
import pytest
import yaml

from tests.conftest import ROOT, files

CONFIG = "src/book_service/config.py"
NEW_COMMENT = "    # Seconds a call waits for a free connection before it fails with 503.\n"
OLD_COMMENT = "    # Seconds to wait for a free connection.\n"
ROUTES = "src/book_service/routes.py"
TEAM_ROUTE = """

@router.get("/reports/ping")
async def ping() -> dict[str, str]:
    return {"reports": "ok"}
"""


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout


def commit(cwd: Path, message: str) -> None:
    git(cwd, "add", "-A")
    git(cwd, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", message)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def as_version_0_1_0(repo: Path) -> None:
    """Turn a copy of this template back into its older state."""
    edit(repo / "template/src/{{ package_name }}/config.py.jinja", NEW_COMMENT, OLD_COMMENT)
    edit(repo / "template/src/{{ package_name }}/routes.py", "Your own routes", "Team routes")
    edit(repo / "template/README.md.jinja", "## Test\n", "## Tests\n")
    edit(repo / "template/.gitignore", ".ruff_cache/\n", "")


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A git repository of this template, tagged v0.1.0 (older) and v0.2.0 (this one)."""
    repo = tmp_path_factory.mktemp("versions") / "template"
    listed = git(ROOT, "ls-files", "--cached", "--others", "--exclude-standard").splitlines()
    for name in listed:
        if (ROOT / name).is_file():
            (repo / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, repo / name)
    git(repo, "init", "-q")
    now = tmp_path_factory.mktemp("now")
    shutil.copytree(repo, now / "template", dirs_exist_ok=True)
    as_version_0_1_0(repo)
    commit(repo, "v0.1.0")
    git(repo, "tag", "v0.1.0")
    shutil.copytree(now / "template", repo, dirs_exist_ok=True)
    commit(repo, "v0.2.0")
    git(repo, "tag", "v0.2.0")
    return repo


def copy(template: Path, destination: Path, version: str, **data: Any) -> Path:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", copier.errors.DirtyLocalWarning)
        copier.run_copy(
            str(template), destination, data=data, vcs_ref=version, defaults=True, quiet=True
        )
    git(destination, "init", "-q")
    commit(destination, "render")
    return destination


def update(project: Path, version: str | copier.VcsRef, quiet: bool = True, **data: Any) -> None:
    copier.run_update(
        project,
        data=data,
        vcs_ref=version,
        defaults=True,
        overwrite=True,
        quiet=quiet,  # and not unsafe: a template that needed --trust would raise here
    )


def answers(project: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((project / ".copier-answers.yml").read_text())
    return loaded


def snapshot(project: Path) -> dict[str, bytes]:
    return {name: (project / name).read_bytes() for name in files(project) if ".git/" not in name}


def conflicted(project: Path) -> list[str]:
    return git(project, "diff", "--name-only", "--diff-filter=U").split()


@pytest.fixture
def service(template: Path, tmp_path: Path) -> Path:
    """A service rendered at v0.1.0, committed, then edited the way a team would."""
    project = copy(template, tmp_path / "service", "v0.1.0")
    edit(
        project / CONFIG, "call_timeout: PositiveFloat = 30.0", "call_timeout: PositiveFloat = 60.0"
    )
    router = project / "src/book_service/books/router.py"
    router.write_text(router.read_text() + "\n\n# Our own note, kept across updates.\n")
    (project / ROUTES).write_text((project / ROUTES).read_text() + TEAM_ROUTE)
    readme = project / "README.md"
    readme.write_text(readme.read_text() + "\n## Our runbook\n\nCall us.\n")
    (project / "src/book_service/reports.py").write_text('"""Our own module."""\n')
    commit(project, "our edits")
    return project


def test_an_update_keeps_local_edits_and_brings_the_template_changes(service: Path) -> None:
    update(service, "v0.2.0")
    config = (service / CONFIG).read_text()
    assert "call_timeout: PositiveFloat = 60.0" in config  # our setting
    assert NEW_COMMENT in config  # the template's change
    assert OLD_COMMENT not in config
    assert (
        "# Our own note, kept across updates."
        in (service / "src/book_service/books/router.py").read_text()
    )
    assert (service / "src/book_service/reports.py").read_text() == '"""Our own module."""\n'
    # The team's files: the template changed them between versions, and kept out.
    assert (service / ROUTES).read_text().startswith('"""Team routes')
    assert (service / ROUTES).read_text().endswith(TEAM_ROUTE)
    assert "## Tests\n" in (service / "README.md").read_text()
    assert (service / "README.md").read_text().endswith("## Our runbook\n\nCall us.\n")
    assert ".ruff_cache/" in (service / ".gitignore").read_text().split()
    assert conflicted(service) == []
    for name in files(service):
        if ".git/" not in name:
            assert "<<<<<<<" not in (service / name).read_text(errors="replace"), name


def test_an_update_needs_no_trust_and_names_the_version_it_brought(
    service: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    assert answers(service)["_commit"] == "v0.1.0"
    update(service, "v0.2.0", quiet=False)  # unsafe=False: raises if --trust were needed
    assert answers(service)["_commit"] == "v0.2.0"
    said = capfd.readouterr().err
    assert "Book Service is now at template version v0.2.0." in said
    assert "README.md and\nsrc/book_service/routes.py are yours and were left as they were" in said


def test_a_change_made_on_both_sides_is_left_inline_and_the_run_says_so(
    service: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    edit(service / CONFIG, OLD_COMMENT, "    # Our own words about the pool wait.\n")
    commit(service, "we reword the same comment the template rewords")
    update(service, "v0.2.0", quiet=False)
    assert 'that `git status` lists as "both modified" holds your lines' in capfd.readouterr().err
    config = (service / CONFIG).read_text()
    assert "<<<<<<<" in config
    assert ">>>>>>>" in config
    assert "# Our own words about the pool wait." in config
    assert NEW_COMMENT in config
    assert conflicted(service) == [CONFIG]


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
    update(project, copier.VcsRef.CURRENT, executor_workers=16, pool_max=16)
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


def test_a_renamed_question_carries_its_answer_without_a_migration(tmp_path: Path) -> None:
    """The rule docs/updating.md gives maintainers, on a template of two versions."""
    template = tmp_path / "template"
    (template / "t").mkdir(parents=True)
    (template / "t/{{ _copier_conf.answers_file }}.jinja").write_text(
        "{{ _copier_answers | to_nice_yaml }}"
    )
    git(template, "init", "-q")
    config = "_subdirectory: t\n"
    (template / "copier.yml").write_text(config + "ci: {type: bool, default: true}\n")
    commit(template, "v1")
    git(template, "tag", "v1")
    project = copy(template, tmp_path / "service", "v1", ci=False)
    (template / "copier.yml").write_text(
        config + "github_actions: {type: bool, default: '{{ ci | default(true) }}'}\n"
    )
    commit(template, "v2: ci is renamed github_actions")
    git(template, "tag", "v2")
    update(project, "v2")  # not unsafe: no migration
    recorded = answers(project)
    assert recorded["github_actions"] is False
    assert "ci" not in recorded
