"""The module names a package_name must not take: the standard library's, and every
top-level module of the rendered project's dependency tree.

    python -m tests.modules > includes/modules.jinja    # after a dependency changes

Every variant's dependencies (tests/variants.py: tracing, Kubernetes ...), and the extras
they ask for (uvicorn[standard] brings uvloop, httptools, websockets, watchfiles, yaml).

tests/test_questions.py checks that includes/modules.jinja lists every one of them.
"""

import sys
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.markers import Marker
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]


def standard_library() -> set[str]:
    # `sys.stdlib_module_names` leaves out the test package, which most Pythons install, and
    # which a package of that name would not shadow but be shadowed by: `test.config` is
    # then looked for in the standard library's.
    return {name for name in sys.stdlib_module_names if not name.startswith("_")} | {"test"}


def requirement_names(requirements: list[str], extras: frozenset[str] = frozenset()) -> set[str]:
    """Distribution names, each with the extras it is asked for ("uvicorn[standard]"), of
    the requirements that apply on this interpreter with `extras` chosen."""
    names = set()
    for line in requirements:
        requirement = Requirement(line)
        marker = str(requirement.marker or "")
        # Only the extras decide: a marker for another platform or Python is kept, as a
        # service may run there.
        if "extra" in marker and not any(Marker(marker).evaluate({"extra": e}) for e in extras):
            continue
        name = requirement.name.lower().replace("_", "-")
        names.add("[".join([name, ",".join(sorted(requirement.extras))]))
    return names


def dependency_modules(project: Path) -> set[str]:
    """Top-level modules of every distribution the project needs, directly or not, its
    dependencies' extras followed too."""
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    wanted = requirement_names(pyproject["project"]["dependencies"])
    for group in pyproject.get("dependency-groups", {}).values():
        wanted |= requirement_names([item for item in group if isinstance(item, str)])
    seen: set[str] = set()
    followed: set[str] = set()
    while wanted:
        item = wanted.pop()
        if item in followed:
            continue
        followed.add(item)
        name, _, extras = item.partition("[")
        try:
            requires = metadata.distribution(name).requires or []
        except metadata.PackageNotFoundError:
            continue  # not for this platform (pywin32, say): its modules cannot clash here
        seen.add(name)
        wanted |= requirement_names(requires, frozenset(filter(None, extras.split(","))))
    modules = set()
    for module, distributions in metadata.packages_distributions().items():
        if {d.lower().replace("_", "-") for d in distributions} & seen:
            modules.add(module)
    return {module for module in modules if module.isidentifier() and module[0] != "_"}


def reserved(project: Path) -> set[str]:
    return {name.lower() for name in standard_library() | dependency_modules(project)}


def main() -> None:
    import tempfile

    from tests.conftest import render
    from tests.variants import VARIANTS

    with tempfile.TemporaryDirectory() as temporary:
        projects = [render(Path(temporary) / name, **answers) for name, answers in VARIANTS.items()]
        names = sorted(set().union(*(reserved(project) for project in projects)))
    print("{#- Made by `python -m tests.modules`: the modules a package_name would shadow. -#}")
    print("{%- set RESERVED_MODULES = [")
    line = " "
    for name in names:
        item = f' "{name}",'
        if len(line) + len(item) > 88:
            print(line)
            line = " "
        line += item
    print(line)
    print("] -%}")


if __name__ == "__main__":
    main()
