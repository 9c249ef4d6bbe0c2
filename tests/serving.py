"""Real servers for tests and benchmarks: `skillport-connector serve` processes, or an app
served by uvicorn in a thread, each on a free loopback port."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import uvicorn

if TYPE_CHECKING:
    from skillport_connector.app import ConnectorApp
    from skillport_connector.clock import Clock
    from skillport_connector.store import Store

CLI = [sys.executable, "-m", "skillport_connector.cli"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def in_thread(app: Any, port: int, timeout: float = 20) -> Iterator[str]:
    """Serve ``app`` with uvicorn on 127.0.0.1:``port`` in a thread; yields the base URL."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"uvicorn did not start on port {port}")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def wait_healthy(
    base: str, proc: subprocess.Popen[bytes] | None = None, timeout: float = 60
) -> None:
    """Wait until ``base``/healthz answers 200; fail early if the process died."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode} while starting")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{base} did not become healthy in {timeout:.0f}s")
        time.sleep(0.1)


def serve(
    port: int, data_dir: Path, env: Mapping[str, str] | None = None, *extra: str
) -> tuple[subprocess.Popen[bytes], str]:
    """A healthy `serve` process on 127.0.0.1:``port`` and its base URL."""
    proc = subprocess.Popen(
        [*CLI, "serve", "--port", str(port), "--data-dir", str(data_dir), *extra],
        env={**os.environ, **(env or {})},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    wait_healthy(base, proc)
    return proc, base


def mint_token(
    email: str, data_dir: Path | None = None, env: Mapping[str, str] | None = None
) -> str:
    """`skillport-connector token --user EMAIL` against the same store as a server."""
    args = [*CLI, "token", "--user", email]
    if data_dir is not None:
        args += ["--data-dir", str(data_dir)]
    return subprocess.run(
        args, env={**os.environ, **(env or {})}, check=True, capture_output=True, text=True
    ).stdout.strip()


def client_for(app: Any, **kwargs: Any) -> Any:
    """A Starlette TestClient that calls ``app`` at its own public address: every route
    checks the Host header (DNS-rebinding protection), so ``testserver`` would get 421."""
    from starlette.testclient import TestClient

    return TestClient(app, base_url=app.state.services.settings.base_url, **kwargs)


def signed_in_client(app: Any, email: str) -> Any:
    """``client_for(app)`` carrying a fresh API token of the local person ``email``."""
    from skillport_connector.auth import Identity

    token = app.state.services.tokens.mint_api_token(Identity.local(email))
    client = client_for(app)
    client.headers["Authorization"] = f"Bearer {token}"
    return client


def build_app(
    data_dir: Path,
    *,
    clock: Clock | None = None,
    store: Store | None = None,
    mcp_auth: bool = True,
    **settings: Any,
) -> ConnectorApp:
    """The one way tests and benchmarks build the connector in process: ``create_app`` over
    ``Settings(**settings)`` with its state in ``data_dir``, the audit log off, and ``clock``
    (default: the system's) for every expiry, rate-limit window and refresh floor. Tests
    use the ``make_app`` fixture (conftest.py), which passes a FakeClock."""
    from skillport_connector.app import create_app
    from skillport_connector.clock import system_clock
    from skillport_connector.settings import Settings

    config = Settings(**{"data_dir": data_dir, "audit_log": "", **settings})
    return create_app(config, store=store, mcp_auth=mcp_auth, clock=clock or system_clock)
