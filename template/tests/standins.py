"""Stand-ins for python-oracledb's pool and connections, for tests that run without Oracle.

Every round trip (execute, ping, commit) holds its thread for `latency` seconds, as a real
one would; queries find no rows.
"""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, cast

import oracledb


class StandInCursor:
    def __init__(self, latency: float) -> None:
        self.latency = latency
        self.arraysize = 100
        self.prefetchrows = 2
        self.rowfactory: Any = None
        self.rowcount = 0

    def __enter__(self) -> "StandInCursor":
        return self

    def __exit__(self, *exc_info: object) -> None:
        return None

    def execute(self, statement: str, parameters: object = None, **options: object) -> None:
        time.sleep(self.latency)

    def fetchall(self) -> list[Any]:
        return []

    def fetchone(self) -> Any:
        return None


class StandInConnection:
    def __init__(self, latency: float) -> None:
        self.latency = latency
        self.call_timeout = 0

    def cursor(self) -> StandInCursor:
        return StandInCursor(self.latency)

    def ping(self) -> None:
        time.sleep(self.latency)

    def commit(self) -> None:
        time.sleep(self.latency)


class StandInPool:
    """Hands out stand-in connections and counts them out and back."""

    def __init__(self, latency: float = 0.0) -> None:
        self.latency = latency
        self.acquired = 0
        self.released = 0
        self.closed = False

    @contextmanager
    def acquire(self) -> Iterator[oracledb.Connection]:
        self.acquired += 1
        try:
            # Typed as the real thing: the code under test only uses what the stand-in has.
            yield cast(oracledb.Connection, StandInConnection(self.latency))
        finally:
            self.released += 1

    def close(self, force: bool = False) -> None:
        self.closed = True
