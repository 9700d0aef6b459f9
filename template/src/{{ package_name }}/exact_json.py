"""Request bodies read with every digit of their numbers, for the resources' routers.

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
from fastapi.routing import APIRoute

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
        return self._json


class ExactJSONRoute(APIRoute):
    """A route whose JSON body is read by `ExactJSONRequest`; one with no body, as is."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        if self.body_field is None:
            return handler

        async def exact(request: Request) -> Response:
            return await handler(ExactJSONRequest(request.scope, request.receive))

        return exact
