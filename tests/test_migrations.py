"""Each variant's migrations, rendered offline as Oracle SQL (`alembic upgrade head --sql`).

No database is needed: Alembic prints the DDL for Oracle's dialect, and the checks read it.
"""

import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT, python_module
from tests.variants import VARIANTS

ORACLE_MAX_IDENTIFIER = 30  # bytes, Oracle 12.1


def alembic(project: Path, *args: str) -> str:
    result = python_module(project, "alembic", *args, PYTHONPATH="src")
    assert result.returncode == 0, result.stderr
    return result.stdout


def tables(sql: str) -> dict[str, str]:
    """Each CREATE TABLE statement's body, by table name."""
    return dict(re.findall(r"CREATE TABLE (\w+) \((.*?)\n\)", sql, flags=re.DOTALL))


def resources(variant: str) -> list[tuple[str, list[str]]]:
    """(table, fields) of each resource the variant answers, in order."""
    default = yaml.safe_load((ROOT / "copier.yml").read_text())["resources"]["default"]
    answer = VARIANTS[variant].get("resources", default)
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
    created = tables(alembic(rendered(variant), "upgrade", "head", "--sql"))
    assert list(created) == ["alembic_version"] + [table for table, _ in resources(variant)]
    for table, fields in resources(variant):
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
    ]


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
    assert len(order) == len(resources(variant))
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
