"""How values are held in Oracle columns, and back: one converter for each direction.

Every NUMBER is read as a Decimal (`fetch_decimals`). Integers live in NUMBER(19), which
holds no fraction, and come back as int: int() costs less than pydantic's own making of an
int from a Decimal, which checks it for a fraction first.
Booleans live in NUMBER(1) as 0 or 1 (SQL BOOLEAN needs Oracle 23ai). Timestamps live in
TIMESTAMP as naive UTC; the API only takes and gives timezone-aware ones. DATE comes back
as a datetime at midnight. Each converter passes None through, for optional fields.
"""

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Context, Decimal
from functools import cache
from typing import Annotated, Any, overload

from fastapi import Query
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BeforeValidator,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    StrictBool,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError, core_schema

# A request's values must take the forms its OpenAPI schema gives them, no others. Pydantic
# reads more: "12" and true as the integers 12 and 1; 1, "yes" and "on" as true; "1e2",
# " 1" and "1_000" as decimals; "2024-01-01T00:00:00Z" as a date. A client that checks its
# requests against the schema, or a tool that tests the service by it, would find the
# service taking what the schema refuses. So each type here refuses what its schema does.


def a_json_integer(value: object) -> object:
    """Refuse text and booleans for an integer, as its schema ("type": "integer") does, and
    a number with a fraction; a whole one written with a point or an exponent is its int.

    In time that grows only with the number's digits: pydantic's own making of an int from
    a Decimal grows with their square, whether it finds a fraction or not (a million zeros
    after the point, a body under its limit, held the event loop for 30 to 36 s).
    exact_json.py bounds the exponent, so the int has at most 126 digits."""
    if isinstance(value, str | bool):
        raise ValueError("it must be a JSON integer, not text or a boolean")
    if isinstance(value, Decimal) and value.is_infinite():
        return int(past_any_number(value))
    if isinstance(value, Decimal) and value.is_finite():
        _, digits, exponent = value.as_tuple()
        if int(exponent) < 0 and any(digits[int(exponent) :]):
            raise ValueError("it must be a whole number, with no fraction")
        return int(value)
    return value


def past_any_number(value: Decimal) -> Decimal:
    """An infinite Decimal as a field's bounds see it: exact_json.py reads a number of 126
    digits and more as infinite (no NUMBER holds it), which pydantic would refuse as "not
    a finite number". As the least such number, it is refused for the bound it is past."""
    return Decimal("1E+126").copy_sign(value)


# An integer in a path or a query string: its digits, as JSON writes it and as a client
# writes the integer its schema asks for. Pydantic would also read " 1", "+1", "1.0", "01",
# "1_0" and "-0", each another URL for the same row or page, which a proxy's, a cache's or
# a log's rules for the one URL would miss.
INTEGER_TEXT = re.compile(r"0|-?[1-9][0-9]*")


def written_in_digits(value: object) -> object:
    if isinstance(value, str) and not INTEGER_TEXT.fullmatch(value):
        raise PydanticCustomError(
            "int_parsing",
            "Input should be a valid integer, written in digits with a minus sign if negative, "
            "and no plus sign, leading zero, space, point or separator",
        )
    return value


# A path's or a query's integer parameter: Annotated[int, Query(...), IN_DIGITS].
IN_DIGITS = BeforeValidator(written_in_digits)

# Keys and versions live in NUMBER(19) and start at 1: an identity, and the first version.
KEY_MAX = 10**19 - 1
# The version a client last read, as a query parameter: a delete's, which has no body.
ReadVersion = Annotated[
    int | None,
    Query(
        ge=1,
        le=KEY_MAX,
        description=(
            "The version you last read: refused (409) if it has changed since. Left out, "
            "the delete is made whatever changed"
        ),
    ),
    IN_DIGITS,
]
# FastAPI writes a body's bounds into the OpenAPI document as floats (its `Schema` model,
# fastapi/openapi/models.py): 10 ** 19 - 1 would read 1e+19, which allows 10 ** 19. So the
# bound is exclusive, 10 ** 19, which a float and its text both hold exactly.
Version = Annotated[int, Field(ge=1, lt=KEY_MAX + 1), BeforeValidator(a_json_integer)]


def int64(schema: dict[str, Any]) -> None:
    """A 64-bit integer's schema: OpenAPI's format "int64", which is exactly its range.
    As floats, its bounds would be written 9.223372036854776e+18, which is 2 ** 63 to a
    float but 9223372036854776000 to a tool that reads the text as a decimal."""
    del schema["minimum"], schema["maximum"]
    schema["format"] = "int64"


# An int field lives in NUMBER(19): a 64-bit integer. A stored one is not checked again.
INT64 = Field(ge=-(2**63), le=2**63 - 1, json_schema_extra=int64)
BigInt = Annotated[int, INT64, BeforeValidator(a_json_integer)]
StoredBigInt = Annotated[int, INT64]
# JSON's true and false, not 0, 1 or words.
Bool = StrictBool


def varchar2(max_length: int) -> Any:
    """The rules of a VARCHAR2(max_length CHAR) column: not empty, at most that long.

    Named, as `number` is, for an Oracle reserved word, which no field may be called: a
    field named like a function its class uses would hide it (an optional field `text`
    would set `text` to None for the fields after it).
    """
    return Field(min_length=1, max_length=max_length)


def number(precision: int, scale: int) -> "NumberColumn":
    """The rules of a NUMBER(precision, scale) column, stated in the OpenAPI schema too."""
    return NumberColumn(precision, scale)


@dataclass(frozen=True)
class DescribedNumber:
    """A Decimal field of a NUMBER(precision, scale) column, its rules in its schema
    (`described`), whether they are checked (`NumberColumn`) or not (`StoredNumberColumn`)."""

    precision: int
    scale: int

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return described(handler(schema), self.precision, self.scale)


@dataclass(frozen=True)
class NumberColumn(DescribedNumber):
    """A NUMBER(precision, scale) column's rules for a Decimal field, in its schema too.

    At most `scale` places after the point, and less than 10 ** (precision - scale) either
    way: together, at most `precision` digits. Not pydantic's `max_digits`, which counts
    the 0 before the point of a zero, so a NUMBER(2, 2) would refuse the 0 it holds.

    A JSON number, or its text: digits with at most one point (`decimal_text`), as the
    service writes a decimal. The schema says both, the places as `multipleOf`.
    """

    def __get_pydantic_core_schema__(
        self, source: type[Any], handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        bound = 10 ** (self.precision - self.scale)
        rules = Field(decimal_places=self.scale, gt=-bound, lt=bound)
        checked = handler.generate_schema(Annotated[source, rules])
        return core_schema.no_info_before_validator_function(self.written_plainly, checked)

    def written_plainly(self, value: object) -> object:
        if isinstance(value, Decimal) and value.is_infinite():
            return past_any_number(value)
        if isinstance(value, str) and not in_decimal_text(value, self.precision, self.scale):
            rules = number_rules(self.precision, self.scale).lower()
            raise ValueError(f"as text: digits, one point at most, a sign if any; {rules}")
        return value


@cache
def decimal_text(precision: int, scale: int) -> re.Pattern[str]:
    """The text of a NUMBER(precision, scale)'s value: an optional sign, then at most
    precision - scale digits before the point and scale after it, but for zeros leading or
    trailing. ASCII digits only; no exponent, no spaces, no separators."""
    whole = precision - scale
    before = "0*[0-9]{1," + str(whole) + "}" if whole else "0+"
    after = r"(\.[0-9]{1," + str(scale) + "}0*)?" if scale else r"(\.0+)?"
    return re.compile(f"^[+-]?{before}{after}$")


def in_decimal_text(text: str, precision: int, scale: int) -> bool:
    """Whether `decimal_text(precision, scale)` matches `text` in full, found in time that
    grows only with its length: the pattern, run, goes back over a run of zeros at every
    step of a near miss (a MiB of zeros and then an x held the event loop for 0.44 s)."""
    digits = text[1:] if text[:1] in ("+", "-") else text
    whole, point, fraction = digits.partition(".")
    if not (whole.isascii() and whole.isdigit()):  # at least one digit, ASCII only
        return False
    if point and not (fraction.isascii() and fraction.isdigit()):
        return False
    return len(whole.lstrip("0")) <= precision - scale and len(fraction.rstrip("0")) <= scale


def number_rules(precision: int, scale: int) -> str:
    return f"At most {precision} digits, {scale} of them after the decimal point"


def described(json_schema: JsonSchemaValue, precision: int, scale: int) -> JsonSchemaValue:
    """A decimal's schema with its column's rules: its text's pattern, a number's places.

    A request's decimal is a JSON number or its text; a response's, its text.
    """
    text = {"pattern": decimal_text(precision, scale).pattern}
    for form in json_schema.get("anyOf", [json_schema]):
        form.update({"multipleOf": 10.0**-scale} if form["type"] == "number" else text)
    json_schema["description"] = number_rules(precision, scale)
    return json_schema


# The days Python's calendar has and Oracle's does not. Oracle's DATE and TIMESTAMP follow
# the Julian calendar up to 1582-10-04 and the Gregorian from the next day, 1582-10-15;
# Python's dates are Gregorian all the way back. python-oracledb sends and reads a date's
# year, month and day as they are, so the two agree on every other day but for a 29
# February of 1500, 1400, 1300, ..., 100, which only Oracle has: the table's check refuses
# it, since python-oracledb cannot read it into a date.
NOT_IN_ORACLES_CALENDAR = (date(1582, 10, 5), date(1582, 10, 14))
CALENDAR_RULE = "1582-10-05 to 1582-10-14 are not days in Oracle's calendar"


def lacked_by_oracle(day: date) -> bool:
    first, last = NOT_IN_ORACLES_CALENDAR
    return first <= day <= last


def in_oracles_calendar(value: date) -> date:
    """Refuse a date Oracle's calendar does not have: its days go from 1582-10-04 (Julian)
    to 1582-10-15 (Gregorian)."""
    if lacked_by_oracle(value):
        raise ValueError(
            f"{CALENDAR_RULE}: it goes from 1582-10-04 (Julian) to 1582-10-15 (Gregorian)"
        )
    return value


def in_utc_range(value: datetime) -> datetime:
    """A timestamp is stored in UTC: refuse one whose UTC value no datetime can hold, or
    whose UTC date Oracle's calendar does not have."""
    try:
        utc = value.astimezone(UTC)
    except OverflowError:
        raise ValueError("its UTC value must fall within the years 1 to 9999") from None
    if lacked_by_oracle(utc.date()):
        raise ValueError(f"in UTC, {CALENDAR_RULE}, whose days go from 1582-10-04 to 1582-10-15")
    return value


def written_as_text(value: object) -> object:
    """Refuse a number for a date or a timestamp, which pydantic would read as seconds
    since 1970: 2024 would be 1970-01-01T00:33:44Z, and 1.5 the date 1970-01-01."""
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        raise ValueError("it must be written as text (ISO 8601), not as a number")
    return value


# A DATE: a date written YYYY-MM-DD, as its schema's format ("date", RFC 3339's full-date)
# has it. Pydantic would also read a timestamp at midnight as its date.
DATE_TEXT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def written_as_a_date(value: object) -> object:
    if isinstance(value, str) and not DATE_TEXT.fullmatch(value):
        raise ValueError("it must be a date written YYYY-MM-DD")
    return written_as_text(value)


DATE_RULES = f"A date written YYYY-MM-DD, of the years 0001 to 9999; {CALENDAR_RULE}"
Date = Annotated[
    date,
    BeforeValidator(written_as_a_date),
    AfterValidator(in_oracles_calendar),
    Field(description=DATE_RULES),
]

# A TIMESTAMP's text, as its schema's format ("date-time", RFC 3339) has it: the seconds,
# any fraction after a point, and Z or the offset with its colon. Pydantic would also read
# a space for the T, no seconds, and an offset without its colon.
TIMESTAMP_TEXT = re.compile(
    DATE_TEXT.pattern + r"[Tt](?P<hour>[0-9]{2}):(?P<minute>[0-9]{2}):(?P<second>[0-9]{2})"
    r"(?:\.(?P<fraction>[0-9]+))?"  # a fraction of a second
    r"(?:[Zz]|[+-](?P<offset_hour>[0-9]{2}):(?P<offset_minute>[0-9]{2}))"  # Z, or the offset
)


def written_as_a_timestamp(value: object) -> object:
    """Refuse a timestamp in any other form, or written to more than the microsecond a
    TIMESTAMP(6) holds, as a datetime would silently drop the rest."""
    if not isinstance(value, str):
        return written_as_text(value)
    written = TIMESTAMP_TEXT.fullmatch(value)
    if not written:
        raise ValueError(
            "it must be an RFC 3339 timestamp: YYYY-MM-DDTHH:MM:SS, any fraction of a second, "
            "then Z or the offset (+HH:MM)"
        )
    if written["fraction"] and len(written["fraction"].rstrip("0")) > 6:
        raise ValueError("it may give at most 6 digits of a second (microseconds)")
    if written["second"] == "60":
        # RFC 3339 allows one; a datetime and a TIMESTAMP both stop at 59.
        raise ValueError("a leap second (:60) cannot be stored: seconds go from 00 to 59")
    # Past these, pydantic's own message speaks of extra characters at the end.
    if written["hour"] > "23" or written["minute"] > "59" or written["second"] > "59":
        raise ValueError("its time must be from 00:00:00 to 23:59:59")
    if (written["offset_hour"] or "") > "23" or (written["offset_minute"] or "") > "59":
        raise ValueError("its offset must be from -23:59 to +23:59")
    return value


TIMESTAMP_RULES = (
    "With its UTC offset, to the microsecond at most, and no leap second (:60); written "
    "with a year of 0001 to 9999, and its UTC value within those years too, and "
    f"{CALENDAR_RULE}"
)
Timestamp = Annotated[
    AwareDatetime,
    BeforeValidator(written_as_a_timestamp),
    AfterValidator(in_utc_range),
    Field(description=TIMESTAMP_RULES),
]


# A stored item's fields, as from_row reads them back. A column took each value only
# within the rules above, so those that cost most to check are not checked again: a
# decimal's places and bounds, how a date or a timestamp was written, and its range. Each
# is described as before, so the OpenAPI schema is the same. For a page of 20 items, each
# such field checked again would add 3 to 7% to the request's instructions (callgrind;
# the template's docs/performance.md).
StoredDate = Annotated[date, Field(description=DATE_RULES)]
StoredTimestamp = Annotated[AwareDatetime, Field(description=TIMESTAMP_RULES)]


def stored_number(precision: int, scale: int) -> "StoredNumberColumn":
    """A NUMBER(precision, scale) column's value, described as `number` describes it."""
    return StoredNumberColumn(precision, scale)


@dataclass(frozen=True)
class StoredNumberColumn(DescribedNumber):
    """A stored NUMBER(precision, scale) value: described as `NumberColumn` describes it,
    and written as its text is (`decimal_text`), which a client may send back as it is.

    A Decimal is written with an exponent below 1e-6 (str() writes 1E-7), so a column with
    more than 6 places writes its values with `format`; the others never need it, and are
    spared the call: Oracle's value is read as digits (`fetch_decimals`), never with a
    positive exponent.
    """

    def __get_pydantic_core_schema__(
        self, source: type[Any], handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        if self.scale <= 6:
            return handler(source)
        return core_schema.decimal_schema(
            serialization=core_schema.plain_serializer_function_ser_schema(
                written_out, return_schema=core_schema.str_schema(), when_used="json"
            )
        )


def written_out(value: Decimal) -> str:
    """A Decimal's digits, with no exponent: 1E-7 as 0.0000001."""
    return format(value, "f")


@overload
def int_from_db(value: Decimal) -> int: ...
@overload
def int_from_db(value: None) -> None: ...
def int_from_db(value: Decimal | None) -> int | None:
    return None if value is None else int(value)


# Enough digits for any NUMBER's value (38), so quantizing one to its places is exact.
NUMBER_DIGITS = Context(prec=38)


@overload
def decimal_to_db(value: Decimal, scale: int) -> Decimal: ...
@overload
def decimal_to_db(value: None, scale: int) -> None: ...
def decimal_to_db(value: Decimal | None, scale: int) -> Decimal | None:
    """A decimal written as its NUMBER(p, scale) column holds it: `scale` places, no exponent.

    Its value is the same: validation kept it to the column's places, and zeros past them
    (1.50000..., 0e-500) are all this drops. python-oracledb refuses a number whose text
    is longer than 172 characters (DPY-4014) or whose point is more than 129 places below
    its first digit, a zero's too (DPY-4003); impl/base/encoders.pyx, encode_number.
    """
    if value is None:
        return None
    return value.quantize(Decimal(1).scaleb(-scale), context=NUMBER_DIGITS)


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
