"""The migrations' revisions, read offline: one line, which `scripts/migrate` upgrades."""

from pathlib import Path

import pytest
from alembic.config import Config

from tests.standins import PROJECT, check_one_line_of_revisions

REVISION = """revision = "{revision}"
down_revision = {down_revision}
branch_labels = None
depends_on = None
"""


def test_the_service_s_revisions_are_one_line() -> None:
    check_one_line_of_revisions(Config(str(PROJECT / "alembic.ini")))


def test_a_revision_that_begins_a_line_of_its_own_is_named_with_the_mend(
    tmp_path: Path,
) -> None:
    # A resource added before the others: its revision revises nothing, as the first's.
    versions = tmp_path / "versions"
    versions.mkdir()
    for name, down_revision in [("books", "None"), ("authors", "None"), ("loans", '"books"')]:
        text = REVISION.format(revision=name, down_revision=down_revision)
        (versions / f"{name}.py").write_text(text)
    config = Config()
    config.set_main_option("script_location", str(tmp_path))
    with pytest.raises(AssertionError, match=r"2 heads \(authors, loans\).*at the end"):
        check_one_line_of_revisions(config)


def test_a_line_that_forks_after_a_revision_of_yours_is_named_with_the_merge(
    tmp_path: Path,
) -> None:
    # A revision of yours after books, then an update that adds authors after books too.
    versions = tmp_path / "versions"
    versions.mkdir()
    for name, down_revision in [("books", "None"), ("a1b2c3", '"books"'), ("authors", '"books"')]:
        text = REVISION.format(revision=name, down_revision=down_revision)
        (versions / f"{name}.py").write_text(text)
    config = Config()
    config.set_main_option("script_location", str(tmp_path))
    with pytest.raises(AssertionError, match=r"2 heads \(a1b2c3, authors\).*alembic merge heads"):
        check_one_line_of_revisions(config)
