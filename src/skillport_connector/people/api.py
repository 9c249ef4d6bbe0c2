"""The signed-in person's REST client: a bearer token on every request, refreshed
transparently (before it expires, and once more if the connector answers 401), and every
failure turned into a :class:`CliError` with the right exit code."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx

from .credentials import Credentials, Tokens
from .exits import CliError, Exit
from .oauth import Authorizer

#: Refresh this long before the access token expires.
REFRESH_MARGIN = 60.0


def failure(response: httpx.Response) -> CliError:
    """The CliError a non-2xx answer of the REST API stands for."""
    try:
        body = response.json()
        message = str(body.get("message") or body.get("error") or "")
    except ValueError:
        message = response.text[:200]
    status = response.status_code
    if status == 401:
        return CliError(
            f"not signed in ({message}); run `skillport-connector login`", Exit.NOT_SIGNED_IN
        )
    if status == 404:
        return CliError(message or "not found", Exit.NOT_FOUND)
    if status == 429 or status >= 500:
        return CliError(f"the connector is unavailable ({status}): {message}", Exit.UNAVAILABLE)
    return CliError(f"the connector refused ({status}): {message}")


class Session:
    def __init__(
        self,
        server: str,
        credentials: Credentials,
        http: httpx.Client,
        authorizer: Authorizer,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.server = server
        self.credentials = credentials
        self.http = http
        self.authorizer = authorizer
        self.clock = clock

    def _load(self) -> Tokens:
        tokens = self.credentials.tokens(self.server)
        if tokens is None:
            raise CliError(
                f"not signed in to {self.server}; run `skillport-connector login`",
                Exit.NOT_SIGNED_IN,
            )
        return tokens

    def _tokens(self, rejected: str | None = None) -> Tokens:
        """Usable tokens: the stored ones, or refreshed ones when those expire soon or the
        connector just ``rejected`` the access token. Refresh tokens work once and a reused
        one revokes the sign-in, so refreshing is serialised across processes (Claude Code's
        headers helper may run while another command does) and re-reads what another
        process may have stored meanwhile."""
        tokens = self._load()
        if not self._stale(tokens, rejected):
            return tokens
        with self.credentials.lock():
            tokens = self._load()
            if self._stale(tokens, rejected):
                tokens = self.authorizer.refresh(tokens)
                self.credentials.save(self.server, tokens)
        return tokens

    def _stale(self, tokens: Tokens, rejected: str | None) -> bool:
        return tokens.access_token == rejected or (
            tokens.expires_at - REFRESH_MARGIN <= self.clock()
        )

    def access_token(self) -> str:
        return self._tokens().access_token

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """A 2xx answer to ``method path``, or CliError."""
        url = f"{self.server}{path}"
        extra = kwargs.pop("headers", {})
        rejected: str | None = None
        for _ in (0, 1):
            token = self._tokens(rejected).access_token
            headers = {"Authorization": f"Bearer {token}", **extra}
            response = self.http.request(method, url, headers=headers, **kwargs)
            if response.status_code != 401:
                break
            rejected = token
        if not response.is_success:
            raise failure(response)
        return response

    def json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.request(method, path, **kwargs)
        try:
            return response.json()
        except ValueError:
            raise CliError(f"{path} did not answer JSON") from None
