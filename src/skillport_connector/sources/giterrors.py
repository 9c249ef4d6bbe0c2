"""What running git can fail with (re-exported by :mod:`.gitrepo`)."""

from __future__ import annotations


class GitError(Exception):
    """A git command failed; ``message`` is safe to show (no credentials)."""


class RemoteUnavailable(GitError):
    """The remote could not be reached or refused the credentials."""


class LeaseRejected(GitError):
    """A push found the branch somewhere else than expected (someone pushed first)."""
