"""Read-only git smart HTTP: ``git http-backend`` (CGI) for ``git-upload-pack`` only.

Only the two requests of a fetch reach git: ``GET …/info/refs?service=git-upload-pack``
and ``POST …/git-upload-pack``. Pushes are refused (403) and the dumb protocol (loose
objects, ``HEAD``, pack files by name) is never served (404), so nothing but what the
branch reaches leaves the repository. The request body is bounded, the response is
streamed, at most :data:`MAX_PROCESSES` git processes run at once and each is killed
after :data:`TIMEOUT` seconds or when the client goes away.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from ..errors import Forbidden, NotFound, TooLarge, Unavailable

MAX_REQUEST_BYTES = 8 * 1024 * 1024
MAX_HEADER_BYTES = 64 * 1024
MAX_PROCESSES = 8
TIMEOUT = 300.0
CHUNK = 64 * 1024
_SLOTS = asyncio.Semaphore(MAX_PROCESSES)
#: Reapers still waiting for their git process (kept referenced until done).
_RUNNING: set[asyncio.Task[None]] = set()


#: The two requests of a fetch: the path's tail and the one method it accepts.
FETCH_METHODS = {"info/refs": "GET", "git-upload-pack": "POST"}


class WrongMethod(Exception):
    """A fetch endpoint asked with another method; ``allow`` is the one it accepts."""

    def __init__(self, method: str, tail: str) -> None:
        self.allow = FETCH_METHODS[tail]
        super().__init__(f"{method} is not allowed on …/{tail}; it accepts {self.allow}.")


def check_request(method: str, tail: str, service: str | None) -> None:
    """Only a fetch's two requests pass; the rest is Forbidden (push), WrongMethod (a
    fetch endpoint with another method) or NotFound."""
    if "receive-pack" in tail or service == "git-receive-pack":
        raise Forbidden("This repository is read-only: Claude Code only fetches from it.")
    if tail in FETCH_METHODS and method != FETCH_METHODS[tail]:
        raise WrongMethod(method, tail)
    if tail not in FETCH_METHODS or (tail == "info/refs" and service != "git-upload-pack"):
        raise NotFound("Only git's smart HTTP fetch is served here (git clone or git fetch).")


def cgi_env(request: Request, root: Path, repo: str, tail: str, user: str) -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "GIT_PROJECT_ROOT": str(root),
        "GIT_HTTP_EXPORT_ALL": "1",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_TERMINAL_PROMPT": "0",
        "HOME": str(root),
        "PATH_INFO": f"/{repo}/{tail}",
        "REQUEST_METHOD": request.method,
        "QUERY_STRING": request.url.query,
        "REMOTE_USER": user,
        "REMOTE_ADDR": request.client.host if request.client else "",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "GATEWAY_INTERFACE": "CGI/1.1",
    }
    for header, name in (
        ("content-type", "CONTENT_TYPE"),
        ("content-encoding", "HTTP_CONTENT_ENCODING"),
        ("git-protocol", "HTTP_GIT_PROTOCOL"),
    ):
        value = request.headers.get(header)
        if value:
            env[name] = value
    return env


async def _feed(request: Request, proc: asyncio.subprocess.Process) -> None:
    assert proc.stdin is not None
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > MAX_REQUEST_BYTES:
                proc.kill()
                return
            proc.stdin.write(chunk)
            await proc.stdin.drain()
    except (BrokenPipeError, ConnectionResetError):
        return
    finally:
        with contextlib.suppress(Exception):
            proc.stdin.close()


async def _headers(stdout: asyncio.StreamReader) -> tuple[int, dict[str, str]]:
    try:
        raw = await stdout.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        raw = exc.partial
        if b"\n\n" not in raw:
            raise Unavailable("git ended without an answer.") from None
    except asyncio.LimitOverrunError:
        raise Unavailable("git's answer had oversized headers.") from None
    status, headers = 200, {}
    for line in raw.decode("latin-1").splitlines():
        name, _, value = line.partition(":")
        if not value:
            continue
        if name.strip().lower() == "status":
            status = int(value.strip().split(" ", 1)[0] or 200)
        else:
            headers[name.strip()] = value.strip()
    return status, headers


async def serve(request: Request, root: Path, repo: str, tail: str, user: str) -> Response:
    """Answer one smart-HTTP fetch request from ``root/repo`` (already built and allowed)."""
    check_request(request.method, tail, request.query_params.get("service"))
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_REQUEST_BYTES:
        raise TooLarge(f"A git request is at most {MAX_REQUEST_BYTES} bytes.")
    await _SLOTS.acquire()
    try:
        proc = await asyncio.create_subprocess_exec(
            "git",
            "http-backend",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
            env=cgi_env(request, root, repo, tail, user),
            limit=MAX_HEADER_BYTES,
        )
    except OSError as exc:
        _SLOTS.release()
        raise Unavailable(f"git could not be started: {exc}") from None
    feeder = asyncio.create_task(_feed(request, proc))
    reaper = asyncio.create_task(_reap(proc, feeder))
    _RUNNING.add(reaper)
    reaper.add_done_callback(_RUNNING.discard)
    assert proc.stdout is not None
    try:
        status, headers = await asyncio.wait_for(_headers(proc.stdout), TIMEOUT)
    except BaseException:
        _kill(proc)
        raise

    async def body() -> AsyncIterator[bytes]:
        assert proc.stdout is not None
        done = False
        try:
            while chunk := await proc.stdout.read(CHUNK):
                yield chunk
            done = True
        finally:
            # The client went away: nothing is left behind. After a complete answer git
            # ends by itself and the reaper waits for it; killing it then would reap it
            # behind asyncio's back (Popen polls before it signals), losing its status.
            if not done:
                _kill(proc)

    media = headers.pop("Content-Type", None)
    kept = {k: v for k, v in headers.items() if k.lower() in ("cache-control", "expires")}
    return StreamingResponse(body(), status_code=status, headers=kept, media_type=media)


def _kill(proc: asyncio.subprocess.Process) -> None:
    if proc.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()


async def _reap(proc: asyncio.subprocess.Process, feeder: asyncio.Task[None]) -> None:
    """Whatever happens to the request: git ends within TIMEOUT and its slot is freed."""
    try:
        try:
            await asyncio.wait_for(proc.wait(), TIMEOUT)
        except TimeoutError:
            _kill(proc)
            await proc.wait()
    finally:
        feeder.cancel()
        _SLOTS.release()
