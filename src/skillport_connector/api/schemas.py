"""Response shapes, for /openapi.json. Handlers return pre-serialised JSON, not these models,
so documenting a shape costs nothing per request; tests check the two agree."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field


class ErrorBody(BaseModel):
    error: str = Field(examples=["not_found"])
    message: str
    candidates: list[str] | None = Field(
        None, description="409 ambiguous: the plugin:skill ids a bare name may mean"
    )


class SkillSummary(BaseModel):
    name: str
    plugin: str
    description: str
    version: str
    author: Any = None
    category: str | None = None
    tags: list[str]
    keywords: list[str]
    surface_tags: list[str]
    published: bool
    editable: bool
    score: float | None = Field(None, description="Relevance, only when searching with q=")


class SkillList(BaseModel):
    count: int
    surface_filter: str | None
    query: str | None = Field(None, description="Present when searching with q=")
    skills: list[SkillSummary]
    next_cursor: str | None = Field(
        None, description="Present when paging with limit=: the cursor of the next page"
    )


class SkillDetail(BaseModel):
    skill: SkillSummary
    skill_md: str
    files: list[str]
    editable: bool


class InstallTicket(BaseModel):
    install_token: str
    skill: str
    version: str
    expires_in: int
    command: str = Field(description="For Claude.ai / Claude Desktop: writes /tmp/<name>.skill")
    claude_code_command: str = Field(description="For Claude Code: installs into ~/.claude/skills")
    package_url: str | None = Field(
        None, description="Signed, expiring, cacheable link to the .skill package (no token)"
    )
    package_sha256: str | None = Field(None, description="SHA-256 of the package bytes")


class PayloadFile(BaseModel):
    path: str
    content: str
    encoding: Literal["base64"] | None = None
    executable: bool | None = Field(None, description="True: install with mode 0755")


class PayloadSkill(BaseModel):
    name: str
    version: str
    plugin: str


class InstallPayload(BaseModel):
    skill_name: str = Field(description="The original connector's copy of skill.name")
    skill_version: str = Field(description="The original connector's copy of skill.version")
    skill_plugin: str | None = Field(None, description="Edit payloads: skill.plugin")
    skill: PayloadSkill
    files: list[PayloadFile]


class InstalledSkill(BaseModel):
    name: str = Field(max_length=200)
    version: str = Field(max_length=200)


class CheckUpdatesRequest(BaseModel):
    installed: list[InstalledSkill] = Field(max_length=2000)


class Update(BaseModel):
    name: str
    installedVersion: str
    availableVersion: str


class CheckUpdatesResponse(BaseModel):
    hasUpdates: bool
    updates: list[Update]


class WhoAmI(BaseModel):
    id: str
    email: str
    name: str
    provider: str


class FindingBody(BaseModel):
    level: Literal["error", "warning"]
    file: str
    line: int | None
    message: str


class DebugPlugin(BaseModel):
    name: str
    path: str | None
    source: Any
    remote: bool
    published: bool
    loadable: bool
    version: str | None
    skills: list[str]


class DebugDirectory(BaseModel):
    name: str
    path: str
    type: Literal["dir"]


class DebugPlugins(BaseModel):
    marketplace: str | None
    plugin_root: str
    plugins: list[DebugPlugin]
    findings: list[FindingBody]
    repo: str | None = Field(description="The original connector's fields: the marketplace")
    timestamp: str
    directories: list[DebugDirectory] = Field(description="Local plugin folders you may see")
    count: int
    names: list[str]


class Health(BaseModel):
    """Liveness for everyone; the other fields only with a valid bearer token."""

    status: Literal["ok"]
    version: str
    marketplace: str | None = None
    source: str | None = None
    plugins: int | None = None
    skills: int | None = None
    errors: int | None = None
    warnings: int | None = None
    loaded_at: float | None = None
    snapshot_age_seconds: float | None = None
    upstream: Upstream | None = None
    access: AccessStatus | None = None


class SavedFile(BaseModel):
    path: str
    created: bool | None = None
    deleted: bool | None = None


class EditResult(BaseModel):
    success: bool
    action: str
    skill: str
    plugin: str
    commit: str
    message: str
    reapplied: bool
    files: list[str] | list[SavedFile] = Field(
        description="Changed paths; a save lists {path, created} and {path, deleted} objects"
    )
    version: str | None = None
    previous: str | None = None
    # The original connector's fields, by operation.
    skill_group: str | None = None
    isNewSkill: bool | None = None
    isNewGroup: bool | None = None
    summary: str | None = None
    oldVersion: str | None = None
    newVersion: str | None = None
    pluginDeleted: bool | None = None
    deletedFiles: list[str] | None = None
    ignored: list[str] | None = Field(None, description="Saved files left out (.edit_info)")


class EditTicket(BaseModel):
    edit_token: str
    skill: str
    plugin: str
    version: str
    expires_in: int
    command: str


class WebhookResult(BaseModel):
    refreshed: bool
    commit: str | None
    duplicate: bool | None = Field(None, description="True when this delivery was seen before")


class Upstream(BaseModel):
    commit: str | None
    stale: bool
    last_error: str | None
    last_check_age_seconds: float | None = None
    last_success_age_seconds: float | None = None


class AccessStatus(BaseModel):
    ok: bool
    error: str | None
