"""uvicorn's httptools protocol, with a bound on a request's line and headers: their size,
and the time they take to arrive.

httptools buffers a request's head however long it grows: a client sending header bytes
without end holds that much of the server's memory (200 MB sent, 200 MB held), and a few
such clients end the process. And uvicorn waits for a head however long it takes: a
client that connects and sends nothing, or a head a byte at a time, holds its connection
for good, so a few thousand of them exhaust the server's connections. uvicorn's other
parser, h11, bounds the size only, and costs about a third more CPU a request.

This protocol counts what arrives while a request's head is incomplete: past
MAX_HEAD_BYTES it answers 431, and a head not complete HEAD_TIMEOUT seconds after the
connection opened or the head began answers 408; either way the connection then closes.
A connection that sends nothing in that time is closed without an answer.
A request httptools cannot parse (a malformed line or header, or a length given two
ways, the start of request smuggling) is answered 400, problem JSON as every refusal
here, where uvicorn answers it in plain text; after the answers to the requests before
it on the connection, where uvicorn's would come first.

A body that is slow to come holds its connection as long, with a task waiting for it:
once its head is in, a body has BODY_TIMEOUT seconds to arrive, and one more for every
MIN_BODY_RATE bytes that do, as Apache's RequestReadTimeout gives (body=20,MinRate=500).
A body that falls behind is answered 408, and the connection closes. Time when this
server is not reading (it holds a pipelined request, or a body its handler has not read
yet) does not count. The size of a body is bounded by body_limit.py.

The Docker image and scripts/serve run uvicorn with this protocol, as
`--http <package>.request_head:HeadLimitedProtocol`.
"""

import asyncio
import json
import logging
from http import HTTPStatus

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

# nginx takes 32 KiB of request headers by default, Node.js 16 KiB.
MAX_HEAD_BYTES = 65_536
# nginx gives a client 60 s to send its headers, Apache 20 s at first.
HEAD_TIMEOUT = 20.0
# A body's time: this much, and a second more for every MIN_BODY_RATE bytes received.
BODY_TIMEOUT = 20.0
MIN_BODY_RATE = 500

logger = logging.getLogger(__name__)


def refusal(status: HTTPStatus, detail: str, headers: list[tuple[bytes, bytes]]) -> bytes:
    """A whole HTTP/1.1 response, problem JSON, for a request the app never sees."""
    body = json.dumps(
        {"type": "about:blank", "title": status.phrase, "status": status.value, "detail": detail}
    ).encode()
    head = [f"HTTP/1.1 {status.value} {status.phrase}".encode()]
    head += [name + b": " + value for name, value in headers]
    head += [b"content-type: application/problem+json", b"content-length: %d" % len(body)]
    head += [b"connection: close"]
    return b"\r\n".join(head) + b"\r\n\r\n" + body


class HeadLimitedProtocol(HttpToolsProtocol):
    # Seconds a head may take, counted from the connection or from the head's first bytes.
    head_timeout = HEAD_TIMEOUT
    # Bytes received of the request head being read; None once it is complete.
    head_bytes: int | None = None
    # Heads begun on this connection: a chunk in which one begins may end another request,
    # so it is not counted (at most one chunk, 256 KiB, more is held than the limit).
    heads_begun = 0
    head_timer: asyncio.TimerHandle | None = None
    # The request's URL so far; uvicorn sets it anew as each request begins.
    url = b""
    # A refusal that waits for the answers to the requests before it on the connection.
    refusal: bytes | None = None
    # Seconds a body may take from the end of its head, and the bytes that earn one more.
    body_timeout = BODY_TIMEOUT
    body_rate = MIN_BODY_RATE
    # When the body being read began to count, and the bytes of it received since.
    body_began = 0.0
    body_bytes = 0
    body_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.head_timer = self.loop.call_later(self.head_timeout, self.head_timed_out)

    def connection_lost(self, exc: Exception | None) -> None:
        self.stop_head_timer()
        self.stop_body_timer()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self.head_bytes = 0
        self.heads_begun += 1

    def on_headers_complete(self) -> None:
        self.head_bytes = None
        self.stop_head_timer()
        super().on_headers_complete()

    def on_body(self, body: bytes) -> None:
        super().on_body(body)
        self.body_bytes += len(body)

    def on_message_complete(self) -> None:
        super().on_message_complete()
        if self.body_timer is not None:  # a body that took more than one chunk
            self.stop_body_timer()

    def data_received(self, data: bytes) -> None:
        begun = self.heads_begun
        super().data_received(data)
        if self.transport.is_closing():
            return
        cycle = self.cycle
        # A body still to come, and its answer (not a GET's, whole in this chunk): its
        # time starts.
        if (
            cycle is not None
            and cycle.more_body
            and not cycle.response_complete
            and self.body_timer is None
        ):
            self.body_began, self.body_bytes = self.loop.time(), 0
            self.body_timer = self.loop.call_later(self.body_timeout, self.body_timed_out)
        if self.head_bytes is None:
            return
        if self.head_timer is None:  # a head that takes more than this chunk
            self.head_timer = self.loop.call_later(self.head_timeout, self.head_timed_out)
        if self.heads_begun == begun:  # every byte of the chunk was this head's
            self.head_bytes += len(data)
        if self.head_bytes <= MAX_HEAD_BYTES:
            return
        if self.answering():
            # A pipelined head: uvicorn reads again once the answer before it is out.
            self.flow.pause_reading()
            return
        detail = f"The request line and headers exceed {MAX_HEAD_BYTES} bytes"
        self.refuse(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, detail)

    def head_timed_out(self) -> None:
        self.head_timer = None
        if self.transport.is_closing():
            return
        if self.answering():  # a pipelined head: its time starts again
            self.head_timer = self.loop.call_later(self.head_timeout, self.head_timed_out)
            return
        if self.head_bytes is None:
            # Nothing sent at all: closed without an answer, as uvicorn closes an idle
            # kept-alive connection. A proxy that opened it ahead of a request could take
            # an answer for that request's.
            self.transport.close()
            return
        detail = f"The request line and headers took more than {self.head_timeout:g} s"
        self.refuse(HTTPStatus.REQUEST_TIMEOUT, detail)

    def body_timed_out(self) -> None:
        self.body_timer = None
        cycle = self.cycle
        if cycle is None or not cycle.more_body or self.transport.is_closing():
            return
        now = self.loop.time()
        if self.flow.read_paused:
            # This server is not reading now (a pipelined request waits its turn, or the
            # handler has yet to read what came): the client is not behind.
            self.body_began, self.body_bytes = now, 0
            self.body_timer = self.loop.call_later(self.body_timeout, self.body_timed_out)
            return
        due = self.body_began + self.body_timeout + self.body_bytes / self.body_rate
        if now < due:  # it earned more time as it came
            self.body_timer = self.loop.call_later(due - now, self.body_timed_out)
            return
        if cycle.response_complete:  # answered already: nothing waits for the rest
            self.transport.close()
            return
        detail = (
            f"The request body did not arrive in time: {self.body_timeout:g} s, and one more "
            f"for every {self.body_rate} bytes"
        )
        self.refuse(HTTPStatus.REQUEST_TIMEOUT, detail)

    def send_400_response(self, msg: str) -> None:
        # uvicorn's `msg` says only that httptools refused the request. One reason is a URL
        # it cannot parse for its length (over 65 535 bytes), in a head past the bound.
        if len(self.url) > MAX_HEAD_BYTES:
            detail = f"The request line and headers exceed {MAX_HEAD_BYTES} bytes"
            self.refuse(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, detail)
            return
        detail = "The request is not valid HTTP/1.1: its request line or a header is malformed"
        self.refuse(HTTPStatus.BAD_REQUEST, detail)

    def on_response_complete(self) -> None:
        super().on_response_complete()  # starts the next pipelined request, if any
        if self.refusal is not None and not self.answering() and not self.transport.is_closing():
            self.transport.write(self.refusal)
            self.transport.close()

    def answering(self) -> bool:
        """Whether the answer to an earlier request on the connection is still under way:
        a refusal written now would come before it."""
        return self.cycle is not None and not self.cycle.response_complete

    def refuse(self, status: HTTPStatus, detail: str) -> None:
        logger.warning("%s: answered %d", detail, status)
        self.head_bytes = None
        self.stop_head_timer()
        answer = refusal(status, detail, self.server_state.default_headers)
        cycle = self.cycle
        if cycle is not None and cycle.more_body and not cycle.response_complete:
            # Refused for the body being read (malformed, or too slow): the answer to its
            # request, now (its handler sees the client gone), unless that has begun.
            if cycle.response_started:
                answer = b""
        elif self.answering():  # a request after those being answered: last, after them
            self.refusal = answer
            self.flow.pause_reading()
            return
        self.transport.write(answer)
        self.transport.close()

    def stop_head_timer(self) -> None:
        if self.head_timer is not None:
            self.head_timer.cancel()
            self.head_timer = None

    def stop_body_timer(self) -> None:
        if self.body_timer is not None:
            self.body_timer.cancel()
            self.body_timer = None
