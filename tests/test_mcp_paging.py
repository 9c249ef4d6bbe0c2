"""MCP ``list_skills`` over 1,000 skills answers in pages: the first call gives 1,000 and a
``next_cursor``, the call with that cursor gives the rest. A `serve --no-auth` process
with a library of 1,020 skills, called by the official MCP client."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mcpclient import official_session
from serving import free_port, serve

sys.path.insert(0, str(Path(__file__).parents[1]))
from benchmarks.catalog_bench import make_marketplace

SKILLS = 1020


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("mcp-paging")
    make_marketplace(tmp / "market", SKILLS)
    env = {"SKILLPORT_AUDIT_LOG": "", "SKILLPORT_MCP_CLASSIC_TOOLS": "1"}
    extra = ("--no-auth", "--marketplace", str(tmp / "market"))
    proc, url = serve(free_port(), tmp / "data", env, *extra)
    try:
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def list_twice(base: str) -> tuple[dict[str, Any], dict[str, Any]]:
    async def run() -> tuple[dict[str, Any], dict[str, Any]]:
        async with official_session(base) as client:
            answer = await client.call_tool("list_skills", {})
            assert not answer.is_error, answer.content[0].text[:300]
            first = json.loads(answer.content[0].text)
            cursor = {"cursor": first["next_cursor"]}
            rest = json.loads((await client.call_tool("list_skills", cursor)).content[0].text)
            return first, rest

    return asyncio.run(run())


def test_list_skills_over_1000_comes_in_two_pages(base):
    first, rest = list_twice(base)
    assert first["count"] == rest["count"] == SKILLS
    assert len(first["skills"]) == 1000 and first["next_cursor"]
    assert len(rest["skills"]) == SKILLS - 1000 and rest["next_cursor"] is None
    names = {s["name"] for s in first["skills"] + rest["skills"]}
    assert len(names) == SKILLS
