"""Where webhooks may go outside development: only to public internet addresses, so that an
endpoint cannot make the server call into its own network (a metadata service, a database, an
admin page on localhost).

A URL is checked when it is registered, and again at each connection: DNS can change between
the two, so the delivery client connects only to an address it has just checked
(api/public_network.py).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

from engine.core.errors import Problem

RESOLVE_SECONDS = 5.0
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def is_public(address: Address) -> bool:
    """A global unicast address: not private, loopback, link-local, shared, reserved,
    multicast or unspecified (an IPv4 address mapped into IPv6 is judged as IPv4)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


async def resolve(host: str, port: int) -> list[Address]:
    """Every address `host` resolves to (raises OSError when it does not resolve)."""
    host = host.strip("[]")
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    infos = await asyncio.wait_for(
        loop.getaddrinfo(host, port, type=socket.SOCK_STREAM), RESOLVE_SECONDS
    )
    # The scope of a link-local IPv6 address ("fe80::1%eth0") is not part of the address.
    return list(dict.fromkeys(ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos))


def refusal(host: str, addresses: list[Address]) -> str | None:
    """Why deliveries may not go to `host` at these addresses, or None when they may."""
    if not addresses:
        return f"{host} resolves to no address."
    private = [a for a in addresses if not is_public(a)]
    if private:
        return f"{host} resolves to a private, loopback or link-local address ({private[0]})."
    return None


async def url_problems(url: str) -> list[Problem]:
    """INVALID at `url` when the URL's host is not, all of it, on the public internet."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        addresses = await resolve(host, parts.port or (443 if parts.scheme == "https" else 80))
    except (OSError, UnicodeError, TimeoutError):
        return [Problem("INVALID", f"{host} does not resolve.", ("url",))]
    reason = refusal(host, addresses)
    if reason is None:
        return []
    return [Problem("INVALID", f"Deliveries go only to public addresses: {reason}", ("url",))]
