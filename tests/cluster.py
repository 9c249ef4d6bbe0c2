"""Several `serve` processes sharing one real redis-server and one git remote, as behind a
load balancer: what the multi-instance and freshness tests start."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx
from cryptography.fernet import Fernet
from gitserver import READ_TOKEN, WRITE_TOKEN, GitHttpServer
from redisserver import RedisServer
from serving import free_port, serve

from skillport_connector.settings import demo_marketplace


@dataclass(frozen=True)
class Cluster:
    """Base URLs of the instances, the environment they share, and their git remote
    (the demo marketplace as the repository ``market``)."""

    bases: list[str]
    env: dict[str, str]
    git: GitHttpServer

    @property
    def a(self) -> str:
        return self.bases[0]

    @property
    def b(self) -> str:
        return self.bases[1]


@contextlib.contextmanager
def instances(
    tmp: Path, webhook_secret: str, env: Mapping[str, str], count: int = 2
) -> Iterator[Cluster]:
    """``count`` healthy instances on one redis-server and one git remote, with the same
    public URL (the first's), secret key and GitHub webhook secret; ``env`` adds to (or
    overrides) the shared settings. Everything is stopped afterwards."""
    redis = RedisServer(tmp)
    git = GitHttpServer(tmp / "remote")
    git.create_repo("market", demo_marketplace())
    git.start()
    ports = [free_port() for _ in range(count)]
    shared = {
        **os.environ,
        "SKILLPORT_REDIS_URL": redis.url,
        "SKILLPORT_MARKETPLACE": git.url("market"),
        "SKILLPORT_GIT_READ_TOKEN": READ_TOKEN,
        "SKILLPORT_GIT_WRITE_TOKEN": WRITE_TOKEN,
        "SKILLPORT_PUBLIC_URL": f"http://127.0.0.1:{ports[0]}",
        "SKILLPORT_GITHUB_WEBHOOK_SECRET": webhook_secret,
        "SKILLPORT_AUDIT_LOG": "",
        "SKILLPORT_SECRET_KEY": Fernet.generate_key().decode(),
        **env,
    }
    started = []
    try:
        for i, port in enumerate(ports):
            started.append(serve(port, tmp / f"data{i}", shared))
        yield Cluster([base for _, base in started], shared, git)
    finally:
        for proc, _ in started:
            proc.terminate()
            proc.wait(timeout=15)
        git.stop()
        redis.stop()


def github_push_hook(base: str, secret: str, body: bytes = b"{}") -> httpx.Response:
    """A GitHub webhook delivery to ``base``, signed with ``secret``."""
    signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return httpx.post(
        f"{base}/webhooks/github", content=body, headers={"X-Hub-Signature-256": signature}
    )
