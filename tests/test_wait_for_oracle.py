"""The rendered scripts/wait-for-oracle, run for real with no Oracle to reach.

`uv run python` is stood in for by this environment's Python (it has python-oracledb and
the project's other dependencies), with the project's src/ on its path, so the rendered
project needs no install.
"""

import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import environment
from tests.unreachable import UNRESOLVED_DSN, silent_oracle

PASSWORD = "never-printed-7f3a"
# What the service's settings use of python-oracledb, in a stand-in for it: the check of
# ORACLE_DSN (config.py), which reads it as connect parameters (its hosts and ports, one
# address's unlisted, as python-oracledb gives them: `_flatten_value`, connect_params.py;
# its protocol, proxy and wallet) and twice as a pool's.
CONNECT_PARAMS = (
    "POOL_GETMODE_WAIT, POOL_GETMODE_TIMEDWAIT, PURITY_NEW, PURITY_SELF = 0, 2, 1, 2\n\n\n"
    "class ConnectParams:\n"
    "    host, port, protocol, wallet_location, https_proxy = 'db', 1521, 'tcp', None, None\n\n"
    "    def set(self, **values):\n"
    "        self.__dict__.update(values)\n\n"
    "    def parse_connect_string(self, value):\n"
    "        pass\n\n\n"
    "PoolParams = ConnectParams\n\n\n"
)


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A local port that refuses connections: bound, so nothing else takes it, never listening."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


def wait_for_oracle(
    project: Path, tmp_path: Path, *args: str, **env: str
) -> subprocess.CompletedProcess[str]:
    """Run the project's scripts/wait-for-oracle, with `uv run python` as this Python."""
    stub = tmp_path / "bin"
    stub.mkdir(exist_ok=True)
    uv = stub / "uv"
    uv.write_text(
        f'#!/bin/sh\n[ "$1 $2" = "run python" ] || exit 99\nshift 2\nexec "{sys.executable}" "$@"\n'
    )
    uv.chmod(0o755)
    path = f"{stub}:{environment()['PATH']}"
    # A stand-in python-oracledb, if any, ahead of the project's package.
    python_path = ":".join([*env.pop("PYTHONPATH", "").split(":"), str(project / "src")])
    return subprocess.run(
        [str(project / "scripts/wait-for-oracle"), *args],
        env={
            **environment(ORACLE_USER="ci_app", ORACLE_PASSWORD=PASSWORD, PATH=path, **env),
            "PYTHONPATH": python_path.lstrip(":"),
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_it_gives_up_at_the_deadline_naming_the_error_never_the_password(
    rendered: Callable[[str], Path], tmp_path: Path, closed_port: int
) -> None:
    started = time.monotonic()
    dsn = f"127.0.0.1:{closed_port}/FREEPDB1"
    result = wait_for_oracle(rendered("defaults"), tmp_path, "2", ORACLE_DSN=dsn)
    elapsed = time.monotonic() - started
    assert result.returncode == 1, result.stdout + result.stderr
    assert 2 <= elapsed < 10
    assert "ci_app could not log in within 2 s; the last error was DPY-6005" in result.stderr
    tries = result.stdout.splitlines()
    assert tries
    # The pause it takes, 5 s cut to the deadline: a pause it said was 5 s was 2 at most.
    said = re.compile(r"ci_app cannot log in yet \(DPY-6005\); trying again in [12] s")
    assert all(said.fullmatch(line) for line in tries), tries
    assert PASSWORD not in result.stdout + result.stderr


def test_a_silent_oracle_cannot_hold_the_wait_past_its_deadline(
    rendered: Callable[[str], Path], tmp_path: Path
) -> None:
    started = time.monotonic()
    with silent_oracle() as port:
        dsn = f"127.0.0.1:{port}/FREEPDB1"
        result = wait_for_oracle(rendered("defaults"), tmp_path, "2", ORACLE_DSN=dsn)
    elapsed = time.monotonic() - started
    assert result.returncode == 1, result.stdout + result.stderr
    assert 2 <= elapsed < 10
    expected = "ci_app could not log in within 2 s; the last error was no answer within 2 s"
    assert expected in result.stderr
    assert PASSWORD not in result.stdout + result.stderr


def test_a_host_name_that_does_not_resolve_is_tried_again_and_named(
    rendered: Callable[[str], Path], tmp_path: Path
) -> None:
    result = wait_for_oracle(rendered("defaults"), tmp_path, "1", ORACLE_DSN=UNRESOLVED_DSN)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "the last error was gaierror: " in result.stderr
    assert "Traceback" not in result.stderr


def test_a_locked_account_stops_the_wait_at_once(
    rendered: Callable[[str], Path], tmp_path: Path
) -> None:
    # A stand-in python-oracledb whose login always finds the account locked.
    fake = tmp_path / "fake"
    fake.mkdir()
    (fake / "oracledb.py").write_text(
        "class Error(Exception):\n"
        "    pass\n\n\n"
        "class _Error:\n"
        '    full_code = "ORA-28000"\n\n\n'
        f"{CONNECT_PARAMS}"
        "def connect(**params):\n"
        "    raise Error(_Error())\n"
    )
    started = time.monotonic()
    result = wait_for_oracle(
        rendered("defaults"), tmp_path, "300", ORACLE_DSN="db:1521/FREEPDB1", PYTHONPATH=str(fake)
    )
    assert result.returncode == 1
    assert time.monotonic() - started < 10
    assert "ci_app is locked (ORA-28000): not trying again" in result.stderr
    assert result.stdout == ""


def refusing(tmp_path: Path, *, answer_after: float = 0, between: str = "") -> tuple[Path, Path]:
    """A stand-in python-oracledb whose login is refused, as a wrong password is (and a user
    not created yet), after `answer_after` seconds, and the file it counts the tries in; it
    spares the pauses between them. With `between`, every other try fails with that code
    instead (a listener that knows no such service yet, ORA-12514)."""
    fake = tmp_path / "fake"
    fake.mkdir()
    tries = tmp_path / "tries"
    (fake / "oracledb.py").write_text(
        "import time\n\n"
        "wait, time.sleep = time.sleep, lambda seconds: None\n\n\n"
        "class Error(Exception):\n"
        "    pass\n\n\n"
        "class _Error:\n"
        "    def __init__(self, code):\n"
        "        self.full_code = code\n\n\n"
        f"{CONNECT_PARAMS}"
        "def connect(**params):\n"
        f"    with open({str(tries)!r}, 'a+') as tries:\n"
        "        tries.write('try\\n')\n"
        "        tries.seek(0)\n"
        "        count = len(tries.readlines())\n"
        f"    wait({answer_after})\n"
        f"    if {between!r} and count % 2:\n"
        f"        raise Error(_Error({between!r}))\n"
        '    raise Error(_Error("ORA-01017"))\n'
    )
    return fake, tries


def test_a_refused_password_is_tried_three_times_not_until_the_account_locks(
    rendered: Callable[[str], Path], tmp_path: Path
) -> None:
    fake, tries = refusing(tmp_path)
    result = wait_for_oracle(
        rendered("defaults"), tmp_path, "300", ORACLE_DSN="db:1521/FREEPDB1", PYTHONPATH=str(fake)
    )
    assert result.returncode == 1
    # Under the default profile's FAILED_LOGIN_ATTEMPTS (10), with room for a migration's
    # and the service's (config.py, login_refusals): 3 + 1 + 5 of them stop at 9.
    assert len(tries.read_text().splitlines()) == 3
    assert "ci_app was refused 3 times (ORA-01017" in result.stderr
    assert "trying again in 15 s" in result.stdout
    assert "ORACLE_PASSWORD" in result.stderr
    assert PASSWORD not in result.stdout + result.stderr


def test_refusals_count_until_a_login_succeeds_whatever_failed_between_them(
    rendered: Callable[[str], Path], tmp_path: Path
) -> None:
    # Oracle counts an account's failed logins until one succeeds: another error between
    # two refusals (a listener that lost the service a moment) clears nothing. Counted in
    # a row only, each refusal after such an error was the first again, and the wait went
    # on refusing until its deadline, well past the account's lock.
    fake, tries = refusing(tmp_path, between="ORA-12514")
    result = wait_for_oracle(
        rendered("defaults"), tmp_path, "300", ORACLE_DSN="db:1521/FREEPDB1", PYTHONPATH=str(fake)
    )
    assert result.returncode == 1
    assert len(tries.read_text().splitlines()) == 6  # 3 refusals, 3 other errors
    assert "ci_app was refused 3 times (ORA-01017" in result.stderr


def test_a_refusal_slower_than_the_wait_for_its_answer_is_counted_not_tried_over(
    rendered: Callable[[str], Path], tmp_path: Path
) -> None:
    # Oracle delays its answer to an account's failed logins after the third in a row, up
    # to 10 s, from any client. A try unanswered in 10 s was left behind for a new one, and
    # its refusal, which Oracle counted, was not: every try was another failed login, one
    # every 15 s, until the deadline. Now one try is waited for until it answers.
    fake, tries = refusing(tmp_path, answer_after=11)
    started = time.monotonic()
    result = wait_for_oracle(
        rendered("defaults"),
        tmp_path,
        "40",
        ORACLE_DSN="db:1521/FREEPDB1",
        ORACLE_FAILED_LOGIN_ATTEMPTS="4",  # the wait's share: one
        PYTHONPATH=str(fake),
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert 11 <= time.monotonic() - started < 20
    assert len(tries.read_text().splitlines()) == 1
    assert "ci_app: no answer from Oracle in 10 s yet; waiting" in result.stdout
    assert "ci_app was refused once (ORA-01017" in result.stderr


def test_a_stricter_profile_gets_fewer_tries(
    rendered: Callable[[str], Path], tmp_path: Path
) -> None:
    # A profile that locks the account at 3 failed logins in a row: one try, then stop.
    fake, tries = refusing(tmp_path)
    result = wait_for_oracle(
        rendered("defaults"),
        tmp_path,
        "300",
        ORACLE_DSN="db:1521/FREEPDB1",
        ORACLE_FAILED_LOGIN_ATTEMPTS="3",
        PYTHONPATH=str(fake),
    )
    assert result.returncode == 1
    assert len(tries.read_text().splitlines()) == 1
    assert "ci_app was refused once (ORA-01017" in result.stderr
    assert "ORACLE_FAILED_LOGIN_ATTEMPTS=3" in result.stderr


def test_the_settings_are_read_as_the_service_reads_them_from_dot_env_too(
    rendered: Callable[[str], Path], tmp_path: Path
) -> None:
    # The script read the environment alone, and its own way: a .env the service and the
    # migrations read (ORACLE_DSN, a stricter profile's FAILED_LOGIN_ATTEMPTS) was not
    # seen, and "+3", which the service takes, was refused.
    project = shutil.copytree(rendered("defaults"), tmp_path / "service")
    (project / ".env").write_text("ORACLE_DSN=db:1521/FREEPDB1\nORACLE_FAILED_LOGIN_ATTEMPTS=+3\n")
    fake, tries = refusing(tmp_path)
    result = wait_for_oracle(project, tmp_path, "300", PYTHONPATH=str(fake))
    assert result.returncode == 1, result.stderr
    assert len(tries.read_text().splitlines()) == 1
    assert "ORACLE_FAILED_LOGIN_ATTEMPTS=3" in result.stderr


def test_a_bad_setting_is_named_as_the_service_names_it(
    rendered: Callable[[str], Path], tmp_path: Path
) -> None:
    result = wait_for_oracle(
        rendered("defaults"),
        tmp_path,
        "300",
        ORACLE_DSN="db:1521/FREEPDB1",
        ORACLE_FAILED_LOGIN_ATTEMPTS="ten",
    )
    assert result.returncode == 1
    assert "invalid settings:\n  ORACLE_FAILED_LOGIN_ATTEMPTS: " in result.stderr
    assert "Traceback" not in result.stderr


def test_a_deadline_that_is_not_whole_seconds_is_refused(
    rendered: Callable[[str], Path], tmp_path: Path
) -> None:
    result = wait_for_oracle(rendered("defaults"), tmp_path, "soon", ORACLE_DSN="db/FREEPDB1")
    assert result.returncode == 2
    assert "usage: scripts/wait-for-oracle [SECONDS]" in result.stderr
