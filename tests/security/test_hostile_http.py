"""Generated hostile values against the HTTP API of a running `serve` process: whatever
the path, query or body, no answer is a 5xx and every error is ``{"error", "message"}``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from urllib.parse import quote

import httpx
import pytest
from hostile import EDITOR, READER, Link, Server, access, marketplace, serving, skill_md
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

SKILLS = "plugins/tools/skills"
FILES = {
    ".claude-plugin/marketplace.json": marketplace(
        {"name": "tools", "source": "./plugins/tools", "description": "T."}
    ),
    ".skillport/access.json": access(),
    f"{SKILLS}/good-skill/SKILL.md": skill_md("good-skill"),
    f"{SKILLS}/good-skill/loop": Link("."),
}

#: Values that broke the original connector, and their neighbours.
HOSTILE_TEXT = st.one_of(
    st.sampled_from(
        [
            "..",
            "../..",
            "..\\..\\..\\evil",
            "\u0441sv-profiler",
            "crlf\r\nX-Injected: 1",
            "\u6280\u80fd",
            "x\udcff",
            "%00",
            "%2e%2e",
            "9" * 5000,
            "[" * 5000,
            "2024-02-30",
            "&a [*a]",
            "good-skill/../../.skillport/access.json",
            "",
            " ",
        ]
    ),
    st.text(max_size=300),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=80),
)


def deep(depth: int) -> object:
    value: object = []
    for _ in range(depth):
        value = [value]
    return value


HOSTILE_JSON = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(10**30), max_value=10**30),
        st.floats(allow_nan=False),
        HOSTILE_TEXT,
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=5), st.dictionaries(HOSTILE_TEXT, inner, max_size=5)
    ),
    max_leaves=20,
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with serving(tmp_path_factory.mktemp("fuzz"), FILES) as running:
        yield running


def check(response: httpx.Response) -> None:
    assert response.status_code < 500, (response.status_code, response.text[:300])
    if response.status_code >= 400 and response.headers.get("content-type", "").startswith(
        "application/json"
    ):
        body = response.json()
        assert isinstance(body, dict) and ("error" in body or "detail" in body), body


def safe(segment: str) -> str:
    return quote(segment.encode("utf-8", "surrogateescape"), safe="")


def post_json(server: Server, path: str, body: object, who: str | None = READER) -> httpx.Response:
    """POST ``body`` as JSON text, lone surrogates and all (escaped, as a hostile client may)."""
    headers = {**server.headers(who), "Content-Type": "application/json"}
    raw = json.dumps(body, ensure_ascii=True)
    return httpx.post(f"{server.base}{path}", content=raw, headers=headers, timeout=20)


FUZZ = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@FUZZ
@given(name=HOSTILE_TEXT, suffix=st.sampled_from(["", "/install", "/package", "/edit"]))
def test_skill_paths_never_answer_5xx(server: Server, name: str, suffix: str) -> None:
    check(server.get(f"/api/skills/{safe(name)}{suffix}", who=EDITOR))


@FUZZ
@given(q=HOSTILE_TEXT, surface=HOSTILE_TEXT, refresh=HOSTILE_TEXT)
def test_listing_queries_never_answer_5xx(
    server: Server, q: str, surface: str, refresh: str
) -> None:
    query = f"q={safe(q[:600])}&surface={safe(surface[:50])}&refresh={safe(refresh[:20])}"
    check(server.get(f"/api/skills?{query}"))


@FUZZ
@given(token=HOSTILE_TEXT, kind=st.sampled_from(["install", "edit"]))
def test_redeeming_hostile_tokens_never_answers_5xx(server: Server, token: str, kind: str) -> None:
    check(server.get(f"/api/{kind}/sk_{kind}_{safe(token)}", who=None))


@FUZZ
@given(body=HOSTILE_JSON)
def test_check_updates_with_hostile_bodies_never_answers_5xx(server: Server, body: object) -> None:
    check(post_json(server, "/api/check-updates", {"installed": body}))
    check(post_json(server, "/api/check-updates", body))


@FUZZ
@given(path=HOSTILE_TEXT, content=HOSTILE_TEXT, encoding=st.sampled_from([None, "base64", "x"]))
def test_saving_hostile_files_never_answers_5xx(
    server: Server, path: str, content: str, encoding: str | None
) -> None:
    entry = {"path": path, "content": content, "encoding": encoding}
    body = {"files": [entry], "commitMessage": "fuzz"}
    check(post_json(server, "/api/skills/good-skill", body, who=EDITOR))


@FUZZ
@given(metadata=HOSTILE_JSON)
def test_client_registration_with_hostile_metadata_never_answers_5xx(
    server: Server, metadata: object
) -> None:
    check(post_json(server, "/register", metadata, who=None))


def test_deeply_nested_bodies_never_answer_5xx(server: Server) -> None:
    deep_text = "[" * 5000 + "]" * 5000
    for path in ("/api/check-updates", "/api/skills/good-skill", "/register"):
        check(
            httpx.post(
                f"{server.base}{path}",
                content=deep_text,
                headers={**server.headers(EDITOR), "Content-Type": "application/json"},
                timeout=20,
            )
        )
    check(post_json(server, "/api/check-updates", {"installed": deep(900)}))


@pytest.mark.parametrize("path", ["crlf\r\nX-Injected: 1", "lf\nonly", "nul\u0000x"])
def test_saving_a_file_path_with_a_line_break_answers_400(server: Server, path: str) -> None:
    """Found by the generated test above: git refused such a path and the save answered 503."""
    body = {"files": [{"path": path, "content": "x"}], "commitMessage": "control"}
    response = post_json(server, "/api/skills/good-skill", body, who=EDITOR)
    assert response.status_code == 400, response.text[:300]
    assert "fatal:" not in response.text  # git's own words stay in the server's log
