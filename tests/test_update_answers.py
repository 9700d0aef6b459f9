"""`copier update` at the version a service already has, with changed answers: a resource
added later and new sizes change only what the answers reach, a service moves from one
way of calling Oracle to the other, and a resource changed or removed leaves its
migration revision, which a database has run, as it was, for a revision of the team's.

The service is rendered at v0.2.0 of the two-version template tests/repos.py builds, and
updated at that same version (copier.VcsRef.CURRENT). tests/test_update.py updates between
versions.
"""

import os
import pty
import re
import select
import sys
import time
from pathlib import Path
from typing import Any

import copier
import pytest
import yaml

from tests.conftest import ROOT, WHOLE_SUITE, environment, python_module
from tests.repos import (
    answers,
    checkout_copy,
    commit,
    conflicted,
    copy,
    edit,
    git,
    reserving_less,
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


def test_resources_recorded_in_the_first_shape_are_read_by_an_update(
    template: Path, tmp_path: Path
) -> None:
    # Services made before 73cd208 recorded a mapping of names to mappings of fields.
    # Refused, the recorded answer gave way to the default without a word: the update
    # deleted the service's resources and made a `books` package in their place.
    resources = [{"author": ["name str(100)", "born_on date optional"]}]
    project = copy(template, tmp_path / "service", "v0.2.0", resources=resources)
    recorded = answers(project)
    recorded["resources"] = {"author": {"name": "str(100)", "born_on": "date optional"}}
    (project / ".copier-answers.yml").write_text(yaml.safe_dump(recorded, sort_keys=False))
    commit(project, "resources in the first shape, as 2097948 recorded them")
    before = snapshot(project)
    update(project, copier.VcsRef.CURRENT)
    after = snapshot(project)
    assert set(after) == set(before)
    assert [name for name in before if before[name] != after[name]] == [".copier-answers.yml"]
    assert answers(project)["resources"] == recorded["resources"]


@pytest.fixture(scope="module")
def reserved_later(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """v0.1.0 takes the resource `config_dict` and the package `test`; v0.2.0 refuses both."""
    return two_versions(tmp_path_factory, reserving_less)


@pytest.mark.parametrize(
    ("answer", "rule"),
    [
        (
            {"resources": [{"config_dict": ["name str(20)"]}, {"author": ["name str(100)"]}]},
            "question 'resources': resources: resource \"config_dict\" would make the class "
            '"ConfigDict", which replaces a name its modules import',
        ),
        (
            {"package_name": "test"},
            "question 'package_name': package_name is taken: \"test\" is a module",
        ),
    ],
)
def test_a_recorded_answer_a_later_version_refuses_stops_the_update_naming_the_rule(
    reserved_later: Path, tmp_path: Path, answer: dict[str, Any], rule: str
) -> None:
    # Copier dropped the recorded answer for the question's default without a word: the
    # update deleted every resource, the valid ones too, with their tests and revisions,
    # and made a `books` package in their place; or moved the whole package.
    project = copy(reserved_later, tmp_path / "service", "v0.1.0", **answer)
    before = snapshot(project)
    with pytest.raises(ValueError, match=re.escape(rule)):
        update(project, "v0.2.0")
    assert snapshot(project) == before


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


@pytest.mark.parametrize(
    ("data", "rule"),
    [
        ({"pool_max": 20}, "kubernetes needs oracle_sessions of at least 42 (30 given)"),
        ({"oracle_sessions": 21}, "kubernetes needs oracle_sessions of at least 22 (21 given)"),
        ({"docker": False}, "kubernetes needs docker"),
        ({"pool_max": 5}, "pool_min (10) must not exceed pool_max (5)"),
        # Its old name, which the recorded github_actions would take the place of.
        ({"ci": False}, "ci is called github_actions now, and an update takes the service's"),
    ],
)
def test_an_update_that_breaks_a_rule_with_a_recorded_answer_is_refused_and_changes_nothing(
    template: Path, tmp_path: Path, data: dict[str, Any], rule: str
) -> None:
    # Copier drops a recorded answer its question no longer takes, and --defaults puts the
    # default in its place: kubernetes false, and every manifest deleted, without a word.
    project = copy(template, tmp_path / "service", "v0.2.0", oracle_sessions=30, kubernetes=True)
    before = snapshot(project)
    with pytest.raises(ValueError, match=re.escape(rule)):
        update(project, copier.VcsRef.CURRENT, **data)
    assert snapshot(project) == before


@pytest.mark.parametrize(
    ("made_with", "data", "rule"),
    [
        ({"docker": False}, {"kubernetes": True}, "kubernetes needs docker"),
        (
            {
                "project_slug": "a-distribution-name-of-fifty-six-characters-for-the-test",
                "package_name": "catalogue",
            },
            {"kubernetes": True},
            "kubernetes needs a project_slug of at most 55 characters (56 given)",
        ),
        (
            {"oracle_api": "threadpool", "executor_workers": 10, "pool_max": 10},
            {"pool_max": 6, "pool_min": 6},
            "pool_max (6) must be at least executor_workers (10)",
        ),
        (  # asyncio dropped, then defaulted to threadpool, which executor_workers picks
            {},
            {"executor_workers": 8},
            "executor_workers is for oracle_api threadpool, not asyncio",
        ),
    ],
)
def test_a_later_answer_that_breaks_a_rule_with_an_earlier_recorded_one_is_refused(
    template: Path,
    tmp_path: Path,
    made_with: dict[str, Any],
    data: dict[str, Any],
    rule: str,
) -> None:
    # The earlier question, checking the rule too, made Copier drop its recorded answer
    # and put the default in its place: docker turned on, the distribution renamed, the
    # threads cut to the new pool, without a word.
    project = copy(template, tmp_path / "service", "v0.2.0", **made_with)
    before = snapshot(project)
    with pytest.raises(ValueError, match=re.escape(rule)):
        update(project, copier.VcsRef.CURRENT, **data)
    assert snapshot(project) == before


def prompted_update(project: Path, replies: dict[str, str]) -> str:
    """`copier update` at the prompt, as a person runs it in a terminal: each question's
    help text awaited, then `replies[question]` typed (Ctrl-U clears the recorded answer
    first), or Enter (Escape, Enter for the resources' several lines) to keep it, once the
    prompt is drawn (nothing more shown for 0.2 s). What the terminal showed, its escape
    sequences taken out."""
    questions = yaml.safe_load((ROOT / "copier.yml").read_text())
    helps = {name: spec["help"] for name, spec in questions.items() if "help" in spec}
    command = [sys.executable, "-m", "copier", "update", "--vcs-ref=:current:"]
    pid, terminal = pty.fork()
    if pid == 0:  # the child: copier, at the pty's other end
        os.chdir(project)
        os.execve(sys.executable, command, environment(TERM="xterm", COLUMNS="200"))
    shown, asked, keys = b"", set(), ""
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            if not select.select([terminal], [], [], 0.2)[0]:
                if keys:  # the prompt is drawn, and waits
                    os.write(terminal, keys.encode())
                    keys = ""
                continue
            try:
                chunk = os.read(terminal, 65536)
            except OSError:  # the child has ended: EIO on Linux
                break
            if not chunk:
                break
            shown += chunk
            # prompt_toolkit asks where the cursor is, and waits for an answer
            for _ in range(chunk.count(b"\x1b[6n")):
                os.write(terminal, b"\x1b[1;1R")
            for name, help_text in helps.items():
                if name not in asked and help_text.encode() in shown:
                    asked.add(name)
                    if name in replies:
                        keys = "\x15" + replies[name] + "\r"
                    else:
                        keys = "\x1b\r" if name == "resources" else "\r"
    finally:
        os.close(terminal)
        _, status = os.waitpid(pid, 0)
    text = re.sub(r"\x1b\[[0-9;?]*[a-zA-Z]|\x1b[=>]", "", shown.decode(errors="replace"))
    assert os.waitstatus_to_exitcode(status) == 0, text
    assert set(replies) <= asked, text
    return text


@pytest.mark.parametrize(
    ("made_with", "replies"),
    [
        # Fewer connections: pool_max is asked before pool_min, which was 16.
        ({"pool_max": 16, "pool_min": 16}, {"pool_max": "8", "pool_min": "8"}),
        # More threads: executor_workers is asked before pool_max, which was 16.
        (
            {"oracle_api": "threadpool", "executor_workers": 16, "pool_max": 16},
            {"executor_workers": "24", "pool_max": "24"},
        ),
    ],
)
def test_at_the_prompt_an_answer_may_break_a_rule_with_a_later_one_about_to_be_asked(
    template: Path, tmp_path: Path, made_with: dict[str, Any], replies: dict[str, str]
) -> None:
    # The earlier question checked the rule against the later one's recorded answer, and
    # its prompt refused every answer until the process was stopped: the later one could
    # not be reached. At the prompt the later one is asked in its turn, and checked then.
    project = copy(template, tmp_path / "service", "v0.2.0", **made_with)
    shown = prompted_update(project, replies)
    assert "Validation error" not in shown
    recorded = answers(project)
    assert {name: str(recorded[name]) for name in replies} == replies


def test_a_move_to_the_threadpool_keeps_the_pool_and_the_manifests(
    template: Path, tmp_path: Path
) -> None:
    project = copy(template, tmp_path / "service", "v0.2.0", pool_max=4, kubernetes=True)
    manifests = {name for name in snapshot(project) if name.startswith("k8s/")}
    update(project, copier.VcsRef.CURRENT, oracle_api="threadpool")
    recorded = answers(project)
    assert (recorded["executor_workers"], recorded["pool_max"], recorded["pool_min"]) == (4, 4, 4)
    assert recorded["kubernetes"] is True
    assert manifests <= set(snapshot(project))


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
    checked(project, whole=True)  # every module the mode has is another
    commit(project, "on the asyncio API")

    update(project, copier.VcsRef.CURRENT, oracle_api="threadpool")
    assert conflicted(project) == []
    assert "ThreadPoolExecutor" in (project / "src/book_service/db.py").read_text()
    assert "ORACLE_POOL_QUEUE" not in (project / ".env.example").read_text()
    assert routes.read_bytes() == team_routes


def with_revision(project: Path, message: str, functions: str, *, sa: bool) -> None:
    """A revision of the team's, as docs/updating.md writes it: `alembic revision`, then
    its functions (and SQLAlchemy's import) written in, then `ruff format`."""
    made = python_module(project, "alembic", "revision", "-m", message, PYTHONPATH="src")
    assert made.returncode == 0, made.stderr
    [path] = (project / "migrations/versions").glob(f"*_{message.replace(' ', '_')}.py")
    text = path.read_text()
    if sa:
        text = text.replace(
            "from alembic import op", "import sqlalchemy as sa\nfrom alembic import op"
        )
    for function in re.findall(r"^def .*?(?=^def |\Z)", functions, re.S | re.M):
        name = function.split("(")[0]
        text = re.sub(rf"^{name}\(\) -> None:\n.*?(?=^def |\Z)", function, text, flags=re.S | re.M)
    path.write_text(text)
    assert python_module(project, "ruff", "format", "migrations").returncode == 0


def documented_revision(call: str) -> str:
    """The Python block of docs/updating.md that holds `call`."""
    page = (ROOT / "docs/updating.md").read_text()
    blocks: list[str] = re.findall(r"^```python\n(.*?)^```", page, re.S | re.M)
    [block] = [block for block in blocks if call in block]
    return block


def upgrade_script(project: Path) -> str:
    """The SQL `alembic upgrade head --sql` gives, as a DBA would run it."""
    script = python_module(project, "alembic", "upgrade", "head", "--sql", PYTHONPATH="src")
    assert script.returncode == 0, script.stderr
    return script.stdout


def checked(project: Path, *, whole: bool = False) -> None:
    """The service's own checks, which must pass: ruff, mypy and its tests, all of them, or
    those a revision of the team's can change: the migrations' own (test_revisions.py) and
    each resource's, whose stand-in tables are the migrations'. The rest of the suite is
    what test_generated.py runs whole for every variant."""
    resources = sorted(str(path.parent) for path in project.glob("tests/*/test_sql.py"))
    tests = [] if whole else [str(project / "tests/test_revisions.py"), *resources]
    for check in (["ruff", "check", "."], ["mypy"], [*WHOLE_SUITE, "-q", "-x", *tests]):
        ran = python_module(project, *check, PYTHONPATH="src")
        assert ran.returncode == 0, ran.stdout[-3000:] + ran.stderr[-3000:]


def test_a_changed_resource_keeps_its_applied_revision_and_needs_one_of_the_team_s(
    template: Path, tmp_path: Path
) -> None:
    project = copy(template, tmp_path / "service", "v0.2.0")
    revision = project / "migrations/versions/books.py"
    applied = revision.read_bytes()
    [book] = answers(project)["resources"]
    book["book"].append("subtitle str(100) optional")
    update(project, copier.VcsRef.CURRENT, resources=[book])
    assert conflicted(project) == []
    assert revision.read_bytes() == applied  # a database at `books` has run it as it was
    assert "subtitle" in (project / "src/book_service/books/sql.py").read_text()
    # The stand-in's tables are the migrations': the new column is not there yet, and the
    # first failure says so, and where the revision that adds it is.
    missing = python_module(
        project, "pytest", "-q", "-x", "-p", "no:cacheprovider", PYTHONPATH="src"
    )
    assert missing.returncode != 0
    said = (
        "the books table has no column subtitle, which the SQL names: each call would fail "
        "with ORA-00904. Change it with a revision of yours (the template's "
        "docs/updating.md, Changing a resource's fields)"
    )
    assert said in missing.stdout, missing.stdout[-3000:]

    with_revision(project, "add subtitle to books", documented_revision('"subtitle"'), sa=True)
    checked(project)


def test_a_removed_resource_s_revision_is_taken_back_and_its_table_dropped_after_it(
    template: Path, tmp_path: Path
) -> None:
    resources = [
        {"book": ["title str(200)"]},
        {"author": ["name str(100)"]},
        {"loan": ["due_on date"]},
    ]
    project = copy(template, tmp_path / "service", "v0.2.0", resources=resources)
    loans = (project / "migrations/versions/loans.py").read_bytes()
    update(project, copier.VcsRef.CURRENT, resources=[resources[0], resources[2]])
    assert not (project / "src/book_service/authors").exists()
    assert (project / "migrations/versions/loans.py").read_bytes() == loans  # still after authors

    # Until the revision is back, no database can be upgraded, and scripts/migrate says why.
    gap = python_module(project, "alembic", "upgrade", "head", "--sql", PYTHONPATH="src")
    assert gap.returncode != 0
    assert "git checkout HEAD -- migrations/versions/authors.py" in gap.stderr, gap.stderr
    git(project, "checkout", "HEAD", "--", "migrations/versions/authors.py")
    with_revision(project, "drop the authors table", documented_revision('"authors"'), sa=False)
    heads = python_module(project, "alembic", "heads", PYTHONPATH="src")
    assert heads.returncode == 0, heads.stderr
    assert len(heads.stdout.strip().splitlines()) == 1, heads.stdout  # one chain, no gap
    checked(project)
    script = upgrade_script(project)
    assert script.index("CREATE TABLE authors") < script.index("DROP TABLE authors")


# The resources' migration revision, in the template.
REVISION = (
    "template/migrations/versions/"
    "{% yield resource from resource_specs %}{{ resource.revision }}{% endyield %}.py.jinja"
)
# What a1a9691 added to it: each int column's check.
INT64_CHECK = (
    '{%- if resource.fields | selectattr("type", "equalto", "int") | list %}\n'
    "\n"
    "# An int field's check: NUMBER(19) holds more than the 64-bit integer the API reads back.\n"
    "# Oracle names it (SYS_C...): a name of the table's and the field's own would not fit\n"
    "# Oracle 12.1's 30 bytes for every resource the template takes.\n"
    'INT64 = "BETWEEN -9223372036854775808 AND 9223372036854775807"\n'
    "{%- endif %}\n",
    '{%- for field in resource.fields if field.type == "int" %}\n'
    '        sa.CheckConstraint(f"{{ field.name }} {INT64}"),\n'
    "{%- endfor %}\n",
)


def updated_past(template: Path, tmp_path: Path, edits: list[tuple[str, str]]) -> Path:
    """A service copied from `template` with `edits` made to its revision's template
    (v0.1.0), then updated to the template as it is (v0.2.0), its revision kept."""
    now = (template / REVISION).read_text()
    for old, new in edits:
        edit(template / REVISION, old, new)
    commit(template, "v0.1.0")
    git(template, "tag", "v0.1.0")
    (template / REVISION).write_text(now)
    commit(template, "v0.2.0")
    git(template, "tag", "v0.2.0")

    project = copy(template, tmp_path / "service", "v0.1.0")
    revision = project / "migrations/versions/books.py"
    applied = revision.read_bytes()
    update(project, "v0.2.0")
    assert conflicted(project) == []
    assert revision.read_bytes() == applied  # a database at `books` has run it as it was
    return project


def test_a_table_made_before_the_int64_check_gets_it_from_the_documented_revision(
    tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> None:
    """A service copied before a1a9691 keeps its revision, without the check, through the
    update; its tests say what is missing and where the fix is, and the revision
    docs/updating.md gives adds the check."""
    template = checkout_copy(tmp_path_factory.mktemp("int64") / "template")
    project = updated_past(template, tmp_path, [(added, "") for added in INT64_CHECK])
    assert "9223372036854775807" not in (project / "migrations/versions/books.py").read_text()
    lacking = python_module(
        project,
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "tests/books/test_sql.py",
        PYTHONPATH="src",
    )
    assert lacking.returncode != 0
    # The row goes in, and reading it back fails: what the check is there to prevent.
    stored = "the books table stored 9223372036854775808 in page_count, which its check refuses"
    assert stored in lacking.stdout, lacking.stdout[-3000:]
    assert 'docs/updating.md, "Each `int` field\'s check")' in lacking.stdout
    assert "## A table the template changed" in (ROOT / "docs/updating.md").read_text()

    call = '"books_page_count_ck"'
    with_revision(project, "check books page_count", documented_revision(call), sa=False)
    checked(project)
    assert (
        "ALTER TABLE books ADD CONSTRAINT books_page_count_ck CHECK "
        "(page_count BETWEEN -9223372036854775808 AND 9223372036854775807)"
    ) in upgrade_script(project)


# What 3329e13 added to a date column's check: the days Oracle's calendar and Python's share.
CALENDAR_CHECK = (
    "    return sa.CheckConstraint(\n"
    "        f\"{column} = TRUNC({column}) AND {column} >= DATE '0001-01-01'\"\n"
    '        f" AND {in_both_calendars(column)}"\n'
    "    )\n"
)
BEFORE_CALENDAR = (
    "    return sa.CheckConstraint("
    "f\"{column} = TRUNC({column}) AND {column} >= DATE '0001-01-01'\")\n"
)


def test_a_table_made_before_the_calendar_check_gets_it_from_the_documented_revision(
    tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> None:
    """A service copied before 3329e13 keeps its revision, whose date check lacks the
    calendar's part, through the update; its tests say what is missing and where the fix
    is, and the revision docs/updating.md gives adds it."""
    template = checkout_copy(tmp_path_factory.mktemp("calendar") / "template")
    project = updated_past(template, tmp_path, [(CALENDAR_CHECK, BEFORE_CALENDAR)])
    revision = (project / "migrations/versions/books.py").read_text()
    assert "AND {in_both_calendars(column)}" not in revision
    tests = ["pytest", "-q", "-p", "no:cacheprovider", "tests/books/test_sql.py"]
    lacking = python_module(project, *tests, PYTHONPATH="src")
    assert lacking.returncode != 0
    # The row on a day Oracle's calendar lacks goes in: what the check is there to prevent.
    assert "FAILED tests/books/test_sql.py::test_a_date_or_timestamp_column_holds_only_days" in (
        lacking.stdout
    ), lacking.stdout[-3000:]
    section = "Each `date` and `timestamp` field's calendar"
    assert f'docs/updating.md, "{section}")' in lacking.stdout

    call = '"books_published_on_cal_ck"'
    with_revision(project, "check books published_on calendar", documented_revision(call), sa=False)
    for check in [["ruff", "check", "."], ["mypy"], tests]:
        ran = python_module(project, *check, PYTHONPATH="src")
        assert ran.returncode == 0, ran.stdout[-3000:] + ran.stderr[-3000:]
    assert (
        "ALTER TABLE books ADD CONSTRAINT books_published_on_cal_ck CHECK "
        "(NOT (EXTRACT(YEAR FROM published_on) = 1582 AND"
    ) in upgrade_script(project)
