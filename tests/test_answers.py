"""Every answer the questions accept renders a project that passes its own checks.

Hypothesis draws whole sets of answers: names and text in any script, resources with any
mix of field types, sizes and flags, either mode with its sizes, the optional files. An
answer a validator refuses is set aside (it was refused with a message, which
test_questions.py checks); every other one must render a project whose own ruff, ruff
format, mypy and pytest pass. Each example costs about a minute, so CI draws one, besides
the answers at the edges below, to keep its run near 20 minutes on two cores;
`ANSWERS_EXAMPLES=50 scripts/test tests/test_answers.py` draws more.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, event, given, note, settings
from hypothesis import strategies as st

from tests.conftest import WHOLE_SUITE, environment, render

EXAMPLES = int(os.environ.get("ANSWERS_EXAMPLES", "1"))
TYPES = ["str", "int", "decimal", "bool", "date", "timestamp"]

# snake_case names, short enough that a constraint name fits Oracle's 30 bytes
names = st.from_regex(r"[a-z][a-z0-9]{0,5}(_[a-z0-9]{1,4})?", fullmatch=True)
# one line of printable text in any script, without the two characters TOML and Python
# strings would need escaped
text = st.text(
    st.characters(exclude_categories=["C", "Zl", "Zp"], exclude_characters='"\\'),
    min_size=1,
    max_size=40,
).filter(lambda value: value.strip() and value.isprintable())


@st.composite
def field(draw: st.DrawFn) -> str:
    name, kind = draw(names), draw(st.sampled_from(TYPES))
    size = ""
    if kind == "str":
        size = f"({draw(st.integers(1, 1000))})"
    elif kind == "decimal":
        precision = draw(st.integers(1, 38))
        size = f"({precision},{draw(st.integers(0, precision))})"
    # A unique bool is refused (two rows at most); it would only waste the draw.
    flags = draw(st.lists(st.sampled_from(["optional", "unique"]), unique=True))
    if kind == "bool" and "unique" in flags:
        flags.remove("unique")
    return " ".join([name, kind + size, *flags])


@st.composite
def answers(draw: st.DrawFn) -> dict[str, Any]:
    workers = draw(st.integers(1, 64))
    pool_max = draw(st.integers(workers, 200))
    resources = draw(
        st.lists(
            st.tuples(names, st.lists(field(), min_size=1, max_size=6)),
            min_size=1,
            max_size=3,
            unique_by=lambda resource: resource[0],
        )
    )
    drawn = {
        "project_name": draw(text),
        "description": draw(text),
        "author_name": draw(text),
        "python_version": draw(st.sampled_from(["3.11", "3.12", "3.13"])),
        "pool_max": pool_max,
        "pool_min": draw(st.integers(1, pool_max)),
        "pool_increment": draw(st.integers(1, pool_max)),
        "resources": [{name: fields} for name, fields in resources],
        "docker": draw(st.booleans()),
        "github_actions": draw(st.booleans()),
    }
    # Either mode, with its own sizes.
    if draw(st.booleans()):
        drawn |= {"oracle_api": "asyncio", "pool_queue": draw(st.integers(0, 200))}
    else:
        drawn |= {
            "oracle_api": "threadpool",
            "executor_workers": workers,
            "executor_queue": draw(st.integers(0, 200)),
        }
    # Usually a slug and a package of their own; sometimes the ones derived from the name,
    # which most names in other scripts cannot give (and the validator says so).
    if draw(st.integers(0, 7)):
        drawn["project_slug"] = draw(names).replace("_", "-")
        drawn["package_name"] = draw(names)
    return drawn


def check(project: Path, *command: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", *command],
        cwd=project,
        env=environment(PYTHONPATH="src"),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, f"{' '.join(command)}:\n{result.stdout}{result.stderr}"


# Answers at edges the draws seldom reach, which a first-day probe found taken and then
# failing their own checks: a 55-character slug and a 60-column name, which pushed lines
# past 100 columns; a decimal with no integer digits, unique and a resource's only field
# (one factory value for every row, and `n` unused); a resource named like the tests' own
# routes (`thing`); the threadpool with fewer sessions than the two processes a test of it
# starts. And resources whose revisions, migrations/versions/<plural>.py, are named as
# modules of Python's own library (types, secrets, dataclasses) or as the tests package,
# which mypy read as those modules until the migrations became a package; and resources
# named as Oracle reserved words (order, user) whose tables are not. (The threadpool at
# its largest sizes is tests/variants.py's long-names.)
EDGES = {
    "project_name": "Customer Loyalty And Rewards Programme Management Services X",  # 60
    "project_slug": "customer-loyalty-and-rewards-programme-management-servi",  # 55
    "package_name": "loyalty",
    "resources": [
        {"rating": ["score decimal(2,2) unique"]},
        {"thing": ["name str(20)"]},
        *(
            {name: ["label str(20)"]}
            for name in ["type", "secret", "test", "dataclass", "order", "user"]
        ),
    ],
    "oracle_api": "threadpool",
    "oracle_sessions": 21,
}


# Of the resources above named as Python's modules or as the tests' package, and `user`,
# whose fields are `order`'s, the tests are collected (each of their modules imported,
# which is where a name of Python's own would clash) and type-checked, and run for `order`
# alone: they are `order`'s tests under other names, and each resource's tests take as
# long to run as the rest of the suite's do together.
RUN_AS_ORDER_S = ["types", "secrets", "tests", "dataclasses", "users"]


def passes_its_checks(project: Path, *deselected: str) -> None:
    check(project, "ruff", "check", "--no-cache", ".")
    check(project, "ruff", "format", "--no-cache", "--check", ".")
    check(project, "mypy")
    deselect = [f"--deselect=tests/{package}/" for package in deselected]
    check(project, *WHOLE_SUITE, "-q", "-x", *deselect)


@pytest.mark.generated
def test_answers_at_the_edges_are_taken_and_render_a_project_that_passes_its_checks(
    tmp_path: Path,
) -> None:
    passes_its_checks(render(tmp_path / "service", **EDGES), *RUN_AS_ORDER_S)


@pytest.mark.generated
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    # No shrinking: each try costs a minute; the failing answers are printed whole.
    phases=[Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.filter_too_much],
)
@given(answers())
def test_every_accepted_answer_renders_a_project_that_passes_its_checks(
    tmp_path: Path, drawn: dict[str, Any]
) -> None:
    project = tmp_path / "service"
    shutil.rmtree(project, ignore_errors=True)
    note(f"answers: {drawn}")
    try:
        render(project, **drawn)
    except ValueError as refused:
        event("refused by a validator")
        if "Validation error for question" not in str(refused):
            raise  # not a validator's refusal: a failure of the template itself
        return
    event("rendered")
    passes_its_checks(project)
