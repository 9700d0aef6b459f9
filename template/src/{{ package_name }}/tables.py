"""What the statements read of a resource's `sql` module, whichever API runs them.

A resource's `sql` module is a `Table`: its statements, the variables INSERT and UPDATE
return into, and the mapping between its rows and its schemas. statements.py runs them.
"""

from collections.abc import Callable, Mapping
from typing import Any, Protocol, TypeVar

import oracledb

# A stored row is only given out.
Item_co = TypeVar("Item_co", covariant=True)
Item = TypeVar("Item")


class Table(Protocol[Item_co]):
    """A resource's sql module, as the statements read it."""

    RESOURCE: str
    SELECT_PAGE: str
    SELECT_ONE: str
    SELECT_VERSION: str
    INSERT: str
    UPDATE: str
    DELETE: str
    INPUT_SIZES: dict[str, Any]
    RETURNED: dict[str, Any]

    @property
    def from_row(self) -> Callable[..., Item_co]: ...

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
    return table.from_row(*(variable.getvalue()[0] for variable in variables.values()))
