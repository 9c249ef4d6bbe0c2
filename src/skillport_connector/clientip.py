"""Who is calling, by network address: the one rule every per-address limit uses.

``X-Forwarded-For`` is believed only from configured proxies
(``SKILLPORT_TRUSTED_PROXIES``, addresses or CIDR ranges; none by default): walking the
header from the right, each hop added by a trusted proxy is skipped and the first address
no trusted proxy vouches for is the client. Without trusted proxies the header is ignored,
so nobody (a loopback client included) can pick the address they are counted under.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(values: Iterable[str]) -> tuple[Network, ...]:
    """``10.0.0.1``, ``10.0.0.0/8``, ``::1`` …; ValueError names a bad entry."""
    out = []
    for value in values:
        text = value.strip()
        if not text:
            continue
        try:
            out.append(ipaddress.ip_network(text, strict=False))
        except ValueError:
            raise ValueError(f"{text!r} is not an IP address or CIDR range") from None
    return tuple(out)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # [v6]:port
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # v4:port
        text = text.split(":", 1)[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


@dataclass(frozen=True)
class ClientAddress:
    trusted_proxies: tuple[Network, ...] = ()

    def _trusted(self, text: str) -> bool:
        address = _address(text)
        return address is not None and any(address in net for net in self.trusted_proxies)

    def resolve(self, peer: str | None, forwarded_for: Sequence[str] = ()) -> str:
        """The client's address given the TCP peer and the ``X-Forwarded-For`` headers."""
        peer = peer or "unknown"
        if not self.trusted_proxies or not self._trusted(peer):
            return peer
        hops = [h.strip() for header in forwarded_for for h in header.split(",")]
        client = peer
        for hop in reversed([h for h in hops if h]):
            address = _address(hop)
            if address is None:
                return client  # garbage: stop at the last address a proxy vouched for
            client = str(address)
            if not self._trusted(hop):
                return client
        return client
