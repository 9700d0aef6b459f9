"""`copier update` on a service that lives on: local edits survive, template changes arrive.

Between the two tagged versions of this template that tests/repos.py builds (v0.1.0, an
older state, and v0.2.0, this checkout), and between two versions of a template of one
question that is renamed. No update needs --trust. tests/test_update_answers.py updates a
service at the version it already has, with changed answers.
"""

from pathlib import Path

import copier
import pytest

from tests.conftest import files
from tests.repos import (
    CONFIG,
    NEW_COMMENT,
    OLD_COMMENT,
    ROUTES,
    answers,
    commit,
    conflicted,
    copy,
    edit,
    git,
    two_versions,
    update,
)

TEAM_ROUTE = """

@router.get("/reports/ping")
async def ping() -> dict[str, str]:
    return {"reports": "ok"}
"""


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A git repository of this template, tagged v0.1.0 (older) and v0.2.0 (this one)."""
    return two_versions(tmp_path_factory)


@pytest.fixture
def service(template: Path, tmp_path: Path) -> Path:
    """A service rendered at v0.1.0, committed, then edited the way a team would."""
    project = copy(template, tmp_path / "service", "v0.1.0")
    edit(project / CONFIG, "call_timeout: Seconds = 30.0", "call_timeout: Seconds = 60.0")
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
    assert "call_timeout: Seconds = 60.0" in config  # our setting
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


def test_an_answer_to_a_question_asked_no_more_is_dropped_by_an_update(service: Path) -> None:
    # A question removed or renamed since the service's version (docs/updating.md, For
    # template maintainers), or a line a teammate added to .copier-answers.yml: an update
    # renders the new version twice, the second time in an empty directory, given every
    # answer recorded as data. The check of unknown names refused it there, after the
    # first had written the service's files: the update stopped with them half written.
    recorded = service / ".copier-answers.yml"
    recorded.write_text(recorded.read_text() + "legacy_flag: true\n")
    commit(service, "an answer to a question the template asks no more")
    update(service, "v0.2.0")
    assert "legacy_flag" not in answers(service)
    config = (service / CONFIG).read_text()
    assert "call_timeout: Seconds = 60.0" in config  # our setting
    assert NEW_COMMENT in config  # the template's change
    assert conflicted(service) == []


def test_an_update_writes_again_the_team_s_files_it_finds_deleted(service: Path) -> None:
    # updating.md: README.md and routes.py are the team's once written; deleted, an update
    # writes them again. main.py imports routes.py: without it the service does not start.
    git(service, "rm", "-q", "README.md", str(ROUTES))
    commit(service, "delete our two files")
    update(service, "v0.2.0")
    assert (service / "README.md").is_file()
    assert (service / ROUTES).is_file()
    assert "router = APIRouter(" in (service / ROUTES).read_text()


def test_an_update_brings_the_template_s_pages_below_the_top_level(
    template: Path, tmp_path: Path
) -> None:
    # Only the top-level README.md is the team's: k8s/README.md documents the manifests.
    service = copy(template, tmp_path / "service", "v0.1.0", docker=True, kubernetes=True)
    assert "unprivileged user" in (service / "k8s/README.md").read_text()
    update(service, "v0.2.0")
    assert "non-root user" in (service / "k8s/README.md").read_text()
    assert "## Tests\n" in (service / "README.md").read_text()  # the team's, kept


def test_an_update_needs_no_trust_and_names_the_version_it_brought(
    service: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    assert answers(service)["_commit"] == "v0.1.0"
    update(service, "v0.2.0", quiet=False)  # unsafe=False: raises if --trust were needed
    assert answers(service)["_commit"] == "v0.2.0"
    said = capfd.readouterr().err
    assert "Book Service is now at template version v0.2.0." in said
    assert "README.md and\nsrc/book_service/routes.py are yours: an update writes them" in said


def test_a_change_made_on_both_sides_is_left_inline_and_the_run_says_how_to_list_it(
    service: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    edit(service / CONFIG, OLD_COMMENT, "    # Our own words about the pool wait.\n")
    commit(service, "we reword the same comment the template rewords")
    update(service, "v0.2.0", quiet=False)  # Copier exits 0, and names no conflict itself
    said = capfd.readouterr().err
    assert "them with `git diff --name-only --diff-filter=U`. Each file it lists" in said
    config = (service / CONFIG).read_text()
    assert "<<<<<<<" in config
    assert ">>>>>>>" in config
    assert "# Our own words about the pool wait." in config
    assert NEW_COMMENT in config
    assert conflicted(service) == [CONFIG]


def test_with_conflict_rej_the_file_takes_the_template_s_lines_and_the_rej_holds_yours(
    service: Path,
) -> None:
    # What docs/updating.md and the message after an update say of `--conflict rej`: the
    # .rej is the team's change to make again, not the template's to apply.
    edit(service / CONFIG, OLD_COMMENT, "    # Our own words about the pool wait.\n")
    commit(service, "we reword the same comment the template rewords")
    copier.run_update(
        service, vcs_ref="v0.2.0", defaults=True, overwrite=True, quiet=True, conflict="rej"
    )
    config = (service / CONFIG).read_text()
    assert NEW_COMMENT in config
    assert "Our own words" not in config
    assert "<<<<<<<" not in config
    rejected = (service / (CONFIG + ".rej")).read_text()
    assert "+    # Our own words about the pool wait." in rejected


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
