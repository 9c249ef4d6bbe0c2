"""The one loopback rule (`skillport_connector.loopback`)."""

from __future__ import annotations

import pytest

from skillport_connector.loopback import is_loopback_host, is_loopback_url


@pytest.mark.parametrize(
    "host", ["localhost", "LOCALHOST", "127.0.0.1", "127.8.9.10", "::1", "[::1]"]
)
def test_loopback_hosts(host):
    assert is_loopback_host(host)


@pytest.mark.parametrize(
    "host", ["", None, "127.evil.com", "localhost.evil.com", "0.0.0.0", "10.0.0.1", "::", "[::1"]
)
def test_hosts_that_only_look_like_loopback_are_not(host):
    assert not is_loopback_host(host)


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:8787/cb", "http://localhost/cb", "https://[::1]:9/x", "http://127.0.0.1/"],
)
def test_loopback_urls(url):
    assert is_loopback_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "http://[::1].evil.com/cb",
        "http://127.evil.com/cb",
        "http://127.0.0.1.nip.io.evil.com/cb",
        "http://evil.com@127.0.0.1/cb",
        "http://127.0.0.1:80x/cb",
        "ftp://127.0.0.1/",
        "//127.0.0.1/",
        "not a url",
    ],
)
def test_urls_that_only_look_like_loopback_are_not(url):
    assert not is_loopback_url(url)
