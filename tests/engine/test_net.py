"""The one SSRF guard for user-given hosts: public addresses only, resolved once, connected to as checked."""

from __future__ import annotations

import socket
import threading

import pytest

from facturier.engine import net


@pytest.mark.parametrize("address", [
    "10.0.0.1", "172.16.5.4", "192.168.1.1", "127.0.0.1", "169.254.169.254", "0.0.0.0",
    "100.64.0.1", "100.127.255.254",          # shared address space (CGNAT): not private, not global
    "192.0.2.10", "198.18.0.1", "240.0.0.1", "224.0.0.1", "255.255.255.255",
    "::1", "::", "fe80::1", "fc00::1", "fd12:3456::1", "ff02::1", "2001:db8::1",
    "::ffff:127.0.0.1", "::ffff:10.0.0.1",    # IPv4-mapped
    "2002:0a00:0001::1", "2002:7f00:0001::",  # 6to4 carrying 10.0.0.1 / 127.0.0.1
    "64:ff9b::a00:1",                         # NAT64 carrying 10.0.0.1
    "2001:0:4136:e378:8000:63bf:3fff:fdd2",   # Teredo
])
def test_addresses_that_are_not_global_are_refused(address):
    assert not net.is_public(address)


@pytest.mark.parametrize("address", ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "2002:0808:0808::1",
                                     "::ffff:8.8.8.8", "64:ff9b::808:808"])
def test_global_addresses_are_allowed(address):
    assert net.is_public(address)


def test_a_name_with_one_private_address_among_public_ones_is_refused(monkeypatch):
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host == "mixed.example":
            return real("8.8.8.8", port, *args, **kwargs) + real("100.64.1.1", port, *args, **kwargs)
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    with pytest.raises(net.HostRefused) as caught:
        net.resolve_public("mixed.example", 25)
    assert caught.value.address == "100.64.1.1"
    assert "privée" in caught.value.message.fr


def test_an_unknown_name_is_a_clear_error():
    with pytest.raises(net.HostNotFound) as caught:
        net.resolve_public("no-such-host.invalid", 25)
    assert "DNS" in caught.value.message.fr


def test_a_pinned_connection_goes_to_the_checked_address_even_if_the_name_changes(fake_dns):
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        port = listener.getsockname()[1]
        accepted = []
        thread = threading.Thread(target=lambda: accepted.append(listener.accept()[0]), daemon=True)
        thread.start()
        calls = fake_dns({"mail.rebind.example": ["127.0.0.1", "127.0.0.2"]})
        resolved = net.resolve_public("mail.rebind.example", port, allow_private=True)
        with net.pinned_connection(resolved, timeout=5) as connection:
            assert connection.getpeername()[0] == "127.0.0.1"
        thread.join(5)
        accepted[0].close()
        assert calls["mail.rebind.example"] == 1
