from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from needs import pytest_runtest_setup  # noqa: F401  (the hook: see tests/needs.py)
from serving import build_app, client_for
from starlette.testclient import TestClient

from skillport_connector.app import ConnectorApp
from skillport_connector.catalog import Catalog, load_catalog
from skillport_connector.clock import FakeClock
from skillport_connector.sources.tree import DirectoryTree

REPO = Path(__file__).resolve().parent.parent
REAL_MARKETPLACES = REPO.parent / "shared" / "testdata" / "real-marketplaces"


def skill_md(name: str, description: str = "Does a thing when asked.", extra: str = "") -> str:
    front = f"---\nname: {name}\ndescription: {description}\n{extra}---\n"
    return f"{front}\n# {name}\n\nBody of {name}.\n"


def write_tree(root: Path, files: dict[str, Any]) -> Path:
    """Write a marketplace fixture: str/bytes are file contents, dicts/lists become JSON."""
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        elif isinstance(content, str):
            path.write_text(content, encoding="utf-8")
        else:
            path.write_text(json.dumps(content), encoding="utf-8")
    return root


def marketplace(*plugins: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"name": "test-market", "owner": {"name": "Test"}, "plugins": list(plugins), **extra}


@pytest.fixture
def load(tmp_path: Path) -> Callable[[dict[str, Any]], Catalog]:
    def _load(files: dict[str, Any]) -> Catalog:
        write_tree(tmp_path, files)
        return load_catalog(DirectoryTree(tmp_path))

    return _load


def messages(catalog: Catalog, level: str | None = None) -> list[str]:
    return [f.message for f in catalog.findings if level is None or f.level == level]


# -- the application under test ----------------------------------------------------------------


AppFactory = Callable[..., ConnectorApp]


@pytest.fixture
def clock() -> FakeClock:
    """The time the app under test reads: tests move it instead of sleeping."""
    return FakeClock()


@pytest.fixture
def make_app(tmp_path: Path, clock: FakeClock) -> AppFactory:
    """``make_app(**settings)``: a connector on the ``clock`` fixture, state in tmp_path/data."""

    def make(**settings: Any) -> ConnectorApp:
        data_dir = settings.pop("data_dir", tmp_path / "data")
        return build_app(data_dir, clock=clock, **settings)

    return make


@pytest.fixture
def app(make_app: AppFactory) -> ConnectorApp:
    """The demo marketplace on loopback; test modules override it with their own world."""
    return make_app()


@pytest.fixture
def client(app: ConnectorApp) -> TestClient:
    """A TestClient calling ``app`` at its own public address (every route checks Host);
    the lifespan (pollers, MCP sessions) is not started: ``with client:`` starts it."""
    return client_for(app)
