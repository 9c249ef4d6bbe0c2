"""Signing in to a connector's own authorization server as a public native client:
dynamic registration (RFC 7591), authorization code with PKCE S256 and a loopback redirect
(RFC 8252), the device authorization grant (RFC 8628), refresh and revocation (RFC 7009)."""

from __future__ import annotations

import base64
import hashlib
import platform
import secrets
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import httpx

from .credentials import Tokens
from .exits import CliError, Exit
from .loopback import CALLBACK_PATH, Receiver

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
LOGIN_TIMEOUT = 600.0
Say = Callable[[str], None]


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def oauth_failure(response: httpx.Response, what: str) -> CliError:
    try:
        body = response.json()
        message = body.get("error_description") or body.get("message") or body.get("error")
    except ValueError:
        message = response.text[:200]
    code = (
        Exit.UNAVAILABLE
        if response.status_code >= 500 or response.status_code == 429
        else (Exit.ERROR)
    )
    return CliError(f"{what} failed ({response.status_code}): {message}", code)


class Authorizer:
    """The OAuth client for one connector. ``clock`` and ``sleep`` are injected for tests."""

    def __init__(
        self,
        http: httpx.Client,
        server: str,
        *,
        say: Say,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.http = http
        self.server = server.rstrip("/")
        self.say = say
        self.clock = clock
        self.sleep = sleep
        self._metadata: dict[str, Any] | None = None

    def _get_json(self, url: str) -> dict[str, Any]:
        response = self.http.get(url)
        if response.status_code != 200:
            raise CliError(
                f"{self.server} does not look like a Skillport connector "
                f"({url} answered {response.status_code})",
                Exit.UNAVAILABLE if response.status_code >= 500 else Exit.ERROR,
            )
        data = response.json()
        if not isinstance(data, dict):
            raise CliError(f"{url} did not answer a JSON object")
        return data

    @property
    def metadata(self) -> dict[str, Any]:
        if self._metadata is None:
            self._metadata = self._get_json(f"{self.server}/.well-known/oauth-authorization-server")
        return self._metadata

    def endpoint(self, name: str) -> str:
        url = self.metadata.get(name)
        if not isinstance(url, str):
            raise CliError(f"the connector's authorization server has no {name}")
        return url

    def resource(self) -> str:
        prm = self._get_json(f"{self.server}/.well-known/oauth-protected-resource")
        return str(prm.get("resource") or self.server)

    def register(self) -> str:
        body = {
            "client_name": f"Skillport command line on {platform.node() or 'this computer'}",
            "redirect_uris": [f"http://127.0.0.1{CALLBACK_PATH}"],
            "grant_types": ["authorization_code", "refresh_token", DEVICE_GRANT],
            "token_endpoint_auth_method": "none",
        }
        response = self.http.post(self.endpoint("registration_endpoint"), json=body)
        if response.status_code != 201:
            raise oauth_failure(response, "registering this command line")
        return str(response.json()["client_id"])

    def _tokens(self, response: httpx.Response, client_id: str, what: str) -> Tokens:
        if response.status_code != 200:
            raise oauth_failure(response, what)
        body = response.json()
        return Tokens(
            access_token=str(body["access_token"]),
            refresh_token=str(body["refresh_token"]),
            expires_at=self.clock() + float(body.get("expires_in", 3600)),
            client_id=client_id,
        )

    def login_browser(self, open_url: Callable[[str], bool]) -> Tokens:
        client_id = self.register()
        verifier, challenge = pkce_pair()
        state = secrets.token_urlsafe(16)
        with Receiver(state) as receiver:
            query = urlencode(
                {
                    "response_type": "code",
                    "client_id": client_id,
                    "redirect_uri": receiver.redirect_uri,
                    "code_challenge": challenge,
                    "code_challenge_method": "S256",
                    "state": state,
                    "scope": "skills",
                    "resource": self.resource(),
                }
            )
            url = f"{self.endpoint('authorization_endpoint')}?{query}"
            self.say(f"Opening your browser to sign in. If it does not open, visit:\n  {url}")
            open_url(url)
            params = receiver.wait(LOGIN_TIMEOUT)
        if params is None:
            raise CliError("the sign-in timed out; run login again", Exit.NOT_SIGNED_IN)
        if params.get("state") != state:
            raise CliError("the sign-in answer does not match this login; run login again")
        if "code" not in params:
            why = params.get("error_description") or params.get("error") or "no code"
            raise CliError(f"the sign-in was not completed: {why}", Exit.NOT_SIGNED_IN)
        form = {
            "grant_type": "authorization_code",
            "code": params["code"],
            "redirect_uri": receiver.redirect_uri,
            "code_verifier": verifier,
            "client_id": client_id,
        }
        response = self.http.post(self.endpoint("token_endpoint"), data=form)
        return self._tokens(response, client_id, "getting tokens")

    def login_device(self) -> Tokens:
        client_id = self.register()
        form = {"client_id": client_id, "scope": "skills", "resource": self.resource()}
        response = self.http.post(self.endpoint("device_authorization_endpoint"), data=form)
        if response.status_code != 200:
            raise oauth_failure(response, "starting the device sign-in")
        answer = response.json()
        interval = float(answer.get("interval", 5))
        deadline = self.clock() + float(answer.get("expires_in", 600))
        self.say(
            f"To sign in, open {answer['verification_uri']} in a browser on any device and "
            f"enter the code:\n\n    {answer['user_code']}\n\n"
            f"(or open {answer.get('verification_uri_complete', answer['verification_uri'])})\n"
            "Waiting for approval..."
        )
        form = {"grant_type": DEVICE_GRANT, "device_code": answer["device_code"]}
        form["client_id"] = client_id
        while self.clock() < deadline:
            self.sleep(interval)
            response = self.http.post(self.endpoint("token_endpoint"), data=form)
            if response.status_code == 200:
                return self._tokens(response, client_id, "getting tokens")
            error = _error_code(response)
            if error == "authorization_pending":
                continue
            if error == "slow_down":
                interval += 5
                continue
            if error == "access_denied":
                raise CliError("the sign-in was declined", Exit.NOT_SIGNED_IN)
            if error == "expired_token":
                break
            raise oauth_failure(response, "the device sign-in")
        raise CliError(
            "the code expired before it was approved; run login again", Exit.NOT_SIGNED_IN
        )

    def refresh(self, tokens: Tokens) -> Tokens:
        form = {
            "grant_type": "refresh_token",
            "refresh_token": tokens.refresh_token,
            "client_id": tokens.client_id,
        }
        response = self.http.post(self.endpoint("token_endpoint"), data=form)
        if response.status_code == 400:
            raise CliError(
                "your sign-in has expired or was revoked; run `skillport-connector login`",
                Exit.NOT_SIGNED_IN,
            )
        return self._tokens(response, tokens.client_id, "refreshing the sign-in")

    def revoke(self, tokens: Tokens) -> None:
        url = self.endpoint("revocation_endpoint")
        for token in (tokens.refresh_token, tokens.access_token):
            response = self.http.post(url, data={"token": token, "client_id": tokens.client_id})
            if response.status_code != 200:
                raise oauth_failure(response, "revoking the sign-in")


def _error_code(response: httpx.Response) -> str:
    try:
        return str(response.json().get("error", ""))
    except ValueError:
        return ""
