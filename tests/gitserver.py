"""A real git smart-HTTP server for tests and benchmarks: ``git http-backend`` (CGI) behind
a small threaded HTTP server on 127.0.0.1, with HTTP Basic authentication (a read token
and a write token) and a count of every request it answers."""

from __future__ import annotations

import base64
import contextlib
import os
import subprocess
import threading
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

READ_TOKEN = "read-token-0123456789"
WRITE_TOKEN = "write-token-9876543210"


def git(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> str:
    full = {
        **os.environ,
        "GIT_AUTHOR_NAME": "Tester",
        "GIT_AUTHOR_EMAIL": "tester@example.com",
        "GIT_COMMITTER_NAME": "Tester",
        "GIT_COMMITTER_EMAIL": "tester@example.com",
        **(env or {}),
    }
    return subprocess.run(
        ["git", *args], cwd=cwd, env=full, check=True, capture_output=True, text=True
    ).stdout


class GitHttpServer:
    def __init__(self, root: Path, *, auth: bool = True) -> None:
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)
        self.auth = auth
        self.requests: Counter[str] = Counter()
        self.log: list[tuple[str, str]] = []
        self._lock = threading.Lock()
        self.httpd: ThreadingHTTPServer | None = None
        self.port = 0

    @classmethod
    @contextlib.contextmanager
    def serving(cls, root: Path, source: Path, name: str = "market") -> Iterator[GitHttpServer]:
        """A started server holding one repository ``name`` seeded from ``source``."""
        server = cls(root)
        server.create_repo(name, source)
        server.start()
        try:
            yield server
        finally:
            server.stop()

    # -- repositories -------------------------------------------------------------------

    def create_repo(self, name: str, source: Path, branch: str = "main") -> Path:
        """A bare repository ``name.git`` holding ``source`` as its first commit."""
        bare = self.root / f"{name}.git"
        git("init", "-q", "--bare", "-b", branch, str(bare))
        git("config", "http.receivepack", "true", cwd=bare)
        work = self.root / f"{name}.seed"
        git("init", "-q", "-b", branch, str(work))
        subprocess.run(["cp", "-a", f"{source}/.", str(work)], check=True)
        git("add", "-A", cwd=work)
        git("commit", "-q", "-m", "Initial marketplace", cwd=work)
        git("push", "-q", str(bare), f"{branch}:{branch}", cwd=work)
        return bare

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/{name}.git"

    def reset_counts(self) -> None:
        with self._lock:
            self.requests.clear()
            self.log.clear()

    @property
    def total(self) -> int:
        return sum(self.requests.values())

    # -- lifecycle ------------------------------------------------------------------------

    def start(self) -> GitHttpServer:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                self.handle_git()

            def do_POST(self) -> None:
                self.handle_git()

            def log_message(self, *args: object) -> None:
                pass

            def deny(self, status: int, text: str) -> None:
                body = text.encode()
                self.send_response(status)
                if status == 401:
                    self.send_header("WWW-Authenticate", 'Basic realm="git"')
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def read_body(self) -> bytes:
                if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                    chunks = []
                    while True:
                        size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                        if size == 0:
                            while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                                pass
                            break
                        chunks.append(self.rfile.read(size))
                        self.rfile.readline()
                    return b"".join(chunks)
                length = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(length) if length else b""

            def handle_git(self) -> None:
                parts = urlsplit(self.path)
                with server._lock:
                    server.requests[f"{self.command} {parts.path.rsplit('/', 1)[-1]}"] += 1
                    server.log.append((self.command, self.path))
                body = self.read_body() if self.command == "POST" else b""
                pushing = "git-receive-pack" in self.path
                user = ""
                if server.auth:
                    header = self.headers.get("Authorization", "")
                    token = ""
                    if header.startswith("Basic "):
                        try:
                            user, _, token = base64.b64decode(header[6:]).decode().partition(":")
                        except ValueError:
                            token = ""
                    if token not in (READ_TOKEN, WRITE_TOKEN):
                        return self.deny(401, "authentication required")
                    if pushing and token != WRITE_TOKEN:
                        return self.deny(403, "this token cannot push")
                env = {
                    "PATH": os.environ["PATH"],
                    "GIT_PROJECT_ROOT": str(server.root),
                    "GIT_HTTP_EXPORT_ALL": "1",
                    "PATH_INFO": parts.path,
                    "QUERY_STRING": parts.query,
                    "REQUEST_METHOD": self.command,
                    "CONTENT_TYPE": self.headers.get("Content-Type", ""),
                    "CONTENT_LENGTH": str(len(body)),
                    "REMOTE_USER": user or "anonymous",
                    "REMOTE_ADDR": "127.0.0.1",
                    "HTTP_CONTENT_ENCODING": self.headers.get("Content-Encoding", ""),
                    "GIT_PROTOCOL": self.headers.get("Git-Protocol", ""),
                }
                proc = subprocess.run(
                    ["git", "http-backend"], input=body, env=env, capture_output=True
                )
                head, _, payload = proc.stdout.partition(b"\r\n\r\n")
                if not _:
                    head, _, payload = proc.stdout.partition(b"\n\n")
                status = 200
                headers = []
                for line in head.decode("latin-1").splitlines():
                    key, _, value = line.partition(":")
                    if key.lower() == "status":
                        status = int(value.strip().split()[0])
                    elif key:
                        headers.append((key, value.strip()))
                self.send_response(status)
                for key, value in headers:
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        """Stop answering (connections are refused) until :meth:`start` is called again."""
        if self.httpd is not None:
            self.httpd.shutdown()
            self.httpd.server_close()
            self.httpd = None

    def push_change(self, name: str, files: dict[str, str | None], message: str) -> str:
        """Another person's commit, pushed straight to the bare repository (not counted)."""
        bare = self.root / f"{name}.git"
        work = self.root / f"{name}.other"
        if not work.exists():
            git("clone", "-q", str(bare), str(work))
        git("pull", "-q", "--ff-only", cwd=work)
        for rel, content in files.items():
            path = work / rel
            if content is None:
                path.unlink()
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(content)
        git("add", "-A", cwd=work)
        git("commit", "-q", "-m", message, cwd=work)
        git("push", "-q", "origin", "HEAD", cwd=work)
        return git("rev-parse", "HEAD", cwd=work).strip()
