"""The git command line, driven safely: one bare mirror per marketplace, credentials only
in the environment (never in argv, never in logs), and snapshots read straight from
objects so nothing is ever checked out."""

from __future__ import annotations

import base64
import contextlib
import os
import re
import signal
import subprocess
import tempfile
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from .giterrors import GitError, LeaseRejected, RemoteUnavailable
from .gittree import GitTree  # re-exported: a tree over one of the repository's commits

ZERO = "0" * 40
_SHA = re.compile(r"^[0-9a-f]{40}$")


#: userinfo of a URL in any scheme: ``ssh://git:secret@host``, ``https://tok@host``.
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/?#@\s]+@")
#: Query parameters that carry credentials (``?access_token=…``, ``&private_token=…``).
_SECRET_PARAM = re.compile(
    r"(?i)([?&;](?:[a-z0-9_.-]*token|[a-z0-9_.-]*secret|password|passwd|pwd|key|api[_-]?key"
    r"|auth|authorization|sig|signature|code|credentials?)=)[^&#;\s]*"
)
_AUTH_HEADER = re.compile(r"(?i)(authorization:\s*\w+\s+)\S+")


def redact(text: str) -> str:
    """Remove credentials from a URL or anything git printed: the userinfo of a URL in any
    scheme, secret query parameters, and authorization headers."""
    text = _USERINFO.sub(r"\1***@", text)
    text = _SECRET_PARAM.sub(r"\1***", text)
    return _AUTH_HEADER.sub(r"\1***", text)


def public_url(url: str) -> str:
    return redact(url)


def _failure(command: str, stderr: bytes, *, network: bool) -> GitError:
    """The error for a git command that failed, its message without credentials."""
    message = redact(stderr.decode("utf-8", "replace").strip())
    if network:
        if "stale info" in message or "fetch first" in message or "non-fast-forward" in message:
            return LeaseRejected(message)
        return RemoteUnavailable(message or f"git {command} failed")
    return GitError(message or f"git {command} failed")


@dataclass(frozen=True)
class Credentials:
    read_token: str | None = None
    write_token: str | None = None

    def env(self, write: bool = False) -> dict[str, str]:
        """Git configuration for one command, passed as GIT_CONFIG_* environment variables."""
        token = (self.write_token or self.read_token) if write else self.read_token
        if not token:
            return {}
        basic = base64.b64encode(f"x-access-token:{token}".encode()).decode()
        return {
            "GIT_CONFIG_COUNT": "1",
            "GIT_CONFIG_KEY_0": "http.extraHeader",
            "GIT_CONFIG_VALUE_0": f"Authorization: Basic {basic}",
        }


class GitRepo:
    """A bare repository in the data directory that mirrors one branch of a remote."""

    def __init__(self, git_dir: Path, url: str, branch: str, credentials: Credentials) -> None:
        self.git_dir = git_dir
        self.url = url
        self.branch = branch
        self.credentials = credentials
        self.ref = f"refs/heads/{branch}"

    def run(
        self,
        *args: str,
        input: bytes | None = None,
        env: Mapping[str, str] | None = None,
        network: bool = False,
        write: bool = False,
        timeout: float = 120,
    ) -> bytes:
        try:
            proc = subprocess.run(
                ["git", *args],
                input=input,
                capture_output=True,
                env=self._env(env, network=network, write=write),
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise RemoteUnavailable(f"git {args[0]} timed out after {timeout:.0f}s") from None
        if proc.returncode != 0:
            raise _failure(args[0], proc.stderr, network=network)
        return proc.stdout

    def stream(self, *args: str, chunk: int = 1 << 20, timeout: float = 120) -> Iterator[bytes]:
        """A local git command's output in pieces as it comes, so the caller works on one
        piece while git writes the next (on another core); :class:`GitError` at the end
        when git fails or is still running after ``timeout`` seconds (then it is killed)."""
        with tempfile.TemporaryFile() as errors:  # a file: a pipe could fill and stall git
            proc = subprocess.Popen(
                ["git", *args],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=errors,
                env=self._env(None),
                start_new_session=True,  # a group of its own: a timeout stops git's children too
            )
            assert proc.stdout is not None
            expired = threading.Event()

            def expire() -> None:
                expired.set()
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)

            watchdog = threading.Timer(timeout, expire)
            watchdog.daemon = True
            watchdog.start()
            try:
                while piece := proc.stdout.read1(chunk):
                    yield piece
                returncode = proc.wait()
            finally:
                watchdog.cancel()
                if proc.poll() is None:  # the caller stopped early
                    proc.kill()
                    proc.wait()
                proc.stdout.close()
            if expired.is_set():
                raise GitError(f"git {args[0]} was still running after {timeout:.0f}s")
            if returncode != 0:
                errors.seek(0)
                raise _failure(args[0], errors.read(64 * 1024), network=False)

    def _env(
        self, extra: Mapping[str, str] | None, *, network: bool = False, write: bool = False
    ) -> dict[str, str]:
        """The environment of one git command: this repository, no prompts, C locale, and
        the credentials only for a command that talks to the remote."""
        full_env = {
            **os.environ,
            "GIT_DIR": str(self.git_dir),
            "GIT_TERMINAL_PROMPT": "0",
            "GIT_ASKPASS": "/bin/false",
            "SSH_ASKPASS": "/bin/false",
            "GIT_SSH_COMMAND": os.environ.get("GIT_SSH_COMMAND", "ssh -o BatchMode=yes"),
            "LC_ALL": "C",
        }
        full_env.pop("GIT_WORK_TREE", None)
        if network:
            full_env.update(self.credentials.env(write=write))
        if extra:
            full_env.update(extra)
        return full_env

    # -- remote -------------------------------------------------------------------------

    def exists(self) -> bool:
        return (self.git_dir / "HEAD").is_file()

    def init(self) -> None:
        self.git_dir.mkdir(parents=True, exist_ok=True)
        if not self.exists():
            subprocess.run(["git", "init", "-q", "--bare", str(self.git_dir)], check=True)

    def remote_head(self) -> str | None:
        """The branch's commit on the remote: one request (protocol v0 ref advertisement)."""
        out = self.run(
            "-c", "protocol.version=0", "ls-remote", "--", self.url, self.ref, network=True
        )
        for line in out.decode().splitlines():
            sha, _, ref = line.partition("\t")
            if ref == self.ref and _SHA.match(sha):
                return sha
        return None

    def fetch(self) -> str:
        """Fetch the branch into the mirror; returns its commit."""
        self.init()
        self.run(
            "-c", "protocol.version=0",
            "fetch", "--quiet", "--no-tags", "--prune", "--", self.url, f"+{self.ref}:{self.ref}",
            network=True,
        )  # fmt: skip
        return self.rev_parse(self.ref)

    def push(self, commit: str, expected: str) -> None:
        """Move the remote branch from ``expected`` to ``commit``, or fail with LeaseRejected.

        ``--force-with-lease`` makes the remote compare-and-swap: two connector instances
        pushing at once cannot overwrite each other.
        """
        self.run(
            "push", "--quiet", "--porcelain",
            f"--force-with-lease={self.ref}:{expected}",
            "--receive-pack=git -c receive.denyCurrentBranch=updateInstead receive-pack",
            "--", self.url, f"{commit}:{self.ref}",
            network=True, write=True,
        )  # fmt: skip
        self.run("update-ref", self.ref, commit)

    # -- local objects --------------------------------------------------------------------

    def rev_parse(self, ref: str) -> str:
        return self.run("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").decode().strip()

    def has_commit(self, ref: str) -> bool:
        try:
            return bool(self.rev_parse(ref))
        except GitError:
            return False

    def changed_paths(self, old: str, new: str, pathspecs: Sequence[str]) -> list[str]:
        if old == new or not pathspecs:
            return []
        out = self.run("diff", "--name-only", "-z", old, new, "--", *pathspecs)
        return [p for p in out.decode().split("\0") if p]

    def commit_changes(
        self,
        base: str,
        changes: Mapping[str, bytes | None],
        message: str,
        author: tuple[str, str],
        committer: tuple[str, str],
        index_dir: Path,
    ) -> str:
        """A new commit on top of ``base`` with ``changes`` (``None`` deletes); nothing moves."""
        index_dir.mkdir(parents=True, exist_ok=True)
        index = index_dir / f"index-{threading.get_ident()}-{os.getpid()}"
        env = {
            "GIT_INDEX_FILE": str(index),
            "GIT_AUTHOR_NAME": author[0],
            "GIT_AUTHOR_EMAIL": author[1],
            "GIT_COMMITTER_NAME": committer[0],
            "GIT_COMMITTER_EMAIL": committer[1],
        }
        try:
            self.run("read-tree", base, env=env)
            executable = self._executable_paths(base, [p for p, c in changes.items() if c])
            lines = []
            for path, content in sorted(changes.items()):
                if content is None:
                    lines.append(f"0 {ZERO}\t{path}")
                else:
                    blob = self.run("hash-object", "-w", "--stdin", input=content).decode().strip()
                    # A script stays runnable: an executable file keeps its mode, and a
                    # file that starts with "#!" becomes executable.
                    mode = "100755" if path in executable or content.startswith(b"#!") else "100644"
                    lines.append(f"{mode} {blob}\t{path}")
            if lines:
                self.run(
                    "update-index",
                    "--index-info",
                    input=("\n".join(lines) + "\n").encode(),
                    env=env,
                )
            tree = self.run("write-tree", env=env).decode().strip()
            return (
                self.run("commit-tree", tree, "-p", base, input=message.encode(), env=env)
                .decode()
                .strip()
            )
        finally:
            index.unlink(missing_ok=True)

    def _executable_paths(self, commit: str, paths: list[str]) -> set[str]:
        """Which of ``paths`` are executable (mode 100755) in ``commit``."""
        if not paths:
            return set()
        out = self.run(
            "ls-tree", "-r", "-z", commit, "--", *paths, env={"GIT_LITERAL_PATHSPECS": "1"}
        )
        found = set()
        for record in out.split(b"\0"):
            meta, _, path = record.partition(b"\t")
            if meta.startswith(b"100755 "):
                found.add(path.decode("utf-8", "surrogateescape"))
        return found

    def log(self, ref: str, count: int = 100) -> list[tuple[str, str]]:
        out = self.run("log", f"-{count}", "--format=%H%x00%B%x01", ref)
        result = []
        for record in out.decode().split("\x01"):
            record = record.strip("\n")
            if record:
                sha, _, body = record.partition("\0")
                result.append((sha, body))
        return result


__all__ = [
    "Credentials",
    "GitError",
    "GitRepo",
    "GitTree",
    "LeaseRejected",
    "RemoteUnavailable",
    "public_url",
    "redact",
]
