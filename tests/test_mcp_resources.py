"""Every file of every readable skill is a ``skill://<name>/<path>`` resource: SKILL.md files
are listed, the template ``skill://{name}/{+path}`` stands for the rest, and the official MCP
client reads any of them. The server here is `serve --no-auth`, as a local MCP client uses it."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Iterator
from typing import Any

import pytest
from mcp.client.session import ClientSession
from mcp.shared.exceptions import MCPError
from mcpclient import official_session
from serving import free_port, serve

from skillport_connector.settings import demo_marketplace

CSV = demo_marketplace() / "plugins/data-tools/skills/csv-profiler"


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Iterator[str]:
    proc, url = serve(free_port(), tmp_path_factory.mktemp("res"), {"SKILLPORT_AUDIT_LOG": ""},
                      "--no-auth")  # fmt: skip
    try:
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def call(base: str, work: Any) -> Any:
    async def run() -> Any:
        async with official_session(base) as client:
            return await work(client)

    return asyncio.run(run())


def test_the_file_template_is_published(base):
    templates = call(base, lambda c: c.list_resource_templates()).resource_templates
    assert [t.uri_template for t in templates] == ["skill://{name}/{+path}"]


def test_skill_md_files_are_listed(base):
    listed = {str(r.uri) for r in call(base, lambda c: c.list_resources()).resources}
    assert "skill://csv-profiler/SKILL.md" in listed
    assert all(uri.endswith("/SKILL.md") for uri in listed)


def test_a_file_in_a_subfolder_reads_through_the_template(base):
    result = call(base, lambda c: c.read_resource("skill://csv-profiler/scripts/profile_csv.py"))
    assert result.contents[0].text == (CSV / "scripts/profile_csv.py").read_text()


def test_a_binary_file_reads_as_a_blob(base):
    result = call(base, lambda c: c.read_resource("skill://csv-profiler/assets/logo.png"))
    assert base64.b64decode(result.contents[0].blob) == (CSV / "assets/logo.png").read_bytes()


def test_a_path_expanded_with_an_encoded_slash_reads_the_same_file(base):
    result = call(base, lambda c: c.read_resource("skill://csv-profiler/scripts%2Fprofile_csv.py"))
    assert result.contents[0].text == (CSV / "scripts/profile_csv.py").read_text()


@pytest.mark.parametrize(
    "uri",
    ["skill://csv-profiler/missing.md", "skill://csv-profiler/../data-tools/x",
     "skill://no-such-skill/SKILL.md"],
)  # fmt: skip
def test_a_file_that_is_not_there_is_an_error(base, uri):
    async def refused(client: ClientSession) -> MCPError | None:
        try:
            await client.read_resource(uri)
        except MCPError as exc:
            return exc
        return None

    error = call(base, refused)
    assert error is not None and "not found" in error.message.lower()
