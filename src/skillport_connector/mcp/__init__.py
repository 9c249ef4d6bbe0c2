"""The MCP side of the connector (Streamable HTTP and SSE)."""
