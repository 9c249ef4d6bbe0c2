"""The web pages for people: browse, search, read, install, and (editors) the admin page.

Server-rendered (Jinja2) with a little progressive JavaScript (copy buttons, search as you
type); everything works without it. Every page reads through the service layer, so what a
person sees here is what REST and MCP show them, and nothing the access rules hide.

    site.py          the visitor, templates, errors, headers and compression of every page
    sessions.py      browser sessions (hashed in the store, revocable) and their CSRF token
    security.py      CSP, frame and CSRF rules
    signin_pages.py  /signin, /session, /signout (the OAuth server's sign-in, reused)
    listing.py       search and filters (pure)
    catalog_page.py  /            the catalog, cached per snapshot, view key and question
    skill_page.py    /skills/…    a skill, its files, history and install panel
    group_page.py    /groups/…    a group and its skills
    admin_page.py    /admin       snapshot, upstream, findings, access file, audit
    history.py       what changed, from git (bounded, off the event loop)
    markdown.py      SKILL.md to safe HTML (markdown-it-py, then nh3)
    assets.py        static files under content-hashed URLs
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.routing import BaseRoute, Route

from ..auth.handlers.authorize import AuthorizationHandler
from ..auth.handlers.guard import Endpoint
from ..loopback import is_loopback_url
from ..services import Services
from .admin_page import AdminPage
from .assets import Assets
from .catalog_page import CatalogPage
from .group_page import GroupPage
from .sessions import Sessions
from .signin_pages import SignInPages
from .site import Web, templates
from .skill_page import SkillPage

__all__ = ["build_web"]


def build_web(
    services: Services,
    starter: AuthorizationHandler,
    guard: Callable[[Endpoint], Endpoint] = lambda endpoint: endpoint,
) -> list[BaseRoute]:
    """The pages' routes. ``starter`` sends a browser to sign in (the OAuth server's own);
    ``guard`` wraps the sign-in endpoints as the OAuth ones are (rate limit per address)."""
    base = services.settings.base_url
    web = Web(
        services=services,
        sessions=Sessions(services.store),
        assets=Assets(),
        env=templates(),
        starter=starter,
        secure_cookies=base.startswith("https://") or not is_loopback_url(base),
    )
    catalog, skill, group = CatalogPage(web), SkillPage(web), GroupPage(web)
    signin = SignInPages(web)
    return [
        Route("/", web.page(catalog.handle), methods=["GET"]),
        Route("/skills/{name}", web.page(skill.handle), methods=["GET"]),
        Route("/skills/{name}/install", web.page(skill.install_command), methods=["POST"]),
        Route("/skills/{name}/download", web.page(skill.download), methods=["GET"]),
        Route("/skills/{name}/files/{path:path}", web.page(skill.file), methods=["GET"]),
        Route("/groups/{name}", web.page(group.handle), methods=["GET"]),
        Route("/admin", web.page(AdminPage(web).handle), methods=["GET"]),
        Route("/signin", guard(signin.start), methods=["GET"]),
        Route("/session", guard(signin.finish), methods=["GET"]),
        Route("/signout", web.page(signin.sign_out), methods=["POST"]),
        Route("/static/{file}", web.assets.serve, methods=["GET"]),
    ]
