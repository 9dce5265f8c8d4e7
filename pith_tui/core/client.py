"""The async HTTP layer: fetch bytes from Pith politely and defensively. No parsing here.

Every failure becomes one of the `FetchError` subclasses with a one-line message that
names the host (never the full URL, never an exception repr). The resolver parses and
verifies what `fetch` returns.

Retry policy (per request; the overall deadline `Timeouts.total` covers all of it):
- connect errors (refused, connect timeout), 429 and 503: up to `max_retries`
  retries, waiting 0.5 s, 1 s, 2 s... or what Retry-After asks for;
- 502 and 504 (a gateway hiccup): one retry;
- 500 (a server bug, usually deterministic), other 4xx, read timeouts, broken
  connections, and names that do not resolve or TLS that fails: no retry.
A wait longer than `MAX_RETRY_WAIT`, or one that would end past the overall deadline,
is not taken: the fetch fails at once with the server's answer, instead of hammering
a server that asked us to go away or failing later with a less useful timeout.
"""

from __future__ import annotations

import asyncio
import email.utils
import re
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from http import HTTPStatus
from types import TracebackType

import httpx

from pith_tui import __version__
from pith_tui.core import urls
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

USER_AGENT = f"pith-tui/{__version__}"
MAX_REDIRECTS = 5
MAX_RETRY_WAIT = 10.0
BACKOFF_FIRST_WAIT = 0.5

_RETRY_UP_TO_MAX = frozenset({429, 503})
_RETRY_ONCE = frozenset({502, 504})
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_ACCEPTED_MEDIA_TYPES = frozenset(
    {
        "application/json",
        "application/ld+json",
        "text/json",
        "text/plain",
        "application/octet-stream",
    }
)
_HTML_MEDIA_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_SAFE_MEDIA_TYPE = re.compile(r"[a-z0-9][a-z0-9.+-]{0,40}/[a-z0-9][a-z0-9.+-]{0,40}")
_SAFE_HOST = re.compile(r"[A-Za-z0-9.:\[\]-]{1,255}")
_UTF8_BOM = b"\xef\xbb\xbf"
# A cache validator we store and send back: printable ASCII only (httpx cannot send other
# text, so one odd ETag would break every later refresh of the record).
_SAFE_VALIDATOR = re.compile(r"[\x20-\x7e]{1,512}")


@dataclass(frozen=True)
class Timeouts:
    """Seconds. `total` is the overall deadline of one fetch, retries and redirects included."""

    connect: float = 5.0
    read: float = 10.0
    total: float = 20.0


DEFAULT_TIMEOUTS = Timeouts()


@dataclass(frozen=True)
class FetchResult:
    """One successful answer: 200 with the body, or 304 (not modified) with `body == b""`."""

    url: str
    status: int
    body: bytes
    etag: str | None
    last_modified: str | None
    content_type: str | None
    fetched_at: datetime


@dataclass(frozen=True)
class _Redirect:
    status: int
    location: str | None


class _Retryable(Exception):
    """Internal: an attempt failed in a way that may be retried."""

    def __init__(self, error: FetchError, *, limit: int, retry_after: float | None = None) -> None:
        super().__init__(str(error))
        self.error = error
        self.limit = limit
        self.retry_after = retry_after


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


class PithHttpClient:
    """Fetches Pith documents over HTTP with caps, retries and same-origin redirects.

    Use as `async with PithHttpClient(base) as client:` or call `aclose()` when done.
    """

    def __init__(
        self,
        base_url: str,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        timeouts: Timeouts = DEFAULT_TIMEOUTS,
        max_bytes: int = 4 * 1024 * 1024,
        max_retries: int = 3,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._timeouts = timeouts
        self._max_bytes = max_bytes
        self._max_retries = max(0, max_retries)
        self._sleep = sleep
        self._clock = clock or _utc_now
        self._client = httpx.AsyncClient(
            transport=transport,
            timeout=httpx.Timeout(timeouts.read, connect=timeouts.connect),
            follow_redirects=False,
            headers={
                "Accept": "application/json",
                "User-Agent": USER_AGENT,
                # Only what `_Decoder` can decode with a bounded output size.
                "Accept-Encoding": "gzip, deflate",
            },
        )

    async def __aenter__(self) -> PithHttpClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._client.aclose()

    async def fetch_record(
        self, key: str, *, what: str, etag: str | None = None, last_modified: str | None = None
    ) -> FetchResult:
        """The record JSON for a 26-char id, a short id or an arXiv id."""
        return await self.fetch(
            urls.record_url(self.base_url, key), what=what, etag=etag, last_modified=last_modified
        )

    async def fetch_bundle(
        self,
        pith_id: str,
        *,
        what: str,
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> FetchResult:
        return await self.fetch(
            urls.bundle_url(self.base_url, pith_id),
            what=what,
            etag=etag,
            last_modified=last_modified,
        )

    async def fetch(
        self, url: str, *, what: str, etag: str | None = None, last_modified: str | None = None
    ) -> FetchResult:
        """GET `url`; `what` names the thing in messages ("Pith has no record for {what}").

        With `etag`/`last_modified` the request is conditional and may return status 304;
        a 304 without its own validators returns the ones given.
        """
        start = httpx.URL(url)
        if start.scheme not in ("http", "https") or not start.host:
            raise ValueError(f"not an http(s) URL: {url!r}")
        if self._client.is_closed:
            raise RuntimeError("this PithHttpClient is closed")
        headers: dict[str, str] = {}
        if etag and _SAFE_VALIDATOR.fullmatch(etag):
            headers["If-None-Match"] = etag
        if last_modified and _SAFE_VALIDATOR.fullmatch(last_modified):
            headers["If-Modified-Since"] = last_modified
        total = self._timeouts.total
        deadline = asyncio.get_running_loop().time() + total
        try:
            return await asyncio.wait_for(
                self._follow(start, what, headers, deadline, etag, last_modified), total
            )
        except asyncio.TimeoutError:
            raise FetchTimeoutError(
                f"{_host_label(start)} did not answer within {_seconds(total)}"
            ) from None

    async def _follow(
        self,
        start: httpx.URL,
        what: str,
        headers: dict[str, str],
        deadline: float,
        etag: str | None,
        last_modified: str | None,
    ) -> FetchResult:
        """Requests `start`, following at most MAX_REDIRECTS same-origin redirects."""
        current = start
        seen = {str(current)}
        hops = 0
        while True:
            outcome = await self._with_retries(
                current, what, headers, deadline, etag, last_modified
            )
            if isinstance(outcome, FetchResult):
                return outcome
            target = _redirect_target(current, outcome)
            host = _host_label(current)
            if str(target) in seen:
                raise RedirectRefusedError(f"{host} redirected in a loop")
            hops += 1
            if hops > MAX_REDIRECTS:
                raise RedirectRefusedError(f"{host} redirected more than {MAX_REDIRECTS} times")
            seen.add(str(target))
            current = target

    async def _with_retries(
        self,
        url: httpx.URL,
        what: str,
        headers: dict[str, str],
        deadline: float,
        etag: str | None,
        last_modified: str | None,
    ) -> FetchResult | _Redirect:
        loop = asyncio.get_running_loop()
        retries = 0
        while True:
            try:
                return await self._attempt(url, what, headers, etag, last_modified)
            except _Retryable as failure:
                if retries >= failure.limit:
                    raise failure.error from None
                if failure.retry_after is not None:
                    wait = failure.retry_after
                    if wait > MAX_RETRY_WAIT:
                        raise type(failure.error)(
                            f"{failure.error} and asked to wait {_seconds(wait)}"
                        ) from None
                else:
                    wait = BACKOFF_FIRST_WAIT * 2**retries
                if wait >= deadline - loop.time():
                    raise failure.error from None
                retries += 1
                await self._sleep(wait)

    async def _attempt(
        self,
        url: httpx.URL,
        what: str,
        headers: dict[str, str],
        etag: str | None,
        last_modified: str | None,
    ) -> FetchResult | _Redirect:
        """One GET, without retries; retryable failures raise `_Retryable`."""
        host = _host_label(url)
        answered = False
        try:
            async with self._client.stream("GET", url, headers=headers) as response:
                answered = True
                status = response.status_code
                if status == 200:
                    _check_content_type(response.headers.get("Content-Type"), host)
                    body = await self._read_capped(response, host)
                    _check_body(body, host)
                    return self._result(url, response, body, etag=None, last_modified=None)
                if status == 304:
                    return self._result(url, response, b"", etag, last_modified)
                if status in _REDIRECT_STATUSES:
                    return _Redirect(status, response.headers.get("Location"))
                if status in (404, 410):
                    raise NotFoundError(f"Pith has no record for {what}")
                error = ServerError(f"{host} answered {_status_text(status)}")
                if status in _RETRY_UP_TO_MAX:
                    retry_after = _parse_retry_after(
                        response.headers.get("Retry-After"), self._clock()
                    )
                    raise _Retryable(error, limit=self._max_retries, retry_after=retry_after)
                if status in _RETRY_ONCE:
                    raise _Retryable(error, limit=min(1, self._max_retries))
                raise error
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            reason = _network_reason(exc)
            # A name that does not resolve or a TLS failure will not mend in a second or
            # two (no network at all is the usual cause): fail at once, fall back to the cache.
            lasting = reason in (_DNS_REASON, _TLS_REASON)
            raise _Retryable(
                OfflineError(f"cannot reach {host}: {reason}"),
                limit=0 if lasting else self._max_retries,
            ) from exc
        except httpx.TimeoutException as exc:
            seconds = _seconds(self._timeouts.read)
            if answered:
                message = f"{host} stopped sending its answer for {seconds}"
            else:
                message = f"{host} did not answer within {seconds}"
            raise FetchTimeoutError(message) from exc
        except httpx.RemoteProtocolError as exc:
            raise ServerError(_broken_message(host, answered)) from exc
        except (httpx.ReadError, httpx.WriteError, httpx.CloseError) as exc:
            raise OfflineError(_broken_message(host, answered)) from exc
        except httpx.TransportError as exc:
            raise OfflineError(f"cannot reach {host}: {_network_reason(exc)}") from exc
        except httpx.HTTPError as exc:
            raise ServerError(f"the request to {host} failed") from exc
        except OSError as exc:
            raise OfflineError(f"cannot reach {host}: {_network_reason(exc)}") from exc

    def _result(
        self,
        url: httpx.URL,
        response: httpx.Response,
        body: bytes,
        etag: str | None,
        last_modified: str | None,
    ) -> FetchResult:
        return FetchResult(
            url=str(url),
            status=response.status_code,
            body=body,
            etag=_validator(response.headers.get("ETag")) or etag,
            last_modified=_validator(response.headers.get("Last-Modified")) or last_modified,
            content_type=response.headers.get("Content-Type"),
            fetched_at=self._clock(),
        )

    async def _read_capped(self, response: httpx.Response, host: str) -> bytes:
        """The decoded body, refused as soon as it is known to exceed `max_bytes`."""
        too_large = TooLargeError(f"the answer from {host} is larger than {_size(self._max_bytes)}")
        declared = response.headers.get("Content-Length", "").strip()
        if declared.isascii() and declared.isdigit() and int(declared) > self._max_bytes:
            raise too_large
        if response.is_stream_consumed:
            # Built in memory (e.g. httpx.MockTransport given bytes), decoded by httpx already.
            if len(response.content) > self._max_bytes:
                raise too_large
            return response.content
        decoder = _Decoder(response.headers.get("Content-Encoding"), host)
        chunks: list[bytes] = []
        size = 0
        async for raw in response.aiter_raw():
            # Ask for one byte more than still fits: getting it proves the body is too large.
            piece = decoder.decode(raw, self._max_bytes - size + 1)
            size += len(piece)
            if size > self._max_bytes:
                raise too_large
            chunks.append(piece)
        decoder.finish()
        return b"".join(chunks)


class _Decoder:
    """Content-Encoding decoder with a bound on the output of each call.

    httpx's own decoders inflate a whole network chunk at once (a 64 KiB gzip chunk can
    become 64 MiB); this one stops at the limit, so a gzip bomb costs almost nothing.
    """

    def __init__(self, content_encoding: str | None, host: str) -> None:
        self._host = host
        codings = [
            c.strip().lower()
            for c in (content_encoding or "").split(",")
            if c.strip().lower() not in ("", "identity")
        ]
        self._inflater: zlib._Decompress | None = None
        self._deflate = False
        self._first = True
        if not codings:
            return
        if len(codings) == 1 and codings[0] in ("gzip", "x-gzip"):
            self._inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)
        elif len(codings) == 1 and codings[0] == "deflate":
            # "deflate" should be zlib-wrapped; some servers send raw deflate (as httpx allows).
            self._inflater = zlib.decompressobj(zlib.MAX_WBITS | 32)
            self._deflate = True
        else:
            raise ServerError(f"{host} answered with a compression pith-tui cannot read")

    def decode(self, data: bytes, limit: int) -> bytes:
        """At most `limit` bytes (>= 1). Output shorter than `limit` means all input was used."""
        if self._inflater is None or not data:
            return data
        first, self._first = self._first, False
        try:
            return self._inflater.decompress(data, limit)
        except zlib.error:
            if self._deflate and first:
                self._inflater = zlib.decompressobj(-zlib.MAX_WBITS)
                return self.decode(data, limit)
            raise ServerError(f"the answer from {self._host} could not be decompressed") from None

    def finish(self) -> None:
        if self._inflater is not None and not self._first and not self._inflater.eof:
            raise ServerError(f"the compressed answer from {self._host} was cut short")


def _redirect_target(current: httpx.URL, redirect: _Redirect) -> httpx.URL:
    """Where a redirect leads, if pith-tui may follow it: same origin, or http -> https."""
    host = _host_label(current)
    if not redirect.location or not redirect.location.strip():
        raise ServerError(f"{host} answered {_status_text(redirect.status)} without a Location")
    try:
        target = current.join(redirect.location.strip()).copy_with(fragment=None)
    except (httpx.InvalidURL, ValueError, TypeError):
        raise RedirectRefusedError(f"{host} redirected to an invalid address") from None
    if target.scheme not in ("http", "https") or not target.host:
        raise RedirectRefusedError(f"{host} redirected to an address that is not a web page")
    if current.scheme == "https" and target.scheme == "http":
        raise RedirectRefusedError(
            f"{host} redirected from https to plain http; pith-tui does not follow that"
        )
    if _origin(target) == _origin(current):
        return target
    upgrade = (
        current.scheme == "http"
        and target.scheme == "https"
        and current.host == target.host
        and current.port is None
        and target.port is None
    )
    if upgrade:
        return target
    other = _host_label(target)
    shown = f" ({other})" if _SAFE_HOST.fullmatch(other) else ""
    raise RedirectRefusedError(
        f"{host} redirected to another site{shown}; pith-tui follows redirects only within {host}"
    )


def _origin(url: httpx.URL) -> tuple[str, str, int]:
    default_port = 443 if url.scheme == "https" else 80
    return (url.scheme, url.host, url.port or default_port)


def _host_label(url: httpx.URL) -> str:
    """The host (and a non-default port) for messages: "pith.science", "127.0.0.1:8000"."""
    host = url.host
    if ":" in host:
        host = f"[{host}]"
    return f"{host}:{url.port}" if url.port is not None else host


def _validator(value: str | None) -> str | None:
    return value if value is not None and _SAFE_VALIDATOR.fullmatch(value) else None


def _check_content_type(value: str | None, host: str) -> None:
    media = (value or "").split(";", 1)[0].strip().lower()
    if not media or media in _ACCEPTED_MEDIA_TYPES or media.endswith("+json"):
        return
    if media in _HTML_MEDIA_TYPES:
        raise NotPithDocumentError(f"{host} answered with an HTML page, not a Pith document")
    shown = media if _SAFE_MEDIA_TYPE.fullmatch(media) else "an unexpected type"
    raise NotPithDocumentError(f"{host} answered with {shown}, not a Pith document")


def _check_body(body: bytes, host: str) -> None:
    """Catch HTML served with a JSON-ish (or no) content type, e.g. by a static mirror."""
    start = body.lstrip()
    if start.startswith(_UTF8_BOM):
        start = start[len(_UTF8_BOM) :].lstrip()
    if start.startswith(b"<"):
        raise NotPithDocumentError(f"{host} answered with an HTML page, not a Pith document")


def _parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Retry-After in seconds (delta-seconds or HTTP-date); None if absent or unreadable."""
    if value is None:
        return None
    text = value.strip()
    if text.isascii() and text.isdigit():
        return float(min(int(text), 10**9))
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - now).total_seconds())


def _status_text(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return str(status)


_DNS_REASON = "its name could not be looked up (DNS)"
_TLS_REASON = "a secure (TLS) connection could not be set up"
_NETWORK_REASONS: tuple[tuple[tuple[str, ...], str], ...] = (
    (
        (
            "name or service not known",
            "nodename nor servname",
            "temporary failure in name resolution",
            "getaddrinfo failed",
            "no address associated",
            "name resolution",
        ),
        _DNS_REASON,
    ),
    (("connection refused",), "the connection was refused"),
    (("certificate", "ssl", "tls"), _TLS_REASON),
    (("network is unreachable", "no route to host"), "the network is unreachable"),
    (("connection reset",), "the connection was reset"),
    (("proxy",), "the proxy failed"),
)


def _network_reason(exc: BaseException) -> str:
    """A plain-words reason for a connection failure; never the raw exception text."""
    if isinstance(exc, (httpx.ConnectTimeout, TimeoutError)):
        return "the connection timed out"
    if isinstance(exc, httpx.ProxyError):
        return "the proxy failed"
    text = str(exc).lower()
    for needles, reason in _NETWORK_REASONS:
        if any(needle in text for needle in needles):
            return reason
    # httpx/anyio say "All connection attempts failed"; the cause underneath says why.
    cause, depth = exc.__cause__ or exc.__context__, 0
    while cause is not None and depth < 8:
        if isinstance(cause, ConnectionRefusedError):
            return "the connection was refused"
        cause, depth = cause.__cause__ or cause.__context__, depth + 1
    return "the connection failed"


def _broken_message(host: str, answered: bool) -> str:
    if answered:
        return f"the connection to {host} broke while reading the answer"
    return f"the connection to {host} broke before it answered"


def _seconds(value: float) -> str:
    return f"{value:g} s"


def _size(n: int) -> str:
    if n >= 1024 * 1024 and n % (1024 * 1024) == 0:
        return f"{n // (1024 * 1024)} MiB"
    if n >= 1024 and n % 1024 == 0:
        return f"{n // 1024} KiB"
    return f"{n} bytes"
