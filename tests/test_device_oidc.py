"""The device flow through the organisation's identity provider (a real OpenID provider,
npm oidc-provider): the code typed at /device leads to the provider's login, back to the
consent page, and the device's next poll gets tokens for the person the provider vouched for."""

from __future__ import annotations

import httpx
from test_oidc_signin import FormBrowser, op_and_connector  # noqa: F401 - the fixture

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


def test_a_device_is_approved_through_the_identity_provider(op_and_connector):  # noqa: F811
    base = op_and_connector["base"]
    with httpx.Client(base_url=base, timeout=15) as device:
        client = device.post(
            "/register",
            json={
                "redirect_uris": ["http://127.0.0.1/callback"],
                "grant_types": ["refresh_token", DEVICE_GRANT],
                "client_name": "a terminal",
            },
        ).json()["client_id"]
        answer = device.post("/device_authorization", data={"client_id": client}).json()
        poll = {"grant_type": DEVICE_GRANT, "device_code": answer["device_code"]}
        poll["client_id"] = client

        browser = FormBrowser("kim@example.com")
        browser.run(answer["verification_uri_complete"])
        status, page = browser.pages[-1]
        assert status == 200 and "Device connected" in page, page[-500:]

        # The first poll comes after the approval (polling while pending: test_device_grant).
        tokens = device.post("/token", data=poll)
        assert tokens.status_code == 200, tokens.text
        bearer = {"Authorization": f"Bearer {tokens.json()['access_token']}"}
        who = device.get("/api/whoami", headers=bearer).json()
        assert who["email"] == "kim@example.com" and who["id"].startswith("okta:")
        assert device.post("/token", data=poll).json()["error"] == "invalid_grant"  # once
