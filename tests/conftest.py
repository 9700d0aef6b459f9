"""Rendering helpers shared by the template's tests."""

import functools
import os
import subprocess
import sys
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import copier
import jinja2
import pytest
from copier._main import Worker

from tests.variants import VARIANTS

ROOT = Path(__file__).resolve().parent.parent


def render(destination: Path, **data: Any) -> Path:
    """Render this checkout (uncommitted changes included) with `data`, defaults elsewhere."""
    with warnings.catch_warnings():
        # Rendering a checkout with local edits is the point while developing.
        warnings.simplefilter("ignore", copier.errors.DirtyLocalWarning)
        copier.run_copy(
            str(ROOT),
            destination,
            data=data,
            defaults=True,
            vcs_ref="HEAD",
            quiet=True,
            unsafe=False,
        )
    return destination


@pytest.fixture(scope="session")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """Renders a variant of tests/variants.py on first use, then hands back the same one."""
    projects: dict[str, Path] = {}

    def project(variant: str) -> Path:
        if variant not in projects:
            destination = tmp_path_factory.mktemp(variant) / "service"
            projects[variant] = render(destination, **VARIANTS[variant])
        return projects[variant]

    return project


def files(project: Path) -> set[str]:
    """Every file a render produced, as POSIX paths relative to the project."""
    return {path.relative_to(project).as_posix() for path in project.rglob("*") if path.is_file()}


# Plugins of this environment's pytest that no rendered project uses (its own environment,
# tests/test_install.py's, has neither): loaded in each of the run's many pytest processes
# of rendered projects, they cost a second of CPU apiece, 4 s in each whole suite.
NOT_THE_PROJECT_S = "-p no:schemathesis -p no:hypothesispytest"


def environment(**overrides: str) -> dict[str, str]:
    """This process's environment, for running a rendered project's tools."""
    given = os.environ.get("PYTEST_ADDOPTS", "")
    return {**os.environ, "PYTEST_ADDOPTS": f"{given} {NOT_THE_PROJECT_S}".strip(), **overrides}


def captured(
    args: list[str], cwd: Path, env: dict[str, str], timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    """Run a command in `cwd` with `env`, its output captured as text, never raising."""
    return subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def python_module(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """`python -m ARGS` from this environment in `cwd`, output captured, never raising."""
    return captured([sys.executable, "-m", *args], cwd, environment(**env))


# A rendered project's whole suite, as the template's tests run it: two xdist workers. Its
# tests mostly wait on the timeouts they test (about 30 s of CPU in 100 s alone), so two at
# a time halve the wall time. Its own scripts/test runs them one at a time (test_install.py).
WHOLE_SUITE = ["pytest", "-p", "no:cacheprovider", "-n", "2"]


@pytest.fixture(scope="session", autouse=True)
def one_mypy_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """One mypy cache for every render a worker checks (MYPY_CACHE_DIR, which the rendered
    projects' mypy reads): their third-party modules are the same, and checked afresh they
    were 13 of a render's 15 s of mypy. A render's own modules are checked again wherever
    their path or content differs (mypy reads the hash of a file whose path or mtime is
    not the cache's); each xdist worker has a cache of its own (its basetemp), so no two
    mypy processes write one at once."""
    os.environ["MYPY_CACHE_DIR"] = str(tmp_path_factory.getbasetemp() / "mypy-cache")


class CompiledTemplates(jinja2.BytecodeCache):
    """Each template file's compiled code, by its name, as long as its source is the same
    (Jinja checks it). Copier compiles every file of the template again for each render
    (3 s of a render's 4.2 s of CPU, profiled), each from a clone of its own: a cache
    keyed by the file's path, as Jinja's own are, would never be read."""

    def __init__(self) -> None:
        self.code: dict[str, bytes] = {}

    def get_cache_key(self, name: str, filename: str | None = None) -> str:
        return name

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        code = self.code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self.code[bucket.key] = bucket.bytecode_to_string()


@pytest.fixture(scope="session", autouse=True)
def templates_compiled_once() -> Iterator[None]:
    """Renders in this process share their templates' compiled code: one cache for each
    Jinja configuration (a template's `_envops` and extensions) that renders meet."""
    caches: dict[str, CompiledTemplates] = {}
    made: functools.cached_property[jinja2.sandbox.SandboxedEnvironment]
    made = Worker.__dict__["jinja_env"]

    def with_compiled_templates(worker: Worker) -> jinja2.sandbox.SandboxedEnvironment:
        environment = made.func(worker)
        configuration = repr((worker.template.envops, worker.template.jinja_extensions))
        environment.bytecode_cache = caches.setdefault(configuration, CompiledTemplates())
        return environment

    patched = functools.cached_property(with_compiled_templates)
    patched.__set_name__(Worker, "jinja_env")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Worker, "jinja_env", patched)
        yield


@pytest.fixture(scope="session")
def oracle_configured() -> bool:
    """Whether a real Oracle is configured, so the generated integration suites run."""
    return all(os.environ.get(name) for name in ("ORACLE_DSN", "ORACLE_USER", "ORACLE_PASSWORD"))


# The tests that take longest, a minute or more each (scripts/test --durations=50): first,
# so that the two xdist workers end on the many short ones, at about the same time. In the
# order collected, pytest-xdist hands them out where they fall, and one started late ran
# on alone while the other worker had nothing left.
LONGEST_FIRST = (
    "tests/test_install.py::test_scripts_test_passes_in_a_fresh_environment",
    "tests/test_answers.py::test_answers_at_the_edges",
    "tests/test_generated.py::test_its_own_tests_pass",
    "tests/test_update_answers.py::test_an_update_switches",
    "tests/test_contract.py::",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        ranks = (n for n, prefix in enumerate(LONGEST_FIRST) if item.nodeid.startswith(prefix))
        return next(ranks, len(LONGEST_FIRST))

    items.sort(key=rank)  # stable: the rest keep their order


# What the rendered projects' own pytest runs reported, shown at the end of this run: their
# Oracle integration suites skip here, and the summary says so rather than hiding it.
generated_summaries: list[str] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when != "call":
        return
    generated_summaries.extend(
        str(value) for name, value in report.user_properties if name == "generated_summary"
    )


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if generated_summaries:
        terminalreporter.section("rendered projects' own pytest runs")
        for line in sorted(generated_summaries):
            terminalreporter.write_line(line)
