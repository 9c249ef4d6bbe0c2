"""What a marked test needs from the machine, and what happens when it is missing.

``@pytest.mark.needs_redis``, ``@pytest.mark.needs_node("oidc")`` (the folder under tests/
whose npm packages it runs) and ``@pytest.mark.needs_browser``. Outside ``make test`` a
missing requirement skips the test with a message saying how to get it; when ``CI`` is set
it fails, so CI cannot go green by skipping.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pytest

TESTS = Path(__file__).resolve().parent
CHROMIUM = Path("/usr/bin/chromium")


@dataclass(frozen=True)
class Machine:
    """What the checks look at (tests substitute their own)."""

    which: Callable[[str], str | None] = shutil.which
    exists: Callable[[Path], bool] = Path.exists
    importable: Callable[[str], bool] = field(
        default=lambda name: importlib.util.find_spec(name) is not None
    )


def missing(marker: str, args: tuple[object, ...], machine: Machine = Machine()) -> str | None:
    """Why a test marked ``marker(*args)`` cannot run here, or None when it can."""
    if marker == "needs_redis" and not machine.which("redis-server"):
        return "needs redis-server: run `make test`, which installs it"
    if marker == "needs_node":
        folders = [f"tests/{name}/node_modules" for name in args]
        absent = [f for f in folders if not machine.exists(TESTS.parent / f)]
        if not machine.which("node") or absent:
            wanted = " and ".join(["node", *folders])
            return f"needs {wanted}: run `make test`, which installs them"
    if marker == "needs_browser" and not (
        machine.exists(CHROMIUM) and machine.importable("playwright")
    ):
        return f"needs {CHROMIUM} and Playwright for Python: run `make test`, which installs them"
    return None


def verdict(
    problem: str | None, env: Mapping[str, str]
) -> tuple[Literal["run", "skip", "fail"], str]:
    """Run, skip (a developer's machine) or fail (CI: a skip would hide the test)."""
    if problem is None:
        return "run", ""
    if env.get("CI"):
        return "fail", f"{problem} (CI is set: a missing requirement fails instead of skipping)"
    return "skip", problem


MARKERS = ("needs_node", "needs_redis", "needs_browser")


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Before any fixture of a marked test starts a server it cannot run."""
    for name in MARKERS:
        for mark in item.iter_markers(name):
            action, message = verdict(missing(name, mark.args), os.environ)
            if action == "fail":
                pytest.fail(message, pytrace=False)
            if action == "skip":
                pytest.skip(message)
