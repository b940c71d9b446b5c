"""A DagsHub-style hosted setup for integration tests: one user and token (HTTP basic auth) open
MLflow's own basic-auth server app (`mlflow server --app-name basic-auth`, the user created by its
admin) and a DVC HTTP remote at `/<owner>/<repo>.dvc` (GET/HEAD read a file, POST/PUT write one,
as dvc-http's `method` setting allows; DVC has no server of its own).

The remote runs in a thread of the test process, MLflow as a process; both on free loopback ports.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import threading
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

from tests.services import BIN, free_port, served


@dataclass(frozen=True)
class Host:
    """MLflow's basic-auth app at `tracking_uri` and the DVC remote at `remote_url`, both opened
    by `user`/`token`; the remote's files in `store`, the server's data in `data`."""

    tracking_uri: str
    remote_url: str
    user: str
    token: str
    store: Path
    data: Path


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def _handler(store: Path, expected: str, prefix: str) -> type[BaseHTTPRequestHandler]:
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
            body = self._body() if self.command in ("POST", "PUT") else b""
            relative = unquote(urlsplit(self.path).path[len(prefix) :])
            if self.headers.get("Authorization") != expected:
                self._answer(401, b"token required", {"WWW-Authenticate": 'Basic realm="hub"'})
            elif not self.path.startswith(prefix) or ".." in Path(relative).parts:
                self._answer(404)
            elif self.command in ("POST", "PUT"):
                (store / relative).parent.mkdir(parents=True, exist_ok=True)
                (store / relative).write_bytes(body)
                self._answer(200)
            elif (store / relative).is_file():
                data = (store / relative).read_bytes()
                self._answer(200, data, {"Content-Type": "application/octet-stream"})
            else:
                self._answer(404)

        do_GET = do_HEAD = do_POST = do_PUT = _handle

    return Handler


@contextmanager
def dvc_remote(store: Path, user: str, token: str, owner_repo: str) -> Iterator[str]:
    """A token-guarded DVC HTTP remote keeping its files in `store`; yields its URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    prefix = f"/{owner_repo}.dvc/"
    server.RequestHandlerClass = _handler(store, _basic(user, token), prefix)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}{prefix.rstrip('/')}"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def basic_auth_mlflow(data: Path, log: Path, user: str, token: str) -> Iterator[str]:
    """`mlflow server --app-name basic-auth` (SQLite, proxied artifacts, its own auth database
    in `data`) with a non-admin `user` whose password is `token`; yields its URL."""
    data.mkdir()
    (data / "auth.ini").write_text(
        f"[mlflow]\ndefault_permission = READ\ndatabase_uri = sqlite:///{data / 'auth.db'}\n"
        "admin_username = admin\n"
    )
    admin = secrets.token_urlsafe(16)  # the admin's password: only in the server's environment
    env = os.environ | {
        "MLFLOW_AUTH_CONFIG_PATH": str(data / "auth.ini"),
        "MLFLOW_AUTH_ADMIN_PASSWORD": admin,
        "MLFLOW_FLASK_SERVER_SECRET_KEY": secrets.token_urlsafe(16),  # CSRF, required
        "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false",
    }
    port = free_port()
    command = [str(BIN / "mlflow"), "server", "--app-name", "basic-auth", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--workers", "1"]
    command += ["--backend-store-uri", f"sqlite:///{data / 'mlflow.db'}"]
    command += ["--artifacts-destination", str(data / "artifacts")]
    url = f"http://127.0.0.1:{port}"
    with served(command, f"{url}/health", log, env=env, seconds=240):
        create = urllib.request.Request(
            f"{url}/api/2.0/mlflow/users/create",
            data=json.dumps({"username": user, "password": token}).encode(),
            headers={"Content-Type": "application/json", "Authorization": _basic("admin", admin)},
        )
        urllib.request.urlopen(create, timeout=30).close()
        yield url


@contextmanager
def hosted(root: Path, user: str, token: str, owner_repo: str = "alice/shop") -> Iterator[Host]:
    """Both services under `root` (`server/`, `server.log`, `remote/`), opened by one token."""
    data, store = root / "server", root / "remote"
    with (
        basic_auth_mlflow(data, root / "server.log", user, token) as tracking_uri,
        dvc_remote(store, user, token, owner_repo) as remote_url,
    ):
        yield Host(tracking_uri, remote_url, user, token, store, data)
