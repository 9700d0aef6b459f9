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
is refused by its field (422), not by Python's int, which stops at 4300 (400). NaN,
Infinity and -Infinity, which Python's json reads and JSON has not, are not JSON (422):
a float field of yours would take them, and answer them as null.

An object that gives a key more than once, `{"title": "a", "title": "b"}`, at any depth,
is refused (422), its error's `loc` the way to the key: json.loads would keep the last
value, where a proxy, a firewall or a log may read the first. As a query parameter given
twice is (`given_once`), for the same reason.

A body that does not say it is JSON, or that is compressed, is refused with 415 and what
to send instead (`json_only`). FastAPI would read either as bytes, and answer that the
body "should be a valid dictionary", which sends a client looking in the wrong place.
"""

import asyncio
import itertools
import json
import operator
import re
import weakref
from collections.abc import Callable, Coroutine, Iterator
from decimal import Decimal, InvalidOperation
from http import HTTPStatus
from typing import Any, NoReturn

from fastapi import Request, Response, params
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel
from starlette.datastructures import Headers, QueryParams
from starlette.exceptions import HTTPException

ZERO = Decimal(0)
TOO_SMALL = Decimal("1e-131")
INFINITE = Decimal("Infinity")
UNSUPPORTED = HTTPStatus.UNSUPPORTED_MEDIA_TYPE
JSON = "Content-Type: application/json"
# The answer to a write with an If-Match or an If-None-Match that fails (`unconditional`).
PRECONDITION = (
    "The service gives no ETags for If-Match or If-None-Match to match; send the version "
    "you read: an update's `version`, a delete's `?version=`"
)
# One parameter of a Content-Type, after its media type: `;` and `name=value`, the value a
# token or a quoted string (RFC 9110, 5.6.6); or `;` alone.
NAME = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"  # RFC 9110's token
PARAMETER = re.compile(rf'[ \t]*;[ \t]*(?:({NAME})=({NAME}|"(?:[^"\\]|\\.)*"))?[ \t]*')
QUOTED_PAIR = re.compile(r"\\(.)")
# A quoted string (an ETag's opaque part), in an If-Match or If-None-Match.
QUOTED = re.compile(r'"[^"]*"')
# JSON documents that describe a change rather than the item: JSON Merge Patch (RFC 7396)
# and JSON Patch (RFC 6902).
PATCHES = frozenset({"merge-patch+json", "json-patch+json"})
# pydantic's message for a key a model that forbids others does not take.
EXTRA = "Extra inputs are not permitted"
# And for a body sent to a route that takes none.
NO_BODY = "This request takes no body"
# A 422 lists this many errors at most (problems.py): a body of a MiB with a hundred thousand
# unknown keys would otherwise be answered with ten.
MAX_ERRORS = 20
# A run of more digits than `exact_whole_number` reads as an int: in a body with none, json's
# own int() reads every whole number alike, in C, with no Python call for each of them.
# Looked for only where a run of ASCII digits (JSON's) starts: tried at every digit, a MiB
# of 40-digit runs took 41 steps a character, 170 ms of the event loop's time.
LONG_RUN = re.compile(r"[0-9](?<![0-9][0-9])[0-9]{40}")
# A JSON string, or NaN, Infinity or -Infinity outside one (the group): Python's json reads
# those three, and JSON has none (RFC 8259, 6). Looked for only once json.loads met one.
CONSTANT = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|(-?Infinity|NaN)')
# The steps `where_repeated` takes at most, a Python step each (about 2 µs): a member of an
# object, a member of an array that holds anything, or the end of either. Past them, the
# key given twice is the body's, with no way to it.
MAX_STEPS = 30_000


def exact_number(text: str) -> Decimal:
    """A JSON number with a fraction or an exponent, as the Decimal it writes."""
    try:
        number = Decimal(text)
    except InvalidOperation:
        # An exponent past a Decimal's own (10 ** 18 and more either way): valid JSON, which
        # would otherwise reach FastAPI as an error that is not a JSONDecodeError, a bare 400.
        return beyond_any_exponent(text)
    if not number:
        return ZERO  # whatever exponent it was written with: 0e999999999 too
    if number.adjusted() >= 126:
        return INFINITE.copy_sign(number)
    if number.adjusted() < -130:
        return TOO_SMALL.copy_sign(number)
    return number


def beyond_any_exponent(text: str) -> Decimal:
    """A JSON number whose exponent no Decimal holds: 0, or past any NUMBER either way. Its
    digits before the exponent are at most a body's length: they cannot bring it back."""
    digits, _, exponent = text.lower().partition("e")
    mantissa = Decimal(digits)
    if not mantissa:
        return ZERO
    return (TOO_SMALL if exponent.startswith("-") else INFINITE).copy_sign(mantissa)


def exact_whole_number(text: str) -> int | Decimal:
    """A JSON number with neither a fraction nor an exponent."""
    return int(text) if len(text) <= 40 else exact_number(text)


class RepeatedKeyError(Exception):
    """An object gives a key more than once (raised by `unique_keys`)."""


class KeyGivenTwiceError(HTTPException):
    """The body gives a key twice in an object, at `loc`. An HTTPException, because FastAPI
    answers any other error raised while it reads a body with a bare 400; `ExactJSONRoute`
    raises it again as the RequestValidationError (422) it is."""

    def __init__(self, loc: list[str | int]) -> None:
        super().__init__(HTTPStatus.UNPROCESSABLE_ENTITY, "A key is given twice in an object")
        self.loc = loc


class UnknownKeysError(HTTPException):
    """A body with more keys its model refuses than a 422 lists (MAX_ERRORS), or one such
    key pydantic cannot read (`is_text`). pydantic would make an error of each, every one
    of them: a body of a MiB with a hundred thousand such keys took half a second of the
    event loop. Raised as the RequestValidationError (422) it is, with the first of them."""

    def __init__(self, keys: list[str]) -> None:
        super().__init__(HTTPStatus.UNPROCESSABLE_ENTITY, "Keys the body's model does not take")
        self.keys = keys


def unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """An object's members, as json.loads reads them, unless it gives a key twice."""
    members = dict(pairs)
    if len(members) < len(pairs):
        raise RepeatedKeyError
    return members


def read(
    body: bytes,
    object_pairs_hook: Callable[[list[tuple[str, Any]]], Any],
    number: Callable[[str], Any] | None = None,
) -> Any:
    """The body's JSON, each number read by `number`, or exactly (`exact_number`) without
    one; a body that is not JSON raises JSONDecodeError saying why, which FastAPI answers
    422 (any other error would be a bare 400)."""
    try:
        # JSON sent between systems is UTF-8 (RFC 8259, 8.1), which the OpenAPI document's
        # application/json means. json.loads would also read bytes as UTF-16 or -32, and
        # UTF-8 with surrogates in it ("surrogatepass"); a byte order mark is ignored, as
        # the RFC allows.
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise json.JSONDecodeError("the body is not UTF-8 text", "", exc.start) from None
    whole = number or (exact_whole_number if LONG_RUN.search(text) else None)

    def not_json(constant: str) -> NoReturn:
        found = (match.start(1) for match in CONSTANT.finditer(text) if match[1])
        raise json.JSONDecodeError(f"{constant} is not JSON", text, next(found, 0))

    try:
        return json.loads(
            text,
            object_pairs_hook=object_pairs_hook,
            parse_float=number or exact_number,
            parse_int=whole,
            parse_constant=not_json,
        )
    except RecursionError:
        raise json.JSONDecodeError("the body is nested too deeply", "", 0) from None


# The types of an object and an array, as `where_repeated` reads them.
NESTED = frozenset((tuple, list))


def where_repeated(body: bytes) -> list[str | int]:
    """The loc of the first key an object gives again: an object's own keys before those of
    the objects in it, as the body is written.

    The body is read again, each object as the tuple of its members (every pair kept) and
    each number as its text: read with a list subclass for each object and the exact
    numbers, a MiB of 350 000 empty objects held the event loop for 0.19 s; so, 0.016 s.
    Past MAX_STEPS, the loc is the body's: a MiB of 200 000 arrays of one number each, the
    key at its end, held it for 0.7 s."""
    document = read(body, tuple, number=str)
    way: list[str | int] = []
    # Each open object's or array's members still to look at; walked without recursion,
    # which would stop short of the depth json.loads reads.
    todo: list[Iterator[tuple[str | int, Any]]] = [iter([("body", document)])]
    for _ in range(MAX_STEPS):
        if not todo:
            break
        step = next(todo[-1], None)
        if step is None:
            todo.pop()
            continue
        key, value = step
        del way[len(todo) - 1 :]  # the keys to the object or array it is a member of
        way.append(key)
        if isinstance(value, tuple):  # an object: a JSON array is a list
            keys: set[str] = set()
            for member, _ in value:
                if member in keys:
                    return [*way, member]
                keys.add(member)
            todo.append(iter(value))
        elif isinstance(value, list):
            # Only its objects and arrays that hold anything, picked in C: a step of this
            # loop for each member of an array of a MiB held the event loop for 0.2 s.
            nested = map(NESTED.__contains__, map(type, value))
            holding = map(operator.and_, nested, map(bool, value))
            todo.append(itertools.compress(enumerate(value), holding))
    return ["body"]  # past MAX_STEPS; or, not reached, no key given twice


# A body this long or longer is read on a thread, with which the event loop takes turns
# (the GIL's switch interval, 5 ms): `read` runs Python for each value, and a MiB of floats
# held the loop 0.2 to 0.6 s, every other request waiting. A shorter one is read at once,
# in less time than the hand-off takes.
READ_APART = 16_384
# Bodies read on threads at once, at most, and the others wait their turn. Read, a MiB of
# JSON is 20 to 30 MB of Python objects (a MiB of `{},` is 24 MB), and 64 bodies of a MiB,
# within HTTP_MAX_BODIES_BYTES, took the process to 692 MB read together, past the
# manifest's 512Mi; two at a time, to 200 MB, in the same time: the reads take turns
# with each other for the GIL either way.
READ_APART_AT_ONCE = 2

# Each event loop's turns to read a body apart: a semaphore waits on the loop it was first
# waited on (the tests run many loops in one process; the service one).
turns: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore]" = (
    weakref.WeakKeyDictionary()
)


def turn_to_read() -> asyncio.Semaphore:
    """The running event loop's turns to read a body apart (READ_APART_AT_ONCE)."""
    loop = asyncio.get_running_loop()
    if (semaphore := turns.get(loop)) is None:
        semaphore = turns[loop] = asyncio.Semaphore(READ_APART_AT_ONCE)
    return semaphore


class ExactJSONRequest(Request):
    # The keys the body's model takes, when it refuses others; None when it takes any.
    known: frozenset[str] | None = None

    async def json(self) -> Any:
        """The body's JSON, each object's keys given once (`read` says what else)."""
        if not hasattr(self, "_json"):
            body = await self.body()
            if len(body) < READ_APART:
                self._json = parsed(body, self.known)
            else:
                self._json = await read_apart(body, self.known)
        return self._json


async def read_apart(body: bytes, known: frozenset[str] | None) -> Any:
    """`parsed(body, known)` on a thread, in its turn (READ_APART_AT_ONCE).

    The turn is the thread's, not the request's: a request cancelled while its body is
    read (its client gone) leaves the thread reading on, holding the body and all it
    builds, and a turn given back then let the next bodies be read beside it, six at once
    where clients hung up (as many as the loop's default executor has threads).
    """
    turns = turn_to_read()
    await turns.acquire()
    reading = asyncio.ensure_future(asyncio.to_thread(parsed, body, known))

    def done(reading: "asyncio.Future[Any]") -> None:
        turns.release()
        if not reading.cancelled():
            reading.exception()  # seen, for a request gone: no "never retrieved" at exit

    reading.add_done_callback(done)
    return await asyncio.shield(reading)


def parsed(body: bytes, known: frozenset[str] | None) -> Any:
    """The JSON of `body`, each object's keys given once, and an object's keys all in
    `known` if given; KeyGivenTwiceError or UnknownKeysError if not."""
    try:
        value = read(body, unique_keys)
    except RepeatedKeyError:
        # Where, read again with every pair kept: only a refused body pays for it.
        # What follows the repeated key may not be JSON: that is the error, then.
        raise KeyGivenTwiceError(where_repeated(body)) from None
    if isinstance(value, Decimal):
        # A body that is a number alone, such as 0.0, is refused as JSON that is not an
        # object is. FastAPI validates a body with `from_attributes`, and pydantic would
        # read a Decimal as an object whose attributes are the fields: a model whose every
        # field is optional would take it, each field left out.
        value = float(value)
    if known is not None and isinstance(value, dict):
        unknown = (key for key in value if key not in known)
        first = list(itertools.islice(unknown, MAX_ERRORS + 1))
        # pydantic cannot read a key with a lone surrogate (JSON's "\udc00") at all: its
        # one error, "Input should be a valid string" for the whole body, would hide the
        # key's and every other.
        if len(first) > MAX_ERRORS or not all(map(is_text, first)):
            raise UnknownKeysError(first)
    return value


def is_text(key: str) -> bool:
    """Whether `key` is Unicode text, with no lone surrogate in it."""
    try:
        key.encode()
    except UnicodeEncodeError:
        return False
    return True


def known_keys(model: object) -> frozenset[str] | None:
    """The keys `model` takes, if it is a model that refuses others (extra="forbid")."""
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        return None
    if model.model_config.get("extra") != "forbid":
        return None
    return frozenset(field.alias or name for name, field in model.model_fields.items())


class ExactJSONRoute(APIRoute):
    """A route whose JSON body is read by `ExactJSONRequest`, and whose query parameters
    may each be given once; a write's query takes only its own, and a write with no body
    refuses one.

    FastAPI reads the last of a query parameter given more than once: `?limit=x&limit=5`
    would be served where `?limit=x` is refused, and a proxy or a log that reads the first
    would see another request than the one served. So such a request is refused (422).
    And FastAPI ignores a parameter the route does not have, and the body of a route that
    takes none: a delete sent `?Version=1`, or its version in a JSON body, would delete
    whatever the item holds now, where `?version=1` refuses a stale one. So a write refuses
    both (422), as a body's unknown key is. A read changes nothing, and takes what a cache
    buster adds (`?_=1700000000`).
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        names = tuple(parameter.alias for parameter in self.dependant.query_params)
        # A JSON body; a form's (Form, File) is read as a form, and is none of this.
        exact_body = self.body_field is not None and not isinstance(
            self.body_field.field_info, params.Form
        )
        takes_body = self.body_field is not None
        writes = not (self.methods or set()) <= {"GET", "HEAD"}
        if not names and not exact_body and not writes:
            return handler
        known = known_keys(self.body_field.field_info.annotation) if self.body_field else None

        async def checked(request: Request) -> Response:
            if writes:
                unconditional(request.headers)
                # A body sent in chunks may still be empty: the last chunk alone is none.
                if not takes_body and has_body(request.headers) and await request.body():
                    refused = {"type": "extra_forbidden", "loc": ("body",), "msg": NO_BODY}
                    raise RequestValidationError([refused])
            if request.scope["query_string"]:
                given_once(request.query_params, names, only_these=writes)
            if not exact_body:
                return await handler(request)
            json_only(request.headers)
            exact = ExactJSONRequest(request.scope, request.receive)
            exact.known = known
            try:
                return await handler(exact)
            except KeyGivenTwiceError as exc:
                error = {"type": "repeated", "loc": exc.loc, "msg": "Give this key once"}
                raise RequestValidationError([error]) from None
            except UnknownKeysError as exc:
                errors = [
                    {"type": "extra_forbidden", "loc": ("body", key), "msg": EXTRA}
                    for key in exc.keys
                ]
                raise RequestValidationError(errors) from None

        return checked


def declared_length(headers: Headers) -> int | None:
    """The length of the body that Content-Length declares, as httptools reads it: digits,
    ASCII ones (RFC 9110, 8.6), so `00` is 0, and zeros in front count for nothing however
    many there are. None where it declares none."""
    value = headers.get("content-length", "").strip()
    if not (value.isascii() and value.isdigit()):
        return None
    # int() refuses more than 4300 digits: past 20 (2**64 has 20), a length no server reads,
    # its first 21 are more than any limit all the same.
    return int(value.lstrip("0")[:21] or "0")


def has_body(headers: Headers) -> bool:
    """Whether the request has a body: a length other than 0, or one sent in chunks."""
    return "transfer-encoding" in headers or declared_length(headers) not in (None, 0)


def unconditional(headers: Headers) -> None:
    """Refuse a write whose precondition fails (412). The service gives no ETags, so no
    representation matches an If-Match that lists some, and an If-None-Match of `*` fails
    wherever the item exists (RFC 9110, 13.1.1 and 13.1.2): ignored, a write a client meant
    to make only on what it read would overwrite or delete another's change. `If-Match: *`
    holds wherever the item exists (where it does not, the write answers 404 as it would
    without it, 13.2.1), and an If-None-Match that lists ETags matches none. The version
    the client read says what an ETag would. A field given on several lines is one list
    (RFC 9110, 5.3), as a proxy may read it: `If-Match: *` and `If-Match: "x"` list an
    ETag, and an If-None-Match with `*` among its members lists `*`. Checked before the
    item is looked up, a failing precondition is a 412 where the item does not exist too,
    where RFC 9110 (13.2.1) would have the 404 first: one round trip fewer for every write,
    and no write is made either way."""
    matching = headers.getlist("if-match")
    if matching and ",".join(matching).strip() != "*":
        raise HTTPException(HTTPStatus.PRECONDITION_FAILED, PRECONDITION)
    # An ETag is quoted, and may hold a comma or a `*`: the members are what is left.
    members = QUOTED.sub('""', ",".join(headers.getlist("if-none-match"))).split(",")
    if any(member.strip() == "*" for member in members):
        raise HTTPException(HTTPStatus.PRECONDITION_FAILED, PRECONDITION)


def members(headers: Headers, name: str) -> list[str]:
    """The members of a list field, lowercase, of every line it is given on (a proxy may
    read all of them, RFC 9110, 5.3); empty members do not count (5.6.1): `, chunked` is
    chunked."""
    listed = ",".join(headers.getlist(name)).lower().split(",")
    return [member.strip() for member in listed if member.strip()]


def json_only(headers: Headers) -> None:
    """Refuse a body whose Content-Type is not JSON, which has a Content-Encoding, or a
    transfer coding other than chunked (501).

    No body at all goes on, whatever its headers say: the body field then answers 422,
    "Field required". JSON is `application/json` or any `application/...+json`, as FastAPI
    reads one, but for a patch's (`merge-patch+json`, `json-patch+json`), which is no item.
    A coded (gzip, br...) body is refused with `Accept-Encoding: identity`, the codings the
    service takes (RFC 9110, 15.5.16).
    """
    framing = ", ".join(members(headers, "transfer-encoding"))
    if framing not in ("", "chunked"):
        # httptools frames the body by the last coding and ignores the rest, which a proxy
        # in front may apply: another body than the one read here (RFC 9112, 6.1).
        detail = f"A body with Transfer-Encoding {framing[:100]!r} is not accepted; send it chunked"
        raise HTTPException(HTTPStatus.NOT_IMPLEMENTED, detail)
    codings = members(headers, "content-encoding")
    if any(coding != "identity" for coding in codings):
        coding = ", ".join(codings)
        detail = f"A body with Content-Encoding {coding[:100]!r} is not accepted; send it unencoded"
        raise HTTPException(UNSUPPORTED, detail, headers={"Accept-Encoding": "identity"})
    if not has_body(headers):
        return
    if len(headers.getlist("content-type")) > 1:
        # A field of one value, given twice: which one a proxy in front read is anyone's guess.
        raise HTTPException(HTTPStatus.BAD_REQUEST, "Content-Type is given more than once")
    media_type, semicolon, parameters = headers.get("content-type", "").partition(";")
    media_type = media_type.strip().lower()
    kind, _, subtype = media_type.partition("/")
    # A subtype is a token, one: `application/x/+json` is no JSON to FastAPI, which read
    # its body as text, a 422 where a 415 says why.
    is_json = subtype == "json" or subtype.endswith("+json")
    if kind != "application" or not is_json or not re.fullmatch(NAME, subtype):
        given = f"Content-Type {media_type[:100]!r}" if media_type else "no Content-Type"
        raise HTTPException(UNSUPPORTED, f"The body must be JSON, sent as {JSON}; it has {given}")
    if subtype in PATCHES:
        # JSON, but a change to apply, where a field left out stays as it is (RFC 7396):
        # read as the whole item, it would store null in each field the patch leaves out.
        detail = f"A patch ({media_type}) is not accepted: send the whole item, as {JSON}"
        raise HTTPException(UNSUPPORTED, detail)
    if not semicolon:
        return
    charsets = [
        value for name, value in media_parameters(semicolon + parameters) if name == "charset"
    ]
    if len(charsets) > 1:
        raise HTTPException(HTTPStatus.BAD_REQUEST, "Content-Type gives its charset more than once")
    if charsets and charsets[0].lower() not in ("utf-8", "utf8", "us-ascii"):
        # The body is read as UTF-8 whatever it says, where a proxy in front that reads it
        # as it says would see another body.
        detail = f"The body must be UTF-8 JSON; it says charset {charsets[0][:40]!r}"
        raise HTTPException(UNSUPPORTED, detail)


def media_parameters(text: str) -> list[tuple[str, str]]:
    """Each parameter of `text`, what follows a media type (`; charset="utf-8"`), as its
    name in lower case and its value, unquoted; a 400 if `text` is not parameters.

    Read as RFC 9110 writes them, not searched: a quoted value may hold `;charset=`, and
    a search found it there, so `x="a;charset=utf-8"; charset=latin1` passed as UTF-8.
    """
    parameters = []
    position = 0
    while position < len(text):
        found = PARAMETER.match(text, position)
        if found is None:
            raise HTTPException(HTTPStatus.BAD_REQUEST, "Content-Type's parameters are malformed")
        if found[1] is not None:
            value = found[2]
            if value.startswith('"'):
                value = QUOTED_PAIR.sub(r"\1", value[1:-1])
            parameters.append((found[1].lower(), value))
        position = found.end()
    return parameters


def given_once(given: QueryParams, names: tuple[str, ...], *, only_these: bool) -> None:
    """Refuse each of `names` that the query gives more than once; and, `only_these`, each
    parameter it gives that is none of them."""
    unknown = only_these and any(name not in names for name in given)
    if len(given.multi_items()) == len(given) and not unknown:
        return  # the usual case, at the cost of two lengths
    errors = [
        {"type": "extra_forbidden", "loc": ("query", name), "msg": EXTRA, "input": value}
        for name, value in given.items()
        if only_these and name not in names
    ]
    errors += [
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
