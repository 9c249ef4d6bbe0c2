"""Who someone is, and what their identity provider vouches for: the one verified-identity
rule behind both the allowed-domains check and ``domain:`` access rules (issue 9, #11)."""

from __future__ import annotations

import pytest

from skillport_connector.access import Rule
from skillport_connector.auth.identity import Identity
from skillport_connector.auth.upstream import SignInError, Upstream, UpstreamConfig, entra, google

TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"


def upstream(config: UpstreamConfig) -> Upstream:
    return Upstream(config, "https://skills.example.com/callback")


def oidc(allowed: tuple[str, ...] = ()) -> Upstream:
    return upstream(UpstreamConfig("okta", "https://idp.example", "id", "secret", allowed))


def reads(rule: str, who: Identity) -> bool:
    """Whether an access.json rule ``[rule]`` lets ``who`` in."""
    return Rule.parse([rule], "defaults.read").allows(who, is_editor=False)


def test_an_unverified_email_matches_no_domain_rule():
    who = oidc()._identity({"sub": "1", "email": "eve@example.com", "email_verified": False})
    assert who.verified_domains == ()
    assert not reads("domain:example.com", who)


def test_a_missing_verification_claim_counts_as_unverified():
    who = oidc()._identity({"sub": "1", "email": "eve@example.com"})
    assert not reads("domain:example.com", who)


def test_a_verified_email_matches_its_domain_rule():
    who = oidc()._identity({"sub": "1", "email": "kim@Example.com", "email_verified": True})
    assert who.verified_domains == ("example.com",)
    assert reads("domain:example.com", who)


def test_an_entra_account_matches_its_tenant_not_an_unverified_email_domain():
    up = upstream(entra(TENANT, "id", "secret", ()))
    who = up._identity({"sub": "1", "tid": TENANT, "email": "ceo@victim.example"})
    assert reads(f"domain:{TENANT}", who)
    assert not reads("domain:victim.example", who)


def test_an_entra_tenant_allow_list_refuses_other_tenants():
    up = upstream(entra(TENANT, "id", "secret", (TENANT,)))
    with pytest.raises(SignInError):
        up._identity({"sub": "1", "tid": "another-tenant", "email": "a@x.example"})


def test_a_google_account_outside_a_workspace_vouches_for_no_domain():
    up = upstream(google("id", "secret", ()))
    who = up._identity({"sub": "9", "email": "a@gmail.com", "email_verified": True})
    assert not reads("domain:gmail.com", who)
    workspace = up._identity(
        {"sub": "9", "email": "a@acme.com", "email_verified": True, "hd": "acme.com"}
    )
    assert reads("domain:acme.com", workspace)


def test_the_allowed_domains_check_uses_the_same_rule():
    with pytest.raises(SignInError):
        oidc(("example.com",))._identity(
            {"sub": "1", "email": "eve@example.com", "email_verified": False}
        )


def test_verification_survives_the_store():
    who = oidc()._identity({"sub": "1", "email": "kim@example.com", "email_verified": True})
    assert Identity.from_dict(who.as_dict()) == who


def test_a_stored_identity_without_verification_verifies_nothing():
    old = {"id": "okta:1", "email": "kim@example.com", "name": "Kim", "provider": "okta"}
    assert Identity.from_dict(old).verified_domains == ()


def test_whoami_keeps_its_four_fields():
    who = Identity.local("ann@example.com")
    assert who.whoami() == {
        "id": "local:ann@example.com",
        "email": "ann@example.com",
        "name": "ann",
        "provider": "local",
    }


def test_people_the_operator_names_are_vouched_for():
    assert Identity.local("ann@Corp.example").in_domain("corp.example")
