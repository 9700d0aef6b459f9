"""Every answer that would break the rendered service is refused, naming the question and rule."""

import ast
import json
import re
import tomllib
from collections.abc import Callable
from email.headerregistry import Address
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy.dialects.oracle import dictionary

from tests.conftest import ROOT, render
from tests.modules import reserved
from tests.variants import VARIANTS

# What a prompt shows of a help text or a refusal on one line of an 80-column terminal.
PROMPT_LINE = 72

# An answer to each question every service is asked, as a team's answers file gives them.
EVERY_SERVICE_S: dict[str, Any] = {
    "project_name": "Book Service",
    "project_slug": "book-service",
    "package_name": "book_service",
    "description": "A FastAPI service on Oracle Database",
    "author_name": "Your Team",
    "author_email": "team@example.com",
    "python_version": "3.12",
    "pool_max": 10,
    "pool_min": 10,
    "pool_increment": 1,
    "oracle_sessions": 44,
    "resources": [{"book": ["title str(200)"]}],
    "docker": True,
    "github_actions": True,
    "kubernetes": False,
    "tracing": False,
}

# A mode, and a misspelling of a size of its own.
MISSPELT_SIZES: list[tuple[dict[str, Any], str]] = [
    ({"oracle_api": "asyncio"}, "pool_queu"),
    ({"oracle_api": "threadpool", "executor_workers": 10}, "executor_queu"),
]

REFUSED: list[tuple[dict[str, Any], str, str]] = [
    # A size given as a YAML float or boolean, which Copier would read with int().
    *(
        ({**mode, name: value}, name, f'{name} must be a whole number ("{value}" given)')
        for mode, name, value in [
            ({}, "pool_min", 7.99),
            ({}, "pool_max", 8.9),
            ({}, "pool_queue", True),
            ({}, "pool_increment", 1.9),
            ({}, "oracle_sessions", 50.9),
            ({"oracle_api": "threadpool"}, "executor_workers", 4.9),
            ({"oracle_api": "threadpool"}, "executor_queue", False),
        ]
    ),
    # An answer no question takes: Copier would drop it, and pool_max keep its default.
    ({"pool_mx": 8}, "project_name", 'no question is called "pool_mx": an answer given so'),
    # So in a file that answers every other question, the mode's sizes being left to their
    # defaults, which the misspelt one was meant for.
    *(
        ({**EVERY_SERVICE_S, **mode, name: 0}, "project_name", f'no question is called "{name}"')
        for mode, name in MISSPELT_SIZES
    ),
    # A derived name's value, taken in place of its own, checked and recorded nowhere.
    *(
        ({name: value}, "project_name", f"{name} is derived from {of}, not asked")
        for name, value, of in [
            ("oracle_user", 'a"b', "package_name"),
            ("asyncio_api", False, "oracle_api"),
            ("replicas_max", 5000, "oracle_sessions and pool_max"),
            ("resource_specs", [], "resources"),
        ]
    ),
    # The other mode's size, never asked: Copier would drop it saying nothing.
    (
        {"oracle_api": "threadpool", "pool_queue": 50},
        "oracle_api",
        "pool_queue is for oracle_api asyncio, not threadpool: the value given",
    ),
    (
        {"executor_queue": 5, "oracle_api": "asyncio"},
        "oracle_api",
        "executor_queue is for oracle_api threadpool, not asyncio",
    ),
    # Copier reads text it does not know as yes: "nope" would turn docker on.
    ({"docker": "nope"}, "docker", "docker is a yes or no: true, false, yes, no, on, off, 1 or"),
    ({"kubernetes": "maybe"}, "kubernetes", "kubernetes is a yes or no"),
    ({"github_actions": "2"}, "github_actions", "github_actions is a yes or no"),
    ({"tracing": "sure"}, "tracing", "tracing is a yes or no"),
    ({"project_name": "  "}, "project_name", "must not be empty"),
    ({"project_name": 'My "Best" Service'}, "project_name", 'one printable line without " or'),
    ({"project_name": "Book Service\n"}, "project_name", "one printable line"),
    ({"project_name": "Book\tService"}, "project_name", "one printable line"),
    ({"project_name": "B" * 61}, "project_name", "must fit in 60 columns (61 given"),
    ({"project_name": "書" * 31}, "project_name", "must fit in 60 columns (62 given"),
    ({"project_name": "Book\u2028Service"}, "project_name", "one printable line"),
    (
        {"project_slug": "book-service\n"},
        "project_slug",
        "must be lowercase letters, digits and single hyphens",
    ),
    ({"package_name": "book_service\n"}, "package_name", "must be snake_case"),
    (
        {"project_slug": "Book_Service"},
        "project_slug",
        "must be lowercase letters, digits and single hyphens",
    ),
    ({"project_slug": "book--service"}, "project_slug", "single hyphens"),
    # A name with no Latin letter or digit makes an empty slug, which the user never gave.
    ({"project_name": "Служба книг"}, "project_slug", "made from project_name's Latin letters"),
    ({"package_name": "9lives"}, "package_name", "must be snake_case"),
    ({"package_name": "class"}, "package_name", "must not be a Python keyword"),
    *(
        ({"package_name": name}, "package_name", "package_name is taken")
        for name in ["fastapi", "sqlalchemy", "uuid", "email", "alembic", "http", "anyio"]
    ),
    # Brought by an extra (uvicorn[standard]), or by the tracing answer's dependencies.
    *(
        ({"package_name": name}, "package_name", "package_name is taken")
        for name in ["uvloop", "websockets", "yaml", "google"]
    ),
    ({"package_name": "tests"}, "package_name", "package_name is taken"),
    ({"package_name": "test"}, "package_name", "package_name is taken"),  # the standard library's
    ({"package_name": "a" * 31}, "package_name", "must be at most 30 characters (31 given)"),
    ({"description": "one\\two"}, "description", 'one printable line without " or'),
    ({"description": "one\x00two"}, "description", "one printable line"),
    ({"description": "d" * 73}, "description", "must fit in 72 columns (73 given"),
    ({"author_name": "Team\n"}, "author_name", "one non-empty printable line"),
    (
        {"author_email": 'a"b@example.com'},
        "author_email",
        "must be an ASCII address like name@example.com",
    ),
    # What the build's own reading of the address (email.headerregistry) refuses.
    *(
        ({"author_email": email}, "author_email", "must be an ASCII address like name@example.com")
        for email in ["a@b.com<script>", "<a@b.com>", "a@b.com.", "a,b@c.d", "ä@ü.com", "a;b@c.d"]
    ),
    (
        {"author_email": "a\\b@example.com"},
        "author_email",
        "must be an ASCII address like name@example.com",
    ),
    (
        {"author_email": "team@example.com\n"},
        "author_email",
        "must be an ASCII address like name@example.com",
    ),
    ({"author_name": ""}, "author_name", "one non-empty printable line"),
    ({"author_email": "nobody"}, "author_email", "must be an ASCII address like name@example.com"),
    ({"python_version": "3.10"}, "python_version", "'3.10' is not in ['3.11', '3.12', '3.13']"),
    ({"executor_workers": 0}, "executor_workers", "must be a positive integer"),
    ({"oracle_api": "threadpool", "executor_queue": -1}, "executor_queue", "must be zero or a"),
    ({"executor_workers": 1001}, "executor_workers", "must be at most 1000"),
    ({"oracle_api": "threadpool", "executor_queue": 100001}, "executor_queue", "at most 100000"),
    ({"pool_max": 10001}, "pool_max", "must be at most 10000"),
    ({"executor_workers": 1, "pool_max": 0}, "pool_max", "must be a positive integer"),
    ({"pool_min": 0}, "pool_min", "must be a positive integer"),
    ({"pool_increment": 0}, "pool_increment", "must be a positive integer"),
    # A rule between two questions is reported by the later of them when it is given with
    # --data, as here; by the earlier when only that one is (test_update_answers).
    (
        {"executor_workers": 8, "pool_max": 4},
        "pool_max",
        "pool_max (4) must be at least executor_workers (8)",
    ),
    (
        {"executor_workers": 4, "pool_max": 4, "pool_min": 5},
        "pool_min",
        "pool_min (5) must not exceed pool_max (4)",
    ),
    ({"pool_increment": 11}, "pool_increment", "pool_increment (11) must not exceed pool_max"),
    (
        {"pool_max": 10, "oracle_sessions": 10},
        "oracle_sessions",
        "oracle_sessions (10) must be at least pool_max + 1 (11)",
    ),
    ({"oracle_sessions": 100001}, "oracle_sessions", "must be at most 100000"),
    (
        {"pool_max": 10, "oracle_sessions": 21, "kubernetes": True},
        "kubernetes",
        "kubernetes needs oracle_sessions of at least 22 (21 given)",
    ),
    ({"docker": False, "kubernetes": True}, "kubernetes", "kubernetes needs docker"),
    # Given with --data, answers are text until their own question reads them.
    (
        {"oracle_api": "threadpool", "executor_workers": "8", "pool_max": "4"},
        "pool_max",
        "pool_max (4) must be at least executor_workers (8)",
    ),
    (
        {"pool_max": "10", "oracle_sessions": "21", "kubernetes": "yes"},
        "kubernetes",
        "kubernetes needs oracle_sessions of at least 22 (21 given)",
    ),
    (
        {"project_slug": "a" * 101, "package_name": "svc"},
        "project_slug",
        "project_slug must be at most 100 characters (101 given)",
    ),
    (
        {"project_slug": "a" + "-b" * 28, "package_name": "svc", "kubernetes": True},
        "kubernetes",
        "kubernetes needs a project_slug of at most 55 characters (57 given)",
    ),
]


REFUSED_RESOURCES: list[tuple[Any, str]] = [
    ([], "must list at least one resource, each a name with its fields"),
    ({"book": {"title": "text"}}, 'has the unknown type "text"; use one of str(N), int'),
    ({}, "must list at least one resource"),
    ("book", 'must be a list of resources, not the text "book"'),
    ([{"book": ["title str"], "author": ["name str"]}], "item 1 must be one resource name"),
    (["book"], "item 1 must be one resource name with its list of fields"),
    ([{"book": []}], 'resource "book" must list at least one field'),
    ([{"book": "title str"}], 'resource "book" must list its fields, as a list: [title str(200)'),
    ([{"book": [f"f{n} int" for n in range(999)]}], 'resource "book" has 999 fields, more than'),
    ([{"book": {"title": "str"}}], 'resource "book" must list its fields, as a list: [title'),
    ([{"book": {"title": 5}}], "as a list: [title str(200), isbn str(13)], not a mapping"),
    ([{"Book": ["title str"]}], 'resource "Book" must be snake_case'),
    ([{"book_": ["title str"]}], 'resource "book_" must be snake_case'),
    ([{"book\n": ["title str"]}], 'resource "book\\n" must be snake_case'),
    # A character shown as written, not as JSON's \u00ef: it is what the user has to find.
    ([{"book": ["tïtle str"]}], 'field "tïtle" of resource "book" must be snake_case'),
    ([{"class": ["title str"]}], 'resource "class" is a Python keyword'),
    ([{"value": ["title str"]}], 'the table "values" of resource "value" is an Oracle reserved'),
    ([{"error": ["title str"]}], "replaces the service's own module"),
    ([{"standin": ["title str"]}], 'would make a test package "standins" that replaces'),
    ([{"helper": ["title str"]}], 'would make a test package "helpers" that replaces'),
    ([{"fake": ["title str"]}], 'would make a test package "fakes" that replaces'),
    ([{"route": ["title str"]}], "replaces the service's own module"),
    ([{"statement": ["title str"]}], 'would make a package "statements" that replaces the'),
    # Its revision, "heads", would be Alembic's word for the newest: its migrations failed.
    ([{"head": ["title str"]}], 'makes the migration revision "heads", a word Alembic reads'),
    ([{"page": ["title str"]}], 'would make the class "Page", which replaces a name its'),
    # Two schemas of one name in the OpenAPI document: the 422s' $ref named neither.
    ([{"validation_problem": ["title str"]}], 'would make the schema "ValidationProblem", the'),
    ([{"field_error": ["title str"]}], 'would make the schema "FieldError", the name of one'),
    ([{"health": ["title str"]}], 'would make the schema "Health", the name of one of the'),
    ([{"oracle": ["title str"]}], 'would make the class "OracleRepository", which replaces'),
    ([{"big_int": ["title str"]}], 'would make the class "BigInt", which replaces a name its'),
    ([{"book": ["str str(10)"]}], "would hide the Python type str"),
    ([{"book": ["int int"]}], "would hide the Python type int"),
    ([{"book": ["stored_number decimal(5,2)"]}], "would hide the function stored_number"),
    ([{"book": ["int_from_db int"]}], "would hide the function int_from_db of columns.py"),
    ([{"book": ["a int"]}, {"book": ["b int"]}], 'resource "book" is listed twice'),
    ([{"bus": ["a int"]}, {"buse": ["a int"]}], 'makes the table "buses", which another'),
    (
        [{"customer_loyalty_programmes": ["a int"]}],
        'makes the constraint name "customer_loyalty_programmeses_pk", longer than Oracle',
    ),
    ([{"book": ["Title str"]}], 'field "Title" of resource "book" must be snake_case'),
    ([{"book": ["title"]}], 'field 1 of resource "book" is "title", which cannot be read'),
    ([{"book": ["title str", 42]}], 'field 2 of resource "book" is "42", which cannot be read'),
    ([{"book": ["title str(200"]}], "which cannot be read; write NAME TYPE[(SIZE)]"),
    ([{"book": ["from str"]}], 'field "from" of resource "book" is a Python keyword'),
    ([{"book": ["l int"]}], 'field "l" of resource "book" reads like 1 or 0 in the code'),
    ([{"o": ["title str"]}], 'resource "o" reads like 1 or 0 in the code made of it'),
    ([{"book": ["date date"]}], 'field "date" of resource "book" is an Oracle reserved word'),
    (
        [{"book": ["current_date date"]}],
        'field "current_date" of resource "book" is a name Oracle reads as its own function',
    ),
    ([{"book": ["ora_rowscn int"]}], "as its own function or pseudocolumn (ORA_ROWSCN)"),
    ([{"book": ["title str", "title int"]}], 'field "title" of resource "book" is listed twice'),
    ([{"book": ["id int"]}], 'field "id" of resource "book" is a name the service uses'),
    ([{"book": ["version int"]}], "is a name the service uses"),
    ([{"book": ["expected_version int"]}], "is a name the service uses"),
    ([{"book": ["model_name str"]}], "is a name the service uses"),
    ([{"book": ["json str"]}], "is a name the service uses"),
    ([{"book": ["title text"]}], 'has the unknown type "text"; use one of str(N), int'),
    ([{"book": ["title str(0)"]}], "str(N) needs 1 <= N <= 1000"),
    ([{"book": ["title str(1001)"]}], "str(N) needs 1 <= N <= 1000"),
    ([{"book": ["title str(10,2)"]}], "str takes one size"),
    ([{"book": ["pages int(5)"]}], "is int, which takes no size"),
    ([{"book": ["price decimal(39,2)"]}], "needs a precision P from 1 to 38"),
    ([{"book": ["price decimal(0)"]}], "needs a precision P from 1 to 38"),
    ([{"book": ["price decimal(5,6)"]}], "needs a scale S from 0 to the precision P"),
    ([{"book": ["title str required"]}], 'has the unknown flag "required"'),
    ([{"book": ["title str unique unique"]}], "repeats a flag"),
    ([{"book": ["in_print bool unique"]}], "is a unique bool, which would let the table hold"),
    (
        [{"book": ["a_field_name_of_thirty_one_chars int"]}],
        "longer than Oracle 12.1's 30-byte column names",
    ),
    (
        [{"book": ["catalogue_number_x_y_z str unique"]}],
        'makes the constraint name "books_catalogue_number_x_y_z_uk"',
    ),
    (
        [{"book": ["is_out_of_print_in_europe bool"]}],
        'makes the constraint name "books_is_out_of_print_in_europe_ck"',
    ),
    # INSERT and UPDATE return into :ret_0, :ret_1 ...: a field bound under one of those
    # names too is refused by python-oracledb (DPY-2048), on every write.
    ([{"gadget": ["ret_0 str(10) optional"]}], 'field "ret_0" of resource "gadget" is named'),
    ([{"gadget": ["label str", "ret_1 int"]}], "return into (ret_0, ret_1 ...)"),
    # A resource's tests, tests/<table>/ and tests/integration/test_<table>.py, beside the
    # tests' own modules of those names.
    ([{"call": ["name str(50)"]}], 'would make a test package "calls"'),
    ([{"test_metric": ["name str(50)"]}], 'would make a test package "test_metrics"'),
    ([{"migration": ["name str(50)"]}], 'would make the integration test "test_migrations.py"'),
    # A table named as a data dictionary view that SQLAlchemy reads without its owner, as
    # Alembic does before every online migration: read in the view's place, its columns
    # not the view's, it would fail every migration after the one that made it.
    ([{"all_table": ["label str(30)"]}], 'makes the table "all_tables", the name of an Oracle'),
    ([{"all_view": ["label str(30)"]}], 'makes the table "all_views", the name of an Oracle'),
    ([{"user_table": ["label str(30)"]}], 'makes the table "user_tables", the name of an'),
    # FastAPI's documentation is served at /docs, after every router: a resource's list
    # there would hide it.
    ([{"doc": ["name str(50)"]}], 'would serve its list at "/docs"'),
    # Every field is a keyword argument of Cursor.setinputsizes(self, ...): a TypeError on
    # every write.
    ([{"gadget": ["self str(10)"]}], 'field "self" of resource "gadget" would be a keyword'),
    # The __init__ pydantic's mypy plugin writes for a model takes **kwargs: no-redef.
    ([{"gadget": ["kwargs str(10)"]}], 'field "kwargs" of resource "gadget" would clash'),
    # Book2 twice: the second module's classes, and its OpenAPI schemas, would clash.
    (
        [{"book2": ["name str(10)"]}, {"book_2": ["title str(10)"]}],
        'makes the class "Book2", which resource "book2" makes too',
    ),
    # And the classes each resource derives: book's BookPage is book_page's class.
    (
        [{"book": ["title str(10)"]}, {"book_page": ["number int"]}],
        'makes the class "BookPage", which resource "book" makes too',
    ),
    # Constraint names are one namespace in a schema: the second CREATE TABLE would fail
    # with ORA-02264, after the first had been created.
    (
        [{"item": ["groups_name str(20) unique"]}, {"items_group": ["name str(20) unique"]}],
        'makes the constraint name "items_groups_name_uk", which resource "item" makes too',
    ),
    (
        [{"item": ["groups_open bool"]}, {"items_group": ["open bool"]}],
        'makes the constraint name "items_groups_open_ck", which resource "item" makes too',
    ),
]


@pytest.mark.parametrize(("answers", "question", "rule"), REFUSED)
def test_a_bad_answer_is_refused_naming_question_and_rule(
    tmp_path: Path, answers: dict[str, Any], question: str, rule: str
) -> None:
    with pytest.raises(ValueError, match=f"question '{question}'|for '{question}'") as error:
        render(tmp_path / "service", **answers)
    message = str(error.value).split("': ", 1)[1]
    # A prompt shows one line of the message: the rule comes first, the reason after.
    assert rule in message[:PROMPT_LINE], message
    assert not (tmp_path / "service" / "pyproject.toml").exists()


@pytest.mark.parametrize(
    "answers", [{"pool_mx": 8}, {"oracle_api": "threadpool", "pool_queue": 50}], ids=str
)
def test_a_refusal_docs_questions_shows_is_the_validator_s_own(
    tmp_path: Path, answers: dict[str, Any]
) -> None:
    with pytest.raises(ValueError, match="Validation error") as error:
        render(tmp_path / "service", **answers)
    assert f"```text\nValueError: {error.value}\n```" in (ROOT / "docs/questions.md").read_text()


def test_a_refused_slug_is_shown_as_written(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="question 'project_slug'") as error:
        render(tmp_path / "service", project_slug="café's")
    assert '("café\'s" given)' in str(error.value)  # not JSON's "caf\u00e9\u0027s"


def test_a_slug_made_from_the_name_is_shown_in_its_refusal(tmp_path: Path) -> None:
    # The user never typed it: "3D Printing" makes "3d-printing", which starts with a digit.
    with pytest.raises(ValueError, match="question 'project_slug'") as error:
        render(tmp_path / "service", project_name="3D Printing")
    assert '("3d-printing" given)' in str(error.value)


def test_a_name_s_surrounding_spaces_are_not_the_service_s(tmp_path: Path) -> None:
    # A name pasted with its spaces was the OpenAPI title and the README's heading as given.
    service = render(tmp_path / "service", project_name="  Book Service ", kubernetes=True)
    main = (service / "src" / "book_service" / "main.py").read_text()
    assert 'title="Book Service",' in main
    assert 'title = "Book Service"' in (service / "tests" / "test_main.py").read_text()
    assert (service / "README.md").read_text().startswith("# Book Service\n")
    assert "manifests for Book Service:" in (service / "k8s" / "README.md").read_text()


def test_every_help_text_fits_the_one_line_a_prompt_shows() -> None:
    questions = yaml.safe_load((ROOT / "copier.yml").read_text())
    helps = {
        name: spec["help"]
        for name, spec in questions.items()
        if isinstance(spec, dict) and "help" in spec
    }
    assert len(helps) == 20
    for name, text in helps.items():
        assert "\n" not in text.strip(), name
        assert len(text) <= PROMPT_LINE, (name, len(text))


def test_a_resource_named_after_the_package_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="question 'resources'") as error:
        render(tmp_path / "service", package_name="books", resources=[{"book": ["t str"]}])
    assert 'makes the module "books", the name of the package itself' in str(error.value)


@pytest.mark.parametrize(("answer", "rule"), REFUSED_RESOURCES)
def test_a_bad_resources_answer_is_refused_naming_the_rule(
    tmp_path: Path, answer: Any, rule: str
) -> None:
    with pytest.raises(ValueError, match="question 'resources': resources: ") as error:
        render(tmp_path / "service", resources=answer)
    assert rule in str(error.value)


def refusals_shown(page: str) -> list[tuple[str, str]]:
    """The `--data` answers of docs/questions.md's "Refused answers" and the message shown
    for each, unwrapped: each a text block of the command line, a blank line, the message."""
    section = page.split("### Refused answers\n", 1)[1].split("\n## ", 1)[0]
    shown = []
    for block in re.findall(r"```text\n(.*?)```", section, flags=re.S):
        command, message = block.split("\n\n", 1)
        answer = re.fullmatch(r"--data 'resources=(.*)'", command)
        assert answer is not None, command
        shown.append((answer[1], " ".join(message.split())))
    assert shown, "no refused answer shown"  # else the test below would check nothing
    return shown


@pytest.mark.parametrize("answer", refusals_shown((ROOT / "docs/questions.md").read_text()))
def test_the_refusals_the_docs_show_are_the_validator_s_own(
    tmp_path: Path, answer: tuple[str, str]
) -> None:
    given, shown = answer
    # As --data gives it: the text, which Copier reads as YAML for a YAML question.
    with pytest.raises(ValueError, match="question 'resources': ") as error:
        render(tmp_path / "service", resources=given)
    assert str(error.value).split("question 'resources': ", 1)[1] == shown


def test_a_number_question_given_text_is_refused_by_copier_before_the_validator(
    tmp_path: Path,
) -> None:
    """Copier casts an answer to its question's type first, and its ValueError names no
    question (`cast_answer`, copier/_user_data.py): docs/questions.md shows it as it is."""
    message = "invalid literal for int() with base 10: 'abc'"
    with pytest.raises(ValueError, match=re.escape(message)) as error:
        render(tmp_path / "service", pool_max="abc")
    assert str(error.value) == message  # nothing more: no question named
    shown = f"`ValueError: {message}`"
    assert shown in " ".join((ROOT / "docs/questions.md").read_text().split())


@pytest.mark.parametrize(
    "resources_answer",
    [
        [{"type": ["type str(20)", "match str"]}],  # soft keywords are fine names
        [
            {
                "box": [
                    "a decimal",
                    "b decimal(5)",
                    "c decimal( 5 , 2 )",
                    "d str(1000) optional unique",
                ]
            }
        ],
        [{"customer_loyalty_programme": ["a int"]}],  # 27-byte table: its _pk is 30 bytes
        # Oracle reserved words whose plurals are not: only the plural reaches Oracle.
        [{"order": ["total decimal"]}, {"user": ["email str(254)"]}, {"comment": ["text str"]}],
    ],
)
def test_answers_at_the_edge_of_the_rules_are_accepted(
    tmp_path: Path, resources_answer: list[dict[str, list[str]]]
) -> None:
    assert (render(tmp_path / "service", resources=resources_answer) / "pyproject.toml").exists()


def test_answers_given_as_text_on_the_command_line_are_read_as_their_questions_read_them(
    tmp_path: Path,
) -> None:
    # Smallest sizes, and no manifests: "false" is no, where the text alone would be true.
    sizes = {name: "1" for name in ["executor_workers", "pool_max", "pool_min", "pool_increment"]}
    answers = {"oracle_api": "threadpool", "docker": "false", "kubernetes": "false", **sizes}
    project = render(tmp_path / "service", **answers)
    recorded = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert (recorded["pool_max"], recorded["kubernetes"]) == (1, False)


def test_the_answers_include_knows_every_question_by_name() -> None:
    # includes/answers.jinja refuses an answer under any name but these.
    questions = [
        name for name in yaml.safe_load((ROOT / "copier.yml").read_text()) if name[0] != "_"
    ]
    include = (ROOT / "includes/answers.jinja").read_text()
    listed = include.split("set QUESTIONS = [", 1)[1].split("]", 1)[0]
    assert re.findall(r'"(\w+)"', listed) == questions


def test_yes_and_no_in_the_words_copier_knows_are_taken(tmp_path: Path) -> None:
    answers = {"docker": "off", "kubernetes": "No", "tracing": "YES", "github_actions": "0"}
    project = render(tmp_path / "service", **answers)
    recorded = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert [recorded[name] for name in answers] == [False, False, True, False]


def test_a_service_made_when_github_actions_was_called_ci_keeps_its_answer(
    tmp_path: Path,
) -> None:
    # Before its first release the question was `ci`: an update of a service made then
    # gives `ci` among its recorded answers, as `--data ci=false` gives it here.
    project = render(tmp_path / "service", ci=False)
    recorded = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert recorded["github_actions"] is False
    assert not (project / ".github").exists()


@pytest.mark.parametrize(
    "email", ["first.last+ops@mail.example.co.uk", "a!#$%&*/=?^_{|}~-@b-c.d", "o'neil@example.com"]
)
def test_an_accepted_email_is_one_the_build_reads(tmp_path: Path, email: str) -> None:
    project = render(tmp_path / "service", author_email=email)
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    [author] = pyproject["project"]["authors"]
    # As hatchling reads it (its core metadata, through the standard library's parser).
    assert Address(addr_spec=author["email"]).addr_spec == email


def test_every_module_of_the_service_is_one_no_resource_may_replace() -> None:
    package = ROOT / "template" / "src" / "{{ package_name }}"
    modules = set()
    for entry in package.iterdir():
        name = re.sub(r"{%.*?%}", "", entry.name).removesuffix(".jinja")
        if name.endswith(".py") and not name.startswith("__"):
            modules.add(name.removesuffix(".py"))
    names = (ROOT / "includes" / "names.jinja").read_text()
    listed = names.split("SERVICE_MODULES = [", 1)[1].split("]", 1)[0]
    missing = modules - set(re.findall(r'"([a-z_]+)"', listed))
    assert "db" in modules
    assert not missing, f"add them to SERVICE_MODULES in includes/names.jinja: {missing}"


@pytest.mark.parametrize(
    ("folder", "variable"),
    [("tests", "TEST_MODULES"), ("tests/integration", "INTEGRATION_TEST_MODULES")],
)
def test_every_module_of_the_tests_is_one_no_resource_s_tests_may_replace(
    folder: str, variable: str
) -> None:
    modules = set()
    for entry in (ROOT / "template" / folder).iterdir():
        name = re.sub(r"{%.*?%}", "", entry.name).removesuffix(".jinja").removesuffix(".py")
        if name and not name.startswith("__") and "{{" not in name:
            modules.add(name)
    assert "conftest" in modules
    missing = modules - names_listed(variable)
    assert not missing, f"add them to {variable} in includes/names.jinja: {missing}"


def names_listed(variable: str) -> set[str]:
    """The names includes/names.jinja sets `variable` to."""
    text = (ROOT / "includes" / "names.jinja").read_text()
    return set(re.findall(r'"(\w+)"', text.split(f"{variable} = [", 1)[1].split("]", 1)[0]))


def names_taken_in(project: Path) -> set[str]:
    """The CamelCase names each resource's modules and tests import or define, besides
    the resource's own classes."""
    taken = set()
    for schemas in project.glob("src/*/*/schemas.py"):
        package = schemas.parent
        tree = ast.parse(schemas.read_text())
        own = min((node.name for node in tree.body if isinstance(node, ast.ClassDef)), key=len)
        made = {own + suffix for suffix in ["", "Create", "Update", "Page", "Repository"]}
        made |= {f"{own}RepositoryDep", f"InMemory{own}Repository"}
        tests = project / "tests"
        modules = [*package.glob("*.py"), *(tests / package.name).glob("*.py")]
        modules.append(tests / "integration" / f"test_{package.name}.py")
        for module in modules:
            for node in ast.parse(module.read_text()).body:
                if isinstance(node, ast.Import | ast.ImportFrom):
                    names = [(alias.asname or alias.name).split(".")[0] for alias in node.names]
                elif isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
                    names = [node.name]
                elif isinstance(node, ast.Assign | ast.AnnAssign):
                    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                    names = [target.id for target in targets if isinstance(target, ast.Name)]
                else:
                    names = []
                taken |= {name for name in names if name[0].isupper() and not name.isupper()}
        taken -= made
    return taken


def test_no_resource_makes_a_class_that_replaces_a_name_its_modules_use(
    rendered: Callable[[str], Path],
) -> None:
    taken = set().union(*(names_taken_in(rendered(variant)) for variant in VARIANTS))
    assert {"BaseModel", "OracleRepository", "Timestamp"} <= taken
    missing = taken - names_listed("TAKEN_CLASS_NAMES")
    assert not missing, f"add them to TAKEN_CLASS_NAMES in includes/names.jinja: {missing}"


def test_no_resource_makes_a_schema_named_as_one_of_the_service_s_own() -> None:
    # The committed OpenAPI documents, which test_generated.py keeps equal to the renders':
    # a schema that is no resource's (Book, BookCreate, BookUpdate, BookPage) is the service's.
    own = set()
    for document in (Path(__file__).parent / "openapi").glob("*.json"):
        schemas = set(json.loads(document.read_text())["components"]["schemas"])
        resources = {name.removesuffix("Page") for name in schemas if name.endswith("Page")}
        suffixes = ["", "Create", "Update", "Page"]
        made = {f"{name}{suffix}" for name in resources for suffix in suffixes}
        own |= schemas - made
    assert {"ValidationProblem", "Health"} <= own
    missing = own - names_listed("SERVICE_SCHEMAS")
    assert not missing, f"add them to SERVICE_SCHEMAS in includes/names.jinja: {missing}"


def functions_called_among_fields(project: Path) -> set[str]:
    """The functions each schema's class body and each `from_row` call, by name."""
    called = set()
    for package in project.glob("src/*/*/"):
        schemas, sql = package / "schemas.py", package / "sql.py"
        if not schemas.exists():
            continue
        bodies: list[ast.AST] = [
            n for n in ast.parse(schemas.read_text()).body if isinstance(n, ast.ClassDef)
        ]
        bodies += [
            node
            for node in ast.parse(sql.read_text()).body
            if isinstance(node, ast.FunctionDef) and node.name == "from_row"
        ]
        for body in bodies:
            for node in ast.walk(body):
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                    called.add(node.func.id)
    # What a field may be named: snake_case (ConfigDict, say, is none).
    return {name for name in called if re.fullmatch(r"[a-z][a-z0-9_]*", name)}


def test_no_field_hides_a_function_its_schemas_or_from_row_call(
    rendered: Callable[[str], Path],
) -> None:
    called = set().union(*(functions_called_among_fields(rendered(v)) for v in VARIANTS))
    assert {"stored_number", "int_from_db", "varchar2"} <= called
    # Oracle's reserved words and Python's types are no field's names already.
    refused = names_listed("ORACLE_RESERVED") | names_listed("TYPE_NAMES")
    missing = called - names_listed("FUNCTION_NAMES") - refused
    assert not missing, f"add them to FUNCTION_NAMES in includes/names.jinja: {missing}"


def test_no_table_takes_the_name_of_a_dictionary_view_sqlalchemy_reads() -> None:
    # Each view the Oracle dialect reads, for Alembic's online runs and autogenerate.
    views = {
        table.name.removesuffix(dictionary.DB_LINK_PLACEHOLDER)
        for table in dictionary.dictionary_meta.tables.values()
    }
    assert {"all_tables", "all_views", "all_constraints"} <= views
    missing = views - names_listed("DICTIONARY_VIEWS")
    assert not missing, f"add them to DICTIONARY_VIEWS in includes/names.jinja: {missing}"


def test_the_reserved_modules_hold_the_standard_library_and_every_dependency(
    rendered: Callable[[str], Path],
) -> None:
    listed = set(re.findall(r'"([a-z0-9_]+)"', (ROOT / "includes" / "modules.jinja").read_text()))
    # Every variant's dependencies: tracing's and Kubernetes' add to the defaults'.
    missing = set().union(*(reserved(rendered(variant)) for variant in VARIANTS)) - listed
    assert not missing, f"run `python -m tests.modules > includes/modules.jinja`: {missing}"
