"""The one place domain errors become MCP errors.

Tools answer a failed call as a tool error (``isError``, the message as text); the
protocol methods of the skills extension and ``resources/read`` answer JSON-RPC errors;
``skillport_auth`` keeps the original connector's in-band ``{"error", "message"}`` text.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator

from fastmcp.exceptions import ToolError
from mcp.shared.exceptions import MCPError
from mcp_types import INTERNAL_ERROR, INVALID_PARAMS, INVALID_REQUEST

from ..errors import Kind, SkillportError

#: JSON-RPC error codes by kind: the caller's mistake is INVALID_PARAMS.
RPC_CODES: dict[Kind, int] = {
    "invalid": INVALID_PARAMS,
    "unauthenticated": INVALID_REQUEST,
    "forbidden": INVALID_REQUEST,
    "not_found": INVALID_PARAMS,
    "ambiguous": INVALID_PARAMS,
    "conflict": INVALID_REQUEST,
    "gone": INVALID_PARAMS,
    "too_large": INVALID_PARAMS,
    "rate_limited": INVALID_REQUEST,
    "unavailable": INTERNAL_ERROR,
}
#: In-band codes of ``skillport_auth`` answers (the REST wire codes of the same kinds).
JSON_CODES: dict[Kind, str] = {
    "invalid": "bad_request",
    "unauthenticated": "unauthorized",
    "forbidden": "forbidden",
    "not_found": "not_found",
    "ambiguous": "ambiguous",
    "conflict": "conflict",
    "gone": "gone",
    "too_large": "too_large",
    "rate_limited": "rate_limited",
    "unavailable": "unavailable",
}


def tool_error(exc: SkillportError) -> ToolError:
    return ToolError(exc.message)


def rpc_error(exc: SkillportError, message: str | None = None) -> MCPError:
    return MCPError(code=RPC_CODES[exc.kind], message=message or exc.message)


def json_error(exc: SkillportError) -> str:
    return json.dumps({"error": exc.code or JSON_CODES[exc.kind], "message": exc.message})


@contextlib.contextmanager
def as_tool_errors() -> Iterator[None]:
    """Inside a tool: domain errors become tool errors."""
    try:
        yield
    except SkillportError as exc:
        raise tool_error(exc) from None
