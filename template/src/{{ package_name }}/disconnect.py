"""Cancel a request's handler when its client goes away before the response starts.

Uvicorn lets a handler run on after its client has disconnected. Cancelling it lets a
database call still waiting for its turn give up its place in the queue: that call never
runs. A call already running finishes on its thread (threadpool mode), or, with the
asyncio API, is broken off: the bridge lists it in the request's `Departure`, and a break
sent to Oracle (`Connection.cancel`) ends it (ORA-01013), or its call timeout does; then
the bridge ends the request as cancelled. Its task is not cancelled: the driver would send
a break of its own and wait for Oracle's answer with no bound, forever on an Oracle that
has stopped answering (BaseAsyncProtocol `_process_message` and `_reset`,
impl/thin/protocol.pyx), and the call would hold its place and its connection as long.

The request body is read first (these are JSON APIs: bodies are small), so that the only
message left to receive is the disconnect, which a watcher waits for beside the handler.
The watcher starts once the handler has run for `WATCH_AFTER` seconds: most requests are
answered before that, and a task for each of them cost 1 to 2% of a list request's
instructions (the template's bench/). A client that leaves is noticed within that much
of leaving, or as soon as it leaves after that.

A request whose client left before the answer got none, so the server logs no access line
for it: this module logs its one line instead (and the metrics count it as 499), for a
client that left while it was still sending its request too. A client
that left before the watcher began is noticed as its answer starts, which goes no further:
the server would drop it unsent (uvicorn's `send` once the connection is lost), and it
would be counted as answered. The line then gives the status nobody got: the handler ran
to its end, a write, say, made.
Uvicorn reads a half-close after the request (`nc -N`, Go's `CloseWrite`) as leaving.
"""

import asyncio
import logging
from contextvars import ContextVar
from typing import Protocol

from starlette.types import ASGIApp, Message, Receive, Scope, Send

WATCH_AFTER = 0.05

logger = logging.getLogger(__name__)


class Breakable(Protocol):
    def cancel(self) -> None:
        """Break off the statement under way (python-oracledb's `Connection.cancel`)."""

    def is_healthy(self) -> bool:
        """Whether the driver still has the connection's socket (`Connection.is_healthy`)."""


class Departure:
    """A request's database calls under way (asyncio API), and whether its client left."""

    __slots__ = ("calls", "gone")

    def __init__(self) -> None:
        self.calls: list[Breakable] = []
        # Whether the client left before the answer started: the calls then under way were
        # broken off, and the bridge ends the request as cancelled.
        self.gone = False


# The current request's, which the bridge lists its running calls in.
departure: ContextVar[Departure | None] = ContextVar("departure", default=None)


def gone_at_once(receive: Receive) -> bool:
    """Whether the server says at once that the client has gone: `http.disconnect`, the only
    message left once the body is read. An awaitable that has its result ends when first
    stepped; one that would wait yields a future first, and is closed then, without its
    task waiting on it (uvicorn's `receive` waits on an `asyncio.Event`, a queue's `get` on
    a future; each gives it up as it would on a cancellation)."""
    step = receive().__await__()
    try:
        step.send(None)
    except StopIteration as said:
        message: Message = said.value
        kind: str = message["type"]
        return kind == "http.disconnect"
    step.close()
    return False


def log_gone(scope: Scope, took: float, when: str) -> None:
    """The one line for a request whose client left before its answer, `took` seconds in."""
    request = f"{scope['method']} {scope['path']}"
    logger.info("%r got no answer: its client went away after %.3f s%s", request, took, when)


class CancelOnDisconnectMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        loop = asyncio.get_running_loop()
        began = loop.time()
        body: list[Message] = []
        while not body or body[-1].get("more_body", False):
            message = await receive()
            if message["type"] == "http.disconnect":
                log_gone(scope, loop.time() - began, ", before its request was read")
                return
            body.append(message)
        gone: asyncio.Future[Message] = loop.create_future()
        started = False
        unsent: int | None = None  # the status of an answer whose client had gone
        # The handler runs in this task, and only the watcher gets a task of its own.
        task = asyncio.current_task()
        if task is None:  # an ASGI server runs every request in a task of its own
            raise RuntimeError("CancelOnDisconnectMiddleware must run in an asyncio task")
        cancelled_task = False  # by the watcher
        here = Departure()

        async def replay() -> Message:
            # The body as the client sent it; after that, what the server would say next.
            return body.pop(0) if body else await asyncio.shield(gone)

        async def send_and_note(message: Message) -> None:
            nonlocal started, unsent
            if not started and not here.gone and gone_at_once(receive):
                # Gone before the watcher began: the handler ran to its end (a write made),
                # and its answer is one nobody gets.
                here.gone = True
                unsent = message["status"]
            started = started or message["type"] == "http.response.start"
            if not here.gone:
                await send(message)

        async def watch() -> None:
            nonlocal cancelled_task
            message = await receive()  # the server says http.disconnect: client or response done
            gone.set_result(message)
            if not started:
                here.gone = True
                if here.calls:  # broken off; the bridge ends the request once they end
                    for call in here.calls:
                        # One whose socket the driver has closed (Oracle or the network
                        # dropped it, and its call is yet to hear) ends with DPY-4011 on
                        # its own: thin mode would write the break to the transport it no
                        # longer has, and the process would die of a segmentation fault
                        # (`_break_external`, impl/thin/protocol.pyx).
                        if call.is_healthy():
                            call.cancel()
                else:
                    cancelled_task = True
                    task.cancel()

        watcher: asyncio.Future[None] | None = None

        def start_watching() -> None:
            nonlocal watcher
            watcher = asyncio.ensure_future(watch())

        timer = loop.call_later(WATCH_AFTER, start_watching)
        token = departure.set(here)
        try:
            await self.app(scope, replay, send_and_note)
        except asyncio.CancelledError:
            # Cancelled here, or ended by the bridge for the client that left; cancelled
            # from outside too (a shutdown), it goes on.
            outside = task.uncancel() if cancelled_task else task.cancelling()
            if not here.gone or outside > 0:
                raise
        finally:
            departure.reset(token)
            timer.cancel()
            if watcher is not None:
                watcher.cancel()
            if here.gone:
                before = "" if unsent is None else f", before its answer ({unsent}) began"
                log_gone(scope, loop.time() - began, before)
