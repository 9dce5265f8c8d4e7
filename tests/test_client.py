"""The HTTP layer against httpx.MockTransport: headers, caching validators, retries,
deadlines, size caps, redirects and content checks. No test reaches the network or sleeps
for real (except the overall-deadline test, which waits 0.2 s)."""

from __future__ import annotations

import asyncio
import gzip
import time
import zlib
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path

import httpx
import pytest

import pith_tui
from pith_tui.core.client import USER_AGENT, FetchResult, PithHttpClient, Timeouts
from pith_tui.core.errors import (
    FetchError,
    FetchTimeoutError,
    NotFoundError,
    NotPithDocumentError,
    OfflineError,
    RedirectRefusedError,
    ServerError,
    TooLargeError,
)

BASE = "https://pith.science"
PITH_ID = "TJ77MKGIYVJE4LNYFYW7EA7KKL"
RECORD = f"{BASE}/pith/{PITH_ID}.json"
BODY = b'{"pith_number": "pith:2018:TJ77MKGIYVJE4LNYFYW7EA7KKL"}'
NOW = datetime(2025, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
JSON = {"Content-Type": "application/json"}

Handler = Callable[[httpx.Request], httpx.Response]


class Harness:
    """A client on a MockTransport that records requests and (fake) sleeps."""

    def __init__(self, handler: Handler, **kwargs: object) -> None:
        self.requests: list[httpx.Request] = []
        self.waits: list[float] = []

        async def recording(request: httpx.Request) -> httpx.Response:
            self.requests.append(request)
            response = handler(request)
            if asyncio.iscoroutine(response):
                response = await response
            return response

        async def fake_sleep(seconds: float) -> None:
            self.waits.append(seconds)

        kwargs.setdefault("base_url", BASE)
        self.client = PithHttpClient(
            transport=httpx.MockTransport(recording),
            sleep=fake_sleep,
            clock=lambda: NOW,
            **kwargs,  # type: ignore[arg-type]
        )

    async def fetch(self, url: str = RECORD, *, what: str = "the record", **kw: str) -> FetchResult:
        async with self.client:
            return await self.client.fetch(url, what=what, **kw)

    async def fails(self, error: type[FetchError], url: str = RECORD, **kw: str) -> str:
        """The message of the error the fetch must raise; it is always one plain line."""
        with pytest.raises(error) as caught:
            await self.fetch(url, **kw)
        message = str(caught.value)
        assert message and "\n" not in message
        for raw in ("httpx", "Errno", "Traceback", "Exception", "Error("):
            assert raw not in message
        return message


def ok(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, headers=JSON, content=BODY)


def sequence(*responses: httpx.Response | Exception) -> Handler:
    """Answer with each response (or raise each exception) in turn, then repeat the last."""
    queue = list(responses)

    def handler(request: httpx.Request) -> httpx.Response:
        item = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(item, Exception):
            raise item
        return item

    return handler


class ChunkStream(httpx.AsyncByteStream):
    """A body without Content-Length, sent in chunks; records how many were pulled."""

    def __init__(self, chunks: list[bytes], error: Exception | None = None) -> None:
        self.chunks = chunks
        self.error = error
        self.pulled = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self.chunks:
            self.pulled += 1
            yield chunk
        if self.error is not None:
            raise self.error


# --- success, headers, conditional requests -------------------------------------------------


async def test_200_sends_headers_and_returns_the_answer() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200,
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "ETag": '"v1"',
                "Last-Modified": "Wed, 01 Jan 2025 00:00:00 GMT",
            },
            content=BODY,
        )

    h = Harness(handler)
    result = await h.fetch()
    assert result == FetchResult(
        url=RECORD,
        status=200,
        body=BODY,
        etag='"v1"',
        last_modified="Wed, 01 Jan 2025 00:00:00 GMT",
        content_type="application/json; charset=utf-8",
        fetched_at=NOW,
    )
    (request,) = h.requests
    assert request.method == "GET"
    assert request.headers["Accept"] == "application/json"
    assert request.headers["User-Agent"] == USER_AGENT == f"pith-tui/{pith_tui.__version__}"
    assert "If-None-Match" not in request.headers
    assert "If-Modified-Since" not in request.headers
    assert h.waits == []


async def test_default_clock_is_aware_utc() -> None:
    async with PithHttpClient(BASE, transport=httpx.MockTransport(ok)) as client:
        result = await client.fetch(RECORD, what="the record")
    assert result.fetched_at.tzinfo is not None
    assert result.fetched_at.utcoffset() == timedelta(0)


async def test_conditional_request_gets_304_with_empty_body() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.headers.get("If-None-Match") == '"v1"':
            return httpx.Response(304, headers={"ETag": '"v1"'})
        return httpx.Response(200, headers={**JSON, "ETag": '"v1"'}, content=BODY)

    h = Harness(handler)
    first = await Harness(handler).fetch()
    assert first.etag == '"v1"'
    result = await h.fetch(etag=first.etag, last_modified="Wed, 01 Jan 2025 00:00:00 GMT")
    assert result.status == 304
    assert result.body == b""
    assert result.etag == '"v1"'
    assert result.last_modified == "Wed, 01 Jan 2025 00:00:00 GMT"  # kept from the request
    (request,) = h.requests
    assert request.headers["If-None-Match"] == '"v1"'
    assert request.headers["If-Modified-Since"] == "Wed, 01 Jan 2025 00:00:00 GMT"


# --- status mapping ------------------------------------------------------------------------


@pytest.mark.parametrize("status", [404, 410])
async def test_not_found(status: int) -> None:
    h = Harness(lambda r: httpx.Response(status, text="nope"))
    message = await h.fails(NotFoundError, what="arXiv:1711.04623")
    assert message == "Pith has no record for arXiv:1711.04623"
    assert len(h.requests) == 1


@pytest.mark.parametrize(
    ("status", "text"),
    [(400, "400 Bad Request"), (401, "401 Unauthorized"), (403, "403 Forbidden")],
)
async def test_other_4xx_is_a_server_error_without_retry(status: int, text: str) -> None:
    h = Harness(lambda r: httpx.Response(status))
    assert await h.fails(ServerError) == f"pith.science answered {text}"
    assert len(h.requests) == 1
    assert h.waits == []


async def test_500_is_not_retried() -> None:
    h = Harness(lambda r: httpx.Response(500))
    assert await h.fails(ServerError) == "pith.science answered 500 Internal Server Error"
    assert len(h.requests) == 1


@pytest.mark.parametrize("status", [502, 504])
async def test_gateway_errors_get_one_retry(status: int) -> None:
    h = Harness(lambda r: httpx.Response(status))
    assert (await h.fails(ServerError)).startswith(f"pith.science answered {status} ")
    assert len(h.requests) == 2
    assert h.waits == [0.5]


async def test_gateway_error_then_success() -> None:
    h = Harness(sequence(httpx.Response(502), httpx.Response(200, headers=JSON, content=BODY)))
    assert (await h.fetch()).body == BODY


async def test_unknown_status_is_named_by_number() -> None:
    h = Harness(lambda r: httpx.Response(499))
    assert await h.fails(ServerError) == "pith.science answered 499"


async def test_non_default_port_is_named() -> None:
    h = Harness(lambda r: httpx.Response(403), base_url="http://127.0.0.1:8000")
    message = await h.fails(ServerError, url="http://127.0.0.1:8000/pith/X.json")
    assert message == "127.0.0.1:8000 answered 403 Forbidden"


# --- retries -------------------------------------------------------------------------------


async def test_429_honours_retry_after_seconds() -> None:
    h = Harness(
        sequence(
            httpx.Response(429, headers={"Retry-After": "2"}),
            httpx.Response(200, headers=JSON, content=BODY),
        )
    )
    assert (await h.fetch()).body == BODY
    assert h.waits == [2]
    assert len(h.requests) == 2


async def test_retry_after_as_http_date_uses_the_clock() -> None:
    when = format_datetime(NOW + timedelta(seconds=3), usegmt=True)
    h = Harness(
        sequence(
            httpx.Response(503, headers={"Retry-After": when}),
            httpx.Response(200, headers=JSON, content=BODY),
        )
    )
    assert (await h.fetch()).status == 200
    assert h.waits == [3.0]


async def test_retry_after_in_the_past_or_unreadable() -> None:
    past = format_datetime(NOW - timedelta(hours=1), usegmt=True)
    h = Harness(
        sequence(
            httpx.Response(429, headers={"Retry-After": past}),
            httpx.Response(429, headers={"Retry-After": "soon"}),
            httpx.Response(200, headers=JSON, content=BODY),
        )
    )
    assert (await h.fetch()).status == 200
    assert h.waits == [0.0, 1.0]  # then: unreadable -> the backoff for the second retry


async def test_retry_after_longer_than_we_wait_gives_up_at_once() -> None:
    h = Harness(lambda r: httpx.Response(429, headers={"Retry-After": "120"}))
    message = await h.fails(ServerError)
    assert message == "pith.science answered 429 Too Many Requests and asked to wait 120 s"
    assert len(h.requests) == 1
    assert h.waits == []


async def test_503_retried_with_backoff_then_gives_up() -> None:
    h = Harness(lambda r: httpx.Response(503))
    assert await h.fails(ServerError) == "pith.science answered 503 Service Unavailable"
    assert len(h.requests) == 4  # the first attempt and max_retries=3 retries
    assert h.waits == [0.5, 1.0, 2.0]


async def test_max_retries_is_respected() -> None:
    h = Harness(lambda r: httpx.Response(429), max_retries=1)
    await h.fails(ServerError)
    assert len(h.requests) == 2
    h = Harness(lambda r: httpx.Response(503), max_retries=0)
    await h.fails(ServerError)
    assert len(h.requests) == 1
    assert h.waits == []


async def test_retry_waits_never_run_past_the_overall_deadline() -> None:
    h = Harness(lambda r: httpx.Response(503), timeouts=Timeouts(total=1.0))
    await h.fails(ServerError)
    assert h.waits == [0.5]  # a 1 s wait would end past the 1 s deadline: give up instead
    assert len(h.requests) == 2


async def test_connect_error_is_retried_then_offline() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno 111] Connection refused", request=request)

    h = Harness(handler)
    message = await h.fails(OfflineError)
    assert message == "cannot reach pith.science: the connection was refused"
    assert len(h.requests) == 4
    assert h.waits == [0.5, 1.0, 2.0]


async def test_a_name_that_does_not_resolve_fails_at_once() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno -2] Name or service not known", request=request)

    h = Harness(handler)
    message = await h.fails(OfflineError)
    assert message == "cannot reach pith.science: its name could not be looked up (DNS)"
    assert len(h.requests) == 1  # no network at all: no point waiting 3.5 s to say so
    assert h.waits == []


async def test_connect_error_then_success() -> None:
    h = Harness(
        sequence(
            httpx.ConnectError("[Errno 111] Connection refused"),
            httpx.Response(200, headers=JSON, content=BODY),
        )
    )
    assert (await h.fetch()).body == BODY
    assert h.waits == [0.5]


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (httpx.ConnectTimeout("timed out"), "the connection timed out"),
        (httpx.ConnectError("[Errno 111] Connection refused"), "the connection was refused"),
        (
            httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed"),
            "a secure (TLS) connection could not be set up",
        ),
        (httpx.ConnectError("All connection attempts failed"), "the connection failed"),
        (httpx.ConnectError("<object at 0x7f00>"), "the connection failed"),
    ],
)
async def test_connect_failure_reasons(error: Exception, reason: str) -> None:
    h = Harness(sequence(error), max_retries=0)
    assert await h.fails(OfflineError) == f"cannot reach pith.science: {reason}"


# --- timeouts ------------------------------------------------------------------------------


async def test_read_timeout_is_not_retried() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("The read operation timed out", request=request)

    h = Harness(handler)
    assert await h.fails(FetchTimeoutError) == "pith.science did not answer within 10 s"
    assert len(h.requests) == 1


async def test_read_timeout_in_the_body() -> None:
    stream = ChunkStream([b"{"], error=httpx.ReadTimeout("timed out"))
    h = Harness(lambda r: httpx.Response(200, headers=JSON, stream=stream))
    message = await h.fails(FetchTimeoutError)
    assert message == "pith.science stopped sending its answer for 10 s"


async def test_overall_deadline() -> None:
    async def slow(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(5)
        return httpx.Response(200, headers=JSON, content=BODY)

    h = Harness(slow, timeouts=Timeouts(total=0.2))
    started = time.monotonic()
    assert await h.fails(FetchTimeoutError) == "pith.science did not answer within 0.2 s"
    assert time.monotonic() - started < 2


def test_httpx_timeouts_come_from_timeouts() -> None:
    client = PithHttpClient(BASE, timeouts=Timeouts(connect=1.5, read=7.0, total=9.0))
    timeout = client._client.timeout
    assert (timeout.connect, timeout.read) == (1.5, 7.0)
    assert client._client.follow_redirects is False


# --- broken connections --------------------------------------------------------------------


async def test_protocol_error_mid_body() -> None:
    stream = ChunkStream([b'{"a":'], error=httpx.RemoteProtocolError("peer closed connection"))
    h = Harness(lambda r: httpx.Response(200, headers=JSON, stream=stream))
    message = await h.fails(ServerError)
    assert message == "the connection to pith.science broke while reading the answer"
    assert len(h.requests) == 1


async def test_connection_reset_mid_body() -> None:
    stream = ChunkStream([b'{"a":'], error=httpx.ReadError("[Errno 104] Connection reset by peer"))
    h = Harness(lambda r: httpx.Response(200, headers=JSON, stream=stream))
    message = await h.fails(OfflineError)
    assert message == "the connection to pith.science broke while reading the answer"


async def test_disconnect_before_answer() -> None:
    h = Harness(sequence(httpx.RemoteProtocolError("Server disconnected without response")))
    message = await h.fails(ServerError)
    assert message == "the connection to pith.science broke before it answered"


# --- size cap ------------------------------------------------------------------------------


async def test_content_length_over_the_cap_is_refused_before_reading() -> None:
    stream = ChunkStream([b"x" * 100] * 20)
    h = Harness(
        lambda r: httpx.Response(200, headers={**JSON, "Content-Length": "2000"}, stream=stream),
        max_bytes=1000,
    )
    assert await h.fails(TooLargeError) == "the answer from pith.science is larger than 1000 bytes"
    assert stream.pulled == 0


async def test_default_cap_is_4_mib() -> None:
    h = Harness(
        lambda r: httpx.Response(
            200,
            headers={**JSON, "Content-Length": str(4 * 1024 * 1024 + 1)},
            stream=ChunkStream([]),
        )
    )
    assert await h.fails(TooLargeError) == "the answer from pith.science is larger than 4 MiB"


async def test_chunked_body_over_the_cap_stops_early() -> None:
    stream = ChunkStream([b"x" * 400] * 100)
    h = Harness(lambda r: httpx.Response(200, headers=JSON, stream=stream), max_bytes=1000)
    await h.fails(TooLargeError)
    assert stream.pulled == 3  # 1200 bytes > 1000: the other 97 chunks are never read


async def test_body_exactly_at_the_cap_is_fine() -> None:
    stream = ChunkStream([b" " * 500, b" " * 499 + b"1"])
    h = Harness(lambda r: httpx.Response(200, headers=JSON, stream=stream), max_bytes=1000)
    assert len((await h.fetch()).body) == 1000


async def test_gzip_bomb_is_stopped() -> None:
    bomb = gzip.compress(b"\0" * (16 * 1024 * 1024), compresslevel=9)
    assert len(bomb) < 64 * 1024
    h = Harness(
        lambda r: httpx.Response(
            200, headers={**JSON, "Content-Encoding": "gzip"}, stream=ChunkStream([bomb])
        )
    )
    assert await h.fails(TooLargeError) == "the answer from pith.science is larger than 4 MiB"


@pytest.mark.parametrize(
    ("encoding", "compress"),
    [
        ("gzip", gzip.compress),
        ("x-gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("deflate", lambda data: zlib.compress(data)[2:-4]),  # raw deflate, as some servers send
        ("identity", lambda data: data),
    ],
)
async def test_compressed_bodies_are_decoded(
    encoding: str, compress: Callable[[bytes], bytes]
) -> None:
    data = compress(BODY)
    stream = ChunkStream([data[:5], data[5:]])
    h = Harness(
        lambda r: httpx.Response(200, headers={**JSON, "Content-Encoding": encoding}, stream=stream)
    )
    assert (await h.fetch()).body == BODY
    assert h.requests[0].headers["Accept-Encoding"] == "gzip, deflate"


async def test_truncated_or_corrupt_gzip() -> None:
    data = gzip.compress(BODY)
    gz = {**JSON, "Content-Encoding": "gzip"}
    h = Harness(lambda r: httpx.Response(200, headers=gz, stream=ChunkStream([data[:-10]])))
    assert await h.fails(ServerError) == "the compressed answer from pith.science was cut short"
    h = Harness(lambda r: httpx.Response(200, headers=gz, stream=ChunkStream([b"not gzip"])))
    assert await h.fails(ServerError) == "the answer from pith.science could not be decompressed"


async def test_unknown_content_encoding() -> None:
    br = {**JSON, "Content-Encoding": "br"}
    h = Harness(lambda r: httpx.Response(200, headers=br, stream=ChunkStream([b"\x0b\x01"])))
    assert (
        await h.fails(ServerError)
        == "pith.science answered with a compression pith-tui cannot read"
    )


# --- redirects -----------------------------------------------------------------------------


def redirects(routes: dict[str, tuple[int, str]]) -> Handler:
    """path -> (status, Location); any other path answers 200."""

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path in routes:
            status, location = routes[request.url.path]
            return httpx.Response(status, headers={"Location": location})
        return httpx.Response(200, headers=JSON, content=BODY)

    return handler


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
async def test_same_origin_redirect_is_followed(status: int) -> None:
    h = Harness(redirects({"/pith/1711.04623.json": (status, f"/pith/{PITH_ID}.json")}))
    result = await h.fetch(f"{BASE}/pith/1711.04623.json", etag='"e"')
    assert result.url == RECORD
    assert result.body == BODY
    assert [str(r.url) for r in h.requests] == [f"{BASE}/pith/1711.04623.json", RECORD]
    assert h.requests[1].headers["If-None-Match"] == '"e"'


async def test_absolute_same_origin_redirect_with_explicit_default_port() -> None:
    h = Harness(redirects({"/a": (301, "https://pith.science:443/b#frag")}))
    assert (await h.fetch(f"{BASE}/a")).url == f"{BASE}/b"


async def test_five_redirects_are_followed_but_not_six() -> None:
    chain = {f"/{i}": (302, f"/{i + 1}") for i in range(5)}
    h = Harness(redirects(chain))
    assert (await h.fetch(f"{BASE}/0")).url == f"{BASE}/5"
    chain = {f"/{i}": (302, f"/{i + 1}") for i in range(6)}
    h = Harness(redirects(chain))
    assert await h.fails(RedirectRefusedError, url=f"{BASE}/0") == (
        "pith.science redirected more than 5 times"
    )
    assert len(h.requests) == 6


async def test_redirect_to_another_host_is_refused() -> None:
    h = Harness(redirects({"/a": (302, "https://evil.example/pith/x.json")}))
    message = await h.fails(RedirectRefusedError, url=f"{BASE}/a")
    assert message == (
        "pith.science redirected to another site (evil.example); "
        "pith-tui follows redirects only within pith.science"
    )
    assert [r.url.host for r in h.requests] == ["pith.science"]


@pytest.mark.parametrize(
    "location",
    ["//evil.example/x", "https://pith.science.evil.example/x", "https://pith.science:8443/x"],
)
async def test_redirect_to_another_origin_is_refused(location: str) -> None:
    h = Harness(redirects({"/a": (301, location)}))
    await h.fails(RedirectRefusedError, url=f"{BASE}/a")
    assert len(h.requests) == 1


async def test_https_to_http_is_refused() -> None:
    h = Harness(redirects({"/a": (301, "http://pith.science/a")}))
    message = await h.fails(RedirectRefusedError, url=f"{BASE}/a")
    assert (
        message == "pith.science redirected from https to plain http; pith-tui does not follow that"
    )
    assert len(h.requests) == 1


async def test_http_to_https_upgrade_on_the_same_host_is_followed() -> None:
    h = Harness(redirects({"/a": (301, "https://pith.science/b")}), base_url="http://pith.science")
    assert (await h.fetch("http://pith.science/a")).url == "https://pith.science/b"


async def test_redirect_loop_is_refused() -> None:
    h = Harness(redirects({"/a": (302, "/b"), "/b": (302, "/a")}))
    assert await h.fails(RedirectRefusedError, url=f"{BASE}/a") == (
        "pith.science redirected in a loop"
    )
    assert len(h.requests) == 2


async def test_redirect_to_itself_is_a_loop() -> None:
    h = Harness(redirects({"/a": (307, "/a")}))
    await h.fails(RedirectRefusedError, url=f"{BASE}/a")
    assert len(h.requests) == 1


async def test_redirect_to_a_non_web_scheme_is_refused() -> None:
    h = Harness(redirects({"/a": (302, "file:///etc/passwd")}))
    await h.fails(RedirectRefusedError, url=f"{BASE}/a")


async def test_redirect_without_location() -> None:
    h = Harness(lambda r: httpx.Response(302))
    assert await h.fails(ServerError) == "pith.science answered 302 Found without a Location"


# --- content checks ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "application/ld+json",
        "application/vnd.pith+json; charset=utf-8",
        "text/json",
        "text/plain; charset=utf-8",
        "application/octet-stream",
        None,
    ],
)
async def test_accepted_content_types(content_type: str | None) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    h = Harness(lambda r: httpx.Response(200, headers=headers, content=BODY))
    assert (await h.fetch()).body == BODY


async def test_html_content_type_is_refused() -> None:
    h = Harness(
        lambda r: httpx.Response(
            200, headers={"Content-Type": "text/html; charset=utf-8"}, text="{}"
        )
    )
    assert await h.fails(NotPithDocumentError) == (
        "pith.science answered with an HTML page, not a Pith document"
    )


@pytest.mark.parametrize("body", [b"<!doctype html><p>hi", b"  \n<html>", b"\xef\xbb\xbf <html>"])
async def test_html_body_is_refused_whatever_the_content_type(body: bytes) -> None:
    h = Harness(lambda r: httpx.Response(200, headers=JSON, content=body))
    assert await h.fails(NotPithDocumentError) == (
        "pith.science answered with an HTML page, not a Pith document"
    )


async def test_other_content_types_are_refused() -> None:
    h = Harness(lambda r: httpx.Response(200, headers={"Content-Type": "image/png"}, content=b"x"))
    assert await h.fails(NotPithDocumentError) == (
        "pith.science answered with image/png, not a Pith document"
    )
    weird = "a/\x1b[31mred"
    h = Harness(lambda r: httpx.Response(200, headers={"Content-Type": weird}, content=b"x"))
    assert await h.fails(NotPithDocumentError) == (
        "pith.science answered with an unexpected type, not a Pith document"
    )


# --- URLs of the convenience methods --------------------------------------------------------


async def test_fetch_record_with_an_old_style_arxiv_id() -> None:
    h = Harness(ok)
    async with h.client:
        await h.client.fetch_record("cs/0512068", what="arXiv:cs/0512068")
    assert h.requests[0].url.raw_path == b"/pith/cs/0512068.json"


async def test_fetch_bundle_is_conditional() -> None:
    h = Harness(ok, base_url=BASE + "/")
    async with h.client:
        await h.client.fetch_bundle(PITH_ID, what="the bundle", etag='"b"')
    assert [str(r.url) for r in h.requests] == [
        f"{BASE}/pith/{PITH_ID}/bundle.json",
    ]
    assert h.requests[0].headers["If-None-Match"] == '"b"'
    assert h.client.base_url == BASE


async def test_closed_client_is_a_programming_error() -> None:
    h = Harness(ok)
    await h.client.aclose()
    with pytest.raises(RuntimeError):
        await h.client.fetch(RECORD, what="the record")


async def test_non_http_url_is_a_programming_error() -> None:
    h = Harness(ok)
    with pytest.raises(ValueError):
        await h.fetch("file:///etc/passwd")


def test_core_client_does_not_import_textual() -> None:
    import pith_tui.core.client as module

    source = Path(module.__file__).read_text(encoding="utf-8")
    assert "import textual" not in source and "from textual" not in source
