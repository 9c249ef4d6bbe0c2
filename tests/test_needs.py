"""The requirement markers: a test marked needs_redis, needs_node(folder) or needs_browser is
skipped with a message saying how to get what it needs, except under CI, where it fails."""

from __future__ import annotations

from pathlib import Path

import pytest
from needs import CHROMIUM, TESTS, Machine, missing, verdict

pytest_plugins = ["pytester"]

NOTHING = Machine(which=lambda name: None, exists=lambda path: False, importable=lambda n: False)
EVERYTHING = Machine(which=lambda name: f"/usr/bin/{name}", exists=lambda path: True,
                     importable=lambda n: True)  # fmt: skip


def test_a_machine_with_everything_runs_every_marked_test():
    for marker, args in [("needs_redis", ()), ("needs_node", ("oidc",)), ("needs_browser", ())]:
        assert missing(marker, args, EVERYTHING) is None


def test_without_redis_server_the_message_says_make_test_installs_it():
    assert missing("needs_redis", (), NOTHING) == (
        "needs redis-server: run `make test`, which installs it"
    )


def test_node_without_the_npm_folder_of_the_test_is_missing():
    only_node = Machine(which=lambda name: "/usr/bin/node", exists=lambda path: False)
    problem = missing("needs_node", ("conformance",), only_node)
    assert problem == (
        "needs node and tests/conformance/node_modules: run `make test`, which installs them"
    )


def test_the_npm_folder_looked_for_is_the_one_the_marker_names():
    seen: list[Path] = []
    machine = Machine(which=lambda name: "/usr/bin/node", exists=lambda p: seen.append(p) or True)
    assert missing("needs_node", ("oidc",), machine) is None
    assert seen == [TESTS / "oidc/node_modules"]


def test_a_browser_needs_chromium_and_playwright():
    no_playwright = Machine(exists=lambda path: path == CHROMIUM, importable=lambda n: False)
    assert "Playwright" in (missing("needs_browser", (), no_playwright) or "")
    no_chromium = Machine(exists=lambda path: False, importable=lambda n: True)
    assert str(CHROMIUM) in (missing("needs_browser", (), no_chromium) or "")


def test_a_missing_requirement_skips_on_a_developers_machine():
    assert verdict("needs redis-server", {}) == ("skip", "needs redis-server")
    assert verdict("needs redis-server", {"CI": ""})[0] == "skip"


def test_a_missing_requirement_fails_when_ci_is_set():
    action, message = verdict("needs redis-server", {"CI": "true"})
    assert action == "fail"
    assert message.startswith("needs redis-server") and "CI is set" in message


def test_nothing_missing_runs_even_under_ci():
    assert verdict(None, {"CI": "true"}) == ("run", "")


# -- the hook, in a pytest run of its own ----------------------------------------------------

MARKED = """
import pytest

@pytest.mark.needs_node("no-such-folder")
def test_marked():
    raise AssertionError("a test whose requirement is missing must not run")

def test_unmarked():
    pass
"""
CONFTEST = "from needs import pytest_runtest_setup  # noqa: F401\n"
INI = "[pytest]\nmarkers =\n    needs_node: needs Node\n"


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeconftest(CONFTEST)
    pytester.makeini(INI)
    pytester.makepyfile(test_marked=MARKED)
    return pytester


def test_the_hook_skips_a_marked_test_with_the_reason(project, monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    result = project.runpytest("-rs")
    result.assert_outcomes(passed=1, skipped=1)
    result.stdout.fnmatch_lines(["*needs node and tests/no-such-folder/node_modules*make test*"])


def test_the_hook_fails_a_marked_test_under_ci(project, monkeypatch):
    monkeypatch.setenv("CI", "true")
    result = project.runpytest("-rE")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*tests/no-such-folder/node_modules*CI is set*"])
