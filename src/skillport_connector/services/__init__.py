"""The service layer under REST and MCP (and later the web pages and the user CLI).

Typed functions over one reader's :class:`~.view.View` of a snapshot, plus the few
stateful services (tickets, webhooks) on the frozen :class:`~.container.Services` object
that ``app.create_app`` builds once. Services return records (:mod:`.records`) and raise
:mod:`skillport_connector.errors` domain errors; they know nothing of HTTP or MCP.

    view.py       who may see what: readable-or-NotFound, writable-or-Forbidden, summaries
    skills.py     list, search, one skill, check updates, the debug report
    tickets.py    the one minting path (rate limit, metric, audit) and the one redemption
    editing.py    plan + one commit through the editable source, audited
    webhooks.py   signatures, replay protection, coalesced refreshes
    health.py     liveness, readiness, the detailed status
    snapshots.py  per-snapshot policy and memo that die with the snapshot
"""

from .container import InvalidToken, MissingToken, Services, build_services
from .view import View, parse_surface

__all__ = ["InvalidToken", "MissingToken", "Services", "View", "build_services", "parse_surface"]
