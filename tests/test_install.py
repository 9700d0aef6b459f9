"""A rendered project installs from its own pyproject.toml and passes its own scripts/test.

This is the path its README gives (uv sync, then ruff, mypy and pytest through uv run), in a
fresh virtual environment: a dependency missing from the rendered pyproject.toml fails here
even though the shared environment of test_generated.py happens to have it.
"""

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import environment, render
from tests.variants import VARIANTS


def test_scripts_test_passes_in_a_fresh_environment(tmp_path: Path) -> None:
    # The variant whose minimum Python (3.11) this machine has.
    project = render(tmp_path / "service", **VARIANTS["every-type"])
    tools = Path(sys.executable).parent  # uv comes from this environment
    result = subprocess.run(
        ["scripts/test", "-q"],
        cwd=project,
        env=environment(
            PATH=f"{tools}{os.pathsep}{os.environ['PATH']}",
            UV_PYTHON=sys.executable,
            VIRTUAL_ENV="",
        ),
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    assert (project / ".venv").is_dir()
    assert "All checks passed!" in output
    assert "Success: no issues found" in output
    assert " passed" in result.stdout.strip().splitlines()[-1]


def test_the_scripts_say_what_to_install_when_uv_is_missing(tmp_path: Path) -> None:
    project = render(tmp_path / "service")
    assert (project / ".python-version").read_text() == "3.12\n"  # the default answer
    for script in ["test", "serve", "migrate"]:
        result = subprocess.run(
            [f"scripts/{script}"],
            cwd=project,
            env=environment(PATH="/usr/bin:/bin"),  # bash, and no uv
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 1, result.stderr
        assert f"{script} needs uv" in result.stderr
        assert "https://astral.sh/uv/install.sh" in result.stderr
        assert "command not found" not in result.stderr
