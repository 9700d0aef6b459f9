"""The module names a package_name must not take: the standard library's, and every
top-level module of the rendered project's dependency tree.

    python -m tests.modules > includes/modules.jinja    # after a dependency changes

tests/test_questions.py checks that includes/modules.jinja lists every one of them.
"""

import re
import sys
import tomllib
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def standard_library() -> set[str]:
    return {name for name in sys.stdlib_module_names if not name.startswith("_")}


def requirement_names(requirements: list[str]) -> set[str]:
    """Distribution names of requirements that apply on this interpreter (no extras)."""
    names = set()
    for requirement in requirements:
        name, _, marker = requirement.partition(";")
        if "extra ==" in marker:
            continue
        names.add(re.split(r"[\s\[<>=!~(]", name.strip(), maxsplit=1)[0].lower())
    return names


def dependency_modules(project: Path) -> set[str]:
    """Top-level modules of every distribution the project needs, directly or not."""
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    wanted = requirement_names(pyproject["project"]["dependencies"])
    for group in pyproject.get("dependency-groups", {}).values():
        wanted |= requirement_names([item for item in group if isinstance(item, str)])
    seen: set[str] = set()
    while wanted:
        name = wanted.pop()
        if name in seen:
            continue
        try:
            requires = metadata.distribution(name).requires or []
        except metadata.PackageNotFoundError:
            continue  # not for this platform (pywin32, say): its modules cannot clash here
        seen.add(name)
        wanted |= requirement_names(requires)
    modules = set()
    for module, distributions in metadata.packages_distributions().items():
        if {d.lower().replace("_", "-") for d in distributions} & {
            n.replace("_", "-") for n in seen
        }:
            modules.add(module)
    return {module for module in modules if module.isidentifier() and module[0] != "_"}


def reserved(project: Path) -> set[str]:
    return {name.lower() for name in standard_library() | dependency_modules(project)}


def main() -> None:
    import tempfile

    from tests.conftest import render

    with tempfile.TemporaryDirectory() as temporary:
        names = sorted(reserved(render(Path(temporary) / "service")))
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
