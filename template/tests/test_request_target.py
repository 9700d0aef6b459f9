"""The request's target and method before routing: a path with an encoded slash (%2F), or
an encoded letter, digit or mark, names nothing (404), a target that is no path is OPTIONS
of the server (204) or a 400, and HEAD is GET without its body."""

import json

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from starlette.types import Message

from tests.conftest import http_scope


@pytest.mark.parametrize("path", ["/health%2Flive", "/health%2flive", "/health/live%2F"])
async def test_a_path_with_an_encoded_slash_is_the_404_problem_of_a_path_no_route_has(
    client: httpx.AsyncClient, path: str
) -> None:
    # Starlette routes on the decoded path, where /health%2Flive is /health/live.
    given = "5d41402abc4b2a76b9719d911017c592"
    response = await client.get(path, headers={"X-Request-ID": given})
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json() == {
        "type": "about:blank",
        "title": "Not Found",
        "status": 404,
        "detail": "Not Found: an encoded slash (%2F) in a path is not a separator",
        "instance": path,  # as the client sent it, not as the path it would have been
    }
    assert response.headers["x-request-id"] == given  # answered as any other request


@pytest.mark.parametrize(
    "path",
    [
        "/health/liv%65",
        "/%68ealth/live",
        "/health/live%2E",
        "/health/%6C%69ve",
        "/%5F%7e%2d",
        # Each range of the unreserved characters on its own: p to z and P to Z, digits,
        # and each mark.
        "/health/li%76e",
        "/health/%50",
        "/health/%31",
        "/health/live%7E",
        "/health/live%2D",
        "/health/live%5f",
    ],
)
async def test_a_path_with_an_encoded_letter_digit_or_mark_is_a_404_problem(
    client: httpx.AsyncClient, path: str
) -> None:
    # /health/liv%65 is /health/live decoded: the same URL, by RFC 3986, written another way.
    response = await client.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json() == {
        "type": "about:blank",
        "title": "Not Found",
        "status": 404,
        "detail": "Not Found: a letter, a digit, '-', '.', '_' or '~' is written as itself"
        " in a path, not percent-encoded",
        "instance": path,
    }


@pytest.mark.parametrize("path", ["/health/live%20", "/health/live%25", "/health/live%C3%A9"])
async def test_a_character_that_needs_encoding_reaches_routing_encoded(
    client: httpx.AsyncClient, path: str
) -> None:
    response = await client.get(path)
    assert response.status_code == 404
    assert response.json()["detail"] == "Not Found"  # no route has it: routed, not refused


async def test_an_encoded_slash_in_the_query_string_is_data(client: httpx.AsyncClient) -> None:
    response = await client.get("/health/live?next=%2Fbooks%2F1")
    assert response.status_code == 200


@pytest.mark.parametrize("path", ["/health/live", "/openapi.json", "/metrics"])
async def test_head_is_get_without_the_body(client: httpx.AsyncClient, path: str) -> None:
    got = await client.get(path)
    head = await client.head(path)
    # The server drops the body, as its scope says HEAD (tests/test_serve.py, in the
    # template's repository, asks uvicorn); in process, the headers are the GET's.
    assert head.status_code == got.status_code == 200
    assert head.headers["content-type"] == got.headers["content-type"]


async def test_head_of_a_path_with_no_get_is_still_refused(client: httpx.AsyncClient) -> None:
    assert (await client.head("/no-such-path")).status_code == 404


async def asterisk(app: FastAPI, method: str) -> tuple[int, dict[str, str], bytes]:
    """A request whose target is `*` (the asterisk form), as uvicorn passes it on; its
    status, headers and body."""
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    async with LifespanManager(app) as started:
        await started.app(http_scope(method, "*", [(b"host", b"test")]), receive, send)
    start = next(message for message in sent if message["type"] == "http.response.start")
    headers = {name.decode(): value.decode() for name, value in start["headers"]}
    body = b"".join(message.get("body", b"") for message in sent[1:])
    return start["status"], headers, body


async def test_options_of_the_server_in_general_is_answered_204(app: FastAPI) -> None:
    status, headers, body = await asterisk(app, "OPTIONS")
    assert (status, body) == (204, b"")
    assert headers["x-request-id"]  # answered as any other request


@pytest.mark.parametrize("method", ["GET", "HEAD", "POST", "DELETE"])
async def test_any_other_method_with_an_asterisk_target_is_a_400_problem(
    app: FastAPI, method: str
) -> None:
    # Routed, `GET *` was a 404: a path no route has, where it is no path at all.
    status, headers, body = await asterisk(app, method)
    assert status == 400
    assert headers["content-type"] == "application/problem+json"
    assert headers["x-request-id"]
    if method != "HEAD":
        assert json.loads(body) == {
            "type": "about:blank",
            "title": "Bad Request",
            "status": 400,
            "detail": "Only OPTIONS takes * as its target; every other method takes a path",
            "instance": "*",
        }
