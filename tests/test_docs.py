"""The docs agree with the code: the rendered pages, and this repository's own settings table.

A rendered service carries three template-owned pages (docs/settings.md, layout.md,
how-it-works.md) that `copier update` refreshes, and a short README.md the team owns.
"""

import itertools
import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import ROOT, captured, environment, files, python_module, render
from tests.variants import VARIANTS

PAGES = ["README.md", "docs/settings.md", "docs/layout.md", "docs/how-it-works.md"]
SETTINGS = """
import itertools
import json
from {package}.config import Settings, variable
REQUIRED = "<required>"
print(json.dumps({{
    variable(name): REQUIRED if field.is_required() else field.default
    for name, field in Settings.model_fields.items()
}}))
"""


# A page a rendered file names: the service's own, unless the template's, which the service
# has not (docs/operations.md, say: a message that sent an operator there sent them nowhere).
PAGE_NAMED = re.compile(r"(the template's )?(docs/[\w-]+\.md)")

# A section a file names by its page and heading, "(docs/how-it-works.md, Metrics)", or on
# its own page, "(below, TLS and wallets)": the heading's start, where a line ends first.
SECTION_NAMED = re.compile(r"(the template's )?(docs/[\w-]+\.md), ([A-Z][^\n)]*)")
SECTION_HERE = re.compile(r"\((?:below|above), ([A-Z][^\n)]*)")


def python_code(project: Path, code: str) -> subprocess.CompletedProcess[str]:
    """Run `code` with this environment's Python on the rendered project's src/."""
    return captured([sys.executable, "-c", code], project, environment(PYTHONPATH="src"))


def settings_of(project: Path) -> dict[str, object]:
    """Every setting the rendered config.py reads: its environment variable and default."""
    package = next(project.glob("src/*/config.py")).parent.name
    ran = python_code(project, SETTINGS.format(package=package))
    assert ran.returncode == 0, ran.stderr
    loaded: dict[str, object] = json.loads(ran.stdout)
    return loaded


def table(markdown: str) -> dict[str, list[str]]:
    """The rows of the Markdown tables in a page, by the variable in their first cell."""
    rows = re.findall(r"^\| `([A-Z_]+)` \|(.*)\|$", markdown, flags=re.M)
    return {name: [cell.strip() for cell in rest.split("|")] for name, rest in rows}


def shown(value: object) -> str:
    """How a settings table writes a default."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def prose(markdown: str) -> list[str]:
    """The page's lines, each fenced code block as one line `<code>`."""
    lines, fenced = [], False
    for line in markdown.splitlines():
        if line.startswith("```"):
            fenced = not fenced
            if fenced:
                lines.append("<code>")
        elif not fenced:
            lines.append(line)
    return lines


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_the_settings_page_lists_every_setting_with_its_default(
    rendered: Callable[[str], Path], variant: str
) -> None:
    project = rendered(variant)
    service, migrations = (project / "docs/settings.md").read_text().split("## Migrations")
    rows = table(service)
    settings = settings_of(project)
    assert set(rows) == set(settings)
    # And the one setting of the migrations' own, as migrations/env.py reads it.
    env = (project / "migrations/env.py").read_text()
    assert 'DDL_LOCK_TIMEOUT = "ORACLE_DDL_LOCK_TIMEOUT"' in env
    assert 'os.environ.get(DDL_LOCK_TIMEOUT, "30")' in env
    assert table(migrations)["ORACLE_DDL_LOCK_TIMEOUT"][0] == "`30`"
    for name, default in settings.items():
        cell = rows[name][0]
        if default == "<required>":
            assert "required" in cell, name
        elif default is None:
            assert cell == "none", name  # unset unless given
        else:
            assert cell == f"`{shown(default)}`", (name, cell, default)


def test_the_template_docs_list_every_setting(rendered: Callable[[str], Path]) -> None:
    rows = table((ROOT / "docs/operations.md").read_text())
    for variant in ["defaults", "threadpool"]:  # each mode's settings
        assert set(rows) >= set(settings_of(rendered(variant)))


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_the_layout_page_names_every_module_in_one_aligned_column(
    rendered: Callable[[str], Path], variant: str
) -> None:
    project = rendered(variant)
    page = (project / "docs/layout.md").read_text()
    block = page.split("```text\n", 1)[1].split("```", 1)[0]
    package = next(project.glob("src/*/config.py")).parent
    modules = {
        path.name + ("/" if path.is_dir() else "")
        for path in package.iterdir()
        if path.name not in {"__init__.py", "py.typed", "__pycache__"}
    }
    named = {line.split()[0] for line in block.splitlines()}
    assert modules <= named, modules - named
    assert f"src/{package.name}/" in named
    columns = {
        match.start(2)
        for line in block.splitlines()[1:]
        if (match := re.match(r"^(\s*\S+\s+)(\S)", line))
    }
    assert len(columns) == 1, block


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_the_pages_are_tidy_markdown(rendered: Callable[[str], Path], variant: str) -> None:
    project = rendered(variant)
    for name in PAGES:
        text = (project / name).read_text()
        assert text.endswith("\n"), name
        assert not text.endswith("\n\n"), name
        lines = prose(text)
        assert "\n\n\n" not in "\n".join(lines), name
        for before, line in itertools.pairwise(lines):
            if line.startswith("#"):
                assert before == "", f"{name}: no blank line before {line!r}"
            # Markdown would read a line right after a table as one more row of it.
            after_table = before.startswith("|") and line and not line.startswith("|")
            assert not after_table, f"{name}: no blank line after a table, before {line!r}"
            # And a line right after a quote as more of the quote.
            after_quote = before.startswith(">") and line and not line.startswith(">")
            assert not after_quote, f"{name}: no blank line after a quote, before {line!r}"
    readme = (project / "README.md").read_text()
    description = VARIANTS[variant].get("description", "A FastAPI service on Oracle Database")
    assert readme.count(description) == 1
    assert re.search(re.escape(description) + r"[.!?]\s", readme), "a sentence, ended"


def test_the_example_route_of_how_it_works_passes_the_checks(tmp_path: Path) -> None:
    project = render(tmp_path / "service", docker=False, github_actions=False)
    page = (project / "docs/how-it-works.md").read_text()
    example = re.search(r"```python\n(.*?)```", page, flags=re.S)
    assert example is not None
    (project / "src/book_service/routes.py").write_text(example[1])
    for check in (["ruff", "check", "."], ["ruff", "format", "--check", "."], ["mypy"]):
        ran = python_module(project, *check)
        assert ran.returncode == 0, ran.stdout + ran.stderr
    probe = (
        "from book_service.main import create_app\n"
        "app = create_app()\n"
        "print(sorted(app.openapi()['paths']))\n"
    )
    ran = python_code(project, probe)
    assert ran.returncode == 0, ran.stderr
    assert "/tables/count" in ran.stdout
    # The service's own test of routes.py: its example once made bodies read as floats.
    test = "tests/test_exact_json.py::test_the_router_of_your_own_reads_bodies_exactly"
    ran = python_module(project, "pytest", "-q", test, PYTHONPATH="src")
    assert ran.returncode == 0, ran.stdout + ran.stderr


def test_the_example_test_of_the_readme_passes_as_a_test_of_the_service(tmp_path: Path) -> None:
    # A team's first test, as the README writes it: an `async def` with no marker of its own.
    project = render(tmp_path / "service", docker=False, github_actions=False)
    example = re.search(r"```python\n(.*?)```", (project / "README.md").read_text(), flags=re.S)
    assert example is not None
    (project / "tests/test_example.py").write_text(example[1])
    for check in (["ruff", "check", "."], ["ruff", "format", "--check", "."], ["mypy"]):
        ran = python_module(project, *check)
        assert ran.returncode == 0, ran.stdout + ran.stderr
    ran = python_module(project, "pytest", "-q", "tests/test_example.py", PYTHONPATH="src")
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "1 passed" in ran.stdout


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_page_a_file_names_is_the_service_s_or_said_to_be_the_template_s(
    rendered: Callable[[str], Path], variant: str
) -> None:
    project = rendered(variant)
    for name in files(project):
        for template_s, page in PAGE_NAMED.findall((project / name).read_text()):
            assert template_s or (project / page).is_file(), f"{name} names {page}"


def headings(page: Path) -> list[str]:
    return [line.lstrip("#").strip() for line in page.read_text().splitlines() if line[:1] == "#"]


def names_one(named: str, page: Path) -> bool:
    """Whether `named`, the text after a page's name, starts with one of its headings, or is
    the start of one (the line ended within it)."""
    return any(named.startswith(h) or h.startswith(named.strip()) for h in headings(page))


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_every_section_a_file_names_is_on_its_page(
    rendered: Callable[[str], Path], variant: str
) -> None:
    # The settings page of the asyncio mode sent its reader to "TLS and wallets", below,
    # which only the threadpool mode's had.
    project = rendered(variant)
    for name in files(project):
        text = (project / name).read_text()
        for template_s, page, named in SECTION_NAMED.findall(text):
            found = (ROOT if template_s else project) / page
            assert names_one(named, found), f"{name} names {page}, {named}"
        for named in SECTION_HERE.findall(text):
            assert names_one(named, project / name), f"{name} names {named}, on its page"


def test_the_error_table_lists_every_code_the_service_answers(
    rendered: Callable[[str], Path],
) -> None:
    # The threadpool mode's problems.py has every code: thick mode's besides thin mode's.
    problems = (rendered("threadpool") / "src/book_service/problems.py").read_text()
    answered = set(re.findall(r'^    "((?:ORA|DPY)-\d{4,5})": \(HTTPStatus', problems, re.M))
    page = (ROOT / "docs/architecture.md").read_text()
    table = "\n".join(line for line in page.splitlines() if line.startswith("| "))
    assert len(answered) > 50
    assert sorted(code for code in answered if code not in table) == []
