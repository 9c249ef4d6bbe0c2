"""Single-use install and edit tokens: the one minting path and the one redemption path.

REST (``/api/skills/{name}/install``, ``…/edit``) and MCP (``install_skill``, the
``skillport_auth`` bootstrap) mint through :meth:`Tickets.mint`, so every token is rate
limited per user, counted in the metrics and written to the audit log the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from .. import errors
from .. import install as packaging
from ..audit import AuditLog
from ..auth import INSTALL_TOKEN_TTL, Identity, TokenService
from ..auth.ratelimit import RateLimiter
from ..catalog import Catalog, Skill
from ..metrics import Metrics
from ..sources.base import Source
from .records import IssuedTicket, Redeemed, TicketKind
from .snapshots import Snapshots
from .view import View

T = TypeVar("T")


@dataclass(frozen=True)
class Tickets:
    tokens: TokenService
    limiter: RateLimiter
    audit: AuditLog
    metrics: Metrics
    snapshots: Snapshots
    source: Source
    #: Token-minting requests per user per minute (0: unlimited).
    per_user_limit: int
    max_package_bytes: int

    def limit(self, who: Identity) -> None:
        """Count one minting request of ``who``; RateLimited past the per-user limit."""
        self.limiter.hit("mint", who.id, self.per_user_limit, "tokens requested")

    def mint_api_token(self, who: Identity) -> str:
        """A 15-minute REST token (``skillport_auth``), rate limited like the tickets."""
        self.limit(who)
        token = self.tokens.mint_api_token(who)
        self.metrics.tokens.labels("api").inc()
        return token

    def mint(self, view: View, name: str, kind: TicketKind) -> IssuedTicket:
        """A single-use token for one skill: readable for install, writable for edit."""
        skill = view.writable(name) if kind == "edit" else view.readable(name)
        self.limit(view.who)
        # The qualified id: it names this skill even when another plugin has its name.
        token = self.tokens.mint_ticket(kind, view.who, skill.id, skill.version)
        self.metrics.tokens.labels(kind).inc()
        self.audit.record(
            view.who, f"{kind}-token", skill=skill.name, group=skill.plugin, result="ok"
        )
        return IssuedTicket(kind, token, skill.name, skill.plugin, skill.version, INSTALL_TOKEN_TTL)

    def packed_files(self, catalog: Catalog, skill: Skill) -> list[packaging.PackedFile]:
        """The files a package of ``skill`` carries (blocking I/O: call off the event loop)."""
        try:
            return packaging.skill_files(catalog, skill, limit=self.max_package_bytes)
        except packaging.PackageTooLarge as exc:
            raise errors.TooLarge(f"{skill.name} cannot be packaged: {exc}.") from None
        except OSError:
            raise errors.Unavailable(
                f"{skill.name} changed on disk while being read; retry in a moment.",
                retry_after=1,
            ) from None

    def redeem(
        self, kind: TicketKind, token: str, render: Callable[[Redeemed], T]
    ) -> tuple[Redeemed, T]:
        """Spend a ticket: NotFound when unknown or expired, Gone when already used.

        A used ticket is refused before anything is read. Otherwise the payload is built
        (``render``) before the token is spent, so a failure while building leaves it
        usable for the installer's retry; access is re-checked for the token's user.
        Blocking: call off the event loop.
        """
        unknown = (
            f"This {kind} token is unknown or has expired (tokens last 15 minutes); "
            "ask for a new one."
        )
        used = f"This {kind} token was already used (each works once); ask for a new one."
        peeked = self.tokens.peek_ticket(kind, token)
        if peeked.status == "used":
            raise errors.Gone(used)
        if peeked.ticket is None:
            raise errors.NotFound(unknown)
        ticket = peeked.ticket
        catalog = self.source.catalog
        view = View(ticket.user, catalog, self.snapshots.policy(catalog))
        skill = catalog.skill(ticket.skill)
        if skill is None or not view.can_read(skill):
            raise errors.NotFound(f"The skill {ticket.skill!r} is no longer available.")
        if kind == "edit" and not view.can_write(skill):
            raise errors.Forbidden(f"{ticket.user.email} may no longer change {skill.name!r}.")
        redeemed = Redeemed(ticket.user, skill, self.packed_files(catalog, skill))
        body = render(redeemed)
        outcome = self.tokens.redeem_ticket(kind, token)
        if outcome.status == "unknown":
            raise errors.NotFound(unknown)
        if outcome.status == "used":
            raise errors.Gone(used)
        self.audit.record(ticket.user, kind, skill=skill.name, group=skill.plugin, result="ok")
        return redeemed, body
