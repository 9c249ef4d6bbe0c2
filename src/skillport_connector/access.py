"""Who may read and who may write each skill.

Every read path (listing, search, detail, install, package, check-updates) asks this one
object, so REST and the surfaces added later cannot disagree. Without an
``.skillport/access.json`` the contract's rule applies: everyone signed in reads every
published skill and nobody writes; unpublished groups are visible only to people who can
write them, which without a policy file is nobody.
"""

from __future__ import annotations

from collections.abc import Hashable

from .auth import Identity
from .catalog import Skill


class AccessPolicy:
    def can_write(self, who: Identity, skill: Skill) -> bool:
        return False

    def can_read(self, who: Identity, skill: Skill) -> bool:
        return skill.published or self.can_write(who, skill)

    def view_key(self, who: Identity) -> Hashable:
        """Two people with the same key see exactly the same skills (used for caching)."""
        return "everyone"
