"""Outbound connections to hosts a user typed: the one SSRF guard of the platform.

Mail servers, bounce mailboxes, time-stamp authorities, and later connectors and platform URLs
are all user input: the platform must not become a scanner of its own network. The rule is
"connect only to public addresses": a name is resolved once, every address it resolves to must
be global (not private, loopback, link-local, shared CGNAT 100.64.0.0/10, reserved, multicast,
documentation…), IPv6 forms that carry an IPv4 address (mapped, 6to4 2002::/16, NAT64
64:ff9b::/96) are judged by the address they carry, Teredo is refused — and the caller connects
to the address that was checked, never to a second resolution of the name (DNS rebinding).

The engine knows nothing of settings: callers pass `allow_private` (the operator's explicit
choice) and, where one local server is legitimate (the demo's mail catcher), an `exception`
predicate.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass

from facturier.engine.errors import EngineError, Message

__all__ = ["HostNotFound", "HostRefused", "PinnedHTTPConnection", "PinnedHTTPSConnection", "Resolved", "is_public",
           "pinned_connection", "resolve_public"]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class HostNotFound(EngineError):
    """The name does not resolve."""


class HostRefused(EngineError):
    """The name resolves to an address the platform does not connect to."""

    def __init__(self, message: Message, *, host: str, address: str):
        super().__init__(message, detail=f"{host} → {address}")
        self.host = host
        self.address = address


def _carried_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_public(address: IPAddress | str) -> bool:
    """True when `address` is a global unicast address (the only kind a user-given host may reach)."""
    if isinstance(address, str):
        address = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(address, ipaddress.IPv6Address):
        if address.teredo is not None:
            return False  # a tunnel whose far end the platform cannot judge
        carried = _carried_ipv4(address)
        if carried is not None:
            return is_public(carried)
    return address.is_global and not address.is_multicast


@dataclass(frozen=True, slots=True)
class Resolved:
    """A host name and the addresses it resolved to, checked once; connect to these, not to the name."""

    host: str
    port: int
    addresses: tuple[str, ...]

    @property
    def address(self) -> str:
        return self.addresses[0]


def resolve_public(host: str, port: int, *, allow_private: bool = False,
                   exception: Callable[[list[str], int], bool] | None = None) -> Resolved:
    """Resolve `host` once and check every address; raises HostNotFound or HostRefused."""
    host = (host or "").strip()
    if not host:
        raise HostNotFound(_NO_NAME)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError, ValueError) as e:
        raise HostNotFound(_NOT_FOUND, detail=f"{host}: {e}")
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not addresses:
        raise HostNotFound(_NOT_FOUND, detail=host)
    if not allow_private and not (exception and exception(addresses, port)):
        for text in addresses:
            if not is_public(text):
                raise HostRefused(_NOT_PUBLIC, host=host, address=text)
    return Resolved(host, port, tuple(addresses))


def pinned_connection(resolved: Resolved, timeout: float, source_address=None) -> socket.socket:
    """A TCP connection to the first checked address that answers (never to the name again)."""
    last: OSError | None = None
    for address in resolved.addresses:
        try:
            return socket.create_connection((address, resolved.port), timeout, source_address)
        except OSError as e:
            last = e
    assert last is not None
    raise last


class PinnedHTTPConnection(http.client.HTTPConnection):
    """HTTP to the checked addresses of a host (never a second DNS answer); redirects are the caller's."""

    def __init__(self, resolved: Resolved, timeout: float):
        super().__init__(resolved.host, resolved.port, timeout=timeout)
        self.resolved = resolved

    def connect(self):
        self.sock = pinned_connection(self.resolved, self.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class PinnedHTTPSConnection(PinnedHTTPConnection):
    """HTTPS to the checked addresses; the certificate is verified against the host's name.

    `context` lets a caller trust its own CA (tests, an operator's internal PKI); by default the
    system's trust store and hostname checking apply. A TLS failure raises `ssl.SSLError` after
    the TCP connection succeeded, so callers can tell the two steps apart.
    """

    def __init__(self, resolved: Resolved, timeout: float, context: ssl.SSLContext | None = None):
        super().__init__(resolved, timeout)
        self.default_port = 443
        self._context = context or ssl.create_default_context()

    def connect(self):
        super().connect()
        self.sock = self._context.wrap_socket(self.sock, server_hostname=self.resolved.host)


_NO_NAME = Message(fr="Aucun nom de serveur n'est indiqué.", en="No server name is set.")
_NOT_FOUND = Message(fr="Le nom du serveur est introuvable (DNS). Vérifiez son orthographe.",
                     en="The server name cannot be found (DNS). Check its spelling.")
_NOT_PUBLIC = Message(
    fr="Ce serveur correspond à une adresse privée, locale ou réservée, à laquelle la plateforme ne se "
       "connecte pas. Indiquez le nom public du serveur, ou demandez à l'opérateur d'autoriser les hôtes privés.",
    en="This server resolves to a private, local or reserved address, which the platform does not connect "
       "to. Use the server's public name, or ask the operator to allow private hosts.")
