"""Raw JSON-RPC over /mcp for what the official client does not speak yet: the skills
extension's methods (``skills/list``, ``skills/get``) and resource reads with its headers."""

from __future__ import annotations

import json
from typing import Any

import httpx

#: The protocol revision that carries the skills extension.
PROTOCOL = "2026-07-28"


def post_rpc(
    base: str, access_token: str, method: str, params: dict | None = None, *, rpc_id: int = 1
) -> httpx.Response:
    """One JSON-RPC call to ``base``/mcp as a client declaring the skills extension."""
    headers = {
        "Authorization": f"Bearer {access_token}",
        "Accept": "application/json, text/event-stream",
        "MCP-Protocol-Version": PROTOCOL,
        "Mcp-Method": method,
    }
    if params and "uri" in params:
        headers["Mcp-Name"] = params["uri"]
    meta = {
        "io.modelcontextprotocol/protocolVersion": PROTOCOL,
        "io.modelcontextprotocol/clientCapabilities": {
            "extensions": {"io.modelcontextprotocol/skills": {}}
        },
    }
    body = {
        "jsonrpc": "2.0",
        "id": rpc_id,
        "method": method,
        "params": {**(params or {}), "_meta": meta},
    }
    return httpx.post(f"{base}/mcp", json=body, headers=headers, timeout=30)


def rpc_message(response: httpx.Response) -> dict[str, Any]:
    """The JSON-RPC message of an /mcp answer (plain JSON or one SSE event)."""
    text = response.text
    if text.startswith("event:") or "data:" in text.split("\n", 1)[0]:
        text = next(line[5:] for line in text.splitlines() if line.startswith("data:"))
    return json.loads(text)  # type: ignore[no-any-return]
