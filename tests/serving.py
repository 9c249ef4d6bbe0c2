"""Starting real `skillport-connector serve` processes for tests and benchmarks."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import httpx

CLI = [sys.executable, "-m", "skillport_connector.cli"]


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
