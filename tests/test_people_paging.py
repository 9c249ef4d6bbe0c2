"""The people's command line shows every skill of a listing over 1,000 (the connector
answers it in pages), and a server that pages in a circle stops it with a clear error.
The connector is the real app in process, with a library of 1,020 skills."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import AppFactory
from serving import client_for

sys.path.insert(0, str(Path(__file__).parents[1]))
from benchmarks.catalog_bench import make_marketplace
from skillport_connector.auth import Identity
from skillport_connector.people import skills
from skillport_connector.people.api import Session
from skillport_connector.people.context import Context
from skillport_connector.people.credentials import Credentials, FileBackend, Tokens
from skillport_connector.people.exits import CliError
from skillport_connector.people.paging import all_pages

SKILLS = 1020


@pytest.fixture
def context(make_app: AppFactory, tmp_path: Path) -> Context:
    market = tmp_path / "market"
    make_marketplace(market, SKILLS)
    app = make_app(marketplace=market)
    token = app.state.services.tokens.mint_api_token(Identity.local("ann@example.com"))
    server = app.state.services.settings.base_url.rstrip("/")
    credentials = Credentials(tmp_path / "config", FileBackend(tmp_path / "credentials.json"))
    credentials.save(server, Tokens(token, "unused", 4e9, "cli"))
    ctx = Context(argparse.Namespace(json=True, server=server, surface=None), credentials)
    http = client_for(app)
    ctx.__dict__["session"] = Session(server, credentials, http, authorizer=None)  # type: ignore[arg-type]
    return ctx


def test_list_follows_next_cursor_to_every_skill(context, capsys):
    skills.cmd_list(context)
    shown = json.loads(capsys.readouterr().out)
    names = [s["name"] for s in shown["skills"]]
    assert shown["count"] == SKILLS and "next_cursor" not in shown
    assert len(names) == SKILLS and len(set(names)) == SKILLS


def test_search_follows_next_cursor_to_every_hit(context, capsys):
    context.args.query = "synthetic"
    skills.cmd_search(context)
    shown = json.loads(capsys.readouterr().out)
    assert len({s["name"] for s in shown["skills"]}) == shown["count"] == SKILLS


def test_a_server_repeating_a_cursor_stops_with_a_clear_error():
    def circle(params: dict[str, str]) -> dict[str, Any]:
        return {"count": 3, "skills": [{"name": "a"}], "next_cursor": "again"}

    with pytest.raises(CliError, match="repeated a page cursor"):
        all_pages(circle, {})


def test_a_server_paging_without_end_stops_at_the_page_cap(monkeypatch):
    from skillport_connector.people import paging

    monkeypatch.setattr(paging, "MAX_PAGES", 5)
    asked: list[str] = []

    def endless(params: dict[str, str]) -> dict[str, Any]:
        asked.append(params.get("cursor", ""))
        return {"skills": [], "next_cursor": f"c{len(asked)}"}

    with pytest.raises(CliError, match="more than 5 pages"):
        all_pages(endless, {})
    assert len(asked) == 5
