"""The device authorization grant (RFC 8628) of the OAuth server, on a fake clock: codes,
polling (pending, slow_down, approved once, denied, expired), and who may use it. The pages
are driven for real in tests/test_people_cli.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from skillport_connector.auth.device import (
    DEVICE_TTL,
    INTERVAL,
    SLOW_DOWN_STEP,
    DeviceFlow,
    normalise_user_code,
)
from skillport_connector.auth.errors import OAuthError
from skillport_connector.auth.handlers.consent import ConsentHandler
from skillport_connector.auth.identity import Identity
from skillport_connector.auth.oauth import OAuthServer
from skillport_connector.auth.records import DEVICE_CODE_GRANT, OAuthClient
from skillport_connector.clock import FakeClock
from skillport_connector.store import SQLiteStore

BASE = "https://skills.example.com"
USER = Identity.local("ann@example.com")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def flow(tmp_path: Path, clock: FakeClock) -> DeviceFlow:
    store = SQLiteStore(tmp_path / "s.db", clock=clock)
    server = OAuthServer(store, resource=f"{BASE}/mcp", issuer=BASE, clock=clock)
    return DeviceFlow(server, BASE)


def device_client(flow: DeviceFlow, grants: list[str] | None = None) -> OAuthClient:
    metadata = {
        "redirect_uris": ["http://127.0.0.1/callback"],
        "grant_types": grants or ["refresh_token", DEVICE_CODE_GRANT],
    }
    return flow.server.register(metadata).client


def error_of(call: object) -> str:
    with pytest.raises(OAuthError) as caught:
        call()  # type: ignore[operator]
    return caught.value.error


def signed_in(flow: DeviceFlow, user_code: str) -> str:
    """The pending sign-in of ``user_code``, the person signed in, not yet settled."""
    pending_id = flow.start_sign_in(user_code)
    assert pending_id is not None
    flow.server.signed_in(pending_id, USER)
    return pending_id


def approve(flow: DeviceFlow, user_code: str, allow: bool = True) -> None:
    flow.settle(signed_in(flow, user_code), allow)


def test_the_answer_names_the_page_the_code_and_the_interval(flow):
    answer = flow.request(device_client(flow), None, None).as_dict()
    assert answer["verification_uri"] == f"{BASE}/device"
    assert answer["verification_uri_complete"].endswith(f"?user_code={answer['user_code']}")
    assert answer["expires_in"] == DEVICE_TTL and answer["interval"] == INTERVAL
    assert normalise_user_code(answer["user_code"]) == answer["user_code"]


def test_user_codes_are_typed_in_any_case_with_or_without_the_dash():
    assert normalise_user_code("bcdf ghjk") == "BCDF-GHJK"
    assert normalise_user_code("BCDFGHJK") == "BCDF-GHJK"
    assert normalise_user_code("BCDF-GHJA") is None  # a vowel is never in a code
    assert normalise_user_code("BCDF") is None


def test_a_client_registered_without_the_device_grant_cannot_use_it(flow):
    client = device_client(flow, ["authorization_code", "refresh_token"])
    assert error_of(lambda: flow.request(client, None, None)) == "unauthorized_client"


def test_other_resources_and_scopes_are_refused(flow):
    client = device_client(flow)
    assert error_of(lambda: flow.request(client, None, "https://evil.example")) == "invalid_target"
    assert error_of(lambda: flow.request(client, "admin", None)) == "invalid_scope"


def test_polling_before_approval_is_pending_and_too_fast_is_slow_down(flow, clock):
    client = device_client(flow)
    answer = flow.request(client, None, None)
    clock.advance(INTERVAL)
    assert error_of(lambda: flow.poll(client, answer.device_code)) == "authorization_pending"
    clock.advance(1)
    assert error_of(lambda: flow.poll(client, answer.device_code)) == "slow_down"
    clock.advance(INTERVAL)  # the interval grew by SLOW_DOWN_STEP: still too fast
    assert error_of(lambda: flow.poll(client, answer.device_code)) == "slow_down"
    clock.advance(INTERVAL + 2 * SLOW_DOWN_STEP)
    assert error_of(lambda: flow.poll(client, answer.device_code)) == "authorization_pending"


def test_an_approved_device_gets_tokens_for_the_person_once(flow, clock):
    client = device_client(flow)
    answer = flow.request(client, None, None)
    approve(flow, answer.user_code.lower().replace("-", ""))
    issued = flow.poll(client, answer.device_code)
    grant = flow.server.validate(issued.access_token, flow.server.resource)
    assert grant is not None and grant.identity.email == USER.email
    assert flow.server.refresh(client, issued.refresh_token).access_token
    clock.advance(INTERVAL)
    assert error_of(lambda: flow.poll(client, answer.device_code)) == "invalid_grant"


def test_a_denied_device_hears_access_denied(flow):
    client = device_client(flow)
    answer = flow.request(client, None, None)
    approve(flow, answer.user_code, allow=False)
    assert error_of(lambda: flow.poll(client, answer.device_code)) == "access_denied"


def test_an_expired_device_code_says_so_and_its_user_code_no_longer_works(flow, clock):
    client = device_client(flow)
    answer = flow.request(client, None, None)
    clock.advance(DEVICE_TTL + 1)
    assert error_of(lambda: flow.poll(client, answer.device_code)) == "expired_token"
    assert flow.start_sign_in(answer.user_code) is None


def test_a_device_code_works_only_for_the_client_it_was_issued_to(flow):
    answer = flow.request(device_client(flow), None, None)
    other = device_client(flow)
    assert error_of(lambda: flow.poll(other, answer.device_code)) == "invalid_grant"
    assert error_of(lambda: flow.poll(other, "made-up")) == "invalid_grant"


def test_a_user_code_is_settled_once(flow):
    client = device_client(flow)
    answer = flow.request(client, None, None)
    pending_id = signed_in(flow, answer.user_code)
    flow.settle(pending_id, True)
    assert error_of(lambda: flow.settle(pending_id, False)) == "invalid_request"
    assert flow.start_sign_in(answer.user_code) is None  # no longer waiting


def test_the_metadata_advertises_the_device_endpoint_and_grant(client):
    with client as http:
        meta = http.get("/.well-known/oauth-authorization-server").json()
    assert meta["device_authorization_endpoint"].endswith("/device_authorization")
    assert DEVICE_CODE_GRANT in meta["grant_types_supported"]


def test_the_consent_page_sends_the_person_back_to_their_device_not_to_a_redirect(flow):
    client = device_client(flow)
    answer = flow.request(client, None, None)
    pending_id = signed_in(flow, answer.user_code)
    pending = flow.server.pending(pending_id)
    assert pending is not None
    page = bytes(ConsentHandler(flow.server, flow)._ask(pending_id, pending).body).decode()
    assert "sent back" not in page
    assert f"shows the code <strong>{answer.user_code}</strong>" in page
    assert "return to it: it finishes signing in on its own" in page
