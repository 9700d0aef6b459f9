"""Request bodies read with every digit of their numbers, and query parameters given once,
for the resources' routers (and yours, in routes.py).

JSON has one kind of number. Python's json module reads one with a fraction or an exponent
as a float, which holds 15 to 17 significant digits, so a decimal(18, 2) field sent
`1234567890123456.78` would get 1234567890123456.8, changed without a word. Read as a
Decimal instead, the number arrives as the client wrote it, and the field's own rules
take or refuse it. Whole numbers are read as int, exactly, either way.

A number no Oracle NUMBER holds, 1e126 and more or under 1e-130 (SQL Language Reference,
"NUMBER Data Type"), is read as infinite or as 1e-131, which every field refuses: read
exactly, `1e999999999` would cost an int field a billion digits to convert. A whole
number of more than 40 digits is read as a Decimal too, so one of thousands of digits
is refused by its field (422), not by Python's int, which stops at 4300 (400).
"""

import json
from collections.abc import Callable, Coroutine
from decimal import Decimal
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.datastructures import QueryParams

ZERO = Decimal(0)
TOO_SMALL = Decimal("1e-131")
INFINITE = Decimal("Infinity")


def exact_number(text: str) -> Decimal:
    """A JSON number with a fraction or an exponent, as the Decimal it writes."""
    number = Decimal(text)
    if not number:
        return ZERO  # whatever exponent it was written with: 0e999999999 too
    if number.adjusted() >= 126:
        return INFINITE.copy_sign(number)
    if number.adjusted() < -130:
        return TOO_SMALL.copy_sign(number)
    return number


def exact_whole_number(text: str) -> int | Decimal:
    """A JSON number with neither a fraction nor an exponent."""
    return int(text) if len(text) <= 40 else exact_number(text)


class ExactJSONRequest(Request):
    async def json(self) -> Any:
        """The body's JSON; a body that is not JSON raises JSONDecodeError saying why, which
        FastAPI answers 422 (any other error would be a bare 400)."""
        if not hasattr(self, "_json"):
            body = await self.body()
            try:
                self._json = json.loads(
                    body, parse_float=exact_number, parse_int=exact_whole_number
                )
            except UnicodeDecodeError as exc:
                # JSON is Unicode text (RFC 8259); json.loads reads UTF-8, -16 and -32.
                raise json.JSONDecodeError("the body is not UTF-8 text", "", exc.start) from None
            except RecursionError:
                raise json.JSONDecodeError("the body is nested too deeply", "", 0) from None
            if isinstance(self._json, Decimal):
                # A body that is a number alone, such as 0.0, is refused as JSON that is not
                # an object is. FastAPI validates a body with `from_attributes`, and pydantic
                # would read a Decimal as an object whose attributes are the fields: a model
                # whose every field is optional would take it, each field left out.
                self._json = float(self._json)
        return self._json


class ExactJSONRoute(APIRoute):
    """A route whose JSON body is read by `ExactJSONRequest`, and whose query parameters
    may each be given once; one with neither, as is.

    FastAPI reads the last of a query parameter given more than once: `?limit=x&limit=5`
    would be served where `?limit=x` is refused, and a proxy or a log that reads the first
    would see another request than the one served. So such a request is refused (422).
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        names = [parameter.alias for parameter in self.dependant.query_params]
        exact_body = self.body_field is not None
        if not names and not exact_body:
            return handler

        async def checked(request: Request) -> Response:
            if names:
                given_once(request.query_params, names)
            if exact_body:
                request = ExactJSONRequest(request.scope, request.receive)
            return await handler(request)

        return checked


def given_once(given: QueryParams, names: list[str]) -> None:
    """Refuse each of `names` that the query gives more than once."""
    if len(given.multi_items()) == len(given):
        return  # no name given twice, the usual case, at the cost of two lengths
    errors = [
        {
            "type": "repeated",
            "loc": ("query", name),
            "msg": "Give this parameter once",
            "input": given.getlist(name),
        }
        for name in names
        if len(given.getlist(name)) > 1
    ]
    if errors:
        raise RequestValidationError(errors)
