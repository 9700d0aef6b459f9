"""Cancel a request's handler when its client goes away before the response starts.

Uvicorn lets a handler run on after its client has disconnected. Cancelling it lets a
database call still waiting for its turn give up its place in the queue: that call never
runs. A call already running is broken off (asyncio API) or finishes on its thread.

The request body is read first (these are JSON APIs: bodies are small), so that the only
message left to receive is the disconnect, which a watcher waits for beside the handler.
The watcher starts once the handler has run for `WATCH_AFTER` seconds: most requests are
answered before that, and a task for each of them cost 1 to 2% of a list request's
instructions (bench/). A client that leaves is noticed within that much of leaving, or
as soon as it leaves after that.
"""

import asyncio

from starlette.types import ASGIApp, Message, Receive, Scope, Send

WATCH_AFTER = 0.05


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
        loop = asyncio.get_running_loop()
        gone: asyncio.Future[Message] = loop.create_future()
        started = False
        # The handler runs in this task, and only the watcher gets a task of its own.
        task = asyncio.current_task()
        if task is None:  # an ASGI server runs every request in a task of its own
            raise RuntimeError("CancelOnDisconnectMiddleware must run in an asyncio task")
        cancelled_here = False

        async def replay() -> Message:
            # The body as the client sent it; after that, what the server would say next.
            return body.pop(0) if body else await asyncio.shield(gone)

        async def send_and_note(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        async def watch() -> None:
            nonlocal cancelled_here
            message = await receive()  # the server says http.disconnect: client or response done
            gone.set_result(message)
            if not started:
                cancelled_here = True
                task.cancel()

        watcher: asyncio.Future[None] | None = None

        def start_watching() -> None:
            nonlocal watcher
            watcher = asyncio.ensure_future(watch())

        timer = loop.call_later(WATCH_AFTER, start_watching)
        try:
            await self.app(scope, replay, send_and_note)
        except asyncio.CancelledError:
            if not cancelled_here or task.uncancel() > 0:
                raise  # cancelled from outside (too): pass it on
        finally:
            timer.cancel()
            if watcher is not None:
                watcher.cancel()
