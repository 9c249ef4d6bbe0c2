"""The bodies of the editing requests (validated by pydantic, documented in /openapi.json)."""

from __future__ import annotations

from pydantic import BaseModel, Field

MAX_FILES_PER_SAVE = 200


class FileIn(BaseModel):
    path: str = Field(max_length=255)
    content: str
    encoding: str | None = Field(None, description="'base64' for binary content")


class PluginMetadata(BaseModel):
    description: str = Field(min_length=1, max_length=1024)
    keywords: list[str] | None = None
    author: dict[str, str] | str | None = None
    license: str | None = None


class SaveRequest(BaseModel):
    skill_group: str | None = Field(None, max_length=64)
    files: list[FileIn] = Field(min_length=1, max_length=MAX_FILES_PER_SAVE)
    commitMessage: str | None = Field(None, max_length=2000)
    plugin_metadata: PluginMetadata | None = None


class PublishRequest(BaseModel):
    description: str = Field(min_length=1, max_length=1024)
    category: str | None = Field(None, max_length=100)
    tags: list[str] = Field(max_length=50)
    keywords: list[str] | None = Field(None, max_length=50)


class BumpRequest(BaseModel):
    #: Checked by the plan, which says what is allowed.
    type: str = Field(description="major, minor or patch")
