"""Each variant's migrations, rendered offline as Oracle SQL (`alembic upgrade head --sql`).

No database is needed: Alembic prints the DDL for Oracle's dialect, and the checks read it,
some of them the way SQL*Plus and SQLcl would run it.
"""

import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from tests.conftest import captured, environment, python_module
from tests.unreachable import UNRESOLVED_DSN, free_port, refusing_oracle, silent_oracle
from tests.variants import VARIANTS

PASSWORD = "migrations-never-print-it"
ORACLE_MAX_IDENTIFIER = 30  # bytes, Oracle 12.1
VERSION_WRITE = re.compile(r"(INSERT INTO|UPDATE|DELETE FROM) alembic_version\b")
# Lines SQL*Plus reads on their own: a comment, or one of its commands.
SQLPLUS_COMMAND = re.compile(r"WHENEVER SQLERROR ")
SQLPLUS_LINE = re.compile(rf"--|{SQLPLUS_COMMAND.pattern}")
STOP_AT_FIRST_ERROR = "WHENEVER SQLERROR EXIT FAILURE ROLLBACK"
# Blocks that end in `;` before their `/`, as PL/SQL must; plain SQL must not.
PLSQL = re.compile(r"(DECLARE|BEGIN|CREATE (OR REPLACE )?(PROCEDURE|FUNCTION|PACKAGE|TRIGGER))\b")


def alembic(project: Path, *args: str, **env: str) -> str:
    result = python_module(project, "alembic", *args, PYTHONPATH="src", **env)
    assert result.returncode == 0, result.stderr
    return result.stdout


def tables(sql: str) -> dict[str, str]:
    """Each CREATE TABLE statement's body, by table name."""
    return dict(re.findall(r"CREATE TABLE (\w+) \((.*?)\n\)", sql, flags=re.DOTALL))


def sqlplus_statements(script: str) -> list[str]:
    """The statements SQL*Plus runs from `script`, checked against its rules on the way.

    A line that is just `/` runs the buffer; a blank line inside a statement ends it early
    (SQLBLANKLINES is off by default), and a trailing `;` would run it a second time.
    """
    *chunks, rest = re.split(r"^/$", script, flags=re.MULTILINE)
    assert rest.strip() == "", f"left unrun, with no / after it: {rest!r}"
    statements = []
    for chunk in chunks:
        lines = chunk.strip("\n").splitlines()
        while lines and (not lines[0].strip() or SQLPLUS_LINE.match(lines[0])):
            # Comments and blank lines before a statement are not part of it; a SQL*Plus
            # command is one line, run as it is read.
            if SQLPLUS_COMMAND.match(line := lines.pop(0)):
                statements.append(line)
        statement = "\n".join(lines).rstrip()
        assert statement, "a / with nothing new before it runs the previous statement again"
        assert "" not in [line.strip() for line in statement.splitlines()], statement
        assert PLSQL.match(statement) or not statement.endswith(";"), statement
        outside_strings = re.sub(r"'(?:[^']|'')*'", "''", statement)
        assert re.findall(r"(?<![\w:]):\w+", outside_strings) == [], statement
        statements.append(statement)
    return statements


def assert_version_writes_committed(statements: list[str]) -> None:
    """Each write to alembic_version is committed before anything else runs."""
    writes = [statement for statement in statements if VERSION_WRITE.match(statement)]
    assert writes
    for statement, after in zip(statements, [*statements[1:], None], strict=True):
        if VERSION_WRITE.match(statement):
            assert after == "COMMIT", f"{statement!r} is followed by {after!r}"


def assert_unicode_only(statement: str) -> None:
    """The block that stops a migration of a database that is not Unicode (AL32UTF8)."""
    assert statement.startswith("DECLARE")
    assert "WHERE parameter = 'NLS_CHARACTERSET';" in statement
    assert "IF database_character_set <> 'AL32UTF8' THEN" in statement
    assert "raise_application_error(" in statement


def resources(project: Path) -> list[tuple[str, list[str]]]:
    """(table, fields) of each resource a rendered project recorded, in order."""
    answer = yaml.safe_load((project / ".copier-answers.yml").read_text())["resources"]
    return [(plural(name), fields) for item in answer for name, fields in item.items()]


def plural(name: str) -> str:
    """The template's rule, written out again here to check it."""
    if name.endswith("y") and name[-2:-1] not in "aeiou":
        return name[:-1] + "ies"
    return name + ("es" if name.endswith(("s", "x", "z", "ch", "sh")) else "s")


@pytest.mark.parametrize("variant", VARIANTS)
def test_upgrade_creates_each_table_with_its_key_version_and_columns(
    rendered: Callable[[str], Path], variant: str
) -> None:
    project = rendered(variant)
    created = tables(alembic(project, "upgrade", "head", "--sql"))
    assert list(created) == ["alembic_version"] + [table for table, _ in resources(project)]
    for table, fields in resources(project):
        body = created[table]
        assert "id NUMBER(19) GENERATED ALWAYS AS IDENTITY" in body
        assert "version NUMBER(19) DEFAULT 1 NOT NULL" in body
        assert f"CONSTRAINT {table}_pk PRIMARY KEY (id)" in body
        for field in fields:
            column = field.split()[0]
            line = next(line for line in body.splitlines() if line.strip().startswith(column + " "))
            assert ("NOT NULL" in line) == ("optional" not in field.split()), line
            if "unique" in field.split():
                assert f"CONSTRAINT {table}_{column}_uk UNIQUE ({column})" in body
            if field.split()[1] == "bool":
                assert f"CONSTRAINT {table}_{column}_ck CHECK ({column} IN (0, 1))" in body
            if field.split()[1] == "int":
                # NUMBER(19) holds more than the int64 the API reads back.
                between = "BETWEEN -9223372036854775808 AND 9223372036854775807"
                assert f"CHECK ({column} {between})" in body


def test_the_default_book_table_in_full(rendered: Callable[[str], Path]) -> None:
    body = tables(alembic(rendered("defaults"), "upgrade", "head", "--sql"))["books"]
    assert [line.strip().rstrip(",") for line in body.strip().splitlines()] == [
        "id NUMBER(19) GENERATED ALWAYS AS IDENTITY",
        "version NUMBER(19) DEFAULT 1 NOT NULL",
        "title VARCHAR2(200 CHAR) NOT NULL",
        "isbn VARCHAR2(13 CHAR) NOT NULL",
        "price NUMERIC(10, 2) NOT NULL",
        "page_count NUMBER(19)",
        "published_on DATE",
        "in_print NUMERIC(1, 0) NOT NULL",
        "CONSTRAINT books_pk PRIMARY KEY (id)",
        "CONSTRAINT books_isbn_uk UNIQUE (isbn)",
        "CONSTRAINT books_in_print_ck CHECK (in_print IN (0, 1))",
        "CHECK (page_count BETWEEN -9223372036854775808 AND 9223372036854775807)",
        "CHECK (published_on = TRUNC(published_on) AND published_on >= DATE '0001-01-01'"
        f" AND {in_both_calendars('published_on')})",
    ]


def in_both_calendars(column: str) -> str:
    """A date's or a timestamp's days, but those Oracle's calendar (Julian up to 1582-10-04,
    Gregorian from 1582-10-15) and Python's (Gregorian all the way back) do not share."""
    year, month, day = (f"EXTRACT({part} FROM {column})" for part in ("YEAR", "MONTH", "DAY"))
    return (
        f"NOT ({year} = 1582 AND {month} = 10 AND {day} BETWEEN 5 AND 14)"
        f" AND NOT ({month} = 2 AND {day} = 29 AND MOD({year}, 400) IN (100, 200, 300))"
    )


@pytest.mark.parametrize("variant", ["every-type", "long-names"])
def test_each_date_and_timestamp_column_holds_only_what_python_reads_back(
    rendered: Callable[[str], Path], variant: str
) -> None:
    # A row another writer stored with a time of day in a DATE, or a year before 1, or on a
    # day of Oracle's calendar only, would be read as less than it holds, or fail every read
    # of it.
    for body in tables(alembic(rendered(variant), "upgrade", "head", "--sql")).values():
        for column, kind in re.findall(r"^\s+(\w+) (DATE|TIMESTAMP)\b", body, re.M):
            check = {
                "DATE": f"{column} = TRUNC({column}) AND {column} >= DATE '0001-01-01'",
                "TIMESTAMP": f"{column} >= TIMESTAMP '0001-01-01 00:00:00'",
            }[kind]
            assert f"CHECK ({check} AND {in_both_calendars(column)})" in body, (column, body)


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_identifier_fits_oracle_12_1(rendered: Callable[[str], Path], variant: str) -> None:
    sql = alembic(rendered(variant), "upgrade", "head", "--sql")
    names = re.findall(r"CREATE TABLE (\w+)|CONSTRAINT (\w+)", sql)
    columns = [c for body in tables(sql).values() for c in re.findall(r"^\s+(\w+) ", body, re.M)]
    identifiers = [name for pair in names for name in pair if name] + columns
    assert identifiers
    too_long = [name for name in identifiers if len(name.encode()) > ORACLE_MAX_IDENTIFIER]
    assert too_long == []


@pytest.mark.parametrize("variant", ["every-type", "long-names"])
def test_revisions_chain_in_the_order_resources_were_given(
    rendered: Callable[[str], Path], variant: str
) -> None:
    sql = alembic(rendered(variant), "upgrade", "head", "--sql")
    steps = re.findall(r"-- Running upgrade (\w*) -> (\w+)", sql)
    order = [table for _, table in steps]
    assert [previous for previous, _ in steps] == ["", *order[:-1]]
    assert len(order) == len(resources(rendered(variant)))
    assert list(tables(sql)) == ["alembic_version", *order]


@pytest.mark.parametrize("variant", ["defaults", "every-type"])
def test_downgrade_drops_every_table_again(rendered: Callable[[str], Path], variant: str) -> None:
    project = rendered(variant)
    created = [
        t for t in tables(alembic(project, "upgrade", "head", "--sql")) if t != "alembic_version"
    ]
    dropped = re.findall(r"DROP TABLE (\w+)", alembic(project, "downgrade", "head:base", "--sql"))
    assert sorted(dropped[: len(created)]) == sorted(created)
    assert dropped[: len(created)] == list(reversed(created))


@pytest.mark.parametrize("variant", VARIANTS)
def test_the_upgrade_script_runs_as_it_is_in_sqlplus(
    rendered: Callable[[str], Path], variant: str
) -> None:
    statements = sqlplus_statements(alembic(rendered(variant), "upgrade", "head", "--sql"))
    assert statements[0] == STOP_AT_FIRST_ERROR
    assert_unicode_only(statements[1])
    assert statements[2] == "ALTER SESSION SET DDL_LOCK_TIMEOUT = 30"
    assert statements[3].startswith("CREATE TABLE alembic_version")
    assert_version_writes_committed(statements)
    assert statements[-1] == "COMMIT"


def test_each_revision_is_committed_before_the_next_one_starts(
    rendered: Callable[[str], Path],
) -> None:
    script = alembic(rendered("every-type"), "upgrade", "head", "--sql")
    revisions = re.split(r"^-- Running upgrade .*$", script, flags=re.MULTILINE)[1:]
    assert len(revisions) == len(resources(rendered("every-type")))
    for revision in revisions:
        statements = sqlplus_statements(revision)
        assert VERSION_WRITE.match(statements[-2]), statements
        assert statements[-1] == "COMMIT"


@pytest.mark.parametrize("variant", ["defaults", "every-type"])
def test_the_downgrade_script_runs_as_it_is_in_sqlplus(
    rendered: Callable[[str], Path], variant: str
) -> None:
    script = alembic(rendered(variant), "downgrade", "head:base", "--sql")
    statements = sqlplus_statements(script)
    assert statements[:3:2] == [STOP_AT_FIRST_ERROR, "ALTER SESSION SET DDL_LOCK_TIMEOUT = 30"]
    assert_version_writes_committed(statements)
    assert statements[-2].startswith("DELETE FROM alembic_version")
    assert statements[-1] == "COMMIT"


def test_oracle_ddl_lock_timeout_sets_how_long_ddl_waits_for_a_busy_table(
    rendered: Callable[[str], Path],
) -> None:
    script = alembic(rendered("defaults"), "upgrade", "head", "--sql", ORACLE_DDL_LOCK_TIMEOUT="5")
    assert sqlplus_statements(script)[2] == "ALTER SESSION SET DDL_LOCK_TIMEOUT = 5"


@pytest.mark.parametrize("variant", ["defaults", "threadpool"])
def test_the_script_makes_the_tables_in_oracle_schema_as_online(
    rendered: Callable[[str], Path], variant: str
) -> None:
    # Run by a DBA's account, a script with no schema made the tables in that account's.
    script = alembic(rendered(variant), "upgrade", "head", "--sql", ORACLE_SCHEMA="books_owner")
    statements = sqlplus_statements(script)
    assert statements[3] == "ALTER SESSION SET CURRENT_SCHEMA = BOOKS_OWNER"
    assert statements[4].startswith("CREATE TABLE alembic_version")
    assert "CURRENT_SCHEMA" not in alembic(rendered(variant), "upgrade", "head", "--sql")


def test_a_bad_oracle_schema_stops_the_script_naming_the_variable(
    rendered: Callable[[str], Path],
) -> None:
    args = ["alembic", "upgrade", "head", "--sql"]
    env = {"PYTHONPATH": "src", "ORACLE_SCHEMA": "books; DROP USER x"}
    result = python_module(rendered("defaults"), *args, **env)
    assert result.returncode != 0
    assert "ORACLE_SCHEMA: must be a schema's name" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("value", ["abc", "-1", "2.5", "1000001"])
def test_a_bad_ddl_lock_timeout_stops_alembic_naming_the_variable(
    rendered: Callable[[str], Path], value: str
) -> None:
    args = ["alembic", "upgrade", "head", "--sql"]
    env = {"PYTHONPATH": "src", "ORACLE_DDL_LOCK_TIMEOUT": value}
    result = python_module(rendered("defaults"), *args, **env)
    assert result.returncode != 0
    assert "ORACLE_DDL_LOCK_TIMEOUT" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("variant", ["defaults", "threadpool"])
def test_an_online_migration_with_a_bad_setting_names_it_without_a_traceback(
    rendered: Callable[[str], Path], variant: str
) -> None:
    # As `python -m <package>` says it (operations.md): the variables, never their values.
    env = environment(PYTHONPATH="src", ORACLE_CALL_TIMEOUT="0")
    command = [sys.executable, "-m", "alembic", "upgrade", "head"]
    result = captured(command, rendered(variant), env, timeout=60)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "FAILED: invalid settings:" in output, output
    assert "ORACLE_CALL_TIMEOUT: Input should be greater than or equal to 0.001" in output
    assert "Traceback" not in output


def test_a_new_revision_from_the_script_template_is_already_formatted(
    rendered: Callable[[str], Path], tmp_path: Path
) -> None:
    project = tmp_path / "service"
    shutil.copytree(rendered("defaults"), project)
    alembic(project, "revision", "-m", "add a note column")
    (revision,) = (project / "migrations" / "versions").glob("*_add_a_note_column.py")
    assert 'down_revision: str | Sequence[str] | None = "books"' in revision.read_text()
    result = python_module(project, "ruff", "format", "--check", "--no-cache", str(revision))
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_merge_revision_passes_the_service_s_checks_as_alembic_writes_it(
    rendered: Callable[[str], Path], tmp_path: Path
) -> None:
    # The docs' `alembic merge heads`, after a revision of the team's and a new resource's:
    # a merge has no body, so an `op` imported for one would fail ruff (F401).
    project = tmp_path / "service"
    shutil.copytree(rendered("defaults"), project)
    alembic(project, "revision", "-m", "ours", "--rev-id", "ours")
    alembic(project, "revision", "-m", "theirs", "--head", "books", "--splice", "--rev-id", "new")
    alembic(project, "merge", "heads", "-m", "merge them", "--rev-id", "merged")
    (merge,) = (project / "migrations" / "versions").glob("merged_*.py")
    assert re.search(r'down_revision: .* = \("(ours|new)", "(ours|new)"\)', merge.read_text())
    for check in (["ruff", "check"], ["ruff", "format", "--check"], ["mypy"]):
        result = python_module(project, *check, str(merge))
        assert result.returncode == 0, result.stdout + result.stderr


def migrate_online(project: Path, dsn: str) -> subprocess.CompletedProcess[str]:
    """`alembic upgrade head` against `dsn`, with a 1 s ORACLE_CONNECT_TIMEOUT; a minute at
    most (subprocess.TimeoutExpired beyond, which fails the test rather than hanging it)."""
    oracle = {"ORACLE_DSN": dsn, "ORACLE_USER": "app", "ORACLE_PASSWORD": PASSWORD}
    env = environment(PYTHONPATH="src", ORACLE_CONNECT_TIMEOUT="1", **oracle)
    command = [sys.executable, "-m", "alembic", "upgrade", "head"]
    return captured(command, project, env, timeout=60)


@pytest.mark.parametrize(
    ("oracle", "said"),
    [
        ("closed port", "app cannot reach Oracle: DPY-6005 (Connection refused)"),
        ("silent", "Oracle did not answer a login within 1 s (ORACLE_CONNECT_TIMEOUT)"),
        ("unresolved", "app cannot reach Oracle: its host name does not resolve ("),
        # A wrong service name, not a database that is down: the listener's own code says so.
        ("refusing", "app cannot reach Oracle: DPY-6005 (DPY-6001)"),
    ],
)
def test_an_online_migration_with_oracle_unreachable_fails_in_one_line_in_time(
    rendered: Callable[[str], Path], oracle: str, said: str
) -> None:
    """No traceback and no password, and never a wait longer than the connect timeout:
    a database that accepts the connection and never answers would hold it forever."""
    project = rendered("defaults")
    started = time.monotonic()
    if oracle in ("silent", "refusing"):
        with silent_oracle() if oracle == "silent" else refusing_oracle() as port:
            result = migrate_online(project, f"127.0.0.1:{port}/FREEPDB1")
    else:
        dsn = UNRESOLVED_DSN if oracle == "unresolved" else f"127.0.0.1:{free_port()}/FREEPDB1"
        result = migrate_online(project, dsn)
    assert time.monotonic() - started < 15
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert f"FAILED: {said}" in output, output
    assert "Traceback" not in output
    assert PASSWORD not in output


# A revision of a team's, offline, as the upgrade script writes its statements.
ALTERED = """
CREATE TABLE books (
    id NUMBER(19) GENERATED ALWAYS AS IDENTITY,
    version NUMBER(19) DEFAULT 1 NOT NULL,
    title VARCHAR2(200 CHAR) NOT NULL,
    page_count NUMBER(19)
)
/
ALTER TABLE books MODIFY title VARCHAR2(300 CHAR)
/
ALTER TABLE books MODIFY version NUMERIC(20, 0)
/
ALTER TABLE books MODIFY page_count DEFAULT 7
/
ALTER TABLE books MODIFY page_count NOT NULL
/
"""
READ_BACK = """
from tests.standins import tables_from_ddl
import sys
books = tables_from_ddl(sys.stdin.read())["books"]
for c in books.columns.values():
    print(c.name, c.length or c.precision, c.nullable, c.default, c.identity)
"""


def test_the_stand_in_changes_only_what_a_modify_names(rendered: Callable[[str], Path]) -> None:
    # Oracle's MODIFY leaves the rest of the column as it was: NOT NULL, default, identity.
    ran = subprocess.run(
        [sys.executable, "-c", READ_BACK],
        cwd=rendered("defaults"),
        env=environment(PYTHONPATH="src:."),
        input=ALTERED,
        capture_output=True,
        text=True,
        check=False,
    )
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.splitlines() == [
        "id 19 False None True",
        "version 20 False 1 False",
        "title 300 False None False",
        "page_count 19 False 7 False",
    ]


BOOKS = """
CREATE TABLE books (
    id NUMBER(19) GENERATED ALWAYS AS IDENTITY,
    title VARCHAR2(200 CHAR) NOT NULL,
    isbn VARCHAR2(13 CHAR) NOT NULL,
    page_count NUMBER(19),
    CONSTRAINT books_pk PRIMARY KEY (id),
    CONSTRAINT books_isbn_uk UNIQUE (isbn)
)
/
"""
# What the stand-in makes of BOOKS and the statements after it: the script prints it, or
# the first line of the error it raises.
READ = """
import sys
from tests.standins import tables_from_ddl
try:
    tables = tables_from_ddl(sys.stdin.read())
except Exception as error:
    print(str(error).splitlines()[0])
    raise SystemExit
"""


def stand_in_reads(project: Path, ddl: str, show: str = "") -> str:
    """What READ, then `show`, prints for BOOKS followed by `ddl`."""
    ran = subprocess.run(
        [sys.executable, "-c", READ + show],
        cwd=project,
        env=environment(PYTHONPATH="src:."),
        input=BOOKS + ddl,
        capture_output=True,
        text=True,
        check=False,
    )
    assert ran.returncode == 0, ran.stderr
    return ran.stdout.strip()


@pytest.mark.parametrize(
    ("change", "refused"),
    [
        # A renamed column keeps its constraint's name: books_isbn_uk, not books_code_uk.
        (
            "ALTER TABLE books RENAME COLUMN isbn TO code\n/\n"
            "ALTER TABLE books DROP CONSTRAINT books_code_uk",
            "ORA-02443",
        ),
        ("ALTER TABLE books MODIFY title NOT NULL", "ORA-01442"),
        ("ALTER TABLE books MODIFY page_count NULL", "ORA-01451"),
        ("ALTER TABLE books RENAME COLUMN nothing TO something", "ORA-00904"),
        ("ALTER TABLE books DROP COLUMN nothing", "ORA-00904"),
        ("ALTER TABLE books ADD CONSTRAINT books_isbn_uk UNIQUE (title)", "ORA-02264"),
        ("ALTER TABLE books RENAME CONSTRAINT books_code_uk TO books_x_uk", "ORA-23292"),
    ],
)
def test_the_stand_in_refuses_the_ddl_oracle_refuses(
    rendered: Callable[[str], Path], change: str, refused: str
) -> None:
    # Accepted here, such a revision stopped halfway on Oracle: DDL commits as it goes, so
    # the schema changed and alembic_version did not.
    said = stand_in_reads(rendered("defaults"), change + "\n/\n")
    assert said.startswith(refused + ":"), said


def test_the_stand_in_reads_a_text_default_and_byte_lengths(
    rendered: Callable[[str], Path],
) -> None:
    # The docs' recipe for a required text field gives it a default; VARCHAR2(N) without
    # CHAR counts bytes (NLS_LENGTH_SEMANTICS=BYTE, Oracle's default).
    added = (
        "ALTER TABLE books ADD subtitle VARCHAR2(100 CHAR) DEFAULT 'it''s new' NOT NULL\n/\n"
        "ALTER TABLE books ADD code VARCHAR2(10)\n/\n"
    )
    show = "books = tables['books'].columns\nprint(books['subtitle'].default, books['code'])"
    said = stand_in_reads(rendered("defaults"), added, show)
    assert said.startswith("it's new Column(name='code', type='VARCHAR2'"), said
    assert "length=10, length_in_bytes=True" in said


def test_the_stand_in_keeps_the_digits_of_a_second_a_timestamp_column_has(
    rendered: Callable[[str], Path],
) -> None:
    # A revision of yours may add TIMESTAMP(3): Oracle rounds what it stores to 3 digits,
    # where the stand-in kept all 6, and a test of a value read back passed only here.
    added = "ALTER TABLE books ADD seen_at TIMESTAMP(3)\n/\nALTER TABLE books ADD at TIMESTAMP\n/\n"
    show = (
        "import datetime as dt\n"
        "from tests.standins import Typed, store\n"
        "books = tables['books']\n"
        "for name in ('seen_at', 'at'):\n"
        "    for micro in (123_456, 999_600):\n"
        "        sent = Typed('TIMESTAMP', dt.datetime(2024, 1, 1, 0, 0, 0, micro))\n"
        "        print(store(books, books.columns[name], sent).isoformat())\n"
    )
    said = stand_in_reads(rendered("defaults"), added, show)
    assert said.splitlines() == [
        "2024-01-01T00:00:00.123000",
        "2024-01-01T00:00:01",
        "2024-01-01T00:00:00.123456",
        "2024-01-01T00:00:00.999600",
    ]


def test_the_stand_in_reads_a_resource_renamed_as_updating_md_says(
    rendered: Callable[[str], Path],
) -> None:
    renamed = (
        "ALTER TABLE books RENAME TO volumes\n/\n"
        "ALTER TABLE volumes RENAME CONSTRAINT books_pk TO volumes_pk\n/\n"
        "ALTER INDEX books_pk RENAME TO volumes_pk\n/\n"
        "ALTER TABLE volumes RENAME CONSTRAINT books_isbn_uk TO volumes_isbn_uk\n/\n"
        "ALTER INDEX books_isbn_uk RENAME TO volumes_isbn_uk\n/\n"
    )
    show = "new = tables['volumes']\nprint(sorted(tables), sorted(new.constraints), new.unique)"
    assert stand_in_reads(rendered("defaults"), renamed, show) == (
        "['volumes'] ['volumes_isbn_uk', 'volumes_pk'] [('volumes_isbn_uk', 'isbn')]"
    )
