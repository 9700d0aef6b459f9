"""Git repositories for the `copier update` tests: git helpers, this template at two tagged
versions, and services rendered from a tag, then updated.

v0.1.0 is an older state of this template (a comment in config.py, a line of .gitignore,
the docstring of the team's routes.py, a line of the README and one of k8s/README.md as
they were), and v0.2.0 this checkout. No update needs --trust: the template has no
migrations and no tasks.
"""

import shutil
import subprocess
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import copier
import pytest
import yaml

from tests.conftest import ROOT, files

CONFIG = "src/book_service/config.py"
NEW_COMMENT = "    # Seconds a call waits for a free connection before it fails with 503.\n"
OLD_COMMENT = "    # Seconds to wait for a free connection.\n"
ROUTES = "src/book_service/routes.py"
K8S_README = "template/{% if kubernetes %}k8s{% endif %}/README.md.jinja"


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout


def commit(cwd: Path, message: str) -> None:
    git(cwd, "add", "-A")
    git(cwd, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", message)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def as_version_0_1_0(repo: Path) -> None:
    """Turn a copy of this template back into its older state."""
    edit(repo / "template/src/{{ package_name }}/config.py.jinja", NEW_COMMENT, OLD_COMMENT)
    edit(repo / "template/src/{{ package_name }}/routes.py.jinja", "Your own routes", "Team routes")
    edit(repo / "template/README.md.jinja", "## Test\n", "## Tests\n")
    edit(repo / K8S_README, "non-root user", "unprivileged user")
    edit(repo / "template/.gitignore", ".ruff_cache/\n", "")


def reserving_less(repo: Path) -> None:
    """The template as it was before it reserved the class ConfigDict (0e28913) and the
    package name `test` (d2998f0): a version older than this one, for `two_versions`."""
    edit(repo / "includes/names.jinja", '"ConfigDict", ', "")
    edit(repo / "includes/modules.jinja", '"test", ', "")


def checkout_copy(repo: Path) -> Path:
    """A new git repository at `repo` holding this checkout's files, edits included."""
    listed = git(ROOT, "ls-files", "--cached", "--others", "--exclude-standard").splitlines()
    for name in listed:
        if (ROOT / name).is_file():
            (repo / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, repo / name)
    git(repo, "init", "-q")
    return repo


def two_versions(tmp_path_factory: pytest.TempPathFactory, *older: Callable[[Path], None]) -> Path:
    """A git repository of this template, tagged v0.1.0 (older, and as `older` makes it
    too) and v0.2.0 (this one)."""
    repo = checkout_copy(tmp_path_factory.mktemp("versions") / "template")
    now = tmp_path_factory.mktemp("now")
    shutil.copytree(repo, now / "template", dirs_exist_ok=True)
    as_version_0_1_0(repo)
    for change in older:
        change(repo)
    commit(repo, "v0.1.0")
    git(repo, "tag", "v0.1.0")
    shutil.copytree(now / "template", repo, dirs_exist_ok=True)
    commit(repo, "v0.2.0")
    git(repo, "tag", "v0.2.0")
    return repo


def copy(template: Path, destination: Path, version: str, **data: Any) -> Path:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", copier.errors.DirtyLocalWarning)
        copier.run_copy(
            str(template), destination, data=data, vcs_ref=version, defaults=True, quiet=True
        )
    git(destination, "init", "-q")
    commit(destination, "render")
    return destination


def update(project: Path, version: str | copier.VcsRef, quiet: bool = True, **data: Any) -> None:
    copier.run_update(
        project,
        data=data,
        vcs_ref=version,
        defaults=True,
        overwrite=True,
        quiet=quiet,  # and not unsafe: a template that needed --trust would raise here
    )


def answers(project: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((project / ".copier-answers.yml").read_text())
    return loaded


def snapshot(project: Path) -> dict[str, bytes]:
    return {name: (project / name).read_bytes() for name in files(project) if ".git/" not in name}


def conflicted(project: Path) -> list[str]:
    return git(project, "diff", "--name-only", "--diff-filter=U").split()
