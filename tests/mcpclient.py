"""The official MCP Python client, opened on a server's Streamable HTTP URL (``<base>/mcp``)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import httpx2
from mcp.client.session import ClientSession
from mcp.client.streamable_http import streamable_http_client


@contextlib.asynccontextmanager
async def official_session(
    base: str, *, auth: httpx2.Auth | None = None, headers: dict[str, str] | None = None
) -> AsyncIterator[ClientSession]:
    """An initialised MCP session on ``base``/mcp, signed in through ``auth`` when given."""
    async with contextlib.AsyncExitStack() as stack:
        http = await stack.enter_async_context(
            httpx2.AsyncClient(auth=auth, timeout=30, headers=headers)
        )
        read, write = await stack.enter_async_context(
            streamable_http_client(f"{base}/mcp", http_client=http)
        )
        session = await stack.enter_async_context(ClientSession(read, write))
        await session.initialize()
        yield session
