"""The migrations' revisions, read offline: one line, which `scripts/migrate` upgrades."""

import io
import shutil
from pathlib import Path

import oracledb
import pytest
from alembic import command
from alembic.config import Config
from alembic.util import CommandError

from tests.standins import PROJECT, StandInDatabase, StandInPool, check_one_line_of_revisions

REVISION = """revision = "{revision}"
down_revision = {down_revision}
branch_labels = None
depends_on = None
"""


def test_the_service_s_revisions_are_one_line() -> None:
    check_one_line_of_revisions(Config(str(PROJECT / "alembic.ini")))


@pytest.mark.parametrize(
    ("revisions", "said"),
    [
        # A resource added before the others: its revision revises nothing, as the first's.
        (
            [("books", "None"), ("authors", "None"), ("loans", '"books"')],
            r"2 heads \(authors, loans\).*at the end",
        ),
        # A revision of yours after books, then an update that adds authors after books too.
        (
            [("books", "None"), ("a1b2c3", '"books"'), ("authors", '"books"')],
            r"2 heads \(a1b2c3, authors\).*alembic merge heads",
        ),
    ],
    ids=["a-line-of-its-own", "a-fork"],
)
def test_revisions_in_two_lines_are_named_with_the_mend(
    tmp_path: Path, revisions: list[tuple[str, str]], said: str
) -> None:
    versions = tmp_path / "versions"
    versions.mkdir()
    for name, down_revision in revisions:
        text = REVISION.format(revision=name, down_revision=down_revision)
        (versions / f"{name}.py").write_text(text)
    config = Config()
    config.set_main_option("script_location", str(tmp_path))
    with pytest.raises(AssertionError, match=said):
        check_one_line_of_revisions(config)


def test_a_revision_that_revises_one_gone_is_named_with_the_mend(tmp_path: Path) -> None:
    # An update that removes a resource deletes its revision; the one after it still
    # revises it. Alembic would warn, then fail with a KeyError.
    versions = tmp_path / "versions"
    versions.mkdir()
    for name, down_revision in [("books", "None"), ("loans", '"authors"')]:
        text = REVISION.format(revision=name, down_revision=down_revision)
        (versions / f"{name}.py").write_text(text)
    config = Config()
    config.set_main_option("script_location", str(tmp_path))
    with pytest.raises(AssertionError, match=r"revises 'authors', which no file .* Take it back"):
        check_one_line_of_revisions(config)


def test_scripts_migrate_names_a_revision_that_revises_one_gone(tmp_path: Path) -> None:
    migrations = shutil.copytree(PROJECT / "migrations", tmp_path / "migrations")
    after = REVISION.format(revision="after", down_revision='"gone"')
    (migrations / "versions" / "after.py").write_text(after)
    config = Config(str(PROJECT / "alembic.ini"), output_buffer=io.StringIO())
    config.set_main_option("script_location", str(migrations))
    config.attributes["configure_logger"] = False
    with pytest.raises(CommandError, match=r"revises 'gone', which no file .* Removing a"):
        command.upgrade(config, "head", sql=True)


# A table whose NOT NULL column has a DEFAULT of '' (test below).
DEFAULT_EMPTY = """
CREATE TABLE notes (
    id NUMBER(19) NOT NULL,
    body VARCHAR2(20 CHAR) NOT NULL,
    source VARCHAR2(30 CHAR) DEFAULT '' NOT NULL
);
"""


def test_a_default_of_an_empty_string_is_null_as_on_oracle() -> None:
    # Oracle stores '' as NULL: a revision that adds a NOT NULL column with
    # `server_default=""` has every INSERT that leaves the column out refused (ORA-01400),
    # on the stand-in as on Oracle, where it would have passed here as ''.
    pool = StandInPool(database=StandInDatabase(DEFAULT_EMPTY))
    connection = pool.acquire()
    with connection.cursor() as cursor, pytest.raises(oracledb.Error, match="ORA-01400"):
        cursor.execute("INSERT INTO notes (id, body) VALUES (:id, :body)", {"id": 1, "body": "a"})
