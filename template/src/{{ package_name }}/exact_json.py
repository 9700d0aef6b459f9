"""Request bodies read with every digit of their numbers, for the resources' routers.

JSON has one kind of number. Python's json module reads one with a fraction or an exponent
as a float, which holds 15 to 17 significant digits, so a decimal(18, 2) field sent
`1234567890123456.78` would get 1234567890123456.8, changed without a word. Read as a
Decimal instead, the number arrives as the client wrote it, and the field's own rules
take or refuse it. Whole numbers are read as int, exactly, either way.
"""

import json
from collections.abc import Callable, Coroutine
from decimal import Decimal
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute


class ExactJSONRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = json.loads(await self.body(), parse_float=Decimal)
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
