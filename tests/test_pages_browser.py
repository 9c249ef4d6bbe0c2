"""The web pages in a real browser: Playwright for Python driving Debian's chromium.

One server (the demo library as a git repository, plus a hostile skill) serves every test;
each test signs in in a fresh browser context, so no cookie leaks between them.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pagesite import EDITOR, READER, XSS_SKILL, served_library

pytestmark = pytest.mark.needs_browser
try:
    from playwright import sync_api as playwright_api
except ImportError:  # the needs_browser hook skips every test here (under CI: fails them)
    playwright_api = None

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip
AXE = Path(__file__).resolve().parent / "browser" / "node_modules" / "axe-core" / "axe.min.js"


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with served_library(tmp_path_factory.mktemp("pages")) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with playwright_api.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        launched.close()


def signed_in(browser: Any, base: str, email: str, **options: Any) -> Any:
    """A new page in a fresh context, signed in as ``email`` through the dev sign-in."""
    context = browser.new_context(base_url=base, **options)
    page = context.new_page()
    page.goto("/")
    page.fill("#email", email)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")
    return page


def card_names(page: Any) -> list[str]:
    return page.locator(".card h3 a").all_inner_texts()


def test_signing_in_opens_the_catalog_with_a_protected_session_cookie(browser, base):
    page = signed_in(browser, base, EDITOR)
    assert page.locator("h1").inner_text() == "skillport-demo"
    cookie = next(c for c in page.context.cookies() if c["name"] == "sp_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"


def test_signing_out_revokes_the_session(browser, base):
    page = signed_in(browser, base, READER)
    stolen = next(c for c in page.context.cookies() if c["name"] == "sp_session")
    page.click("text=Sign out")
    page.wait_for_selector("text=You are signed out")
    page.context.add_cookies([stolen])  # the old cookie, replayed
    response = page.request.get("/", max_redirects=0)
    assert response.status == 303 and response.headers["location"].startswith("/signin")


def test_search_narrows_the_cards_as_you_type(browser, base):
    page = signed_in(browser, base, READER)
    assert len(card_names(page)) > 3
    page.locator("#q").press_sequentially("csv", delay=30)
    playwright_api.expect(page.locator(".card")).to_have_count(1)
    assert card_names(page) == ["csv-profiler"]
    assert "q=csv" in page.url


def test_filters_narrow_by_group_and_surface(browser, base):
    page = signed_in(browser, base, READER)
    page.select_option("#group", "engineering")
    playwright_api.expect(page).to_have_url(re.compile(r"group=engineering"))
    groups = page.locator(".card .meta dd a").all_inner_texts()
    assert groups and set(groups) == {"engineering"}
    page.select_option("#group", "")
    page.select_option("#surface", "CAI")
    playwright_api.expect(page).to_have_url(re.compile(r"surface=CAI"))
    assert "commit-messages" not in card_names(page)  # a Claude Code-only skill


def test_filters_work_without_javascript(browser, base):
    page = signed_in(browser, base, READER, java_script_enabled=False)
    page.fill("#q", "meeting")
    page.click("button:text('Search')")
    page.wait_for_url("**/?q=meeting**")
    assert "meeting-notes" in card_names(page)


def test_skill_page_shows_the_rendered_skill_its_files_history_and_install_panel(browser, base):
    page = signed_in(browser, base, READER)
    page.click("a:text-is('csv-profiler')")
    assert page.locator("h1").inner_text().startswith("csv-profiler")
    assert page.locator(".markdown h3:text('Limits')").count() == 1
    assert page.locator(".files a:text('scripts/profile_csv.py')").count() == 1
    history = page.locator(".history").inner_text()
    assert "Tighten the CSV profiler's limits" in history and "Bea Builder" in history
    assert page.locator("#install-title").is_visible()
    page.click(".files a:text('scripts/profile_csv.py')")
    assert "import" in page.locator("pre.viewer").inner_text()


def test_copy_button_puts_the_text_on_the_clipboard(browser, base):
    page = signed_in(browser, base, READER)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)
    page.goto("/skills/csv-profiler")
    page.click("button[data-copy=ask-claude]")
    page.wait_for_selector("button[data-copy=ask-claude]:text('Copied')")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == "Install the csv-profiler skill from Skillport"


def test_claude_code_command_is_minted_on_request_and_copyable(browser, base):
    page = signed_in(browser, base, READER)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)
    page.goto("/skills/commit-messages")
    page.click("text=Get the install command")
    command = page.locator("#cc-command").inner_text()
    assert command.startswith(f"curl -sf {base}/install.sh | bash -s -- ") and "--skill" in command
    page.click("button[data-copy=cc-command]")
    page.wait_for_selector("button[data-copy=cc-command]:text('Copied')")
    assert page.evaluate("navigator.clipboard.readText()") == command


def test_skill_download_is_a_valid_skill_package(browser, base):
    page = signed_in(browser, base, READER)
    page.goto("/skills/csv-profiler")
    with page.expect_download() as info:
        page.click("text=Download csv-profiler.skill")
    download = info.value
    assert download.suggested_filename == "csv-profiler.skill"
    with zipfile.ZipFile(io.BytesIO(Path(download.path()).read_bytes())) as package:
        assert package.testzip() is None
        names = package.namelist()
    assert {n.split("/")[0] for n in names} == {"csv-profiler"}
    assert "csv-profiler/SKILL.md" in names


def test_a_reader_without_access_never_sees_the_hidden_skill(browser, base):
    page = signed_in(browser, base, READER)
    assert "incident-review" not in card_names(page)
    assert "drafts" not in page.locator("#group").inner_text()
    page.goto("/?q=incident")
    assert "incident-review" not in card_names(page)
    for path in ("/skills/incident-review", "/groups/drafts", "/skills/incident-review/download"):
        assert page.goto(path).status == 404


def test_an_editor_sees_unpublished_groups_marked(browser, base):
    page = signed_in(browser, base, EDITOR)
    card = page.locator(".card", has=page.locator("a:text-is('incident-review')"))
    assert card.locator(".badge:text('Unpublished')").count() == 1
    assert "drafts (unpublished)" in page.locator("#group").inner_text()
    page.goto("/groups/drafts")
    assert page.locator("h1 .badge").inner_text() == "Unpublished"
    assert "incident-review" in card_names(page)


def test_the_admin_page_shows_the_library_state_to_editors_only(browser, base):
    editor = signed_in(browser, base, EDITOR)
    editor.click("nav >> text=Admin")
    assert len(editor.locator("#snap-title + dl code").inner_text()) == 40  # the commit
    assert "Valid, with 1 editor" in editor.locator("text=Valid").inner_text()
    assert "web-sign-in" in editor.locator("#audit-title ~ div table").inner_text()
    reader = signed_in(browser, base, READER)
    assert reader.locator("nav >> text=Admin").count() == 0
    assert reader.goto("/admin").status == 403


def test_script_in_a_skill_md_renders_inert(browser, base):
    page = signed_in(browser, base, READER)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"/skills/{XSS_SKILL}")
    markdown = page.locator(".markdown")
    for link in markdown.locator("a").all():
        if not link.get_attribute("href"):  # a link whose script was removed: click it
            link.click()
    assert page.evaluate("window.__xss") is None
    assert markdown.locator("script, iframe, [onerror], [onclick]").count() == 0
    hrefs = markdown.locator("a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert not any(h and h.lower().startswith("javascript") for h in hrefs)
    assert "<script>" in markdown.inner_text()  # shown as text, not run
    assert errors == []


@pytest.mark.needs_node("browser")  # axe-core
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_pages_have_no_serious_accessibility_violations(browser, base, scheme):
    # axe is injected as a script: the page's CSP (no inline script) is bypassed for it only.
    page = signed_in(browser, base, EDITOR, bypass_csp=True, color_scheme=scheme)
    for path in ("/", "/skills/csv-profiler", "/groups/drafts", "/admin", f"/skills/{XSS_SKILL}"):
        page.goto(path)
        page.add_script_tag(path=str(AXE))
        result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
        assert result["passes"], "axe did not run"
        serious = [
            f"{v['id']}: {v['help']} ({len(v['nodes'])})"
            for v in result["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        assert serious == [], f"{path} ({scheme}): {serious}"


def test_pages_are_keyboard_usable(browser, base):
    page = signed_in(browser, base, READER)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.id")
    assert focused == "q"
