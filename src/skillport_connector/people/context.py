"""What every command of the people's command line works with: the connector's address,
the credentials, one HTTP client, and where to print (results on stdout, progress on
stderr)."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any
from urllib.parse import urlsplit

import httpx

from .. import __version__
from . import paths
from .api import Session
from .credentials import Credentials
from .exits import CliError, Exit
from .installing import InstalledRecord
from .oauth import Authorizer

DEFAULT_SERVER = "http://127.0.0.1:8787"
TIMEOUT = httpx.Timeout(30.0, connect=10.0)


def normalise_server(url: str) -> str:
    url = url.strip().rstrip("/")
    if "://" not in url:
        url = f"https://{url}"
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise CliError(f"{url!r} is not a connector address (http or https URL)", Exit.USAGE)
    return url


def say(message: str) -> None:
    """Progress and notes: stderr, so stdout stays the result."""
    print(message, file=sys.stderr, flush=True)


def emit_json(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


@dataclass
class Context:
    args: argparse.Namespace
    credentials: Credentials = field(default_factory=Credentials)

    @cached_property
    def http(self) -> httpx.Client:
        return httpx.Client(
            timeout=TIMEOUT, headers={"User-Agent": f"skillport-connector-cli/{__version__}"}
        )

    @cached_property
    def server(self) -> str:
        given = getattr(self.args, "server", None)
        server = given or self.credentials.current_server()
        if not server:
            raise CliError(
                "no connector chosen; run `skillport-connector login URL` first",
                Exit.NOT_SIGNED_IN,
            )
        return normalise_server(server)

    @cached_property
    def authorizer(self) -> Authorizer:
        return Authorizer(self.http, self.server, say=say)

    @cached_property
    def session(self) -> Session:
        return Session(self.server, self.credentials, self.http, self.authorizer)

    @cached_property
    def installed(self) -> InstalledRecord:
        return InstalledRecord(paths.config_dir() / "installed.json")

    @property
    def json(self) -> bool:
        return bool(getattr(self.args, "json", False))

    def close(self) -> None:
        if "http" in self.__dict__:
            self.http.close()
