"""The one client-address rule behind every per-address limit: X-Forwarded-For counts only
when a configured proxy sent it (issue 9, #12)."""

from __future__ import annotations

import pytest

from skillport_connector.clientip import ClientAddress, parse_networks

PROXIES = ClientAddress(parse_networks(["10.0.0.0/8", "127.0.0.1"]))


def test_without_trusted_proxies_the_header_is_ignored():
    assert ClientAddress().resolve("127.0.0.1", ["203.0.113.7"]) == "127.0.0.1"


def test_an_untrusted_peer_cannot_name_another_address():
    assert PROXIES.resolve("198.51.100.4", ["203.0.113.7"]) == "198.51.100.4"


def test_a_trusted_proxy_names_the_client():
    assert PROXIES.resolve("10.1.1.1", ["203.0.113.7"]) == "203.0.113.7"


def test_hops_added_by_trusted_proxies_are_skipped_from_the_right():
    header = ["198.51.100.99, 203.0.113.7, 10.2.2.2"]
    assert PROXIES.resolve("127.0.0.1", header) == "203.0.113.7"


def test_a_forged_leftmost_entry_does_not_win():
    header = ["1.2.3.4", "203.0.113.7"]  # the client sent 1.2.3.4 itself
    assert PROXIES.resolve("10.0.0.1", header) == "203.0.113.7"


def test_garbage_stops_at_the_last_address_a_proxy_vouched_for():
    assert PROXIES.resolve("10.0.0.1", ["not-an-ip, 203.0.113.7"]) == "203.0.113.7"
    assert PROXIES.resolve("10.0.0.1", ["evil"]) == "10.0.0.1"


def test_only_proxies_all_the_way_gives_the_leftmost():
    assert PROXIES.resolve("10.0.0.1", ["10.0.0.3, 10.0.0.2"]) == "10.0.0.3"


def test_ipv6_and_ports_are_understood():
    proxies = ClientAddress(parse_networks(["::1"]))
    assert proxies.resolve("::1", ["[2001:db8::5]:443"]) == "2001:db8::5"
    assert PROXIES.resolve("10.0.0.1", ["203.0.113.7:5555"]) == "203.0.113.7"


def test_a_bad_network_is_named():
    with pytest.raises(ValueError, match=r"proxy\.example"):
        parse_networks(["10.0.0.0/8", "proxy.example"])
