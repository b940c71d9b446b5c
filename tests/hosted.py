"""A DagsHub-style host for integration tests: one token (HTTP basic auth) opens both
`/<owner>/<repo>.mlflow` (proxied to a real `mlflow server`) and `/<owner>/<repo>.dvc` (a DVC
HTTP remote: GET/HEAD read a file, POST/PUT write one, as dvc-http's `method` setting allows).

It runs in a thread of the test process on a free loopback port; every path asks for the token,
`/health` too, as a hosted service may.
"""

from __future__ import annotations

import base64
import http.client
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "upgrade", "host"}


@dataclass(frozen=True)
class Host:
    """Where the services are: `url` + `/<owner>/<repo>.mlflow` and `.dvc`, for `user`/`token`."""

    url: str
    user: str
    token: str
    store: Path  # the DVC remote's files
    owner_repo: str = "alice/shop"

    @property
    def tracking_uri(self) -> str:
        return f"{self.url}/{self.owner_repo}.mlflow"

    @property
    def remote_url(self) -> str:
        return f"{self.url}/{self.owner_repo}.dvc"


def _handler(host: Host, upstream: str) -> type[BaseHTTPRequestHandler]:
    expected = "Basic " + base64.b64encode(f"{host.user}:{host.token}".encode()).decode()
    mlflow_prefix, dvc_prefix = f"/{host.owner_repo}.mlflow", f"/{host.owner_repo}.dvc/"

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:  # quiet
            pass

        def _body(self) -> bytes:
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                data = b""
                while size := int(self.rfile.readline().split(b";")[0], 16):
                    data += self.rfile.read(size)
                    self.rfile.readline()
                self.rfile.readline()
                return data
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))

        def _answer(self, status: int, body: bytes = b"", headers: dict | None = None) -> None:
            self.send_response(status)
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _handle(self) -> None:
            body = self._body() if self.command in ("POST", "PUT", "PATCH", "DELETE") else b""
            if self.headers.get("Authorization") != expected:
                self._answer(401, b"token required", {"WWW-Authenticate": 'Basic realm="hub"'})
            elif self.path.startswith(dvc_prefix):
                self._file(unquote(urlsplit(self.path).path[len(dvc_prefix) :]), body)
            elif self.path.startswith(mlflow_prefix):
                self._proxy(self.path[len(mlflow_prefix) :] or "/", body)
            else:
                self._answer(404)

        def _file(self, relative: str, body: bytes) -> None:
            path = host.store / relative
            if ".." in Path(relative).parts:
                self._answer(400)
            elif self.command in ("POST", "PUT"):
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(body)
                self._answer(200)
            elif path.is_file():
                self._answer(200, path.read_bytes(), {"Content-Type": "application/octet-stream"})
            else:
                self._answer(404)

        def _proxy(self, path: str, body: bytes) -> None:
            connection = http.client.HTTPConnection(urlsplit(upstream).netloc, timeout=300)
            headers = {
                k: v
                for k, v in self.headers.items()
                if k.lower() not in HOP_BY_HOP | {"authorization", "content-length"}
            }
            connection.request(self.command, path, body=body or None, headers=headers)
            response = connection.getresponse()
            data = response.read()
            connection.close()
            dropped = HOP_BY_HOP | {"content-length"}
            kept = {k: v for k, v in response.getheaders() if k.lower() not in dropped}
            self._answer(response.status, data, kept)

        do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

    return Handler


@contextmanager
def hosted(upstream: str, store: Path, user: str, token: str) -> Iterator[Host]:
    """The host in front of the MLflow server at `upstream`, its DVC files in `store`."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    host = Host(f"http://127.0.0.1:{server.server_address[1]}", user, token, store)
    server.RequestHandlerClass = _handler(host, upstream)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield host
    finally:
        server.shutdown()
        server.server_close()
