"""Response shapes of the Claude Code routes, for /openapi.json."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class PluginSource(BaseModel):
    source: str = Field(examples=["git-subdir"])
    url: str = Field(description="The person's filtered git repository, with their credential")
    path: str = Field(examples=["plugins/data-tools"])


class MarketplacePlugin(BaseModel):
    name: str
    version: str = Field(description="The group's version + a digest of what you get")
    description: str | None = None
    category: str | None = None
    source: PluginSource


class Marketplace(BaseModel):
    name: str
    owner: dict[str, Any]
    metadata: dict[str, Any]
    plugins: list[MarketplacePlugin]


class GitAccess(BaseModel):
    url: str
    username: str
    password: str


class NewCredential(BaseModel):
    credential_id: str
    credential: str = Field(description="The secret (sk_cc_…), shown only this once")
    label: str
    created: float
    marketplace_name: str
    marketplace_url: str
    headers: dict[str, str] = Field(description="What Claude Code sends with every fetch")
    settings: dict[str, Any] = Field(
        description="Merge into ~/.claude/settings.json: extraKnownMarketplaces"
    )
    add_url: str = Field(description="For `claude plugin marketplace add` (credential inline)")
    git: GitAccess


class CredentialInfo(BaseModel):
    id: str
    label: str
    created: float


class CredentialList(BaseModel):
    credentials: list[CredentialInfo]


class Revoked(BaseModel):
    revoked: str
    label: str
