"""`copier update` on a service that lives on: local edits survive, template changes arrive.

The tests build a throwaway template repository with two tagged versions: v0.1.0, an
older state of this template (the question `github_actions` still called `ci`, a comment
in config.py and a line of .gitignore as they were), and v0.2.0, this checkout.
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
WORKFLOW_DIR_NOW = "template/{% if github_actions %}.github{% endif %}"
WORKFLOW_DIR_THEN = "template/{% if ci %}.github{% endif %}"


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
    copier_yml = repo / "copier.yml"
    text = copier_yml.read_text()
    start, end = text.index("_migrations:"), text.index("_message_after_update:")
    copier_yml.write_text(text[:start] + text[end:].replace("github_actions:", "ci:"))
    (repo / WORKFLOW_DIR_NOW).rename(repo / WORKFLOW_DIR_THEN)
    edit(repo / "template/README.md.jinja", "{%- if github_actions %}", "{%- if ci %}")
    edit(repo / "template/src/{{ package_name }}/config.py.jinja", NEW_COMMENT, OLD_COMMENT)
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
    shutil.rmtree(repo / WORKFLOW_DIR_THEN)
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
        unsafe=True,  # the v0.2.0 migration runs a command; see docs/updating.md
        quiet=quiet,
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
    assert ".ruff_cache/" in (service / ".gitignore").read_text().split()
    assert conflicted(service) == []
    for name in files(service):
        if ".git/" not in name:
            assert "<<<<<<<" not in (service / name).read_text(errors="replace"), name


def test_the_answers_file_records_the_new_version_and_the_renamed_question(service: Path) -> None:
    assert answers(service)["ci"] is True
    update(service, "v0.2.0")
    recorded = answers(service)
    assert recorded["_commit"] == "v0.2.0"
    assert recorded["github_actions"] is True
    assert "ci" not in recorded
    assert (service / ".github/workflows/ci.yml").exists()


def test_a_change_made_on_both_sides_is_left_inline_and_the_run_says_so(
    service: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    edit(service / CONFIG, OLD_COMMENT, "    # Our own words about the pool wait.\n")
    commit(service, "we reword the same comment the template rewords")
    update(service, "v0.2.0", quiet=False)
    assert 'git status` lists those\nfiles as "both modified"' in capfd.readouterr().err
    config = (service / CONFIG).read_text()
    assert "<<<<<<<" in config
    assert ">>>>>>>" in config
    assert "# Our own words about the pool wait." in config
    assert NEW_COMMENT in config
    assert conflicted(service) == [CONFIG]


def test_a_plain_copy_of_a_template_with_migrations_needs_no_trust(
    template: Path, tmp_path: Path
) -> None:
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
    assert changed == {".copier-answers.yml", "src/book_service/api.py"}
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
        "src/book_service/config.py",
        "tests/test_config.py",
    }
    diff = git(project, "diff", "--unified=0", "--", *sorted(changed - {".copier-answers.yml"}))
    removed = [
        line for line in diff.splitlines() if line.startswith("-") and not line.startswith("---")
    ]
    assert removed
    assert all(re.search(r"\b10\b", line) for line in removed), removed
