"""Screenshots of the main pages at phone and desktop widths, for the README.

    .venv/bin/python tests/browser/screenshots.py    (or: make screenshots)

Serves the demo library (tests/pagesite.py), signs in through the dev sign-in with
Debian's chromium and writes docs/screenshots/*.png.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))

from pagesite import EDITOR, served_library  # noqa: E402
from test_pages_browser import ARGS, CHROMIUM  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
WIDTHS = {"desktop": {"width": 1280, "height": 820}, "phone": {"width": 390, "height": 844}}
SHOTS = [
    ("catalog", "/", ("desktop", "phone"), "light"),
    ("search", "/?q=notes", ("desktop",), "dark"),
    ("skill", "/skills/csv-profiler", ("desktop", "phone"), "light"),
    ("skill-dark", "/skills/csv-profiler", ("phone",), "dark"),
    ("group", "/groups/drafts", ("desktop",), "light"),
    ("admin", "/admin", ("desktop",), "light"),
]


def shoot(browser: Any, base: str, name: str, path: str, size: str, scheme: str) -> Path:
    context = browser.new_context(
        base_url=base, viewport=WIDTHS[size], color_scheme=scheme, device_scale_factor=1
    )
    page = context.new_page()
    page.goto("/")
    page.fill("#email", EDITOR)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")
    page.goto(path)
    target = OUT / f"{name}-{size}.png"
    page.screenshot(path=str(target))
    context.close()
    return target


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with (
        tempfile.TemporaryDirectory() as tmp,
        served_library(Path(tmp)) as base,
        sync_playwright() as p,
    ):
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for name, path, sizes, scheme in SHOTS:
            for size in sizes:
                target = shoot(browser, base, name, path, size, scheme)
                print(target.relative_to(ROOT), target.stat().st_size, "bytes")
        browser.close()


if __name__ == "__main__":
    main()
