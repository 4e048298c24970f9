"""The webhook client's network outside development: it connects to a host only at an address
it has just resolved and found public (engine/services/destinations.py), so a name that resolved to a
public address at registration and to a private one now is refused at the moment it matters.
TLS still checks the certificate against the host's name."""

from __future__ import annotations

import httpcore
import httpx

from engine.services import destinations


class PublicOnly(httpcore.AsyncNetworkBackend):
    def __init__(self, inner: httpcore.AsyncNetworkBackend | None = None) -> None:
        self.inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        try:
            addresses = await destinations.resolve(host, port)
        except (OSError, UnicodeError, TimeoutError) as error:
            raise httpcore.ConnectError(f"{host} does not resolve: {error}") from None
        if reason := destinations.refusal(host, addresses):
            raise httpcore.ConnectError(f"refused: {reason}")
        return await self.inner.connect_tcp(
            str(addresses[0]), port, timeout=timeout, local_address=local_address,
            socket_options=socket_options,
        )

    async def connect_unix_socket(self, path, timeout=None, socket_options=None):
        raise httpcore.ConnectError("refused: deliveries go only to public addresses")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


def delivery_transport(*, public_only: bool) -> httpx.AsyncHTTPTransport:
    transport = httpx.AsyncHTTPTransport(trust_env=False)
    if public_only:
        # httpx takes no network backend; its connection pool does, and uses this attribute
        # for every connection it opens (tests/api/test_webhook_destinations.py checks it).
        transport._pool._network_backend = PublicOnly()
    return transport
