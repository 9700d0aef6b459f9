"""Each rendered service keeps to its OpenAPI document: Schemathesis drives it by the
document alone, on the service's own stand-in driver (tests/served/on_standin.py), and
finds no server error, no answer outside the document, no request the document allows
that the service refuses, and none it refuses that the service takes.

The forms pydantic reads beyond the schema (text for an integer, "yes" for a boolean, an
exponent in a decimal's text) and bounds FastAPI writes as floats are the kind of gap
this finds. CI draws the same examples every run (CONTRACT_SEED, 1 by default), so a
failure is the change's and reproducible;
`CONTRACT_EXAMPLES=500 CONTRACT_SEED=random scripts/test tests/test_contract.py` tries
more, and others.
"""

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import captured, environment
from tests.test_serve import wait_until_live
from tests.unreachable import free_port

EXAMPLES = int(os.environ.get("CONTRACT_EXAMPLES", "50"))
SEED = os.environ.get("CONTRACT_SEED", "1")
SERVED = Path(__file__).parent / "served"
SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"


# The four asyncio variants have every field type and size between them; the threadpool
# variant has the defaults' API through the other bridge, whose refusals must keep to it too.
VARIANTS = ["defaults", "threadpool", "every-type", "one-of-each", "long-names"]


@pytest.mark.parametrize("variant", VARIANTS)
def test_the_service_keeps_to_its_openapi_document(
    rendered: Callable[[str], Path], variant: str, tmp_path: Path
) -> None:
    project = rendered(variant)
    package = next(path.name for path in (project / "src").iterdir() if path.is_dir())
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", "on_standin:app", "--app-dir", str(SERVED)]
    log = tmp_path / "service.log"
    # To a file, whole for the failure's message: the service logs a line for each request
    # Oracle's rules refuse (a unique value taken), more than a pipe holds unread.
    with log.open("w") as output:
        process = subprocess.Popen(
            [*command, "--port", str(port), "--log-level", "warning"],
            cwd=project,
            env=environment(
                PYTHONPATH=os.pathsep.join(["src", "."]),
                SERVICE_PACKAGE=package,
                ORACLE_DSN="stand-in:1521/CONTRACT",
                ORACLE_USER="contract",
                ORACLE_PASSWORD="stand-in",
            ),
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        url = wait_until_live(process, port, log)
        checks = ["--checks", "all", "--max-examples", str(EXAMPLES), "--workers", "1"]
        if SEED != "random":
            checks += ["--seed", SEED]
        # Run from the test's own directory, where it keeps its example database
        # (.hypothesis), so the rendered project stays as rendered for the other tests.
        result = captured(
            [str(SCHEMATHESIS), "run", f"{url}/openapi.json", *checks], tmp_path, environment()
        )
    finally:
        process.terminate()
        process.wait(timeout=30)
    found = f"{result.stdout[-8000:]}\n{result.stderr[-2000:]}\n{log.read_text()[-3000:]}"
    assert result.returncode == 0, found
    assert "No issues found" in result.stdout, found
