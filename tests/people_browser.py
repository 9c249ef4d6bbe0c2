#!/usr/bin/env python3
"""A test "browser" for the sign-in pages: follows redirects like a browser (keeping the
sign-in cookie), fills the development sign-in form with an e-mail address and answers the
consent page. Importable, and runnable as ``$BROWSER`` (Python's ``webbrowser`` then runs it
with the authorization URL): the e-mail and the decision come from ``TEST_BROWSER_EMAIL``
and ``TEST_BROWSER_DECISION``."""

from __future__ import annotations

import os
import re
import sys
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx


class Browser:
    def __init__(self, email: str = "dana@example.com", decision: str = "allow") -> None:
        self.email = email
        self.decision = decision
        self.http = httpx.Client(follow_redirects=False, timeout=30)
        #: The last page seen (its URL and text).
        self.url = ""
        self.text = ""

    def _follow(self, response: httpx.Response) -> httpx.Response:
        for _ in range(10):
            if response.status_code not in (301, 302, 303, 307):
                break
            location = urljoin(str(response.url), response.headers["location"])
            response = self.http.get(location)
        self.url, self.text = str(response.url), response.text
        return response

    def _pending(self) -> str:
        found = parse_qs(urlsplit(self.url).query).get("pending")
        if found:
            return found[0]
        match = re.search(r'name="pending" value="([^"]+)"', self.text)
        assert match, f"no sign-in in progress at {self.url}: {self.text[:300]}"
        return match.group(1)

    def sign_in_and_decide(self) -> httpx.Response:
        """From the development sign-in page: sign in, then allow or deny."""
        pending = self._pending()
        self._follow(
            self.http.post(
                urljoin(self.url, "/login"), data={"pending": pending, "email": self.email}
            )
        )
        assert "/consent" in self.url, self.text[:300]
        return self._follow(
            self.http.post(
                urljoin(self.url, "/consent"), data={"pending": pending, "decision": self.decision}
            )
        )

    def authorize(self, url: str) -> httpx.Response:
        """Follow an authorization URL to its end (the client's redirect URI)."""
        self._follow(self.http.get(url))
        return self.sign_in_and_decide()

    def enter_device_code(self, base: str, user_code: str) -> httpx.Response:
        """Type ``user_code`` on the connector's /device page, sign in and decide."""
        form = self._follow(self.http.get(f"{base}/device"))
        assert form.status_code == 200 and 'name="user_code"' in form.text
        self._follow(self.http.post(f"{base}/device", data={"user_code": user_code}))
        return self.sign_in_and_decide()


if __name__ == "__main__":
    browser = Browser(
        os.environ.get("TEST_BROWSER_EMAIL", "dana@example.com"),
        os.environ.get("TEST_BROWSER_DECISION", "allow"),
    )
    final = browser.authorize(sys.argv[1])
    sys.exit(0 if final.status_code == 200 else 1)
