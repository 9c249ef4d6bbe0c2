"""A wrong method on an MCP endpoint is a JSON 405 whose ``Allow`` names what the transport
really accepts: stateless Streamable HTTP POST and DELETE, the SSE stream GET, its message
endpoint POST. The accepted methods still reach the transport (and its sign-in check)."""

from __future__ import annotations

import pytest


def assert_405(response, allow: str) -> None:
    assert response.status_code == 405
    assert response.headers["allow"] == allow
    body = response.json()
    assert body["error"] == "method_not_allowed" and allow in body["message"]


def test_a_put_on_mcp_is_a_json_405_allowing_post_and_delete(client):
    assert_405(client.put("/mcp"), "POST, DELETE")


def test_a_get_on_mcp_is_a_json_405_as_stateless_http_has_no_stream(client):
    assert_405(client.get("/mcp"), "POST, DELETE")


def test_a_post_on_sse_is_a_json_405_allowing_get(client):
    assert_405(client.post("/sse"), "GET, HEAD")


def test_a_get_on_the_sse_message_endpoint_is_a_json_405_allowing_post(client):
    assert_405(client.get("/sse/message/?session_id=abc"), "POST")


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "/mcp"), ("DELETE", "/mcp"), ("GET", "/sse"), ("POST", "/sse/message/")],
)
def test_an_accepted_method_reaches_the_transport_and_its_sign_in(client, method, path):
    assert client.request(method, path).status_code == 401
