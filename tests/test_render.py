"""What each set of answers renders: which files, and what the answers set in them."""

import os
import re
import subprocess
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT, files
from tests.variants import EVERY_TYPE, VARIANTS

RESOURCE_FILES = [
    "__init__.py",
    "schemas.py",
    "sql.py",
    "repository.py",
    "dependencies.py",
    "router.py",
]
RESOURCE_TESTS = [
    "__init__.py",
    "conftest.py",
    "factories.py",
    "fakes.py",
    "test_router.py",
    "test_sql.py",
    "test_storage.py",
    "test_the_loop.py",
]
# Characters Windows refuses in a file name, and the names it reserves.
WINDOWS_FORBIDDEN = re.compile(r'[<>:"\\|?*\x00-\x1f]')
WINDOWS_RESERVED = re.compile(r"^(con|prn|aux|nul|com\d|lpt\d)(\..*)?$", re.IGNORECASE)


def test_defaults_render_a_small_fastapi_project(rendered: Callable[[str], Path]) -> None:
    package = "src/book_service"
    assert files(rendered("defaults")) == {
        ".copier-answers.yml",
        ".dockerignore",
        ".env.example",
        ".github/dependabot.yml",
        ".github/workflows/ci.yml",
        ".gitignore",
        "Dockerfile",
        "README.md",
        "alembic.ini",
        "compose.yaml",
        "pyproject.toml",
        "migrations/__init__.py",
        "migrations/env.py",
        "migrations/script.py.mako",
        "migrations/versions/__init__.py",
        "migrations/versions/books.py",
        "scripts/migrate",
        "scripts/serve",
        "scripts/test",
        "scripts/wait-for-oracle",
        "scripts/need-uv",
        ".python-version",
        *(f"{package}/{name}" for name in ["__init__.py", "__main__.py", "cli.py", "main.py"]),
        *(f"{package}/{name}" for name in ["config.py", "db.py", "errors.py", "health.py"]),
        f"{package}/py.typed",
        f"{package}/api.py",
        f"{package}/problems.py",
        f"{package}/columns.py",
        f"{package}/request_head.py",
        f"{package}/request_id.py",
        f"{package}/log_config.json",
        f"{package}/metrics.py",
        f"{package}/disconnect.py",
        f"{package}/shutdown.py",
        f"{package}/body_limit.py",
        f"{package}/request_target.py",
        f"{package}/cpu.py",
        f"{package}/exact_json.py",
        f"{package}/login_gate.py",
        f"{package}/routes.py",
        f"{package}/paging.py",
        f"{package}/storage.py",
        *(f"{package}/{name}" for name in ["bridge.py", "statements.py", "tables.py"]),
        "tests/calls.py",
        "tests/test_bridge.py",
        "tests/fakes.py",
        "tests/helpers.py",
        *(f"docs/{name}.md" for name in ["settings", "layout", "how-it-works"]),
        *(f"{package}/books/{name}" for name in RESOURCE_FILES),
        *(f"tests/{name}" for name in ["__init__.py", "conftest.py", "standins.py"]),
        *(f"tests/{name}" for name in ["test_config.py", "test_db.py", "test_errors.py"]),
        *(f"tests/{name}" for name in ["test_event_loop.py", "test_health.py", "test_main.py"]),
        "tests/test_oracle_errors.py",
        "tests/test_request_head.py",
        "tests/test_request_id.py",
        "tests/test_entry_point.py",
        "tests/test_metrics.py",
        "tests/test_disconnect.py",
        "tests/test_shutdown.py",
        "tests/test_stuck_pool.py",
        "tests/test_body_limit.py",
        "tests/test_request_target.py",
        "tests/test_revisions.py",
        "tests/test_files.py",
        "tests/test_standins.py",
        "tests/test_cpu.py",
        "tests/test_exact_json.py",
        *(f"tests/books/{name}" for name in RESOURCE_TESTS),
        "tests/integration/__init__.py",
        "tests/integration/conftest.py",
        "tests/integration/test_database.py",
        "tests/integration/test_books.py",
        "tests/integration/test_drcp.py",
        "tests/integration/test_errors.py",
        "tests/integration/test_migrations.py",
    }


@pytest.mark.parametrize(
    ("variant", "packages"),
    [
        ("every-type", ["authors", "invoices", "categories"]),
        ("one-of-each", ["statuses", "boxes", "companies"]),
        ("long-names", ["customer_loyalty_programmes", "tiers", "shipments"]),
    ],
)
def test_each_resource_gets_a_package_its_tests_and_a_router(
    rendered: Callable[[str], Path], variant: str, packages: list[str]
) -> None:
    project = rendered(variant)
    package = next((project / "src").iterdir())
    rendered_packages = {path.parent.name for path in package.glob("*/router.py")}
    assert rendered_packages == set(packages)
    api = (package / "api.py").read_text()
    for name in packages:
        assert {path.name for path in (package / name).iterdir()} >= set(RESOURCE_FILES)
        assert {path.name for path in (project / "tests" / name).iterdir()} >= set(RESOURCE_TESTS)
        assert f"    {name}_router,\n" in api


@pytest.mark.parametrize("variant", VARIANTS)
def test_no_jinja_is_left_in_any_file(rendered: Callable[[str], Path], variant: str) -> None:
    project = rendered(variant)
    for name in files(project):
        text = (project / name).read_text()
        # GitHub's own expressions, ${{ ... }}, are meant to be there.
        assert not re.search(r"(?<!\$)\{\{|\{%|\{#|%\}|#\}", text), name


# A check's finding silenced where it is found: a render passes its checks as it is.
SILENCED = re.compile(r"#\s*(noqa\b|type:\s*ignore\b|pragma:\s*no\s*cover\b)")


@pytest.mark.parametrize("variant", VARIANTS)
def test_no_file_silences_a_check(rendered: Callable[[str], Path], variant: str) -> None:
    project = rendered(variant)
    for name in files(project):
        text = (project / name).read_text()
        assert not SILENCED.search(text), name


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_path_is_valid_on_windows(rendered: Callable[[str], Path], variant: str) -> None:
    for name in files(rendered(variant)):
        for part in name.split("/"):
            assert not WINDOWS_FORBIDDEN.search(part), name
            assert not WINDOWS_RESERVED.match(part), name
            assert not part.endswith((" ", ".")), name


def test_the_answers_file_keeps_every_answer_in_order_and_no_derived_one(
    rendered: Callable[[str], Path],
) -> None:
    answers = yaml.safe_load((rendered("every-type") / ".copier-answers.yml").read_text())
    assert answers["resources"] == EVERY_TYPE
    assert answers["python_version"] == "3.11"
    assert "resource_specs" not in answers
    assert answers["_src_path"]


@pytest.mark.parametrize(
    ("variant", "version"), [("every-type", "3.11"), ("defaults", "3.12"), ("one-of-each", "3.13")]
)
def test_the_python_version_sets_requires_python_and_tool_targets(
    rendered: Callable[[str], Path], variant: str, version: str
) -> None:
    pyproject = tomllib.loads((rendered(variant) / "pyproject.toml").read_text())
    assert pyproject["project"]["requires-python"] == f">={version}"
    assert pyproject["tool"]["ruff"]["target-version"] == "py" + version.replace(".", "")
    assert pyproject["tool"]["mypy"]["python_version"] == version


def test_the_sizes_become_the_settings_defaults(rendered: Callable[[str], Path]) -> None:
    example = (rendered("one-of-each") / ".env.example").read_text()
    for line in [
        "# ORACLE_EXECUTOR_WORKERS=1",
        "# ORACLE_POOL_MIN=1",
        "# ORACLE_POOL_MAX=1",
        "# ORACLE_POOL_INCREMENT=1",
    ]:
        assert line in example.splitlines()
    config = next((rendered("one-of-each") / "src").glob("*/config.py")).read_text()
    assert "executor_workers: Threads = 1\n" in config


def test_the_default_pool_follows_the_executor(tmp_path: Path) -> None:
    from tests.conftest import render

    example = (render(tmp_path / "service", executor_workers=24) / ".env.example").read_text()
    assert "# ORACLE_POOL_MAX=24" in example.splitlines()
    assert "# ORACLE_POOL_MIN=24" in example.splitlines()  # a fixed-size pool


def test_a_wide_resource_s_storage_tests_grow_with_its_kinds_of_field_not_its_fields(
    tmp_path: Path,
) -> None:
    """Each of those tests posts every field: tested with every form for every field, a
    resource of 200 fields had 2 670 tests, 274 s and 1.8 GB, where its six kinds need the
    tests of six fields."""
    from tests.conftest import python_module, render

    kinds = ["str(30) optional", "decimal(12,9)", "bool", "date", "timestamp", "int optional"]
    narrow = [f"field_{n} {kind}" for n, kind in enumerate(kinds)]
    wide = [f"field_{n} {kind}" for n, kind in enumerate(kinds * 8)]
    project = render(tmp_path / "service", resources=[{"narrow": narrow}, {"wide": wide}])
    test_files = [f"tests/{plural}/test_storage.py" for plural in ("narrows", "wides")]
    result = python_module(project, "pytest", "--collect-only", "-q", *test_files, PYTHONPATH="src")
    assert result.returncode == 0, result.stdout + result.stderr
    narrows, wides = (result.stdout.count(f"{name}::") for name in test_files)
    assert narrows > 100  # each field's forms, as before
    assert wides == narrows


def test_resources_numbered_alike_are_imported_in_the_order_ruff_sorts_them(
    tmp_path: Path,
) -> None:
    # ruff's isort reads a run of digits as a number: report2s before report10s, which
    # text puts after; api.py imports every router, and every import the template
    # writes of the resources' modules and names is in ruff's order.
    from tests.conftest import python_module, render

    names = ["report10", "report2", "item_10", "item_2", "item9"]
    project = render(tmp_path / "service", resources=[{name: ["title str(20)"]} for name in names])
    for check in (["check", "--no-cache"], ["format", "--no-cache", "--check"]):
        result = python_module(project, "ruff", *check, ".")
        assert result.returncode == 0, result.stdout + result.stderr


def test_tracing_adds_its_module_its_tests_and_its_dependencies(tmp_path: Path) -> None:
    from tests.conftest import render

    project = render(tmp_path / "service", tracing=True)
    rendered = files(project)
    assert {"src/book_service/tracing.py", "tests/test_tracing.py"} <= rendered
    dependencies = tomllib.loads((project / "pyproject.toml").read_text())["project"]
    assert "opentelemetry-sdk>=1.44" in dependencies["dependencies"]
    assert "src/book_service/tracing.py" not in files(render(tmp_path / "plain"))


@pytest.mark.parametrize("package", ["build", "dist", "htmlcov"])
def test_the_gitignore_ignores_no_file_the_render_makes(tmp_path: Path, package: str) -> None:
    # Its `build/` matched src/build/ too: a service of that name committed none of its code.
    from tests.conftest import render

    project = render(tmp_path / "service", package_name=package)
    subprocess.run(["git", "init", "-q"], cwd=project, check=True)
    listed = ["git", "ls-files", "--others", "--ignored", "--exclude-standard"]
    ignored = subprocess.run(listed, cwd=project, capture_output=True, text=True, check=True)
    assert ignored.stdout == ""


def test_scripts_are_executable(rendered: Callable[[str], Path]) -> None:
    for script in (rendered("defaults") / "scripts").iterdir():
        assert os.access(script, os.X_OK), script


def test_every_sql_statement_uses_bind_variables_only(rendered: Callable[[str], Path]) -> None:
    for sql in (rendered("every-type") / "src").glob("*/*/sql.py"):
        text = sql.read_text()
        assert not re.search(r'\bf"|\.format\(|%s', text), sql  # no SQL built from strings
        assert "OFFSET :offset ROWS FETCH NEXT :limit ROWS ONLY" in text
        # Writes return every column as stored, so they answer what a read gives back.
        assert re.search(r"RETURNING id, version, [^:]*\nINTO :ret_0, :ret_1, ", text), sql


def test_the_templates_own_paths_are_valid_on_windows() -> None:
    """Cloning this repository on Windows works: no path holds a character it refuses."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    assert listed
    for name in listed:
        for part in name.split("/"):
            assert not WINDOWS_FORBIDDEN.search(part), name
            assert not part.endswith((" ", ".")), name


def test_the_answers_file_holds_the_questions_answers_and_nothing_secret(
    rendered: Callable[[str], Path],
) -> None:
    questions = {
        name
        for name, question in yaml.safe_load((ROOT / "copier.yml").read_text()).items()
        if not name.startswith("_") and question.get("when") is not False
    }
    # Each mode asks only its own sizes.
    only = {"asyncio": {"pool_queue"}, "threadpool": {"executor_workers", "executor_queue"}}
    for variant, mode in [("defaults", "asyncio"), ("threadpool", "threadpool")]:
        answers = yaml.safe_load((rendered(variant) / ".copier-answers.yml").read_text())
        asked = questions - {name for other in only if other != mode for name in only[other]}
        assert set(answers) == asked | {"_commit", "_src_path"}
        assert answers["oracle_api"] == mode
    assert not [name for name in answers if re.search("password|secret|token", name)]


@pytest.mark.parametrize(
    ("description", "line"),
    [
        ("", "A FastAPI service on Oracle Database."),  # not " A FastAPI ...", blank first
        ("Books for all", "Books for all. A FastAPI service on Oracle Database."),
        ("Books!", "Books! A FastAPI service on Oracle Database."),
    ],
)
def test_the_readme_s_first_line_is_the_description_then_what_the_service_is(
    tmp_path: Path, description: str, line: str
) -> None:
    from tests.conftest import render

    readme = (render(tmp_path / "service", description=description) / "README.md").read_text()
    assert readme.splitlines()[2:4] == [line, ""]


def test_the_next_steps_after_a_copy_quote_a_destination_the_shell_would_split(
    tmp_path: Path,
) -> None:
    destination = tmp_path / "my service"
    command = [str(ROOT / ".venv/bin/copier"), "copy", "--defaults", "--vcs-ref=HEAD"]
    done = subprocess.run(
        [*command, str(ROOT), str(destination)], capture_output=True, text=True, check=True
    )
    assert f"\n  cd '{destination}'\n" in done.stderr


def test_the_next_steps_after_a_copy_over_a_service_keep_its_env_and_ask_for_a_review(
    tmp_path: Path,
) -> None:
    # `copier recopy` runs as a copy: its steps were a new service's, whose `cp` wrote the
    # example over the team's .env, and whose commit took every file it wrote over unread.
    destination = tmp_path / "service"
    copier = str(ROOT / ".venv/bin/copier")
    command = [copier, "copy", "--defaults", "--vcs-ref=HEAD", str(ROOT), str(destination)]
    first = subprocess.run(command, capture_output=True, text=True, check=True)
    assert "\n  cp .env.example .env " in first.stderr
    again = subprocess.run(
        [copier, "recopy", "--defaults", "--overwrite", "--vcs-ref=HEAD"],
        cwd=destination,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "\n  [ -e .env ] || cp .env.example .env " in again.stderr
    assert "git diff" in again.stderr
    assert "git add -A" not in again.stderr
