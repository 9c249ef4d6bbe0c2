"""The services object: everything a REST handler or an MCP tool needs, built once.

Frozen and fully typed: nothing is attached after construction, and the source is a
:class:`~skillport_connector.sources.base.Source`, so a missing method is a type error at
the composition root, not a 500 at request time.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..audit import AuditLog
from ..auth import Identity, TokenService
from ..auth.oauth import OAuthServer
from ..auth.ratelimit import RateLimiter
from ..catalog import Catalog
from ..catalog.model import Skill
from ..clock import Clock, system_clock
from ..errors import Unauthenticated
from ..metrics import Metrics
from ..settings import Settings
from ..sources.base import Source
from ..store import Store
from .freshness import Freshness
from .packages import PackageLinks
from .skills import readable_mask
from .snapshots import Snapshots
from .tickets import Tickets
from .view import View
from .webhooks import Webhooks

OAUTH_ACCESS_TOKEN_PREFIX = "spat_"


class MissingToken(Unauthenticated):
    """No bearer token was sent (answered with a ``WWW-Authenticate: Bearer`` challenge)."""


class InvalidToken(Unauthenticated):
    """A bearer token was sent but is unknown, expired or revoked."""


@dataclass(frozen=True)
class Services:
    settings: Settings
    source: Source
    store: Store
    tokens: TokenService
    audit: AuditLog
    oauth: OAuthServer
    limiter: RateLimiter
    metrics: Metrics
    snapshots: Snapshots
    tickets: Tickets
    webhooks: Webhooks
    freshness: Freshness
    packages: PackageLinks

    def identify(self, token: str) -> Identity:
        """The identity behind an ``sk_api_`` token or an OAuth access token."""
        who: Identity | None
        if token.startswith(OAUTH_ACCESS_TOKEN_PREFIX):
            grant = self.oauth.validate(token, resource=self.oauth.resource)
            who = grant.identity if grant else None
        else:
            who = self.tokens.identity_for(token)
        if who is None:
            raise InvalidToken(
                "The token is unknown or has expired (API tokens last 15 minutes); get a new one."
            )
        return who

    def view(self, who: Identity, catalog: Catalog | None = None) -> View:
        """``who``'s view of ``catalog`` (default: the snapshot served now)."""
        catalog = catalog if catalog is not None else self.source.catalog
        return View(who, catalog, self.snapshots.policy(catalog))

    def visible(self, view: View, surface: str | None = None) -> list[Skill]:
        """The skills ``view``'s reader may use on ``surface``, in catalog order: worked
        out once per snapshot, reader kind and surface (50,000 skills: ~20 ms each)."""
        key = ("visible", view.policy.view_key(view.who), surface)
        return self.snapshots.memo(view.catalog, key, lambda: view.skills(surface))

    def readable_mask(self, view: View, surface: str | None = None) -> bytes:
        """:func:`.skills.readable_mask`, once per snapshot, reader kind and surface."""
        key = ("mask", view.policy.view_key(view.who), surface)
        return self.snapshots.memo(
            view.catalog, key, lambda: readable_mask(self.visible(view, surface), view.catalog)
        )


def build_services(
    settings: Settings,
    source: Source,
    store: Store,
    oauth: OAuthServer,
    *,
    clock: Clock = system_clock,
) -> Services:
    tokens = TokenService(store)
    audit = AuditLog(settings.audit_log)
    limiter = RateLimiter(store, clock=clock)
    metrics = Metrics(source)
    snapshots = Snapshots()
    tickets = Tickets(
        tokens=tokens,
        limiter=limiter,
        audit=audit,
        metrics=metrics,
        snapshots=snapshots,
        source=source,
        per_user_limit=settings.rate_limit_user,
        max_package_bytes=settings.max_package_bytes,
    )
    return Services(
        settings=settings,
        source=source,
        store=store,
        tokens=tokens,
        audit=audit,
        oauth=oauth,
        limiter=limiter,
        metrics=metrics,
        snapshots=snapshots,
        tickets=tickets,
        webhooks=Webhooks(source, store, audit),
        freshness=Freshness(source, store),
        packages=PackageLinks(_secret_key(settings), settings.data_dir / "packages"),
    )


def _secret_key(settings: Settings) -> str:
    from ..store.encrypted import load_or_create_key

    return settings.secret_key or load_or_create_key(settings.data_dir / "secret.key")
