"""A real HTTP server on 127.0.0.1 serving a directory: a static Pith mirror for tests.

    with MirrorServer(directory) as server:
        main(["verify", "--base-url", server.url, "2106.06530"])
        assert "/pith/2106.06530.json" in server.paths

`ThreadingHTTPServer` on a free port (port 0), served from a daemon thread; `stop()` (or
leaving the `with` block) shuts it down and closes the socket, after which connections to
the port are refused.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any

import pytest


class _QuietHandler(SimpleHTTPRequestHandler):
    """Serves files, records each request path on the server, logs nothing."""

    server: _RecordingServer

    def do_GET(self) -> None:
        with self.server.lock:
            self.server.paths.append(self.path)
        super().do_GET()

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _RecordingServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, directory: Path) -> None:
        handler = functools.partial(_QuietHandler, directory=str(directory))
        super().__init__(("127.0.0.1", 0), handler)
        self.paths: list[str] = []
        self.lock = threading.Lock()


class MirrorServer:
    """Serve `directory` over HTTP on 127.0.0.1 until `stop()`."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self.port = 0
        self._server: _RecordingServer | None = None
        self._thread: threading.Thread | None = None
        self._stopped_paths: list[str] = []

    def start(self) -> MirrorServer:
        if self._server is not None:
            raise RuntimeError("the mirror server is already running")
        self._server = _RecordingServer(self.directory)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"mirror-server-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def paths(self) -> list[str]:
        """Every request path received so far, in order."""
        if self._server is None:
            return list(self._stopped_paths)
        with self._server.lock:
            return list(self._server.paths)

    @property
    def running(self) -> bool:
        return self._server is not None

    def stop(self) -> None:
        if self._server is None:
            return
        server, self._server = self._server, None
        self._stopped_paths = list(server.paths)
        server.shutdown()
        server.server_close()
        if self._thread is not None:
            self._thread.join(5)

    def __enter__(self) -> MirrorServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


@pytest.fixture
def mirror_server(tmp_path: Path) -> Iterator[MirrorServer]:
    """A running server for `tmp_path / "mirror"` (created empty); stopped at the end."""
    directory = tmp_path / "mirror"
    directory.mkdir(exist_ok=True)
    server = MirrorServer(directory).start()
    try:
        yield server
    finally:
        server.stop()
