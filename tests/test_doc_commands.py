"""Every shell command the docs show is accounted for, and the Copier ones run as written.

The docs are this README, docs/*.md, and the README and pages a render writes. Each
`copier copy` (and `scripts/render`) runs here in a clone of this checkout; the service
it makes is committed, the template gets a newer tag, and `copier update --defaults`, run
inside the service, must reach it. Each `copier update` runs as written in a service
rendered from an older tag. Every other command names the test that runs it, or why it
cannot run here; a command added to the docs with neither fails this module.
"""

import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT, captured, environment
from tests.repos import checkout_copy, commit, git

TOOLS = Path(sys.executable).parent  # copier, uv and the rest of this environment
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
RENDERED_PAGES = ["README.md", "docs/settings.md", "docs/layout.md", "docs/how-it-works.md"]
ORACLE = (
    "cannot run here, it needs a real Oracle; the generated CI runs it against gvenzl/oracle-free"
)
# Commands tests/test_install.py runs, as written, in a rendered project it installed fresh.
IN_A_FRESH_PROJECT = [
    r"cp \.env\.example \.env",
    r"scripts/migrate --sql( > migrate\.sql)?",
    r"uv run alembic upgrade books:head --sql",
    r'uv run alembic revision -m "[^"]+"',
    r"uv run ruff format migrations",
    r"scripts/serve",
    r"scripts/serve --log-config logging\.yaml",
]
# How each command that this module does not run is proven: the test that runs it, or
# why it cannot run here and what proves it instead.
PROVEN: list[tuple[str, str]] = [
    *((pattern, "tests/test_install.py") for pattern in IN_A_FRESH_PROJECT),
    (r"scripts/test", "tests/test_install.py (a rendered one); .ci/run (this repository's)"),
    (r"(set -a && \. \./\.env && set \+a && )?scripts/test -m oracle", ORACLE),
    (r"scripts/migrate", ORACLE),
    (r"scripts/wait-for-oracle 600 && scripts/migrate", ORACLE),
    (r"uv run alembic current", ORACLE),
    (r'sqlplus -S -L "\S+" @migrate\.sql < /dev/null', ORACLE + ", with SQL*Plus"),
    (r"export ORACLE_DSN=\S+ ORACLE_USER=\S+ ORACLE_PASSWORD=\.\.\.", ORACLE),
    (r"scripts/bench( --quick)?", "scripts/bench itself: it needs wrk and minutes, not CI"),
    (r"docker (compose|build|run) .*", "cannot run here, no Docker engine: tests/test_docker.py"),
    (r"copier update", "cannot run here: it asks every question at a terminal"),
    (r"git checkout HEAD -- migrations/versions/authors\.py", "tests/test_update_answers.py"),
    (
        r'git add answers\.yml && git commit -m "Our answers file"',
        "tests/test_doc_commands.py: each documented update commits the answers file first",
    ),
    (r"TEMPLATE=\S+", "sets where the template is; these tests set TEMPLATE to their clone"),
]


def commands(markdown: str) -> list[str]:
    """The commands of the page's bash blocks, one per logical line, comments removed."""
    found = []
    for block in re.findall(r"^```bash\n(.*?)^```", markdown, flags=re.S | re.M):
        pending = ""
        for line in block.splitlines():
            pending = f"{pending}\n{line}" if pending else line
            if pending.endswith("\\"):
                continue
            try:
                shlex.split(pending, comments=True)
            except ValueError:  # a quote still open: the command goes on
                continue
            found.append(re.sub(r"\s{2,}# .*$", "", pending).strip())  # the docs' comments
            pending = ""
    return found


def yaml_block(markdown: str, name: str) -> str:
    """The YAML block of the page whose first line is `# NAME`."""
    match = re.search(rf"^```yaml\n# {re.escape(name)}\n(.*?)^```", markdown, re.S | re.M)
    assert match is not None, name
    return match[1]


# The commands this module runs itself: the copies, and the updates that ask nothing.
COPIES = ("copier copy ", "scripts/render ")
UPDATES = ("copier update --defaults",)


def documented(project: Path | None = None) -> list[str]:
    """Every command of this repository's docs, and of a rendered project's pages, once."""
    pages = PAGES + ([project / page for page in RENDERED_PAGES] if project else [])
    return list(dict.fromkeys(command for page in pages for command in commands(page.read_text())))


def test_every_command_in_the_docs_is_run_or_says_why_not(
    rendered: Callable[[str], Path],
) -> None:
    project = rendered("defaults")
    every = documented(project)
    assert any(command.startswith("copier copy ") for command in every)
    for command in every:
        if command.startswith(COPIES + UPDATES):
            continue
        one_line = re.sub(r"\\\n\s*", "", command)
        proofs = [proof for pattern, proof in PROVEN if re.fullmatch(pattern, one_line)]
        assert proofs, f"no test runs {command!r}: run it, or say in PROVEN why not"


@pytest.fixture
def template(tmp_path: Path) -> Path:
    """A clone of this checkout (uncommitted changes included), tagged v0.1.0."""
    repo = checkout_copy(tmp_path / "copier-fastapi-oracle")
    commit(repo, "v0.1.0")
    git(repo, "tag", "v0.1.0")
    # scripts/render's setup then finds this environment ready, with its lock: nothing to do.
    (repo / ".venv").symlink_to(ROOT / ".venv")
    shutil.copy2(ROOT / "uv.lock", repo / "uv.lock")
    (repo / ".git/info/exclude").write_text(".venv\n")  # a link, which `.venv/` misses
    return repo


def tag(template: Path, *versions: str) -> None:
    """Newer versions of the template: a line more in the rendered .gitignore for each."""
    for version in versions:
        gitignore = template / "template/.gitignore"
        gitignore.write_text(f"{gitignore.read_text()}# {version}\n")
        commit(template, version)
        git(template, "tag", version)


def shell(command: str, cwd: Path, template: Path) -> subprocess.CompletedProcess[str]:
    """Run a documented command with bash, this environment's tools first on PATH."""
    env = environment(
        PATH=f"{TOOLS}{os.pathsep}{os.environ['PATH']}",
        TEMPLATE=str(template),
        GIT_AUTHOR_NAME="t",
        GIT_AUTHOR_EMAIL="t@example.com",
        GIT_COMMITTER_NAME="t",
        GIT_COMMITTER_EMAIL="t@example.com",
    )
    return captured(["bash", "-c", command], cwd, env)


def answers_file(cwd: Path) -> None:
    """The answers.yml a command reads: the one the page next to it shows."""
    page = "updating.md" if (cwd / ".copier-answers.yml").exists() else "questions.md"
    (cwd / "answers.yml").write_text(yaml_block((ROOT / "docs" / page).read_text(), "answers.yml"))


def copies() -> list[str]:
    return [command for command in documented() if command.startswith(COPIES)]


def updates() -> list[str]:
    return [command for command in documented() if command.startswith(UPDATES)]


@pytest.mark.parametrize("command", copies())
def test_a_documented_copy_makes_a_service_update_can_reach(
    template: Path, tmp_path: Path, command: str
) -> None:
    # scripts/render runs from the clone; the rest from anywhere else, TEMPLATE naming it.
    cwd = template if command.startswith("scripts/") else tmp_path / "work"
    cwd.mkdir(exist_ok=True)
    if "--data-file" in command:
        answers_file(cwd)
    copied = shell(command, cwd, template)
    assert copied.returncode == 0, copied.stderr[-3000:]
    assert "Warning: the template's path" not in copied.stderr
    [service] = [
        path.parent
        for pattern in ("*/.copier-answers.yml", "work/*/.copier-answers.yml")
        for path in tmp_path.glob(pattern)
    ]
    git(service, "init", "-q")
    commit(service, "render")
    tag(template, "v0.2.0")
    updated = shell("copier update --defaults", service, template)
    assert updated.returncode == 0, updated.stderr[-3000:]
    assert yaml.safe_load((service / ".copier-answers.yml").read_text())["_commit"] == "v0.2.0"
    assert "# v0.2.0" in (service / ".gitignore").read_text()
    assert "is now at template version v0.2.0." in updated.stderr


def test_scripts_render_of_a_clone_with_uncommitted_changes_renders_its_last_commit(
    template: Path, tmp_path: Path
) -> None:
    # With --vcs-ref=HEAD Copier took the change along, and recorded a commit that exists
    # nowhere: the service's first `copier update` stopped with "Unknown revision".
    readme = template / "template/README.md.jinja"
    readme.write_text(readme.read_text() + "uncommitted\n")
    rendered = shell(f"scripts/render {tmp_path / 'service'}", template, template)
    assert rendered.returncode == 0, rendered.stderr[-3000:]
    assert "the template has uncommitted changes; rendering its last commit" in rendered.stderr
    assert "uncommitted" not in (tmp_path / "service/README.md").read_text()
    recorded = yaml.safe_load((tmp_path / "service/.copier-answers.yml").read_text())
    assert recorded["_commit"] == "v0.1.0"


def test_a_relative_template_path_is_caught_at_copy_time(template: Path) -> None:
    copied = shell("copier copy --defaults . ../relative", template, template)
    assert copied.returncode == 0, copied.stderr[-3000:]
    assert 'Warning: the template\'s path was given as ".", relative to' in copied.stderr


@pytest.mark.parametrize("command", updates())
def test_a_documented_update_runs_as_written(template: Path, tmp_path: Path, command: str) -> None:
    service = tmp_path / "service"
    copied = shell(f'copier copy --defaults "$TEMPLATE" {service}', tmp_path, template)
    assert copied.returncode == 0, copied.stderr[-3000:]
    git(service, "init", "-q")
    commit(service, "render")
    tag(template, "v0.2.0", "v0.3.0")  # v0.2.0 is the docs' example of a given version
    answers_file(service)
    git(service, "add", "answers.yml")  # kept with the service, as the docs suggest
    commit(service, "our answers file")
    updated = shell(command, service, template)
    assert updated.returncode == 0, updated.stderr[-3000:]
    recorded = yaml.safe_load((service / ".copier-answers.yml").read_text())
    expected = re.search(r"--vcs-ref[= ](\S+)", command)
    version = {None: "v0.3.0", ":current:": "v0.1.0"}.get(expected and expected[1], "v0.2.0")
    assert recorded["_commit"] == version
    assert f"is now at template version {version}." in updated.stderr
    if "resources" in command or "--data-file" in command:
        assert [next(iter(r)) for r in recorded["resources"]] == ["book", "author"]
        assert (service / "src/book_service/authors/router.py").exists()
    if "pool_max=16" in command:
        assert (recorded["pool_max"], recorded["pool_min"]) == (16, 16)
    if mode := re.search(r"oracle_api=(\w+)", command):
        assert recorded["oracle_api"] == mode[1]
