"""This environment holds what a rendered service declares, at versions it accepts.

test_generated.py runs the rendered projects' tools here, so a dependency added to the
template but not to pyproject.toml's dev group (or pinned below its lower bound) must fail.
"""

import tomllib
from collections.abc import Callable
from pathlib import Path

from packaging.requirements import Requirement

from tests.conftest import ROOT


def requirements(pyproject: Path) -> dict[str, Requirement]:
    data = tomllib.loads(pyproject.read_text())
    declared = data["project"]["dependencies"] + data["dependency-groups"]["dev"]
    return {Requirement(line).name: Requirement(line) for line in declared}


def test_the_dev_environment_has_every_dependency_of_a_rendered_service(
    rendered: Callable[[str], Path],
) -> None:
    ours = requirements(ROOT / "pyproject.toml")
    theirs = requirements(rendered("defaults") / "pyproject.toml")
    assert set(theirs) <= set(ours)
    for name, requirement in theirs.items():
        (pinned,) = (spec.version for spec in ours[name].specifier)
        assert requirement.specifier.contains(pinned), f"{name}=={pinned} vs {requirement}"
        assert requirement.extras <= ours[name].extras, name
