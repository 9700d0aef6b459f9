"""A request id for every request: in the X-Request-ID header and in every log record.

A client's own X-Request-ID is kept when it looks like one; otherwise the service makes
one. The id lives in a context variable, so log records written on an executor thread
carry it too (the bridge copies the context into the thread). With tracing, the request's
span carries it as well.
"""

import atexit
import itertools
import json
import logging
import queue
import re
import secrets
import sys
import threading
import time
from contextlib import suppress
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import TextIO

from opentelemetry import trace
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADER = "X-Request-ID"
request_id: ContextVar[str] = ContextVar("request_id", default="-")
ACCEPTED = re.compile(r"[A-Za-z0-9._-]{1,64}")
# The request span's attribute for the id, named as OpenTelemetry names a response header.
SPAN_ATTRIBUTE = "http.response.header.x-request-id"


class RequestIdMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = Headers(scope=scope).get(HEADER, "")
        # Otherwise 128 random bits, 32 hex digits: a uuid4's hex, less the UUID object
        # made for it, which cost 1% of a list request (bench/).
        current = given if ACCEPTED.fullmatch(given) else secrets.token_hex(16)
        # Not reset afterwards: each request runs in a task of its own, and the handler of
        # last resort (500s), which runs outside this middleware, still needs it.
        request_id.set(current)
        # FastAPI's span for the request, when there is one; without tracing, a no-op.
        trace.get_current_span().set_attribute(SPAN_ATTRIBUTE, [current])

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)[HEADER] = current
            await send(message)

        await self.app(scope, receive, send_with_id)


class RequestIdFilter(logging.Filter):
    """Puts the current request id on each record, as `request_id`, for formatters."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True


class AccessLineFilter(logging.Filter):
    """Writes a `"` in an access line's target as %22: uvicorn writes the query as it was
    sent, and a quote in it would end the quotes around the request line, for whatever
    reads the line after."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == "uvicorn.access" and isinstance(record.args, tuple):
            record.args = tuple(
                arg.replace('"', "%22") if isinstance(arg, str) else arg for arg in record.args
            )
        return True


class OneLineFormatter(logging.Formatter):
    """One line per record: a driver error's second line ("Help: ...") or a traceback
    would otherwise reach the log as lines of their own, with no time or request id."""

    def format(self, record: logging.LogRecord) -> str:
        return super().format(record).replace("\r", "\\r").replace("\n", "\\n")


class JsonFormatter(logging.Formatter):
    """One JSON object per record, for a log collector: time (UTC), level, logger, request
    id, message, and the exception's traceback when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", "-"),
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


class LogWriter:
    """Writes log lines from a thread of its own, so the event loop never waits for the
    log's reader. stderr and stdout are pipes the container runtime reads; a reader that
    falls behind (a slow disk, a stalled log driver) fills the pipe, and each write then
    blocks until it reads again, on the event loop: every request, and the access log's
    line for each, would wait for it.

    At most `limit` lines wait. Past that a line is dropped and counted, and the count is
    written once the reader takes lines again. Closed (at shutdown, or at exit), it writes
    what waits, for up to `exit_wait` seconds: a reader that never comes back cannot hold
    up the exit.
    """

    BATCH = 512  # lines written at once, when that many wait

    def __init__(self, limit: int = 10_000, exit_wait: float = 2.0) -> None:
        self._lines: queue.Queue[tuple[TextIO, str] | None] = queue.Queue(limit)
        self._exit_wait = exit_wait
        self._dropped = 0
        self._closed = False
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._write, name="log-writer", daemon=True)
        self._thread.start()
        atexit.register(self.close)

    def put(self, stream: TextIO, line: str) -> None:
        """Leave `line` to be written to `stream`; drop it if too many wait. Once the
        writer is closed, write it here."""
        if self._closed:
            write(stream, line + "\n")
            return
        try:
            self._lines.put_nowait((stream, line))
        except queue.Full:
            with self._lock:
                self._dropped += 1

    def flush(self) -> None:
        """Wait until what waits is written; for `exit_wait` seconds at most. Through each
        handler, `logging.shutdown` calls it: at exit, and before the threadpool mode's
        `os._exit`. Once closed, there is nothing to wait for."""
        if self._closed:
            return
        done = self._lines.all_tasks_done
        with done:
            done.wait_for(lambda: not self._lines.unfinished_tasks, self._exit_wait)

    def close(self) -> None:
        """Write what waits, then stop; for `exit_wait` seconds at most. Lines logged
        afterwards are written as they are logged."""
        if self._closed:
            return
        self._closed = True
        deadline = time.monotonic() + self._exit_wait
        with suppress(queue.Full):
            self._lines.put(None, timeout=self._exit_wait)
        self._thread.join(max(0.0, deadline - time.monotonic()))

    def _write(self) -> None:
        while True:
            waiting = [self._lines.get()]
            with suppress(queue.Empty):
                while len(waiting) < self.BATCH and waiting[-1] is not None:
                    waiting.append(self._lines.get_nowait())
            lines = [item for item in waiting if item is not None]
            # One write for each run of lines to the same stream, in the order logged.
            for stream, run in itertools.groupby(lines, key=lambda item: item[0]):
                write(stream, "".join(line + "\n" for _, line in run))
            with self._lock:
                dropped, self._dropped = self._dropped, 0
            if dropped:
                note = f"{dropped} log lines were dropped: the log's reader fell behind\n"
                write(sys.stderr, note)
            for _ in waiting:
                self._lines.task_done()
            if waiting[-1] is None:
                return


def write(stream: TextIO, text: str) -> None:
    """Write and flush, as logging's StreamHandler does; a closed stream loses the text."""
    with suppress(OSError, ValueError):
        stream.write(text)
        stream.flush()


class BackgroundHandler(logging.Handler):
    """A stream's handler whose records are formatted where they are logged, and written
    by the `LogWriter`."""

    def __init__(self, stream: TextIO, writer: LogWriter) -> None:
        super().__init__()
        self.stream = stream
        self.writer = writer

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record)
        except Exception:
            self.handleError(record)
            return
        self.writer.put(self.stream, line)

    def flush(self) -> None:
        self.writer.flush()


def configure_logging(level: str = "INFO", log_format: str = "text") -> LogWriter | None:
    """Log to stderr with time, level, logger and request id, unless logging is set up:
    as text lines, or as JSON objects, uvicorn's own records among them. Every line,
    uvicorn's too, is written by the `LogWriter` returned, never on the event loop."""
    root = logging.getLogger()
    if root.handlers:
        return None
    writer = LogWriter()
    handler = BackgroundHandler(sys.stderr, writer)
    handler.addFilter(RequestIdFilter())
    handler.addFilter(AccessLineFilter())
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(
            OneLineFormatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")
        )
    # uvicorn gave its loggers handlers of their own, with formats of their own and no
    # request id; its records are written through this one, so its access lines carry the
    # request id and a traceback it logs stays on one line, as every other record.
    for name in ("uvicorn", "uvicorn.access"):
        uvicorn_logger = logging.getLogger(name)
        uvicorn_logger.handlers = [handler]
        uvicorn_logger.propagate = False
    root.addHandler(handler)
    root.setLevel(level)
    return writer
