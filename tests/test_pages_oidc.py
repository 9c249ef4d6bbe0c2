"""The web pages sign in through the organisation's identity provider (a real npm
oidc-provider), through the very handlers the OAuth flow uses, and end in a browser session
rather than an authorization code."""

from __future__ import annotations

import httpx
import pytest
from test_oidc_signin import FORM, form_fields, op_and_connector  # noqa: F401 (a fixture)

from skillport_connector.web.sessions import COOKIE

pytestmark = pytest.mark.needs_node


def sign_in_through_the_provider(web: httpx.Client, base: str, login: str) -> httpx.Response:
    """Open ``base``/ as a person would: follow redirects, fill the provider's forms."""
    response = web.get(f"{base}/skills/csv-profiler")
    for _ in range(30):
        if response.status_code in (302, 303):
            response = web.get(str(response.url.join(response.headers["location"])))
            continue
        if str(response.url).startswith(base):
            return response
        match = FORM.search(response.text)
        assert response.status_code == 200 and match, response.text[:500]
        action, inner = match.groups()
        data = form_fields(inner)
        data.update({k: v for k, v in {"login": login, "password": "any"}.items() if k in data})
        response = web.post(str(response.url.join(action)), data=data)
    raise AssertionError("the sign-in did not finish")


def test_the_pages_sign_in_through_the_identity_provider(op_and_connector):  # noqa: F811
    base = op_and_connector["base"]
    with httpx.Client(follow_redirects=False, timeout=15) as web:
        page = sign_in_through_the_provider(web, base, "ann@example.com")
        assert page.status_code == 200 and str(page.url) == f"{base}/skills/csv-profiler"
        assert "<h1>csv-profiler" in page.text and "Sign out" in page.text
        assert web.cookies.get(COOKIE)


def test_a_refused_account_gets_no_session(op_and_connector):  # noqa: F811
    base = op_and_connector["base"]
    with httpx.Client(follow_redirects=False, timeout=15) as web:
        page = sign_in_through_the_provider(web, base, "mallory@elsewhere.example")
        assert page.status_code == 403 and "not allowed here" in page.text
        assert web.cookies.get(COOKIE) is None
