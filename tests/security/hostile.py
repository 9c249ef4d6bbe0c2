"""A hostile marketplace, built by the tests as a real git repository, and a real
`skillport-connector serve` process in front of it.

Files are given as ``{path: content}``: ``str``/``bytes`` are file contents, dicts and lists
become JSON, :class:`Link` is a symbolic link. Paths may carry non-UTF-8 bytes as
surrogate escapes (``"x\\udcff"`` is the folder ``x\\xff`` on disk and in git).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import httpx
import pytest
from mcprpc import post_rpc, rpc_message

REPO_ROOT = Path(__file__).resolve().parents[2]
CLI = [sys.executable, "-m", "skillport_connector.cli"]

#: Text that only people allowed to read a hidden skill may ever see.
SECRET = "hostile-secret-7f3a9c"
DRAFT = "hostile-draft-51b2e0"
BOSS = "local:boss@example.com"

READER = "reader@example.com"
WRITER = "writer@example.com"
EDITOR = "editor@example.com"


class Link(NamedTuple):
    """A symbolic link to ``target`` (relative, as ``ln -s`` would write it)."""

    target: str


Files = Mapping[str, Any]


def skill_md(name: str, body: str = "", extra: str = "", description: str = "Does a thing.") -> str:
    return f"---\nname: {name}\ndescription: {description}\n{extra}---\n\n# {name}\n\n{body}\n"


def marketplace(*plugins: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"name": "hostile", "owner": {"name": "Mallory"}, "plugins": list(plugins), **extra}


def access(**rules: Any) -> dict[str, Any]:
    return {
        "version": "1.0",
        "editors": [{"id": f"local:{EDITOR}", "label": EDITOR}],
        "defaults": {"read": "*", "write": "editors"},
        **rules,
    }


def deep_json(depth: int = 5000) -> str:
    return "[" * depth + "]" * depth


def big_int(digits: int = 5000) -> str:
    return "9" * digits


def write_files(root: Path, files: Files) -> Path:
    """Write ``files`` under ``root`` (links included); ``None`` removes a path."""
    for rel, content in files.items():
        path = Path(os.fsdecode(os.path.join(os.fsencode(root), os.fsencode(rel))))
        if content is None:
            if path.is_symlink() or path.is_file():
                path.unlink()
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.is_symlink() or path.is_file():
            path.unlink()
        if isinstance(content, Link):
            path.symlink_to(content.target)
        elif isinstance(content, bytes):
            path.write_bytes(content)
        elif isinstance(content, str):
            path.write_bytes(content.encode("utf-8", "surrogateescape"))
        else:
            path.write_text(json.dumps(content), encoding="utf-8")
    return root


def git(*args: str, cwd: Path) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "Mallory",
        "GIT_AUTHOR_EMAIL": "mallory@example.com",
        "GIT_COMMITTER_NAME": "Mallory",
        "GIT_COMMITTER_EMAIL": "mallory@example.com",
    }
    return subprocess.run(
        ["git", "-c", "core.quotepath=false", *args],
        cwd=cwd,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


@dataclass
class Repo:
    """A bare repository (what the server reads) and a working copy to push from."""

    bare: Path
    work: Path

    @classmethod
    def create(cls, root: Path, files: Files) -> Repo:
        work, bare = root / "work", root / "market.git"
        git("init", "-q", "-b", "main", str(work), cwd=root)
        write_files(work, files)
        git("add", "-A", cwd=work)
        git("commit", "-q", "-m", "Hostile marketplace", cwd=work)
        git("init", "-q", "--bare", "-b", "main", str(bare), cwd=root)
        git("push", "-q", str(bare), "main:main", cwd=work)
        return cls(bare, work)

    def push(self, files: Files, message: str = "Change") -> str:
        write_files(self.work, files)
        git("add", "-A", cwd=self.work)
        git("commit", "-q", "--allow-empty", "-m", message, cwd=self.work)
        git("push", "-q", str(self.bare), "main:main", cwd=self.work)
        return self.head()

    def head(self) -> str:
        return git("rev-parse", "main", cwd=self.bare).strip()

    def commits(self) -> int:
        return int(git("rev-list", "--count", "main", cwd=self.bare))

    def show(self, path: str) -> str:
        return git("show", f"main:{path}", cwd=self.bare)


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    """A running `serve` process; its output goes to ``log``."""

    proc: subprocess.Popen[bytes]
    base: str
    data: Path
    log: Path
    repo: Repo | None = None
    _tokens: dict[str, str] = field(default_factory=dict)

    def token(self, email: str) -> str:
        """An API token for ``local:<email>``, minted in the server's own store."""
        if email not in self._tokens:
            from skillport_connector.auth import Identity, TokenService
            from skillport_connector.settings import Settings
            from skillport_connector.store import open_store

            store = open_store(Settings(data_dir=self.data))
            self._tokens[email] = TokenService(store).mint_api_token(Identity.local(email))
        return self._tokens[email]

    def headers(self, email: str | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(email)}"} if email else {}

    def get(self, path: str, who: str | None = READER, **kw: Any) -> httpx.Response:
        kw.setdefault("timeout", 20)
        headers = {**self.headers(who), **kw.pop("headers", {})}
        return httpx.get(f"{self.base}{path}", headers=headers, **kw)

    def post(self, path: str, who: str | None = READER, **kw: Any) -> httpx.Response:
        kw.setdefault("timeout", 20)
        headers = {**self.headers(who), **kw.pop("headers", {})}
        return httpx.post(f"{self.base}{path}", headers=headers, **kw)

    def delete(self, path: str, who: str | None = READER, **kw: Any) -> httpx.Response:
        kw.setdefault("timeout", 20)
        headers = {**self.headers(who), **kw.pop("headers", {})}
        return httpx.delete(f"{self.base}{path}", headers=headers, **kw)

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self, timeout: float = 15) -> int | None:
        """SIGTERM, then SIGKILL if it does not stop in ``timeout`` s; the SIGTERM exit code
        or None when it had to be killed."""
        if self.proc.poll() is not None:
            return self.proc.returncode
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
            return None


class StartFailed(RuntimeError):
    def __init__(self, message: str, returncode: int | None, output: str) -> None:
        super().__init__(f"{message}\n--- server output ---\n{output[-3000:]}")
        self.returncode = returncode
        self.output = output


def start(
    tmp: Path,
    marketplace: str | Path,
    *,
    env: Mapping[str, str] | None = None,
    args: tuple[str, ...] = (),
    timeout: float = 30,
    repo: Repo | None = None,
    port: int | None = None,
) -> Server:
    """`serve` on a (free) loopback port; healthy within ``timeout`` s or StartFailed."""
    port = port or free_port()
    data = tmp / f"data-{port}"
    data.mkdir(parents=True)
    log = tmp / f"serve-{port}.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [
                *CLI,
                "serve",
                "--port",
                str(port),
                "--data-dir",
                str(data),
                "--marketplace",
                str(marketplace),
                *args,
            ],
            env={
                **os.environ,
                "SKILLPORT_AUDIT_LOG": "",
                "SKILLPORT_RATE_LIMIT_IP": "100000",
                "SKILLPORT_RATE_LIMIT_REGISTER": "100000",
                **(env or {}),
            },
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    server = Server(proc, f"http://127.0.0.1:{port}", data, log, repo)
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(f"{server.base}/healthz", timeout=2).status_code == 200:
                return server
        if proc.poll() is not None:
            raise StartFailed("the server exited while starting", proc.returncode, server.output())
        if time.monotonic() > deadline:
            server.stop(timeout=5)
            raise StartFailed(f"not healthy within {timeout:.0f} s", None, server.output())
        time.sleep(0.1)


@contextlib.contextmanager
def serving(
    tmp: Path, files: Files, *, env: Mapping[str, str] | None = None, timeout: float = 30
) -> Iterator[Server]:
    """``files`` as a git repository, served; stopped (killed if need be) afterwards."""
    repo = Repo.create(tmp, files)
    server = start(tmp, repo.bare, env=env, timeout=timeout, repo=repo)
    try:
        yield server
    finally:
        server.stop()


def module_server(name: str, files: Callable[[], Files], *, timeout: float) -> Any:
    """The module-scoped fixture ``name`` (assign it to that name in the test module):
    ``files()`` served once for the whole module. A
    failed module fixture is set up again for every test that uses it; this one waits for
    a start only once, and every later test fails at once with the same StartFailed."""
    failed: list[StartFailed] = []

    @pytest.fixture(scope="module", name=name)
    def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
        if failed:
            raise failed[0]
        try:
            with serving(tmp_path_factory.mktemp(name), files(), timeout=timeout) as running:
                yield running
        except StartFailed as exc:
            failed.append(exc)
            raise

    return server


def zip_entries(data: bytes) -> dict[str, bytes]:
    import io
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {info.filename: zf.read(info) for info in zf.infolist()}


def names(listing: httpx.Response) -> set[str]:
    assert listing.status_code == 200, listing.text[:500]
    return {s["name"] for s in listing.json()["skills"]}


# -- MCP ------------------------------------------------------------------------------------

#: One JSON-RPC call to /mcp, and the message of its answer (shared with tests/test_mcp_oauth.py).
mcp_rpc = post_rpc
rpc_result = rpc_message


def oauth_access_token(base: str, email: str) -> str:
    """An OAuth access token for ``email`` through the development sign-in."""
    from test_mcp_oauth import tokens_for

    return str(tokens_for(base, email)[1]["access_token"])
