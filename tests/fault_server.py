"""A fault-injecting HTTP(S) server on 127.0.0.1: real sockets, misbehaving on purpose.

    with FaultServer({"/pith/2403.20001.json": Hang(5)}) as server:
        await resolver.resolve("2403.20001")      # base_url=server.url
        assert server.paths == ["/pith/2403.20001.json"]

Each route maps a path to a `Fault` (what to do with a request for it); unknown paths get a
404. `Sequence` answers successive requests differently (503, then 200). The server binds
127.0.0.1 on a free port, serves from daemon threads, and is bounded: every fault gives up
after a few seconds, a waiting fault wakes up as soon as the server stops, and the server
stops by itself after `lifetime` seconds even if a test forgets to stop it.
With `tls=ssl_context` it speaks HTTPS (for https -> http redirects).
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

MAX_FAULT_SECONDS = 10.0
"""No fault keeps a connection longer than this, whatever it was asked for."""


class Fault:
    """What the server does with one request."""

    def serve(self, handler: _Handler) -> None:
        raise NotImplementedError


@dataclass
class Respond(Fault):
    """An ordinary answer: status, headers and body (Content-Length set unless given)."""

    body: bytes = b""
    status: int = 200
    content_type: str | None = "application/json"
    headers: dict[str, str] = field(default_factory=dict)

    def serve(self, handler: _Handler) -> None:
        handler.send_response_only(self.status)
        if self.content_type is not None:
            handler.send_header("Content-Type", self.content_type)
        headers = {"Content-Length": str(len(self.body)), **self.headers}
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.send_header("Connection", "close")
        handler.end_headers()
        handler.wfile.write(self.body)


@dataclass
class Hang(Fault):
    """Read the request, then say nothing for `seconds` (bounded), then close."""

    seconds: float = 5.0

    def serve(self, handler: _Handler) -> None:
        handler.server.stopping.wait(min(self.seconds, MAX_FAULT_SECONDS))
        handler.close_connection = True


@dataclass
class Trickle(Fault):
    """Send the headers, then the body `chunk` bytes every `interval` seconds (bounded)."""

    body: bytes
    interval: float = 0.2
    chunk: int = 1

    def serve(self, handler: _Handler) -> None:
        handler.send_response_only(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(self.body)))
        handler.send_header("Connection", "close")
        handler.end_headers()
        handler.wfile.flush()
        deadline = time.monotonic() + MAX_FAULT_SECONDS
        for start in range(0, len(self.body), self.chunk):
            if handler.server.stopping.wait(self.interval) or time.monotonic() > deadline:
                return
            try:
                handler.wfile.write(self.body[start : start + self.chunk])
                handler.wfile.flush()
            except OSError:  # the client gave up, as it should
                return


@dataclass
class Redirect(Fault):
    """A redirect; `location` may be a function of the server (for its own URL)."""

    location: str | Callable[[FaultServer], str]
    status: int = 302

    def serve(self, handler: _Handler) -> None:
        location = self.location(handler.server.owner) if callable(self.location) else self.location
        Respond(b"", self.status, None, {"Location": location}).serve(handler)


@dataclass
class ResetMidBody(Fault):
    """Promise the whole body, send `fraction` of it, then reset the connection (RST)."""

    body: bytes
    fraction: float = 0.5

    def serve(self, handler: _Handler) -> None:
        handler.send_response_only(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(self.body)))
        handler.end_headers()
        handler.wfile.write(self.body[: int(len(self.body) * self.fraction)])
        handler.wfile.flush()
        handler.reset()


@dataclass
class Chunked(Fault):
    """A chunked body (no Content-Length), so only the bytes read tell its size."""

    body: bytes
    chunk: int = 64 * 1024
    headers: dict[str, str] = field(default_factory=dict)

    def serve(self, handler: _Handler) -> None:
        handler.send_response_only(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Transfer-Encoding", "chunked")
        for name, value in self.headers.items():
            handler.send_header(name, value)
        handler.send_header("Connection", "close")
        handler.end_headers()
        try:
            for start in range(0, len(self.body), self.chunk):
                piece = self.body[start : start + self.chunk]
                handler.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            handler.wfile.write(b"0\r\n\r\n")
        except OSError:  # the client stopped reading (size cap): fine
            return


@dataclass
class RawBytes(Fault):
    """Write these bytes as the whole answer (a broken status line, huge headers...)."""

    data: bytes

    def serve(self, handler: _Handler) -> None:
        try:
            handler.wfile.write(self.data)
            handler.wfile.flush()
        except OSError:
            return
        handler.close_connection = True


class Sequence(Fault):
    """The n-th request gets the n-th fault; the last one repeats."""

    def __init__(self, *faults: Fault) -> None:
        self._faults = list(faults)
        self._lock = threading.Lock()
        self._next = 0

    def serve(self, handler: _Handler) -> None:
        with self._lock:
            fault = self._faults[min(self._next, len(self._faults) - 1)]
            self._next += 1
        fault.serve(handler)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = MAX_FAULT_SECONDS  # socket timeout for reading the request
    server: _Server

    def setup(self) -> None:
        super().setup()
        if isinstance(self.request, ssl.SSLSocket):
            self.request.do_handshake()

    def do_GET(self) -> None:
        owner = self.server.owner
        path = self.path.split("?", 1)[0]
        with owner.lock:
            owner.paths.append(path)
            owner.headers.append(dict(self.headers.items()))
            fault = owner.routes.get(path)
        if fault is None:
            fault = Respond(b'{"error": "not found"}', 404)
        try:
            fault.serve(self)
        except OSError:  # the client hung up: that is its right
            self.close_connection = True

    def reset(self) -> None:
        """Abort the connection with a TCP RST instead of a clean close."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.wfile.flush()
            self.request.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        with contextlib.suppress(OSError):
            self.request.close()

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, owner: FaultServer) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.owner = owner
        self.stopping = threading.Event()

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that hangs up mid-fault is expected; never print a traceback


class FaultServer:
    """Serve `routes` ({path: Fault}) on 127.0.0.1 until `stop()` or `lifetime` seconds."""

    def __init__(
        self,
        routes: dict[str, Fault] | None = None,
        *,
        tls: ssl.SSLContext | None = None,
        lifetime: float = 30.0,
    ) -> None:
        self.routes: dict[str, Fault] = dict(routes or {})
        self.paths: list[str] = []
        self.headers: list[dict[str, str]] = []
        self.lock = threading.Lock()
        self._tls = tls
        self._lifetime = lifetime
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._timer: threading.Timer | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"{'https' if self._tls else 'http'}://127.0.0.1:{self.port}"

    def route(self, path: str, fault: Fault) -> None:
        with self.lock:
            self.routes[path] = fault

    def start(self) -> FaultServer:
        server = _Server(self)
        if self._tls is not None:
            server.socket = self._tls.wrap_socket(
                server.socket, server_side=True, do_handshake_on_connect=False
            )
        self._server = server
        self.port = server.server_address[1]
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        self._timer = threading.Timer(self._lifetime, self.stop)
        self._timer.daemon = True
        self._timer.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        if self._timer is not None and self._timer is not threading.current_thread():
            self._timer.cancel()
        server.stopping.set()
        server.shutdown()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FaultServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def closed_port() -> int:
    """A local port that nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
