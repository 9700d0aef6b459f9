"""Cancel a request's handler when its client goes away before the response starts.

Uvicorn lets a handler run on after its client has disconnected. Cancelling it lets a
database call still waiting for an executor thread give up its place in the queue: that
call never runs. A call already running finishes on its thread either way.

The request body is read first (these are JSON APIs: bodies are small), so that the only
message left to receive is the disconnect, which a watcher waits for beside the handler.
"""

import asyncio
from contextlib import suppress

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class CancelOnDisconnectMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body: list[Message] = []
        while not body or body[-1].get("more_body", False):
            message = await receive()
            if message["type"] == "http.disconnect":
                return  # gone before the request was even read
            body.append(message)
        gone: asyncio.Future[Message] = asyncio.get_running_loop().create_future()
        started = False

        async def replay() -> Message:
            # The body as the client sent it; after that, what the server would say next.
            return body.pop(0) if body else await asyncio.shield(gone)

        async def send_and_note(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        handler = asyncio.ensure_future(self.app(scope, replay, send_and_note))

        async def watch() -> None:
            message = await receive()  # the server says http.disconnect: client or response done
            gone.set_result(message)
            if not started:
                handler.cancel()

        watcher = asyncio.ensure_future(watch())
        try:
            with suppress(asyncio.CancelledError):
                await handler
            if handler.cancelled() and not gone.done():
                raise asyncio.CancelledError  # we were cancelled from outside: pass it on
        finally:
            watcher.cancel()
