from __future__ import annotations

import pytest

from skillport_connector.catalog.semver import InvalidVersion, Version, is_newer


@pytest.mark.parametrize(
    "lower, higher",
    [
        ("1.0.0", "1.0.1"),
        ("1.0.9", "1.1.0"),
        ("1.9.9", "2.0.0"),
        ("1.0.0-rc.1", "1.0.0"),
        ("1.0.0-alpha", "1.0.0-alpha.1"),
        ("1.0.0-alpha.1", "1.0.0-alpha.beta"),
        ("1.0.0-beta.2", "1.0.0-beta.11"),
        ("1.0.0-rc.1", "1.0.0-rc.2"),
        ("1.2.3", "1.10.0"),
    ],
)
def test_versions_order_by_semver_precedence(lower, higher):
    assert Version.parse(lower) < Version.parse(higher)
    assert is_newer(higher, lower)
    assert not is_newer(lower, higher)


def test_build_metadata_does_not_change_precedence_but_signals_different_content():
    assert Version.parse("1.0.0+a") == Version.parse("1.0.0+b")
    assert is_newer("0.0.0+abc", "0.0.0+def")
    assert not is_newer("1.0.0", "1.0.0")


def test_leading_v_is_accepted():
    assert str(Version.parse("v2.0.1")) == "2.0.1"


@pytest.mark.parametrize("text", ["1", "1.0", "01.0.0", "1.0.0-", "latest", ""])
def test_invalid_versions_raise(text):
    with pytest.raises(InvalidVersion):
        Version.parse(text)


def test_unparseable_versions_compare_as_text():
    assert is_newer("weekly-2", "weekly-1")
    assert not is_newer("weekly-1", "weekly-1")


@pytest.mark.parametrize(
    "start, part, result",
    [
        ("1.2.3", "patch", "1.2.4"),
        ("1.2.3", "minor", "1.3.0"),
        ("1.2.3", "major", "2.0.0"),
        ("1.0.0-rc.1", "patch", "1.0.0"),
    ],
)
def test_a_bump_raises_its_part_and_resets_the_lower_ones(start, part, result):
    assert str(Version.parse(start).bump(part)) == result
