"""A stand-in for python-oracledb's pool at the driver boundary, for the benchmark.

Every round trip (each execute, each commit, each ping) holds its thread for the latency
L, as a real one would; queries return rows of the default `book` resource. Everything
above it (repository, bridge, routes) is the rendered service's own code.
"""

import itertools
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal
from typing import Any


def book_row(book_id: int) -> tuple[Any, ...]:
    return (
        book_id,
        1,
        f"Title {book_id}",
        f"{book_id:013d}",
        Decimal("9.99"),
        320,
        datetime(2024, 1, 1),
        1,
    )


class Var:
    def __init__(self) -> None:
        self.value: Any = None

    def getvalue(self) -> list[Any]:
        return [self.value]


class Cursor:
    ids = itertools.count(1)

    def __init__(self, latency: float) -> None:
        self.latency = latency
        self.arraysize = 100
        self.prefetchrows = 2
        self.rowfactory: Any = None
        self.rowcount = 0
        self.rows: list[tuple[Any, ...]] = []

    def __enter__(self) -> "Cursor":
        return self

    def __exit__(self, *exc_info: object) -> None:
        return None

    def var(self, kind: type) -> Var:
        return Var()

    def execute(self, statement: str, parameters: dict[str, Any], **options: Any) -> None:
        if self.latency:
            time.sleep(self.latency)
        verb = statement.split()[0]
        if verb == "SELECT" and "OFFSET" in statement:
            first = parameters["offset"] + 1
            self.rows = [book_row(n) for n in range(first, first + parameters["limit"])]
        elif verb == "SELECT":
            self.rows = [book_row(parameters["id"])]
        elif verb == "INSERT":
            parameters["id"].value, parameters["version"].value = next(self.ids), 1
            self.rowcount = 1

    def fetchall(self) -> list[Any]:
        return [self.rowfactory(*row) for row in self.rows]

    def fetchone(self) -> Any:
        return self.rowfactory(*self.rows[0]) if self.rows else None


class Connection:
    def __init__(self, latency: float) -> None:
        self.latency = latency
        self.call_timeout = 0
        self.autocommit = False

    def cursor(self) -> Cursor:
        return Cursor(self.latency)

    def commit(self) -> None:
        if self.latency:
            time.sleep(self.latency)

    def ping(self) -> None:
        if self.latency:
            time.sleep(self.latency)


class Pool:
    """Connections are open already, as in a warm pool: acquiring costs no round trip."""

    def __init__(self, latency: float) -> None:
        self.latency = latency

    @contextmanager
    def acquire(self) -> Iterator[Connection]:
        yield Connection(self.latency)

    def close(self, force: bool = False) -> None:
        return None
