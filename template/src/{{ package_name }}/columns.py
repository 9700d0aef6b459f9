"""How values are held in Oracle columns, and back: one converter for each direction.

Booleans live in NUMBER(1) as 0 or 1 (SQL BOOLEAN needs Oracle 23ai), and come back as
the Decimal a NUMBER is read as. Timestamps live in
TIMESTAMP as naive UTC; the API only takes and gives timezone-aware ones. DATE comes back
as a datetime at midnight. Each converter passes None through, for optional fields.
"""

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import overload


@overload
def bool_to_db(value: bool) -> int: ...
@overload
def bool_to_db(value: None) -> None: ...
def bool_to_db(value: bool | None) -> int | None:
    return None if value is None else int(value)


@overload
def bool_from_db(value: Decimal) -> bool: ...
@overload
def bool_from_db(value: None) -> None: ...
def bool_from_db(value: Decimal | None) -> bool | None:
    return None if value is None else bool(value)


@overload
def timestamp_to_db(value: datetime) -> datetime: ...
@overload
def timestamp_to_db(value: None) -> None: ...
def timestamp_to_db(value: datetime | None) -> datetime | None:
    return None if value is None else value.astimezone(UTC).replace(tzinfo=None)


@overload
def timestamp_from_db(value: datetime) -> datetime: ...
@overload
def timestamp_from_db(value: None) -> None: ...
def timestamp_from_db(value: datetime | None) -> datetime | None:
    return None if value is None else value.replace(tzinfo=UTC)


@overload
def date_from_db(value: datetime) -> date: ...
@overload
def date_from_db(value: None) -> None: ...
def date_from_db(value: datetime | None) -> date | None:
    return None if value is None else value.date()
