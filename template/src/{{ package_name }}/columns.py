"""How values are held in Oracle columns, and back: one converter for each direction.

Every NUMBER is read as a Decimal (`fetch_decimals`). Integers live in NUMBER(19), which
holds no fraction, and come back as int: int() costs less than pydantic's own making of an
int from a Decimal, which checks it for a fraction first.
Booleans live in NUMBER(1) as 0 or 1 (SQL BOOLEAN needs Oracle 23ai). Timestamps live in
TIMESTAMP as naive UTC; the API only takes and gives timezone-aware ones. DATE comes back
as a datetime at midnight. Each converter passes None through, for optional fields.
"""

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any, overload

from pydantic import AfterValidator, AwareDatetime, BeforeValidator, Field

# Keys and versions live in NUMBER(19) and start at 1: an identity, and the first version.
KEY_MAX = 10**19 - 1
Version = Annotated[int, Field(ge=1, le=KEY_MAX)]
# An int field lives in NUMBER(19): a 64-bit integer.
BigInt = Annotated[int, Field(ge=-(2**63), le=2**63 - 1)]


def varchar2(max_length: int) -> Any:
    """The rules of a VARCHAR2(max_length CHAR) column: not empty, at most that long.

    Named, as `number` is, for an Oracle reserved word, which no field may be called: a
    field named like a function its class uses would hide it (an optional field `text`
    would set `text` to None for the fields after it).
    """
    return Field(min_length=1, max_length=max_length)


def number(precision: int, scale: int) -> Any:
    """The rules of a NUMBER(precision, scale) column, stated in the OpenAPI schema too.

    At most `scale` places after the point, and less than 10 ** (precision - scale) either
    way: together, at most `precision` digits. Not pydantic's `max_digits`, which counts
    the 0 before the point of a zero, so a NUMBER(2, 2) would refuse the 0 it holds.
    """
    bound = 10 ** (precision - scale)
    return Field(
        decimal_places=scale, gt=-bound, lt=bound, description=number_rules(precision, scale)
    )


def number_rules(precision: int, scale: int) -> str:
    return f"At most {precision} digits, {scale} of them after the decimal point"


def in_utc_range(value: datetime) -> datetime:
    """A timestamp is stored in UTC: refuse one whose UTC value no datetime can hold."""
    try:
        value.astimezone(UTC)
    except OverflowError:
        raise ValueError("its UTC value must fall within the years 1 to 9999") from None
    return value


def written_as_text(value: object) -> object:
    """Refuse a number for a date or a timestamp, which pydantic would read as seconds
    since 1970: 2024 would be 1970-01-01T00:33:44Z, and 1.5 the date 1970-01-01."""
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        raise ValueError("it must be written as text (ISO 8601), not as a number")
    return value


# A DATE: a date written YYYY-MM-DD.
Date = Annotated[date, BeforeValidator(written_as_text)]

# The fraction of a second in an ISO 8601 timestamp's text.
FRACTION = re.compile(r"\d\d:\d\d:\d\d[.,](\d+)")


def to_the_microsecond(value: object) -> object:
    """Refuse a timestamp written to more than the microsecond a TIMESTAMP(6) holds, as a
    datetime would silently drop the rest."""
    fraction = FRACTION.search(value) if isinstance(value, str) else None
    if fraction and len(fraction[1].rstrip("0")) > 6:
        raise ValueError("it may give at most 6 digits of a second (microseconds)")
    return value


TIMESTAMP_RULES = (
    "With its UTC offset, to the microsecond at most; the UTC value falls within the years "
    "1 to 9999"
)
Timestamp = Annotated[
    AwareDatetime,
    BeforeValidator(written_as_text),
    BeforeValidator(to_the_microsecond),
    AfterValidator(in_utc_range),
    Field(description=TIMESTAMP_RULES),
]


# A stored item's fields, as from_row reads them back. A column took each value only
# within the rules above, so those that cost most to check are not checked again: a
# decimal's places and bounds, how a date or a timestamp was written, and its range. Each
# is described as before, so the OpenAPI schema is the same. For a page of 20 items, each
# such field checked again would add 3 to 7% to the request's instructions (callgrind:
# docs/performance.md in the template's repository).
StoredDate = date
StoredTimestamp = Annotated[AwareDatetime, Field(description=TIMESTAMP_RULES)]


def stored_number(precision: int, scale: int) -> Any:
    """A NUMBER(precision, scale) column's value, described as `number` describes it."""
    return Field(description=number_rules(precision, scale))


@overload
def int_from_db(value: Decimal) -> int: ...
@overload
def int_from_db(value: None) -> None: ...
def int_from_db(value: Decimal | None) -> int | None:
    return None if value is None else int(value)


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
