"""The project's own files, whatever reads them, hold no conflict an update left.

`copier update` exits 0 and says nothing of a conflict: it leaves both sides in the file,
between markers. ruff and mypy find them in Python; nothing else here reads a Dockerfile,
compose.yaml, the CI workflow or a page of docs, and in .gitignore or .dockerignore a
marker line is one more pattern, silently.
"""

import os
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# The lines a conflict's markers start (git merge-file's, as Copier writes them); "=======",
# which parts the two sides, also underlines a Markdown heading, and is not looked for.
MARKER = re.compile(rb"^(<{7}|>{7}|\|{7})( |\r?$)", re.MULTILINE)
# Not the project's: git's, and the tools' caches; and any virtual environment (.venv, or
# another name), told by its pyvenv.cfg.
NOT_THE_PROJECT_S = {".git", ".mypy_cache", ".ruff_cache", ".pytest_cache", "__pycache__"}


def project_files() -> list[Path]:
    found = []
    for directory, subdirectories, files in os.walk(ROOT):
        subdirectories[:] = [
            name
            for name in subdirectories
            if name not in NOT_THE_PROJECT_S and not Path(directory, name, "pyvenv.cfg").exists()
        ]
        found += [Path(directory, name) for name in files]
    return found


def test_no_file_holds_a_conflict_an_update_left() -> None:
    conflicted = [
        str(path.relative_to(ROOT)) for path in project_files() if MARKER.search(path.read_bytes())
    ]
    assert conflicted == [], (
        f"an update left conflicts in {conflicted}: keep what you need of each side, delete "
        "the markers (`git diff --name-only --diff-filter=U` lists them; see "
        "the template's docs/updating.md, Reading and resolving a conflict)"
    )


def test_no_update_left_a_rejected_change_beside_a_file() -> None:
    # `copier update --conflict rej` writes the template's side and leaves the lines it
    # could not place in a .rej file beside it (git's own merges leave .orig ones): a
    # commit of everything kept them there, and the change was lost from the code.
    left = [
        str(path.relative_to(ROOT)) for path in project_files() if path.suffix in {".rej", ".orig"}
    ]
    assert left == [], (
        f"an update left changes it could not place in {left}: apply each to the file it is "
        "beside, then delete it"
    )
