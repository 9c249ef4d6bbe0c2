"""The Claude Code marketplace of one connector: credentials, selections, filtered repos.

Every request is checked afresh: the credential (or API/OAuth token) names a person, the
snapshot served now and its access policy say what that person may read, and only that
is listed in ``marketplace.json`` and reachable in the git repository the request reads.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

from ..auth import Identity
from ..catalog import Catalog
from ..services import InvalidToken, Services
from .credentials import Credentials, is_credential
from .filtered import Built, FilteredRepos
from .selection import Selection, ViewName, marketplace_document, marketplace_name, select

MARKETPLACE_PATH = "/api/claude-code/marketplace.json"
GIT_PREFIX = "/git"
GIT_USER = "skillport"
MAX_TOKEN = 512


def presented_token(authorization: str) -> str | None:
    """The token in ``Bearer <token>`` or in HTTP Basic (the password, else the user)."""
    scheme, _, value = authorization.strip().partition(" ")
    value = value.strip()
    if not value or len(value) > 4 * MAX_TOKEN:
        return None
    if scheme.lower() == "bearer":
        return value
    if scheme.lower() != "basic":
        return None
    try:
        user, _, password = base64.b64decode(value, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return (password or user) or None


def git_path(view: ViewName) -> str:
    return f"{GIT_PREFIX}/{view}.git"


def with_userinfo(url: str, token: str) -> str:
    parts = urlsplit(url)
    netloc = f"{GIT_USER}:{quote(token, safe='')}@{parts.netloc.rsplit('@', 1)[-1]}"
    return urlunsplit(parts._replace(netloc=netloc))


@dataclass(frozen=True, slots=True)
class PersonView:
    who: Identity
    catalog: Catalog
    selection: Selection


class ClaudeCodeMarketplace:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.credentials = Credentials(services.store)
        self.repos = FilteredRepos(Path(services.settings.data_dir) / "claude-code" / "git")

    @property
    def base_url(self) -> str:
        return self.services.settings.base_url

    def identify(self, token: str) -> Identity:
        """A marketplace credential's person, or an API/OAuth token's; InvalidToken else."""
        if len(token) > MAX_TOKEN:
            raise InvalidToken("The credential is unknown or was revoked.")
        if is_credential(token):
            who = self.credentials.identify(token)
            if who is None:
                raise InvalidToken(
                    "The Claude Code credential is unknown or was revoked; make a new one "
                    "(POST /api/claude-code/credentials, or `claude-code setup`)."
                )
            return who
        return self.services.identify(token)

    def person_view(
        self, who: Identity, view: ViewName, catalog: Catalog | None = None
    ) -> PersonView:
        """What ``who`` may read on Claude Code in ``catalog`` (default: the snapshot
        served now)."""
        reader = self.services.view(who, catalog)
        selection = select(
            reader.skills("CC"),
            unpublished=view == "all",
            max_skill_bytes=self.services.settings.max_package_bytes,
        )
        return PersonView(who, reader.catalog, selection)

    def built(self, person: PersonView) -> Built:
        """The selection's filtered commit for this snapshot (built once; blocking)."""
        key = ("claude-code", person.selection.key)
        return self.services.snapshots.memo(
            person.catalog, key, lambda: self.repos.build(person.catalog, person.selection)
        )

    def document(self, person: PersonView, view: ViewName, token: str) -> dict[str, object]:
        """``marketplace.json`` for ``person`` (blocking: builds the repository first)."""
        built = self.built(person)
        git_url = with_userinfo(self.base_url + git_path(view), token)
        return marketplace_document(person.catalog, built.versions, git_url)

    def marketplace_url(self, view: ViewName) -> str:
        suffix = "?unpublished=true" if view == "all" else ""
        return f"{self.base_url}{MARKETPLACE_PATH}{suffix}"

    def name(self) -> str:
        return marketplace_name(self.services.source.catalog)
