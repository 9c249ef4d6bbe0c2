"""Credentials never reach a log or /healthz: redact() hides them in any URL (issue 9, #18)."""

from __future__ import annotations

import pytest

from skillport_connector.sources.gitrepo import redact


@pytest.mark.parametrize(
    "text, secret",
    [
        ("ssh://git:s3cret@git.example.com/acme/skills.git", "s3cret"),
        ("https://x-access-token:ghp_abc123@github.com/acme/skills.git", "ghp_abc123"),
        ("git+ssh://deploy:hunter2@host/repo", "hunter2"),
        ("https://host/repo.git?access_token=tok123", "tok123"),
        ("https://gitlab.example/repo.git?private_token=glpat-999&ref=main", "glpat-999"),
        ("https://host/repo.git?ref=main&token=t0k", "t0k"),
        ("fatal: unable to access 'https://u:p4ss@host/': 403", "p4ss"),
        ("Authorization: Basic eC1hY2Nlc3M=", "eC1hY2Nlc3M="),
    ],
)
def test_secrets_are_hidden(text, secret):
    assert secret not in redact(text)


@pytest.mark.parametrize(
    "text",
    [
        "https://github.com/acme/skills.git",
        "git@github.com:acme/skills.git",
        "file:///srv/skills",
        "https://host/repo.git?ref=main",
    ],
)
def test_urls_without_secrets_are_unchanged(text):
    assert redact(text) == text
