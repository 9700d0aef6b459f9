"""What the statements read of a resource's `sql` module, whichever API runs them.

A resource's `sql` module is a `Table`: its statements, the variables INSERT and UPDATE
return into, and the mapping between its rows and its schemas. statements.py runs them.

A row becomes a schema in two steps: `from_row` gives its fields, and pydantic validates
them into `ITEM`. A page's rows are validated together, in one call (`Page.of`), which
costs half of validating each row on its own.
"""

from collections.abc import Callable, Mapping
from typing import Any, Protocol, TypeVar

import oracledb
from pydantic import BaseModel

Item = TypeVar("Item", bound=BaseModel)


class Table(Protocol[Item]):
    """A resource's sql module, as the statements read it."""

    RESOURCE: str
    # The primary key its revision names, in upper case as Oracle's errors name it.
    PRIMARY_KEY: str
    # The schema of a stored row (`Book`).
    ITEM: type[Item]
    SELECT_PAGE: str
    SELECT_ONE: str
    SELECT_VERSION: str
    INSERT: str
    UPDATE: str
    DELETE: str
    DELETE_VERSION: str
    INPUT_SIZES: dict[str, Any]
    RETURNED: dict[str, Any]

    @property
    def from_row(self) -> Callable[..., dict[str, Any]]: ...

    @property
    def to_binds(self) -> Callable[[Any], dict[str, Any]]: ...


class Versioned(Protocol):
    """An update: the fields, and the version the client last read."""

    @property
    def version(self) -> int: ...


def returned(
    cursor: oracledb.Cursor | oracledb.AsyncCursor, table: Table[Any]
) -> dict[str, oracledb.Var]:
    """The out binds for INSERT and UPDATE, made on the cursor that runs them."""
    return {name: cursor.var(kind) for name, kind in table.RETURNED.items()}


def from_returned(table: Table[Item], variables: Mapping[str, oracledb.Var]) -> Item:
    """The row INSERT or UPDATE stored, as a schema."""
    row = table.from_row(*(variable.getvalue()[0] for variable in variables.values()))
    return table.ITEM.model_validate(row)
